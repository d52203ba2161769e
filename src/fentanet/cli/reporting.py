"""The ``--report FILE`` and ``--png DIR`` options that ``analyze``, ``simulate``,
``compare`` and ``sensitivity`` share: checked before the work starts, written after it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fentanet.cli.common import check_output_file, check_output_folder, console, err_console

ReportOpt = Annotated[Path | None, typer.Option(
    "--report", help="Write a self-contained HTML report (opens offline) to this file.")]
PngOpt = Annotated[Path | None, typer.Option(
    "--png", help="Also write the report's figures as PNG files into this folder.")]


def check_report_paths(report: Path | None, png: Path | None) -> None:
    """Refuse report paths that cannot be written, before a long run starts."""
    check_output_file(report, "--report")
    check_output_folder(png, "--png")


def save_report(rep: Any, report: Path | None, png: Path | None, *,
                json_out: bool = False) -> dict[str, Any]:
    """Write ``rep`` (an HtmlReport) as HTML and/or PNG; say where (on stderr with
    ``--json``, so stdout stays one JSON document). Returns the paths written."""
    written: dict[str, Any] = {}
    out = err_console if json_out else console
    if report is not None:
        written["report"] = rep.save(report)
        out.print(f"report: {written['report']}", soft_wrap=True)
    if png is not None:
        written["png"] = rep.save_png(png)
        out.print(f"{len(written['png'])} figures as PNG in {png}", soft_wrap=True)
    return written


# ------------------------------------------------------------------------------ demo
def _demo_section() -> None:
    from fentanet.cli.demo import Demo, section

    @section("Reports", order=90)
    def reports(demo: Demo) -> None:
        """The HTML reports of what the demo found: the analyses (a research network and
        the generated supply network) and the comparison of strategies, each one file that
        opens offline."""
        import time

        from fentanet.report import analysis_report, simulation_report

        folder = demo.out / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        written: dict[str, str] = {}
        start = time.perf_counter()
        for key, stem, what in (("analysis_caviar", "analysis-caviar", "CAVIAR analysis"),
                                ("analysis_supply", "analysis-supply", "supply network "
                                                                       "analysis")):
            found = demo.results.get(key)
            if found is None:
                console.print(f"{what}: not run above, no report", soft_wrap=True, markup=False)
                continue
            net, analysis = found
            rep = analysis_report(net, analysis, curve_time_limit=2.0)
            written[key] = str(rep.save(folder / f"{stem}.html"))
        runs = demo.results.get("strategies")
        if runs is not None:
            rep = simulation_report(runs, title="Strategies on the US baseline")
            written["strategies"] = str(rep.save(folder / "strategies-us-baseline.html"))
        seconds = time.perf_counter() - start
        for key, path in written.items():
            console.print(f"  {key.replace('_', ' ')}: {path}", soft_wrap=True, markup=False)
        console.print(f"{len(written)} reports in {seconds:.1f} s; each opens offline in a "
                      "browser", soft_wrap=True, markup=False)
        demo.report["reports"] = written


_demo_section()
