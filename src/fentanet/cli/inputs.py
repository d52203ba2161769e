"""The network argument and reader options that ``info``, ``convert``, ``analyze`` and
``resilience`` share: a file, a folder of phase files or a dataset name, read with
``--from/--format``, ``--directed/--undirected``, ``--duplicates``, ``--header/--no-header``
and ``--delimiter`` (passed to :func:`fentanet.read` as its options)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from fentanet.errors import InputError
from fentanet.network import Network

NetworkArg = Annotated[str, typer.Argument(
    help="Network file (any readable format), a folder of per-phase files of one format "
         "(phase1.csv, phase2.csv, ...), or a shared dataset name (caviar, "
         "caviar_phases, ...).")]
FromOpt = Annotated[str | None, typer.Option(
    "--from", "--format", help="Input format (fentanet formats lists them); default: "
                               "detected from the extension and the content.")]
DirectedOpt = Annotated[bool | None, typer.Option(
    "--directed/--undirected", help="Read the links as directed or undirected (default: "
                                    "the format's rule; see docs/formats.md).",
    show_default=False)]
DuplicatesOpt = Annotated[str | None, typer.Option(
    "--duplicates", help="Repeated pairs in edge and link lists, Pajek, SIF: last, first, "
                         "sum, max, min (one link per pair) or keep (parallel links); "
                         "default: last in plain edge lists, keep in the others.")]
HeaderOpt = Annotated[bool | None, typer.Option(
    "--header/--no-header", help="Plain edge lists and SIF: the first line is (not) a "
                                 "header (default: detected).", show_default=False)]
DelimiterOpt = Annotated[str | None, typer.Option(
    "--delimiter", help="Field delimiter of edge and link lists: tab, comma, semicolon, "
                        "space, pipe or the character itself (default: detected).")]

DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "space": " ",
              "whitespace": " ", "pipe": "|"}

FLAGS = {"directed": "--directed/--undirected", "duplicates": "--duplicates",
         "header": "--header/--no-header", "delimiter": "--delimiter"}
"""The CLI flag of each reader option."""


def reader_options(*, directed: bool | None = None, duplicates: str | None = None,
                   header: bool | None = None, delimiter: str | None = None
                   ) -> dict[str, Any]:
    """The reader options the user gave (those left unset are not passed)."""
    options: dict[str, Any] = {"directed": directed, "duplicates": duplicates,
                               "header": header,
                               "delimiter": None if delimiter is None
                               else DELIMITERS.get(delimiter.lower(), delimiter)}
    return {k: v for k, v in options.items() if v is not None}


def writer_option_values(format: str, pairs: list[str]) -> dict[str, Any]:
    """Writer options given on the command line as ``KEY=VALUE`` (``--option``), each
    converted to the type of that option of ``format``'s writer
    (:func:`fentanet.network.io.writer_options`): ``true/false/yes/no/1/0`` for a switch,
    a whole number, or text (delimiters by name as for ``--delimiter``)."""
    from fentanet.network.io import writer_options

    known = writer_options(format)
    have = ", ".join(f"{k} ({t.__name__}, default {d!r})" for k, (t, d) in known.items())
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"expected KEY=VALUE, got {pair!r}; format '{format}' takes: "
                             f"{have or 'no options'}", field="--option")
        if key not in known:
            raise InputError(f"format '{format}' has no option {key!r}; it takes: "
                             f"{have or 'no options'}", field="--option")
        if key in options:
            raise InputError(f"option {key!r} given twice", field="--option")
        kind = known[key][0]
        if kind is bool:
            value = {"true": True, "yes": True, "1": True,
                     "false": False, "no": False, "0": False}.get(text.strip().lower())
            if value is None:
                raise InputError(f"{key}={text!r}: expected true or false", field="--option")
        elif kind in (int, float):
            try:
                value = kind(text)
            except ValueError:
                what = "a whole number" if kind is int else "a number"
                raise InputError(f"{key}={text!r}: expected {what}", field="--option") from None
        else:
            value = DELIMITERS.get(text.lower(), text) if key == "delimiter" else text
        options[key] = value
    return options


def resolve(file: str) -> tuple[Path, str | None]:
    """The path to read, and the dataset name when ``file`` names one (a path that exists
    wins over a dataset of the same name): :func:`fentanet.network.datasets.resolve`, the
    rule ``fentanet.read`` follows too."""
    from fentanet.network.datasets import resolve as resolve_name

    return resolve_name(file)


def load_network(file: str, from_format: str | None = None, **options: Any) -> Network:
    """Read the network a command names: resolve dataset names, check that each option
    applies to the format, and report errors with the CLI's flags."""
    from fentanet.network.io import _format, detect_format, read

    path, dataset = resolve(file)
    options = {k: v for k, v in options.items() if v is not None}
    try:
        name = from_format or detect_format(path)
    except InputError as exc:
        raise InputError(exc.detail.replace("pass format=", "pass --from"),
                         file=exc.file, line=exc.line, field=exc.field) from None
    try:
        fmt = _format(name, need="reader")
    except InputError as exc:
        raise InputError(exc.detail, field="--from") from None
    accepted = list(inspect.signature(fmt.reader).parameters)[1:]
    for option in options:
        if option not in accepted:
            have = ", ".join(FLAGS[a] for a in accepted if a in FLAGS) or "none"
            raise InputError(f"{FLAGS[option]} does not apply to {name} files (the "
                             f"{name} reader's options: {have})")
    net = read(path, format=name, **options)
    if dataset is not None:
        net.name = dataset
    return net
