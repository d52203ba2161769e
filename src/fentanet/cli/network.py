"""Commands on networks: info, convert, generate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.markup import escape

from fentanet.analysis.temporal import links_without_phase
from fentanet.cli import app
from fentanet.cli.common import console, counted, print_json, table
from fentanet.cli.inputs import (
    DelimiterOpt,
    DirectedOpt,
    DuplicatesOpt,
    FromOpt,
    HeaderOpt,
    NetworkArg,
    load_network,
    reader_options,
    writer_option_values,
)
from fentanet.errors import InputError
from fentanet.network import Network, read, write
from fentanet.network.generator import as_spec, generate, read_spec
from fentanet.network.io import writer_format, writer_options


def print_summary(summary: dict) -> None:
    """Print a network summary (as returned by ``Network.summary``) as tables."""
    kind = "directed" if summary["directed"] else "undirected"
    console.print(f"[bold]{escape(summary['name'] or 'network')}[/bold]  "
                  f"{counted(summary['actors'], 'actor')}, {links_text(summary)}, {kind}",
                  soft_wrap=True)
    if summary.get("source"):
        console.print(f"  source: {escape(str(summary['source']))}", soft_wrap=True)
    console.print(table("Actors by kind", ["kind", "actors"],
                        [[k, v] for k, v in summary["actor_kinds"].items()]))
    console.print(table("Links by kind", ["kind", "links"],
                        [[k, v] for k, v in summary["link_kinds"].items()]))
    deg = summary["degree"]
    rows = [
        ["components", summary["components"]],
        ["largest component", summary["largest_component"]],
        ["isolates", summary["isolates"]],
        ["density (distinct pairs)", summary["density"]],
        ["neighbours mean / median / max",
         f"{deg['mean']:.3g} / {deg['median']:.3g} / {deg['max']}"],
    ]
    if summary["phases"]:
        unphased = summary.get("links_without_phase", 0)
        rows.append(["phases", f"{len(summary['phases'])}: {summary['phases']}" + (
            f" ({unphased} link{'s' * (unphased > 1)} in none)" if unphased else "")])
    console.print(table("Structure", ["measure", "value"], rows))


def links_text(summary: dict) -> str:
    """``"1,234 links (distinct pairs 205)"``; the pairs only when they differ."""
    links, pairs = summary["links"], summary.get("distinct_pairs", summary["links"])
    text = counted(links, "link")
    return text if pairs == links else f"{text} (distinct pairs {pairs:,})"


@app.command()
def info(
    file: NetworkArg,
    from_format: FromOpt = None,
    directed: DirectedOpt = None,
    duplicates: DuplicatesOpt = None,
    header: HeaderOpt = None,
    delimiter: DelimiterOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Actors and links by kind, components, density and degree summary."""
    net = load_network(file, from_format, **reader_options(
        directed=directed, duplicates=duplicates, header=header, delimiter=delimiter))
    summary = net.summary()
    if summary["phases"]:
        summary["links_without_phase"] = links_without_phase(net)
    if json_out:
        print_json(summary)
    else:
        print_summary(summary)


