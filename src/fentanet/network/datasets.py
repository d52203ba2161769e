"""The shared research datasets by name: where they are, and what a name given to
:func:`fentanet.network.io.read` (or to the command line) stands for.

The data live outside the package, in ``../shared/data`` from the project root (set
``FENTANET_DATA`` to point elsewhere). They are never copied into the project; when the
folder is absent, :func:`data_dir` returns ``None``. ``fentanet.datasets`` re-exports
these and loads datasets by name.
"""

from __future__ import annotations

import os
from pathlib import Path

from fentanet.errors import InputError

DATASETS: dict[str, str] = {
    "caviar": "networks/caviar/morselli_caviar.csv",
    "caviar_phases": "networks/caviar_phases",
    "cielnet": "networks/cielnet/morselli_cielnet.csv",
    "french_connection": "networks/french_connection/macdonald_tfc.csv",
    "kpp_figure8": "networks/kpp_figure8/figure_8.txt",
    "montagna_meetings": "networks/montagna/Montagna_meetings_edgelist.csv",
    "montagna_phonecalls": "networks/montagna/Montagna_phonecalls_edgelist.csv",
    "montagna_subset": "networks/montagna_mcmacdonald_subset/luciaetal_montagna.csv",
    "natarajan_cocaine": "networks/natarajan_cocaine/natajaran_cocaine.csv",
    "natarajan_heroin": "networks/natarajan_heroin/natajaran_heroin.csv",
    "oversize": "networks/oversize_mcmacdonald_subset/berlusconietal_oversize.csv",
}
"""Named research networks, by path under the data folder."""


def data_dir() -> Path | None:
    """The shared data folder, or ``None`` when it is not on this machine.

    Looked up in ``$FENTANET_DATA``, then ``../shared/data`` from the working directory,
    from the project root (the folder holding ``pyproject.toml``) and, when that root is
    a git worktree, from the main checkout it belongs to.
    """
    env = os.environ.get("FENTANET_DATA")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates.append(Path.cwd() / ".." / "shared" / "data")
    for parent in here.parents:
        if (parent / "pyproject.toml").exists():
            candidates.append(parent / ".." / "shared" / "data")
            main = main_checkout(parent)
            if main is not None:
                candidates.append(main / ".." / "shared" / "data")
            break
    for cand in candidates:
        if (cand / "networks").is_dir() or (cand / "interdiction").is_dir():
            return cand.resolve()
    return None


def main_checkout(root: Path) -> Path | None:
    """The main checkout of a git worktree at ``root`` (whose ``.git`` is a file reading
    ``gitdir: <main>/.git/worktrees/<name>``), else ``None``."""
    git = root / ".git"
    if not git.is_file():
        return None
    try:
        text = git.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith("gitdir:"):
        return None
    gitdir = Path(text[len("gitdir:"):].strip())
    if not gitdir.is_absolute():
        gitdir = (root / gitdir).resolve()
    if gitdir.parent.name != "worktrees" or gitdir.parent.parent.name != ".git":
        return None
    return gitdir.parent.parent.parent


def path(name_or_relpath: str) -> Path:
    """Absolute path of a named dataset or of a path under the data folder."""
    if not isinstance(name_or_relpath, str):  # load(3) ended in pathlib's TypeError
        raise InputError(f"a dataset name is text, such as 'caviar'; got {name_or_relpath!r}; "
                         f"named datasets: {', '.join(DATASETS)}", field="dataset")
    root = data_dir()
    if root is None:
        raise InputError(f"dataset '{name_or_relpath}': the shared data folder is missing on "
                         f"this machine (looked for ../shared/data; set FENTANET_DATA)",
                         field="dataset")
    rel = DATASETS.get(name_or_relpath, name_or_relpath)
    full = root / rel
    if not full.exists():
        raise InputError(f"no dataset '{name_or_relpath}'; named datasets: "
                         f"{', '.join(DATASETS)}", field="dataset")
    return full


def resolve(file: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """The path to read for ``file``, and the dataset name when it names one.

    A path that exists wins over a dataset of the same name. Otherwise a name of
    :data:`DATASETS` stands for its file under the data folder (:class:`InputError` naming
    the dataset when the folder is absent). Anything else is a missing file
    (:class:`InputError` naming it, and listing the dataset names when it looks like one).
    """
    text = os.fspath(file)
    p = Path(text).expanduser()
    try:
        exists = p.exists()
    except OSError as exc:  # a name too long for the system, say
        raise InputError(f"cannot use this path: {exc.strerror or exc}", file=text) from None
    if exists:
        return p, None
    if text in DATASETS:
        return path(text), text
    hint = f" (nor a dataset name: {', '.join(DATASETS)})" \
        if "/" not in text and "\\" not in text and "." not in text else ""
    raise InputError(f"no such file{hint}", file=p)
