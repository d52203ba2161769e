"""The HTML report builder and the figures: self-contained output, escaping, number
formatting, atomic saving, PNG export, and the figures' content checked by hand."""

from __future__ import annotations

import json
import re
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from fentanet.errors import InputError
from fentanet.network import Network
from fentanet.report import figures as F
from fentanet.report.html import HtmlReport, fmt_number

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


class _Refs(HTMLParser):
    """Every src/href attribute and every tag of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "action", "data", "poster"):
                self.refs.append((tag, k, v or ""))


def external_refs(text: str) -> list[tuple[str, str, str]]:
    """Attributes of the document that would load something (anything but #anchors)."""
    p = _Refs()
    p.feed(text)
    return [r for r in p.refs if not r[2].startswith("#")]


def figure_json(text: str) -> dict[str, dict]:
    """The figures inlined in a rendered report, by element id."""
    found = re.findall(r'<script type="application/json" data-figure="([^"]+)">(.*?)</script>',
                       text, flags=re.S)
    return {k: json.loads(v) for k, v in found}


def small_report() -> HtmlReport:
    rep = HtmlReport("Test <report>", "sub & title")
    rep.heading("Numbers")
    rep.metrics([("actors", 1234), ("share", 0.51234, "of all")])
    rep.table(pd.DataFrame({"who": ["a", "b"], "value": [1234567.0, 0.012345]}),
              caption="cap", name="t1")
    rep.heading("Pictures")
    with rep.grid():
        rep.figure(go.Figure(go.Scatter(x=[0, 1], y=[2, 3], name="</script><b>x")),
                   name="Line One")
        rep.figure(go.Figure(go.Bar(x=["a"], y=[1])), name="line one")
    rep.callout("careful <now>")
    return rep


# ------------------------------------------------------------------------ html
def test_render_is_self_contained_and_escaped():
    text = small_report().render()
    assert external_refs(text) == []
    assert "<link" not in text  # no stylesheet or font from elsewhere
    assert "Plotly.newPlot" in text and "plotly.js v" in text.lower()  # plotly.js inlined
    assert "Test &lt;report&gt;" in text and "careful &lt;now&gt;" in text
    figs = figure_json(text)
    assert list(figs) == ["fig-line-one", "fig-line-one-2"]  # slugged, unique
    # a trace name holding "</script>" survives the trip through the inlined JSON
    assert figs["fig-line-one"]["data"][0]["name"] == "</script><b>x"


def test_sections_tables_metrics():
    rep = small_report()
    assert rep.sections() == ["Numbers", "Pictures"]
    text = rep.render()
    assert text.count('<section class="part">') == 2
    assert '<nav class="toc"><a href="#numbers">Numbers</a><a href="#pictures">Pictures</a>' \
        in text
    assert "<td>1,234,567</td>" in text and "<td>0.0123</td>" in text
    assert '<div class="value">1,234</div>' in text and '<div class="value">0.512</div>' in text
    assert '<div class="grid">' in text
    with pytest.raises(InputError, match="plotly figure"):
        rep.figure("not a figure")
    with pytest.raises(InputError, match="level"):
        rep.heading("x", level=4)


@pytest.mark.parametrize(("value", "text"), [
    (1234567, "1,234,567"), (1234567.0, "1,234,567"), (12.345, "12.3"), (0.012345, "0.0123"),
    (1.5, "1.50"), (-3.14159, "-3.14"), (999.6, "1,000"), (2e-6, "2e-06"), (0.0, "0"),
    (float("nan"), ""), (float("inf"), "∞"), (-float("inf"), "-∞"), (True, "yes"),
    (np.int64(7), "7"), (np.float32(0.5), "0.500"), (None, ""), ("text", "text"),
])
def test_fmt_number(value, text):
    assert fmt_number(value) == text


def test_table_formats_and_truncation():
    rep = HtmlReport("t")
    rep.heading("T")
    rep.table(pd.DataFrame({"x": np.arange(5) / 10, "y": list("abcde")}), max_rows=3,
              formats={"x": "{:.0%}", "y": str.upper})
    text = rep.render()
    assert "<td>10%</td>" in text and '<td class="text">B</td>' in text
    assert "<td>40%</td>" not in text and "and 2 more rows" in text


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "r.html"
    small_report().save(path)
    first = path.read_text()
    assert first.startswith("<!DOCTYPE html>")

    def boom(self):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(HtmlReport, "render", boom)
    with pytest.raises(RuntimeError):
        small_report().save(path)
    assert path.read_text() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]
    with pytest.raises(InputError, match="folder does not exist"):
        small_report().save(tmp_path / "nope" / "r.html")
    with pytest.raises(InputError, match="is a folder"):
        small_report().save(tmp_path)


