"""A self-contained HTML report: headings, text, key figures, tables and plotly figures in
one file.

The file needs no network access to open: plotly.js, the styles and every figure's data
are inlined, and nothing in it refers to another address. Figures are stored as plotly
JSON and drawn by the inlined plotly.js when the page loads; each drawn figure gets
``data-rendered="1"`` and the page's ``<body>`` counts them in ``data-figures-rendered``
(what the browser tests check). Saving is atomic (a temporary file, then a rename), so an
existing report is never half-replaced.

>>> import plotly.graph_objects as go
>>> rep = HtmlReport("Example")
>>> rep.heading("Supply")
>>> rep.figure(go.Figure(go.Scatter(x=[0, 1], y=[1, 2])), name="supply")
'supply'
>>> import tempfile
>>> from pathlib import Path
>>> folder = tempfile.TemporaryDirectory()
>>> path = rep.save(Path(folder.name) / "example.html")
>>> text = path.read_text()
>>> text.startswith("<!DOCTYPE html>"), 'src="http' in text     # plotly.js inside, no address
(True, False)
>>> folder.cleanup()
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import math
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError

STYLE = """
:root { --ink:#17202f; --muted:#5b6474; --line:#dde1e8; --accent:#a4262c; --bg:#f5f6f8;
        --card:#fff; --head:#14213d; --soft:#eef1f5; }
* { box-sizing: border-box; }
body { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
       Arial, sans-serif; color: var(--ink); background: var(--bg); margin: 0; }
header.top { background: var(--head); color: #fff; padding: 22px 40px 18px; }
header.top .brand { font-size: 12px; letter-spacing: .12em; text-transform: uppercase;
                    color: #9fb0cc; margin-bottom: 4px; }
header.top h1 { margin: 0; font-size: 24px; font-weight: 600; }
header.top .meta { color: #c9d2e3; font-size: 13px; margin-top: 6px; }
nav.toc { padding: 0 40px; border-bottom: 1px solid var(--line); background: #fff;
          position: sticky; top: 0; z-index: 5; font-size: 13px; white-space: nowrap;
          overflow-x: auto; }
nav.toc a { color: var(--muted); display: inline-block; padding: 10px 0; margin-right: 20px;
            text-decoration: none; border-bottom: 2px solid transparent; }
nav.toc a:hover { color: var(--ink); border-bottom-color: var(--accent); }
main { max-width: 1240px; margin: 0 auto; padding: 8px 40px 48px; }
section.part { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
               padding: 4px 24px 18px; margin: 20px 0; }
h2 { font-size: 19px; margin: 18px 0 6px; font-weight: 600; }
h3 { font-size: 15px; margin: 18px 0 6px; font-weight: 600; }
p { margin: 6px 0 10px; max-width: 80ch; }
p.note { color: var(--muted); font-size: 13px; }
.callout { border-left: 3px solid #c9a227; background: #fbf7e9; padding: 8px 12px;
           font-size: 13px; margin: 8px 0 12px; border-radius: 0 4px 4px 0; }
.callout.info { border-left-color: #3b6ea5; background: #edf3fa; }
.metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
           gap: 10px; margin: 12px 0 8px; }
.metric { background: var(--soft); border-radius: 6px; padding: 10px 14px; }
.metric .label { font-size: 12px; color: var(--muted); text-transform: uppercase;
                 letter-spacing: .04em; }
.metric .value { font-size: 22px; font-weight: 600; margin-top: 2px;
                 font-variant-numeric: tabular-nums; }
.metric .detail { font-size: 12px; color: var(--muted); }
.tablewrap { overflow-x: auto; margin: 6px 0 14px; }
table.data { border-collapse: collapse; font-size: 13px; min-width: 50%;
             font-variant-numeric: tabular-nums; }
table.data caption { text-align: left; color: var(--muted); font-size: 13px;
                     padding: 0 0 6px; caption-side: top; }
table.data th, table.data td { padding: 5px 12px; border-bottom: 1px solid var(--line);
     text-align: right; white-space: nowrap; }
table.data th { background: var(--soft); font-weight: 600; color: #2c3648;
                border-bottom: 1px solid #c7cdd8; }
table.data td.text, table.data th.text { text-align: left; }
table.data tbody tr:nth-child(even) td { background: #fafbfc; }
table.data tbody tr:hover td { background: #f1f4f9; }
.figure { background: #fff; border: 1px solid var(--line); border-radius: 6px;
          margin: 8px 0 14px; padding: 6px; min-width: 0; }
.figure .caption { color: var(--muted); font-size: 12.5px; padding: 2px 8px 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr));
        gap: 14px; }
footer { color: var(--muted); font-size: 12px; padding: 8px 40px 28px; text-align: center; }
@media print { nav.toc { display: none; } section.part { break-inside: avoid; } }
"""

_SCRIPT = """
(function () {
  var n = 0;
  var blocks = document.querySelectorAll('script[type="application/json"][data-figure]');
  document.body.setAttribute('data-figures', String(blocks.length));
  blocks.forEach(function (s) {
    var f = JSON.parse(s.textContent);
    var d = document.getElementById(s.getAttribute('data-figure'));
    var config = {responsive: true, displaylogo: false,
                  toImageButtonOptions: {filename: d.id.replace(/^fig-/, '')}};
    Plotly.newPlot(d, f.data, f.layout, config).then(function () {
      d.setAttribute('data-rendered', '1');
      n += 1;
      document.body.setAttribute('data-figures-rendered', String(n));
    });
  });
})();
"""


@dataclass
class _Block:
    kind: str
    content: Any
    name: str = ""
    extra: dict = field(default_factory=dict)


class HtmlReport:
    """Builder of one self-contained HTML report.

    Content is added in reading order: :meth:`heading` starts a section (level 2 headings
    get a card and an entry in the navigation bar), then :meth:`text`, :meth:`metrics`,
    :meth:`table`, :meth:`figure` and :meth:`callout`; figures added inside ``with
    report.grid():`` sit side by side.

    Parameters
    ----------
    title
        Shown in the header and the page title.
    subtitle
        A line under the title (the data, scenario, seeds...).
    """

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self.blocks: list[_Block] = []
        self._names: set[str] = set()
        self._figure_names: set[str] = set()

    # -------------------------------------------------------------- content
    def heading(self, text: str, level: int = 2) -> None:
        """A section heading (level 2 headings start a section and appear in the
        navigation bar)."""
        if level not in (2, 3):
            raise InputError(f"heading level must be 2 or 3, got {level!r}", field="level")
        self.blocks.append(_Block("heading", text, name=self._slug(text),
                                  extra={"level": level}))

    def text(self, text: str, *, note: bool = False) -> None:
        """A paragraph of plain text (escaped); ``note`` renders it small and muted."""
        self.blocks.append(_Block("text", text, extra={"note": note}))

    def callout(self, text: str, *, kind: str = "warning") -> None:
        """A highlighted remark: ``warning`` (caveats, skipped parts) or ``info``."""
        if kind not in ("warning", "info"):
            raise InputError(f"callout kind must be warning or info, got {kind!r}",
                             field="kind")
        self.blocks.append(_Block("callout", text, extra={"kind": kind}))

    def metrics(self, items: Sequence[tuple[str, Any] | tuple[str, Any, str]]) -> None:
        """A row of key figures: ``(label, value[, detail])`` each; numbers are formatted
        as in tables."""
        rows = []
        for item in items:
            if len(item) not in (2, 3):
                raise InputError("a metric is (label, value) or (label, value, detail)",
                                 field="items")
            label, value, *rest = item
            rows.append((str(label), value, rest[0] if rest else ""))
        self.blocks.append(_Block("metrics", rows))

    def table(self, frame: pd.DataFrame | pd.Series, *, caption: str = "",
              index: bool = False, max_rows: int = 200, digits: int = 3,
              formats: Mapping[str, str | Callable[[Any], str]] | None = None,
              name: str = "") -> None:
        """A table of a DataFrame (at most ``max_rows`` rows).

        Numbers are shown to ``digits`` significant digits (whole numbers with thousands
        separators); ``formats`` maps a column to a format string (``"{:.1%}"``) or a
        function of the value. Text columns are left-aligned.
        """
        if isinstance(frame, pd.Series):
            frame = frame.to_frame()
            index = True
        if index:
            frame = frame.reset_index()
        shown = frame.head(max_rows)
        self.blocks.append(_Block("table", shown, name=name, extra={
            "caption": caption, "digits": digits, "formats": dict(formats or {}),
            "more": max(len(frame) - max_rows, 0)}))

    def figure(self, fig, *, name: str | None = None, caption: str = "") -> str:
        """A plotly figure; ``name`` is its id (and PNG file name). Returns the name."""
        if not hasattr(fig, "to_json"):
            raise InputError(f"expected a plotly figure, got {type(fig).__name__}",
                             field="fig")
        base = _slugify(name) if name else f"figure-{len(self._figure_names) + 1}"
        name = _unique(base, self._figure_names)
        self.blocks.append(_Block("figure", fig, name=name, extra={"caption": caption}))
        return name

    @contextlib.contextmanager
    def grid(self) -> Iterator[None]:
        """Figures (and tables) added inside the block are laid out side by side."""
        self.blocks.append(_Block("grid_open", None))
        try:
            yield
        finally:
            self.blocks.append(_Block("grid_close", None))

    def figures(self) -> dict[str, Any]:
        """The report's figures by name."""
        return {b.name: b.content for b in self.blocks if b.kind == "figure"}

    def sections(self) -> list[str]:
        """Titles of the level-2 sections, in order."""
        return [b.content for b in self.blocks if b.kind == "heading"
                and b.extra["level"] == 2]

    # -------------------------------------------------------------- output
    def render(self) -> str:
        """The whole HTML document as a string."""
        from plotly.offline import get_plotlyjs

        from fentanet import __version__

        nav = "".join(
            f'<a href="#{b.name}">{html.escape(b.content)}</a>'
            for b in self.blocks if b.kind == "heading" and b.extra["level"] == 2)
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        sub = html.escape(self.subtitle)
        plotly_js = get_plotlyjs().replace("</script", "<\\/script")
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(self.title)}</title>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"generator\" content=\"fentanet\">"
            f"<style>{STYLE}</style>"
            f"<script type=\"text/javascript\">{plotly_js}</script>"
            "</head><body>"
            f"<header class=\"top\"><div class=\"brand\">fentanet report</div>"
            f"<h1>{html.escape(self.title)}</h1><div class=\"meta\">{sub}</div></header>"
            f"<nav class=\"toc\">{nav}</nav><main>{self._body()}</main>"
            f"<footer>fentanet {html.escape(__version__)} · generated {stamp} · "
            "self-contained: opens offline, sends nothing anywhere</footer>"
            f"<script>{_SCRIPT}</script></body></html>\n"
        )

    def save(self, path: str | Path) -> Path:
        """Write the report atomically; returns the path."""
        path = Path(path)
        if path.is_dir():
            raise InputError("is a folder; expected an HTML file name", file=path)
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

    def save_png(self, folder: str | Path, *, width: int = 1100, height: int | None = None,
                 scale: float = 1.0) -> list[Path]:
        """Write every figure as ``<name>.png`` in ``folder`` (created if needed).

        ``height`` defaults to each figure's own. Uses kaleido, which drives a local
        Chrome or Chromium (Debian's ``chromium``). The figures are rendered into a hidden
        folder of their own in ``folder`` and renamed into place once all are written; on
        an error or a Ctrl-C that folder is removed (and ``folder`` too when it was made
        here and is left empty). Kaleido renders in a thread of its own that goes on after
        a Ctrl-C reaches this one: files it writes after the removal have no folder to go
        to, so none is left behind (a name of the folder's own once leaked them).
        """
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise InputError("exists and is not a folder; expected a folder for PNG files",
                             file=folder)
        made = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        figs = self.figures()
        if not figs:
            return []
        import plotly.io as pio

        paths = [folder / f"{name}.png" for name in figs]
        work = folder / f".png-{os.getpid()}-{secrets.token_hex(4)}.tmp"
        work.mkdir()
        temps = [work / f"{name}.png" for name in figs]
        heights = [height or int(f.layout.height or 450) for f in figs.values()]
        done = False
        try:
            pio.write_images(list(figs.values()), temps, format="png", width=width,
                             height=heights, scale=scale)
            for t, p in zip(temps, paths, strict=True):
                os.replace(t, p)
            done = True
        except Exception as exc:  # kaleido or the browser missing or failing
            raise InputError(f"could not write PNG figures ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''}); PNG export "
                             "needs kaleido and a Chromium browser (apt-get install "
                             "chromium)", file=folder) from None
        finally:  # an error or a Ctrl-C too
            _remove_folder(work)
            if not done and made:  # the folder made here, unless something else went in
                with contextlib.suppress(OSError):
                    folder.rmdir()
        return paths

    # -------------------------------------------------------------- helpers
    def _slug(self, text: str) -> str:
        return _unique(_slugify(text), self._names)

    def _body(self) -> str:
        out: list[str] = []
        open_section = False
        for b in self.blocks:
            if b.kind == "heading" and b.extra["level"] == 2:
                if open_section:
                    out.append("</section>")
                out.append('<section class="part">')
                open_section = True
            out.append(self._render_block(b))
        if open_section:
            out.append("</section>")
        return "\n".join(out)

    def _render_block(self, b: _Block) -> str:
        if b.kind == "heading":
            lvl = b.extra["level"]
            return f'<h{lvl} id="{b.name}">{html.escape(b.content)}</h{lvl}>'
        if b.kind == "text":
            cls = ' class="note"' if b.extra["note"] else ""
            return f"<p{cls}>{html.escape(b.content)}</p>"
        if b.kind == "callout":
            cls = "callout info" if b.extra["kind"] == "info" else "callout"
            return f'<div class="{cls}">{html.escape(b.content)}</div>'
        if b.kind == "metrics":
            cards = "".join(
                f'<div class="metric"><div class="label">{html.escape(label)}</div>'
                f'<div class="value">{html.escape(_fmt(value, 3))}</div>'
                + (f'<div class="detail">{html.escape(str(detail))}</div>' if detail else "")
                + "</div>" for label, value, detail in b.content)
            return f'<div class="metrics">{cards}</div>'
        if b.kind == "table":
            return table_html(b.content, name=b.name, **b.extra)
        if b.kind == "figure":
            data = b.content.to_json().replace("</", "<\\/")  # never close the script early
            cap = (f'<div class="caption">{html.escape(b.extra["caption"])}</div>'
                   if b.extra["caption"] else "")
            return (f'<div class="figure"><div id="fig-{b.name}" class="plot"></div>{cap}'
                    f'<script type="application/json" data-figure="fig-{b.name}">{data}'
                    "</script></div>")
        if b.kind == "grid_open":
            return '<div class="grid">'
        if b.kind == "grid_close":
            return "</div>"
        raise AssertionError(b.kind)


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "section"


def _remove_folder(path: Path, tries: int = 20) -> None:
    """Remove the folder ``path`` and whatever is in it, though another thread (kaleido's)
    may still be writing files into it: each try removes what is there; a file written in
    between makes the folder's own removal fail, and the next try takes it."""
    for _ in range(tries):
        if not path.exists():
            return
        shutil.rmtree(path, ignore_errors=True)


def _unique(name: str, taken: set[str]) -> str:
    base, i = name, 2
    while name in taken:
        name = f"{base}-{i}"
        i += 1
    taken.add(name)
    return name


def fmt_number(v: Any, digits: int = 3) -> str:
    """A number for people: whole numbers with thousands separators, others to ``digits``
    significant digits (no exponent between 1e-4 and 1e15), ``-`` for missing, ``∞``."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        if v == 0:
            return "0"
        a = abs(v)
        if a >= 1e15 or a < 1e-4:
            return f"{v:.{digits}g}"
        if v.is_integer() or a >= 10 ** digits:
            return f"{v:,.0f}"
        decimals = max(digits - math.floor(math.log10(a)) - 1, 0)
        return f"{v:,.{decimals}f}"
    return str(v)


_fmt = fmt_number


def table_html(frame: pd.DataFrame, *, caption: str = "", digits: int = 3,
               formats: Mapping[str, Any] | None = None, more: int = 0,
               name: str = "") -> str:
    """An HTML table of ``frame`` (cells escaped; text columns left-aligned)."""
    formats = dict(formats or {})
    text_cols = {c for c in frame.columns
                 if not pd.api.types.is_numeric_dtype(frame[c])
                 or pd.api.types.is_bool_dtype(frame[c])}
    def cls(c: Any) -> str:
        return ' class="text"' if c in text_cols else ""

    head = "".join(f"<th{cls(c)}>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for c, v in zip(frame.columns, row, strict=True):
            f = formats.get(c)
            if f is None:
                s = _fmt(v, digits) if not isinstance(v, list | tuple) else ", ".join(
                    map(str, v))
            elif _missing(v):
                s = ""
            else:
                s = f(v) if callable(f) else f.format(v)
            cells.append(f"<td{cls(c)}>{html.escape(s)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    tail = f'<p class="note">… and {more:,} more rows</p>' if more else ""
    ident = f' id="table-{html.escape(name)}"' if name else ""
    return (f'<div class="tablewrap"><table class="data"{ident}>{cap}<thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>{tail}</div>')


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    try:
        return bool(isinstance(v, float | np.floating) and math.isnan(v))
    except TypeError:
        return False