@app.command()
def convert(
    file: NetworkArg,
    dst: Annotated[Path, typer.Argument(help="Output file; format from its extension.")],
    from_format: FromOpt = None,
    directed: DirectedOpt = None,
    duplicates: DuplicatesOpt = None,
    header: HeaderOpt = None,
    delimiter: DelimiterOpt = None,
    to_format: Annotated[str | None, typer.Option("--to", help="Output format (fentanet "
                                                                "formats lists them); "
                                                                "default: from the output "
                                                                "file's extension.")] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-o", metavar="KEY=VALUE",
        help="A writer option, repeatable: dl layout=fullmatrix; edgelist delimiter=comma, "
             "weight=false; links delimiter, sidecar; matrix delimiter, max_actors; json "
             "indent=2 (fentanet formats --json lists them).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Convert a network from any readable format to any writable one, and say what the
    written file holds and what the target format could not keep."""
    written_as = writer_format(dst, to_format).name
    options = writer_option_values(written_as, option or [])
    net = load_network(file, from_format, **reader_options(
        directed=directed, duplicates=duplicates, header=header, delimiter=delimiter))
    out = write(net, dst, format=to_format, **options)
    try:
        back = read(out, format=to_format)
    except InputError as exc:  # pragma: no cover - every writer's output reads back
        back, unread = None, str(exc)
    else:
        unread = None
    lost = conversion_losses(net, back) if back is not None else {}
    beside = files_beside(out, written_as, options)
    if json_out:
        print_json({"written": str(out), "files": [str(p) for p in (out, *beside)],
                    "actors": net.n_actors, "links": net.n_links,
                    "read_back": None if back is None else {
                        "actors": back.n_actors, "links": back.n_links,
                        "directed": back.directed},
                    "lost": lost, "error": unread})
        return
    console.print(f"wrote {escape(str(out))} ({net.n_actors} actors, {net.n_links} links)"
                  f"{escape(beside_text(beside))}", soft_wrap=True)
    if unread:  # pragma: no cover - see above
        console.print(f"  could not read it back to check: {escape(unread)}", soft_wrap=True)
    for what, detail in lost.items():
        console.print(f"  not kept: {what}: {escape(detail)}", soft_wrap=True)
    if back is not None and not lost:
        console.print("  read back: nothing lost", soft_wrap=True)


def files_beside(path: Path, format: str, options: dict) -> list[Path]:
    """The files a writer wrote beside ``path``: the link list's actor list and, unless
    ``sidecar=false``, its metadata file (``x.actors.csv``, ``x.meta.json``); none for
    the one-file formats."""
    if format != "links":
        return []
    from fentanet.network.io.lists import sibling_paths

    _, actors, meta = sibling_paths(path)
    return [actors, *([meta] if options.get("sidecar", True) else [])]


def beside_text(beside: list[Path]) -> str:
    """``", and beside it x.actors.csv and x.meta.json"``, or nothing."""
    if not beside:
        return ""
    names = [p.name for p in beside]
    return ", and beside it " + " and ".join([", ".join(names[:-1]), names[-1]] if len(
        names) > 1 else names)


def conversion_losses(before: Network, after: Network) -> dict[str, str]:
    """What ``after`` (a written file read back) lacks of ``before``: actors or links (as
    counts), direction, actor and link kinds, actor and link attributes, and the values
    of the attributes it kept (:func:`_changed_values`). Empty when nothing was lost."""
    lost: dict[str, str] = {}
    if after.n_actors != before.n_actors:
        lost["actors"] = f"{before.n_actors} -> {after.n_actors} (isolates dropped)" \
            if after.n_actors < before.n_actors else f"{before.n_actors} -> {after.n_actors}"
    if after.n_links != before.n_links:
        why = " (parallel links merged)" if after.n_links < before.n_links else ""
        lost["links"] = f"{before.n_links} -> {after.n_links}{why}"
    if after.directed != before.directed:
        lost["direction"] = ("directed read back as undirected" if before.directed
                             else "undirected read back as directed")
    for part, name in (("actors", "actor"), ("links", "link")):
        b, a = getattr(before, part), getattr(after, part)
        kinds_b = b["kind"].value_counts().to_dict()
        if kinds_b != a["kind"].value_counts().to_dict():
            lost[f"{name} kinds"] = ", ".join(sorted(map(str, kinds_b)))
        gone = [c for c in b.columns if c not in a.columns and c not in ("uid",)
                and b[c].notna().any()]
        if gone:
            lost[f"{name} attributes"] = ", ".join(map(str, gone))
    changed = _changed_values(before, after)
    if changed:
        lost["attribute values"] = changed
    return lost


def _changed_values(before: Network, after: Network) -> str:
    """The attributes whose values ``after`` does not keep, as ``"link weight (84 of 361
    links differ)"``: actors matched by id, links by their ends (in either order when
    undirected), kind (when the kinds were kept) and rank among parallel links; numbers
    equal to a relative 1e-9, NaN equal to NaN, other values compared as text. Only matched
    actors and links are compared (lost ones are counted apart)."""
    out = []
    for part, name in (("actors", "actor"), ("links", "link")):
        b, a = getattr(before, part), getattr(after, part)
        if part == "actors":
            b, a = b.set_index(b["id"].astype(str)), a.set_index(a["id"].astype(str))
        else:
            kinds = "kind" in b and "kind" in a and b["kind"].value_counts().to_dict() == \
                a["kind"].value_counts().to_dict()  # matched by kind only where kept
            b = b.set_index(pd.MultiIndex.from_frame(_link_key(b, before.directed, kinds)))
            a = a.set_index(pd.MultiIndex.from_frame(_link_key(a, before.directed, kinds)))
        if not (b.index.is_unique and a.index.is_unique):
            continue
        common = b.index.intersection(a.index)
        skip = {"uid", "id", "source", "target", "kind"}
        for col in (c for c in b.columns if c in a.columns and c not in skip):
            x, y = b.loc[common, col], a.loc[common, col]
            differ = int((~_same(x.to_numpy(), y.to_numpy())).sum())
            if differ:
                out.append(f"{name} {col} ({differ} of {len(common)} {part} differ)")
    return ", ".join(out)


def _link_key(links: pd.DataFrame, directed: bool, kinds: bool) -> pd.DataFrame:
    """Each link's ends (sorted when undirected), kind (when ``kinds``) and rank among the
    links with both."""
    u, v = links["source"].astype(str), links["target"].astype(str)
    if not directed:
        u, v = u.where(u <= v, v), v.where(u <= v, u)
    key = pd.DataFrame({"u": u.to_numpy(), "v": v.to_numpy(),
                        "kind": links["kind"].astype(str).to_numpy() if kinds else ""})
    key["rank"] = key.groupby(["u", "v", "kind"], sort=False).cumcount().to_numpy()
    return key


def _same(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Element-wise: the same number (relative 1e-9), both missing, or the same text."""
    nx_, ny = pd.to_numeric(pd.Series(x), errors="coerce"), pd.to_numeric(pd.Series(y),
                                                                        errors="coerce")
    missing = pd.isna(pd.Series(x)).to_numpy() & pd.isna(pd.Series(y)).to_numpy()
    numeric = (nx_.notna() & ny.notna()).to_numpy()
    same = missing.copy()
    same[numeric] = np.isclose(nx_[numeric], ny[numeric], rtol=1e-9, atol=0.0)
    text = ~numeric & ~missing
    same[text] = pd.Series(x[text]).astype(str).to_numpy() == pd.Series(y[text]).astype(
        str).to_numpy()
    return same


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Argument(help="Output file; format from its extension.")],
    actors: Annotated[int | None, typer.Option(
        "--actors", "-n", help="Number of actors (at least 20); overrides the spec file's.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (a non-negative integer).")] = 0,
    spec: Annotated[Path | None, typer.Option(
        help="YAML or JSON file of generator settings (see docs/network.md).")] = None,
    to_format: Annotated[str | None, typer.Option("--to", help="Output format (fentanet "
                                                                "formats lists them); "
                                                                "default: from the output "
                                                                "file's extension.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")
                        ] = False,
) -> None:
    """Generate a synthetic supply network and write it.

    The same actors, seed and spec always give the same network.
    """
    settings = read_spec(spec).model_dump(exclude_unset=True) if spec is not None else {}
    from_file = set(settings) - ({"actors"} if actors is not None else set())
    if actors is not None:
        settings["actors"] = actors
    if "actors" not in settings:
        raise InputError("how many actors? pass --actors N (at least 20) or set 'actors' in "
                         "a --spec file", field="actors")
    try:
        net = generate(as_spec(settings), seed=seed)
    except InputError as exc:  # a field the spec file set (regions for the actors given)
        if spec is not None and exc.file is None and str(exc.field).split(".")[0] in from_file:
            raise exc.located(file=spec) from None
        raise
    path = write(net, out, format=to_format)
    beside = files_beside(path, writer_format(path, to_format).name, {})
    if json_out:
        print_json({"path": str(path), "files": [str(p) for p in (path, *beside)],
                    "seed": seed, **net.summary()})
    else:
        console.print(f"wrote {escape(str(path))} ({net.n_actors} actors, {net.n_links} links, "
                      f"seed {seed}){escape(beside_text(beside))}", soft_wrap=True)


@app.command("formats")
def formats_command(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the network file formats: name, extensions, read/write, what round-trips."""
    from fentanet.network.io import formats

    rows = [{"name": f.name, "extensions": list(f.extensions), "read": f.reader is not None,
             "write": f.writer is not None, "description": f.description, "keeps": f.keeps,
             "write_options": {k: {"type": t.__name__, "default": d} for k, (t, d) in
                               writer_options(f.name).items()} if f.writer else {}}
            for f in formats()]
    if json_out:
        print_json(rows)
        return
    from rich.table import Table

    t = Table(title="Network formats (docs/formats.md tells what each keeps)",
              title_justify="left", show_edge=False, header_style="bold")
    for col in ("format", "extensions", "read", "write", "description"):
        t.add_column(col, justify="center" if col in ("read", "write") else "left")
    for r in rows:
        t.add_row(r["name"], " ".join(r["extensions"]), "yes" if r["read"] else "-",
                  "yes" if r["write"] else "-", escape(r["description"]))
    console.print(t)
