"""``fentanet serve``: the local web app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fentanet.cli import app
from fentanet.cli.common import check_output_folder, console


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; anything but the loopback "
                                           "requires the access token printed at start.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workdir: Annotated[Path, typer.Option(help="Working folder: uploads, reports, results "
                                               "and runs; nothing outside it is read or "
                                               "written.")] = Path("fentanet-work"),
    token: Annotated[str | None, typer.Option(help="Access token to require (default: none "
                                                   "on the loopback, a new one otherwise).",
                                              envvar="FENTANET_TOKEN")] = None,
    max_upload_mb: Annotated[float, typer.Option(min=0.001, help="Largest upload, in "
                                                                 "MB.")] = 50.0,
) -> None:
    """Start the local web app: open or upload a network, explore and analyse it, compare
    strategies, read the reports."""
    from fentanet.web import serve as run

    # a folder that cannot be made or written, or whose parent is missing (a typo would make
    # folders wherever it points: `--workdir a/b/c` made a and b), refused as every --out
    check_output_folder(workdir, "--workdir")
    run(host, port, workdir, token=token, max_upload=int(max_upload_mb * 1e6),
        announce=lambda line: console.print(line, soft_wrap=True, markup=False))
