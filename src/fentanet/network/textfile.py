"""A user's text file read the same way everywhere: network files, scenarios, generator
specs, calibration targets.

The bytes are checked once: a UTF-16 file with a byte-order mark (as some spreadsheet
exports write) is converted, a UTF-8 byte-order mark is removed, and a NUL byte (binary
content) or a byte that is not UTF-8 raises :class:`~fentanet.errors.InputError` naming
the file, the line of the first bad byte and the byte (``u.csv:2: not UTF-8 text (byte
0xe9); expected a text file saved as UTF-8``), never Python's ``UnicodeDecodeError``.
"""

from __future__ import annotations

from pathlib import Path

from fentanet.errors import InputError


def line_at(raw: bytes, offset: int) -> int:
    """The 1-based line of a byte offset."""
    return raw.count(b"\n", 0, offset) + 1


def clean_bytes(raw: bytes, path: Path | str | None, *,
                expected: str = "a text network file") -> bytes:
    """UTF-8 bytes without a BOM; raises for NUL bytes and undecodable text.

    ``expected`` says what the file should hold, in the message of binary content.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise InputError("not valid UTF-16 text after its byte-order mark", file=path,
                             line=1) from None
    elif raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError(f"binary content (a NUL byte); expected {expected}",
                         file=path, line=line_at(raw, nul))
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); expected a text "
                         "file saved as UTF-8", file=path, line=line_at(raw, exc.start)
                         ) from None
    return raw


def read_text(path: Path | str, *, expected: str) -> str:
    """The text of a user's file, checked as :func:`clean_bytes` does; a folder, a missing
    or an unreadable file raise :class:`InputError` naming it (``expected``: what the file
    should hold, such as ``"a YAML scenario"``)."""
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(f"is a folder; expected {expected}", file=path) from None
    except FileNotFoundError:
        raise InputError("no such file", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=path) from None
    return clean_bytes(raw, path, expected=expected).decode("utf-8")
