"""Commands on networks: info, convert."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fentanet.cli import app
from fentanet.cli.common import console, print_json, table
from fentanet.network import read, write


def print_summary(summary: dict) -> None:
    """Print a network summary (as returned by ``Network.summary``) as tables."""
    kind = "directed" if summary["directed"] else "undirected"
    console.print(f"[bold]{summary['name'] or 'network'}[/bold]  {summary['actors']} actors, "
                  f"{summary['links']} links, {kind}")
    if summary.get("source"):
        console.print(f"  source: {summary['source']}")
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
    console.print(f"wrote {out} ({net.n_actors} actors, {net.n_links} links)")