def test_save_png_reports_failures_cleanly(tmp_path, monkeypatch):
    import plotly.io as pio

    def fail(*a, **k):
        raise RuntimeError("no browser here")
    monkeypatch.setattr(pio, "write_images", fail)
    with pytest.raises(InputError, match=r"could not write PNG figures.*no browser here"):
        small_report().save_png(tmp_path / "png")
    assert not (tmp_path / "png").exists()  # the folder made for them goes too
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=r"could not write PNG figures"):
        small_report().save_png(tmp_path / "kept")
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        small_report().save_png(tmp_path / "file")


@pytest.mark.parametrize("existing", [False, True])
def test_a_ctrl_c_while_the_figures_render_leaves_nothing(tmp_path, monkeypatch, existing):
    """Kaleido renders in a thread of its own, which goes on writing the temporary files
    after a Ctrl-C reached the main thread and its cleanup had run: 6 to 12 hidden
    '.<figure>.<pid>-<hex>.tmp.png' files stayed in the folder (review s18, M5). A stand-in
    for kaleido writes its files once the interrupt has been handled."""
    import threading

    import plotly.io as pio

    handled = threading.Event()
    writers: list[threading.Thread] = []
    failures: list[BaseException] = []

    def interrupted(figs, files, **kw):
        def late():
            handled.wait(10)
            for f in files:
                try:
                    open(f, "wb").write(b"\x89PNG late")
                except OSError as exc:  # kaleido's thread keeps its failures to itself
                    failures.append(exc)
        writers.append(threading.Thread(target=late))
        writers[-1].start()
        open(files[0], "wb").write(b"\x89PNG first")  # one written before the interrupt
        raise KeyboardInterrupt

    monkeypatch.setattr(pio, "write_images", interrupted)
    folder = tmp_path / "png"
    if existing:
        folder.mkdir()
        (folder / "line-one.png").write_bytes(b"an earlier figure")
    with pytest.raises(KeyboardInterrupt):
        small_report().save_png(folder)
    handled.set()
    writers[0].join()
    assert len(failures) == 2  # every late write found no folder to go to
    if existing:  # an earlier figure of the same name is kept as it was
        assert [(p.name, p.read_bytes()) for p in folder.iterdir()] == [
            ("line-one.png", b"an earlier figure")]
    else:
        assert not folder.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["png"] if existing else [])


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="PNG export needs chromium (apt-get install "
                                              "chromium; .ci/run does)")
def test_save_png_writes_every_figure(tmp_path):
    paths = small_report().save_png(tmp_path / "png", width=500, scale=1)
    assert [p.name for p in paths] == ["line-one.png", "line-one-2.png"]
    for p in paths:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (500, 450)  # IHDR width, height
        assert len(data) > 5_000  # axes, a line, labels: not a blank image
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == sorted(
        p.name for p in paths)  # no temporary file left


# ------------------------------------------------------------------------ figures
def two_triangles() -> Network:
    links = pd.DataFrame({"source": ["a", "b", "c", "c", "d", "e", "f"],
                          "target": ["b", "c", "a", "d", "e", "f", "d"]})
    return Network(links=links, directed=False, name="bridge")


def _actor_traces(fig):
    return [t for t in fig.data if t.mode == "markers"]


def test_network_figure_groups_highlights_and_ids():
    net = two_triangles()
    groups = {"a": 0, "b": 0, "c": 0, "d": 1, "e": 1, "f": 1}
    fig = F.network_figure(net, color_by=pd.Series(groups, name="community"),
                           highlight={"key players": ["c", "d"], "ghost": ["zz"]})
    traces = _actor_traces(fig)
    assert [t.name for t in traces] == ["community 0 (3)", "community 1 (3)"]
    assert sorted(i for t in traces for i in t.customdata) == list("abcdef")
    marked = [t for t in fig.data if t.name == "key players"]
    assert len(marked) == 1 and list(marked[0].customdata) == ["c", "d"]
    assert not [t for t in fig.data if t.name == "ghost"]  # nobody to mark: no trace
    links = fig.data[0]
    assert links.name == "links" and len(links.x) == 3 * net.n_links  # a gap after each link
    assert fig.layout.meta["layout"] == "fr"


