"""Commands on networks: info, convert, generate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from fentanet.cli import app
from fentanet.cli.common import console, print_json, table
from fentanet.errors import InputError
from fentanet.network import read, write
from fentanet.network.generator import as_spec, generate, read_spec


def print_summary(summary: dict) -> None:
    """Print a network summary (as returned by ``Network.summary``) as tables."""
    kind = "directed" if summary["directed"] else "undirected"
    console.print(f"[bold]{escape(summary['name'] or 'network')}[/bold]  "
                  f"{summary['actors']} actors, "
                  f"{summary['links']} links, {kind}", soft_wrap=True)
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
        ["density", summary["density"]],
        ["degree mean / median / max", f"{deg['mean']:.3g} / {deg['median']:.3g} / {deg['max']}"],
    ]
    if summary["phases"]:
        rows.append(["phases", f"{len(summary['phases'])}: {summary['phases']}"])
    console.print(table("Structure", ["measure", "value"], rows))


@app.command()
def info(
    file: Annotated[Path, typer.Argument(help="Network file (any readable format).")],
    format: Annotated[str | None, typer.Option(help="Format name; default: detected.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Actors and links by kind, components, density and degree summary."""
    net = read(file, format=format)
    summary = net.summary()
    if json_out:
        print_json(summary)
    else:
        print_summary(summary)


@app.command()
def convert(
    src: Annotated[Path, typer.Argument(help="Input network file.")],
    dst: Annotated[Path, typer.Argument(help="Output file; format from its extension.")],
    from_format: Annotated[str | None, typer.Option("--from", help="Input format.")] = None,
    to_format: Annotated[str | None, typer.Option("--to", help="Output format.")] = None,
) -> None:
    """Convert a network from any readable format to any writable one."""
    net = read(src, format=from_format)
    out = write(net, dst, format=to_format)
    console.print(f"wrote {escape(str(out))} ({net.n_actors} actors, {net.n_links} links)",
                  soft_wrap=True)


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Argument(help="Output file; format from its extension.")],
    actors: Annotated[int | None, typer.Option(
        "--actors", "-n", help="Number of actors (at least 20); overrides the spec file's.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (a non-negative integer).")] = 0,
    spec: Annotated[Path | None, typer.Option(
        help="YAML or JSON file of generator settings (see docs/network.md).")] = None,
    to_format: Annotated[str | None, typer.Option("--to", help="Output format.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")
                        ] = False,
) -> None:
    """Generate a synthetic supply network and write it.

    The same actors, seed and spec always give the same network.
    """
    settings = read_spec(spec).model_dump(exclude_unset=True) if spec is not None else {}
    if actors is not None:
        settings["actors"] = actors
    if "actors" not in settings:
        raise InputError("how many actors? pass --actors N (at least 20) or set 'actors' in "
                         "a --spec file", field="actors")
    net = generate(as_spec(settings), seed=seed)
    path = write(net, out, format=to_format)
    if json_out:
        print_json({"path": str(path), "seed": seed, **net.summary()})
    else:
        console.print(f"wrote {escape(str(path))} ({net.n_actors} actors, {net.n_links} links, "
                      f"seed {seed})", soft_wrap=True)


@app.command("formats")
def formats_command(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the network file formats: name, extensions, read/write, what round-trips."""
    from fentanet.network.io import formats

    rows = [{"name": f.name, "extensions": list(f.extensions), "read": f.reader is not None,
             "write": f.writer is not None, "description": f.description, "keeps": f.keeps}
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
