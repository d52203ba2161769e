"""A self-contained HTML report: headings, text, tables and plotly figures in one file.

The file needs no network access to open: plotly.js, the styles and every figure's data
are inlined. Figures are stored as plotly JSON and drawn by the inlined plotly.js. Saving
is atomic (temporary file, then rename), so an existing report is never half-replaced.

>>> import plotly.graph_objects as go
>>> rep = HtmlReport("Example")
>>> rep.heading("Supply")
>>> rep.figure(go.Figure(go.Scatter(x=[0, 1], y=[1, 2])), name="supply")
>>> rep.save("/tmp/example-report.html")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError

_STYLE = """
:root { --ink:#1d2330; --muted:#5b6474; --line:#d9dde5; --accent:#b3261e; --bg:#fbfbfc; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: var(--bg); margin: 0; }
header { background: #1d2330; color: #fff; padding: 18px 32px; }
header h1 { margin: 0; font-size: 22px; font-weight: 600; }
header .meta { color: #c9cfdb; font-size: 13px; margin-top: 4px; }
nav { padding: 8px 32px; border-bottom: 1px solid var(--line); background: #fff;
      position: sticky; top: 0; z-index: 5; font-size: 13px; }
nav a { color: var(--muted); margin-right: 14px; text-decoration: none; }
nav a:hover { color: var(--accent); }
main { max-width: 1180px; margin: 0 auto; padding: 8px 32px 48px; }
h2 { font-size: 19px; margin: 32px 0 8px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 6px; }
p.note { color: var(--muted); font-size: 13px; margin: 4px 0 10px; }
table.data { border-collapse: collapse; font-size: 13px; margin: 6px 0 14px; }
table.data th, table.data td { padding: 3px 10px; border-bottom: 1px solid var(--line);
     text-align: right; white-space: nowrap; }
table.data th { background: #f1f3f6; font-weight: 600; }
table.data td:first-child, table.data th:first-child { text-align: left; }
.figure { background: #fff; border: 1px solid var(--line); border-radius: 6px;
          margin: 8px 0 16px; padding: 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
        gap: 12px; }
footer { color: var(--muted); font-size: 12px; padding: 16px 32px; }
"""


@dataclass
class _Block:
    kind: str
    content: Any
    name: str = ""
    extra: dict = field(default_factory=dict)


class HtmlReport:
    """Builder of one self-contained HTML report.

    Parameters
    ----------
    title
        Shown in the header and the page title.
    subtitle
        A line under the title (the data, scenario, seed...).
    """

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self.blocks: list[_Block] = []
        self._names: set[str] = set()
        self._figure_names: set[str] = set()

    # -------------------------------------------------------------- content
    def heading(self, text: str, level: int = 2) -> None:
        """A section heading (level 2 headings appear in the navigation bar)."""
        self.blocks.append(_Block("heading", text, name=self._slug(text), extra={"level": level}))

    def text(self, text: str, *, note: bool = False) -> None:
        """A paragraph of plain text (escaped); ``note`` renders it small and muted."""
        self.blocks.append(_Block("text", text, extra={"note": note}))

    def table(self, frame: pd.DataFrame | pd.Series, *, caption: str = "", index: bool = False,
              max_rows: int = 200, digits: int = 4) -> None:
        """A table of a DataFrame (at most ``max_rows`` rows, numbers to ``digits``)."""
        if isinstance(frame, pd.Series):
            frame = frame.to_frame()
            index = True
        shown = frame.head(max_rows)
        self.blocks.append(_Block("table", shown, extra={
            "caption": caption, "index": index, "digits": digits,
            "more": max(len(frame) - max_rows, 0)}))

    def figure(self, fig, *, name: str | None = None, caption: str = "") -> str:
        """A plotly figure; ``name`` is its id (and PNG file name). Returns the name."""
        name = _unique(name or f"figure-{len(self._figure_names) + 1}", self._figure_names)
        self.blocks.append(_Block("figure", fig, name=name, extra={"caption": caption}))
        return name

    def figures(self) -> dict[str, Any]:
        """The report's figures by name."""
        return {b.name: b.content for b in self.blocks if b.kind == "figure"}

    # -------------------------------------------------------------- output
    def render(self) -> str:
        """The whole HTML document as a string."""
        from plotly.offline import get_plotlyjs

        nav = "".join(
            f'<a href="#{b.name}">{html.escape(b.content)}</a>'
            for b in self.blocks if b.kind == "heading" and b.extra["level"] == 2)
        body = "\n".join(self._render_block(b) for b in self.blocks)
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        from fentanet import __version__

        sub = html.escape(self.subtitle)
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(self.title)}</title>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<style>{_STYLE}</style>"
            f"<script type=\"text/javascript\">{get_plotlyjs()}</script>"
            "</head><body>"
            f"<header><h1>{html.escape(self.title)}</h1>"
            f"<div class=\"meta\">{sub}</div></header>"
            f"<nav>{nav}</nav><main>{body}</main>"
            f"<footer>fentanet {html.escape(__version__)} · generated {stamp} · "
            "self-contained: opens offline</footer>"
            "<script>"
            "document.querySelectorAll('script[type=\"application/json\"][data-figure]')"
            ".forEach(function(s){var f=JSON.parse(s.textContent);"
            "var d=document.getElementById(s.dataset.figure);"
            "Plotly.newPlot(d,f.data,f.layout,{responsive:true,displaylogo:false});"
            "d.setAttribute('data-rendered','1');});"
            "</script></body></html>\n"
        )

    def save(self, path: str | Path) -> Path:
        """Write the report atomically; returns the path."""
        path = Path(path)
        if not path.parent.exists():
            raise InputError("the folder does not exist", file=path.parent)
        text = self.render()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def save_png(self, folder: str | Path, *, width: int = 1000, height: int = 600) -> list[Path]:
        """Write every figure as ``<name>.png`` in ``folder`` (created if needed).

        Uses kaleido, which drives a local Chrome/Chromium (Debian's ``chromium`` here).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        figs = self.figures()
        if not figs:
            return []
        import plotly.io as pio

        paths = [folder / f"{name}.png" for name in figs]
        try:
            pio.write_images(list(figs.values()), paths, width=width, height=height)
        except Exception as exc:  # kaleido or the browser missing
            raise InputError(f"could not write PNG figures ({type(exc).__name__}: {exc}); "
                             "PNG export needs kaleido and a Chromium browser "
                             "(apt-get install chromium)", file=folder) from None
        return paths

    # -------------------------------------------------------------- helpers
    def _slug(self, text: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
        return _unique(slug, self._names)

    def _render_block(self, b: _Block) -> str:
        if b.kind == "heading":
            lvl = b.extra["level"]
            return f'<h{lvl} id="{b.name}">{html.escape(b.content)}</h{lvl}>'
        if b.kind == "text":
            cls = ' class="note"' if b.extra["note"] else ""
            return f"<p{cls}>{html.escape(b.content)}</p>"
        if b.kind == "table":
            return _table_html(b.content, **b.extra)
        if b.kind == "figure":
            data = b.content.to_json()
            data = data.replace("</", "<\\/")  # never close the script element early
            cap = (f'<p class="note">{html.escape(b.extra["caption"])}</p>'
                   if b.extra["caption"] else "")
            return (f'<div class="figure"><div id="fig-{b.name}" class="plot"></div>{cap}</div>'
                    f'<script type="application/json" data-figure="fig-{b.name}">{data}</script>')
        raise AssertionError(b.kind)


def _unique(name: str, taken: set[str]) -> str:
    base, i = name, 2
    while name in taken:
        name = f"{base}-{i}"
        i += 1
    taken.add(name)
    return name


def _fmt(v: Any, digits: int) -> str:
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() and abs(v) < 1e15 else f"{v:.{digits}g}"
    return str(v)


def _table_html(frame: pd.DataFrame, *, caption: str, index: bool, digits: int,
                more: int) -> str:
    if index:
        frame = frame.reset_index()
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False, name=None):
        cells = "".join(f"<td>{html.escape(_fmt(v, digits))}</td>" for v in row)
        rows.append(f"<tr>{cells}</tr>")
    cap = f'<p class="note">{html.escape(caption)}</p>' if caption else ""
    tail = f'<p class="note">… and {more} more rows</p>' if more else ""
    return (f'{cap}<table class="data"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>{tail}')