def test_network_figure_collapses_small_groups_and_sizes_by_value():
    net = two_triangles()
    fig = F.network_figure(net, color_by={k: i for i, k in enumerate("abcdef")},
                           max_groups=3, size_by={"a": 4.0, "b": 1.0})
    names = [t.name for t in _actor_traces(fig)]
    assert names == ["group 0 (1)", "group 1 (1)", "other (4)"]
    a = _actor_traces(fig)[0]
    assert a.marker.size[0] == pytest.approx(26.0)  # 6 + 20 sqrt(4/4)
    b = _actor_traces(fig)[1]
    assert b.marker.size[0] == pytest.approx(16.0)  # 6 + 20 sqrt(1/4)
    with pytest.raises(InputError, match="no actor column"):
        F.network_figure(net, color_by="nope")
    with pytest.raises(InputError, match="unknown layout"):
        F.network_figure(net, layout="spiral")


def test_large_networks_are_drawn_through_their_hubs_and_marked_actors():
    # a star of 30 leaves around hub h, plus a path of 10 actors hanging off leaf l0
    src = ["h"] * 30 + [f"p{i}" for i in range(9)] + ["l0"]
    dst = [f"l{i}" for i in range(30)] + [f"p{i + 1}" for i in range(9)] + ["p0"]
    net = Network(links=pd.DataFrame({"source": src, "target": dst}), directed=False)
    shown = F.shown_actors(net, 5, keep=["p9"])
    deg = net.degree()
    assert "p9" in set(shown.ids) and "h" in set(shown.ids) and shown.n_actors == 5
    # the others are the highest-degree actors (ties in network order)
    rest = [a for a in shown.ids if a != "p9"]
    assert sorted(deg[rest], reverse=True) == sorted(deg, reverse=True)[:4]
    fig = F.network_figure(net, max_actors=5, highlight={"k": ["p9"]})
    assert "showing 5 of 41 actors" in fig.layout.title.text


def test_layered_layout_follows_the_supply_chain():
    from fentanet.network import generate

    net = generate({"actors": 150}, seed=3)
    fig = F.network_figure(net)
    assert fig.layout.meta["layout"] == "layered"
    x_of = {}
    for t in _actor_traces(fig):
        kind = t.name.split(" (")[0]
        x_of[kind] = float(np.mean(t.x))
        assert np.ptp(np.asarray(t.x)) < 0.7  # one column per kind
    assert x_of["supplier"] < x_of["lab"] < x_of["trafficker"] < x_of["dealer"] \
        < x_of["market"]
    stages = {a.text for a in fig.layout.annotations}
    assert {"supplier", "lab", "dealer", "market"} <= stages


def test_band_figure_draws_bands_only_where_runs_differ():
    q = pd.DataFrame({"variant": ["a"] * 3 + ["b"] * 3, "time": [0, 1, 2] * 2,
                      "q05": [1, 1, 1, 2, 2, 2], "q50": [2, 2, 2, 2, 2, 2],
                      "q95": [3, 3, 3, 2, 2, 2]})
    fig = F.band_figure(q, "time", by="variant", colors={"a": "#000000"})
    assert [t.name for t in fig.data] == ["a high", "a low", "a", "b"]
    assert fig.data[1].fill == "tonexty" and fig.data[2].line.color == "#000000"


def test_interval_bars_with_infinite_and_missing_bounds():
    f = pd.DataFrame({"v": ["x", "y", "z", "w"], "m": [10.0, 4.0, 2.0, 3.0],
                      "lo": [8.0, 1.0, np.nan, -np.inf], "hi": [13.0, np.inf, np.nan, np.inf]})
    fig = F.interval_bar_figure(f, "v", "m", "lo", "hi")
    bar = fig.data[0]
    err = bar.error_x
    edge = 13.0 + 0.15 * 13.0  # largest finite value plus 15% of the span from 0
    low_edge = 0 - 0.15 * 13.0  # and below 0 (or the least value) as far
    assert list(err.array) == pytest.approx([3.0, edge - 4.0, 0.0, edge - 3.0])
    assert list(err.arrayminus) == pytest.approx([2.0, 3.0, 0.0, 3.0 - low_edge])
    assert list(bar.customdata) == ["interval 8 to 13", "interval 1 to ∞",
                                    "no interval (one seed)", "interval -∞ to ∞"]
    # an open end is not drawn as a closed one (review s18, M2: the PNG read "1 to 15"):
    # whiskers have no caps of their own; a finite bound gets one, an infinite one an
    # arrow at the axis' edge, fixed there, with the tables' "∞"
    assert err.width == 0
    ends = fig.data[1]
    assert ends.name == "interval ends"
    assert list(zip(ends.y, ends.x, ends.marker.symbol, ends.text, strict=True)) == [
        ("x", 8.0, "line-ns", ""), ("x", 13.0, "line-ns", ""),
        ("y", 1.0, "line-ns", ""), ("y", pytest.approx(edge), "arrow-right", "∞"),
        ("w", pytest.approx(low_edge), "arrow-left", "-∞"),
        ("w", pytest.approx(edge), "arrow-right", "∞")]
    assert fig.layout.xaxis.range == pytest.approx((low_edge, edge))
    assert "no bound on that side" in fig.layout.annotations[0].text
    fig.to_json()  # every drawn number finite


