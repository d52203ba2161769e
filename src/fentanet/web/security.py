"""The web app's safety rules, in one place.

- **Token.** Bound to another address than the loopback, every request must carry the
  token printed at start: the ``X-Fentanet-Token`` header, a ``?token=`` once (answered
  with a cookie and a redirect to the same page without it), or that cookie.
- **Host and origin.** Bound to the loopback, only ``Host: localhost``/``127.0.0.1``/
  ``[::1]`` is served (a page elsewhere cannot reach the app through a DNS name of its
  own), and a request that changes something must come from the app's own origin.
- **Paths.** Every path a request names is relative to the working folder, resolved
  (symbolic links followed) and checked to stay inside it; upload names are reduced to
  a plain file name.
- **Body size.** Request bodies above the limit are cut off with 413 while they stream in.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fentanet.errors import InputError

TOKEN_HEADER = "x-fentanet-token"
TOKEN_COOKIE = "fentanet_token"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def new_token() -> str:
    """A fresh random token (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    return host in LOOPBACK or host.startswith("127.")


class PathError(InputError):
    """A path a request named is not inside the working folder (or not allowed)."""


def safe_path(root: Path, relative: str, *, must_exist: bool = True,
              where: str = "the working folder", field: str = "path") -> Path:
    """``relative`` inside ``root``: resolved, symbolic links followed, and refused
    (:class:`PathError`) when it is absolute, has ``..`` parts, holds control characters
    or lands outside ``root``. ``where`` is what the messages call ``root``, ``field`` the
    request's field they name."""
    root = Path(root).resolve()
    if not isinstance(relative, str) or not relative.strip():
        raise PathError("no path given", field=field)
    if "\x00" in relative or any(unicodedata.category(c) == "Cc" for c in relative):
        raise PathError("the path holds control characters", field=field)
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or relative.startswith(
            ("/", "\\", "~")):
        raise PathError(f"absolute paths are not allowed; give a path inside {where}",
                        field=field)
    parts = re.split(r"[/\\]+", relative)
    if any(p == ".." for p in parts):
        raise PathError("'..' is not allowed in paths", field=field)
    target = root.joinpath(*[p for p in parts if p not in ("", ".")])
    try:
        resolved = target.resolve(strict=must_exist)
    except (FileNotFoundError, NotADirectoryError):
        raise PathError(f"no file '{relative}' in {where}", field=field) from None
    except (OSError, RuntimeError):  # symlink loops and the like
        raise PathError(f"cannot open '{relative}'", field=field) from None
    if resolved != root and not resolved.is_relative_to(root):
        raise PathError(f"'{relative}' leads outside {where}", field=field)
    return resolved


_NAME_OK = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,12}")


def safe_name(name: str | None, *, default: str = "upload", max_length: int = 100) -> str:
    """A plain file name from an uploaded one: the last part of any path, letters, digits,
    ``.``, ``_`` and ``-`` only, starting with a letter or digit (no leading dot), at most
    ``max_length`` characters, the extension kept (``-.csv``: ``upload.csv``; a name that
    is only a leading dot and letters, ``.bashrc``, has none: ``bashrc``)."""
    raw = str(name or "")
    raw = re.split(r"[/\\]", raw)[-1]
    raw = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    clean = re.sub(r"-{2,}", "-", _NAME_OK.sub("-", raw))
    stem, dot, ext = clean.rpartition(".")
    if dot and stem.strip(".") and _EXTENSION.fullmatch(ext):
        clean = (stem.lstrip(".-_ ").rstrip(".") or default) + "." + ext
    else:
        clean = clean.strip(".-_ ")
    if not clean or clean in (".", ".."):
        clean = default
    if len(clean) > max_length:
        stem, dot, ext = clean.rpartition(".")
        if dot and 0 < len(ext) <= 12 and stem:
            clean = stem[: max_length - len(ext) - 1].rstrip(".-_") + "." + ext
        else:
            clean = clean[:max_length]
    return clean


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-2``, ``name-3``... before the extension when taken."""
    path = folder / name
    stem, dot, ext = name.partition(".")
    i = 2
    while path.exists():
        path = folder / f"{stem}-{i}{dot}{ext}"
        i += 1
    return path


def token_matches(given: str | None, token: str) -> bool:
    return bool(given) and secrets.compare_digest(str(given).encode(), token.encode())


def strip_token(url_path: str, query: str) -> str:
    """The path and query of a URL without its ``token`` parameter."""
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "token"]
    return url_path + (f"?{urlencode(kept)}" if kept else "")


def host_allowed(host_header: str | None, allowed: Iterable[str] | None) -> bool:
    """Whether the ``Host`` header names one of ``allowed`` (any port); ``None``: all."""
    if allowed is None:
        return True
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8000
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host in {h.lower() for h in allowed}


def same_origin(origin: str | None, host_header: str | None) -> bool:
    """Whether an ``Origin`` header (when the browser sends one) is this app's own."""
    if origin is None:
        return True  # not a browser's cross-site request (curl, the test client)
    if origin == "null":
        return False
    netloc = urlsplit(origin).netloc.lower()
    return bool(host_header) and netloc == host_header.strip().lower()


class BodyTooLarge(Exception):
    """A request body went over the limit while it streamed in."""


def limit_receive(receive: Any, limit: int, flag: dict | None = None) -> Any:
    """Wrap an ASGI ``receive`` so that reading more than ``limit`` body bytes raises
    :class:`BodyTooLarge` (and sets ``flag["too_large"]``: frameworks may turn the
    exception into an answer of their own, which the caller then replaces)."""
    seen = 0

    async def wrapped() -> dict:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                if flag is not None:
                    flag["too_large"] = True
                raise BodyTooLarge()
        return message

    return wrapped