def test_interval_bars_without_infinite_bounds_keep_their_axis():
    f = pd.DataFrame({"v": ["x", "y"], "m": [10.0, 4.0], "lo": [8.0, np.nan],
                      "hi": [13.0, np.nan]})
    fig = F.interval_bar_figure(f, "v", "m", "lo", "hi")
    assert fig.layout.xaxis.range is None and not fig.layout.annotations
    assert list(fig.data[1].x) == [8.0, 13.0] and set(fig.data[1].marker.symbol) == {"line-ns"}


def test_an_interval_wholly_at_infinity_is_an_arrow_alone():
    """Deaths added significantly: cost per death averted NaN, both bounds inf."""
    f = pd.DataFrame({"v": ["x", "y"], "m": [10.0, np.nan], "lo": [8.0, np.inf],
                      "hi": [13.0, np.inf]})
    fig = F.interval_bar_figure(f, "v", "m", "lo", "hi")
    assert list(fig.data[0].error_x.array) == pytest.approx([3.0, 0.0])
    assert list(fig.data[0].error_x.arrayminus) == pytest.approx([2.0, 0.0])
    ends = fig.data[1]
    assert list(zip(ends.y, ends.marker.symbol, strict=True)) == [
        ("x", "line-ns"), ("x", "line-ns"), ("y", "arrow-right")]


@pytest.mark.parametrize(("v", "s"), [(1234, "1.23k"), (2.5e6, "2.5M"), (-7.0, "-7"),
                                      (0.01234, "0.0123"), (3e9, "3B"), (np.inf, "∞"),
                                      (np.nan, "n/a")])
def test_short_number(v, s):
    assert F.short_number(v) == s


def test_tornado_puts_the_widest_swing_on_top():
    t = pd.DataFrame({"parameter": ["p", "q", "r"], "low": [1, 2, 3], "high": [2, 3, 4],
                      "change_low": [-1.0, -5.0, 0.0], "change_high": [1.0, 6.0, 0.5],
                      "change_low_ci_low": [-2.0, -6.0, -1.0],
                      "change_low_ci_high": [0.0, -4.0, 1.0],
                      "change_high_ci_low": [0.5, 5.0, 0.0],
                      "change_high_ci_high": [1.5, 7.0, 1.0]})
    fig = F.tornado_figure(t)
    low, high = fig.data
    # plotly draws the first category at the bottom: the widest swing comes last
    assert [y.split(" (")[0] for y in low.y] == ["r", "p", "q"]
    assert list(high.x) == [0.5, 1.0, 6.0]
    assert list(high.error_x.array) == pytest.approx([0.5, 0.5, 1.0])
    assert list(low.error_x.arrayminus) == pytest.approx([1.0, 1.0, 1.0])


def test_resilience_and_interdiction_figures():
    curves = pd.DataFrame({"strategy": ["random"] * 3 + ["degree"] * 3,
                           "removed": [0, 1, 2] * 2, "lcc": [1, .9, .8, 1, .5, .2],
                           "flow": [1, 1, .9, 1, .4, 0]})
    fig = F.resilience_figure(curves)
    assert len(fig.data) == 4  # two strategies x two measures
    assert [t.showlegend for t in fig.data] == [True, False, True, False]
    assert fig.data[0].line.dash == "dot"
    with pytest.raises(InputError):
        F.resilience_figure(curves, measures=[])
    curve = pd.DataFrame({"budget": [0.0, 1.0, 2.0], "flow_before": [10.0] * 3,
                          "flow_after": [10.0, 6.0, 6.0], "reduction": [0, .4, .4],
                          "removed": [[], ["a"], ["a"]], "cost_used": [0, 1, 1],
                          "optimal": [True, False, True], "gap": [0, .1, 0],
                          "method": ["milp"] * 3})
    fig = F.interdiction_figure(curve)
    tr = fig.data[0]
    assert list(tr.marker.symbol) == ["circle", "circle-open", "circle"]
    assert list(tr.customdata[:, 1]) == ["nothing", "a", "a"]
    assert fig.layout.shapes[0].y0 == 10.0  # the flow without interdiction
