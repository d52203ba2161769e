"""Plotly figures for reports and the web app: the network drawing and result charts.

Every function returns a ``plotly.graph_objects.Figure`` and takes plain tables (or the
analysis layer's result objects), so the same figure serves the HTML report, the PNG
export and the web app. Figures use one look (:data:`TEMPLATE`): the same colour for an
actor kind or a strategy everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import scipy.sparse as sp

from fentanet.errors import InputError
from fentanet.network.model import Network
from fentanet.report.html import fmt_number

KIND_COLORS: dict[str, str] = {
    "supplier": "#6a3d9a",
    "marketplace": "#b39ddb",
    "lab": "#d62728",
    "organization": "#17202f",
    "route": "#ff7f0e",
    "trafficker": "#8c564b",
    "dealer": "#e7ba52",
    "official": "#1f77b4",
    "prescriber": "#9ecae1",
    "business": "#2ca02c",
    "launderer": "#98df8a",
    "market": "#e377c2",
    "actor": "#4c6a92",
}
"""A fixed colour per actor kind, the same in every figure."""

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39",
           "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363"]
"""Colours for categories without a fixed colour (communities, strategies)."""

BASELINE_COLOR = "#3d4553"
"""The baseline's colour in every comparison figure."""

OTHER_COLOR = "#c3c8d1"
"""Colour of the remainder group ("other") when a grouping has many small groups."""

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

TEMPLATE = go.layout.Template(layout=go.Layout(
    font={"family": FONT, "size": 13, "color": "#17202f"},
    title={"font": {"size": 15}, "x": 0.01, "xanchor": "left"},
    paper_bgcolor="#fff", plot_bgcolor="#fff", colorway=PALETTE,
    xaxis={"gridcolor": "#e9ecf1", "linecolor": "#aab2bf", "zerolinecolor": "#c7cdd8",
           "ticks": "outside", "tickcolor": "#aab2bf", "automargin": True},
    yaxis={"gridcolor": "#e9ecf1", "linecolor": "#aab2bf", "zerolinecolor": "#c7cdd8",
           "automargin": True},
    legend={"bgcolor": "rgba(255,255,255,0.85)", "font": {"size": 12}},
    hoverlabel={"font": {"family": FONT}},
    margin={"l": 60, "r": 24, "t": 56, "b": 50},
))
"""The look of every fentanet figure."""

STAGE = {"supplier": 0, "marketplace": 1, "business": 1.5, "lab": 2, "official": 2.5,
         "route": 3, "organization": 3.5, "trafficker": 4, "launderer": 4.5, "dealer": 5,
         "prescriber": 5.5, "market": 6, "actor": 3}
"""Column of each kind in the layered drawing: the supply chain from left to right."""

HIGHLIGHT_STYLES = [
    {"symbol": "circle-open", "color": "#b3001b", "width": 3},
    {"symbol": "diamond-open", "color": "#e08a00", "width": 3},
    {"symbol": "square-open", "color": "#2b6cb0", "width": 2.5},
    {"symbol": "star-open", "color": "#2f855a", "width": 2.5},
    {"symbol": "x-open", "color": "#6b46c1", "width": 2.5},
]
"""Markers of the highlighted sets, in order (key players, bottleneck, ...)."""

SVG_LIMIT = 20_000
"""Above this many drawn links the network uses WebGL traces (SVG gets slow)."""


def plain(text: Any) -> str:
    """``text`` for plotly to show as written. Plotly reads ``<b>``, ``<br>``, ``<a href>``
    and entities in a trace's text, a title or a tick label as markup, so an actor id from
    a user's file such as ``<b>x</b>`` was drawn as a bold "x" (and an ``<a href>`` as a
    link); with ``&``, ``<`` and ``>`` escaped it shows the characters themselves."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _style(fig: go.Figure, **layout: Any) -> go.Figure:
    fig.update_layout(template=TEMPLATE, **layout)
    return fig


def _adjacency(net: Network) -> sp.csr_array:
    n = net.n_actors
    src, dst = net.source_index, net.target_index
    a = sp.csr_array((np.ones(src.size), (src, dst)), shape=(n, n))
    return (a + a.T).tocsr()


def _layout(net: Network, how: str, seed: int) -> np.ndarray:
    """Positions (n x 2) of the actors: ``layered`` (supply-chain stage left to right,
    each column ordered by the barycentre of its neighbours, a few sweeps), ``fr``
    (Fruchterman-Reingold), ``kk`` (Kamada-Kawai) or ``drl`` (igraph's layouts, seeded)."""
    n = net.n_actors
    if n == 0:
        return np.zeros((0, 2))
    rng = np.random.default_rng(seed)
    if how == "layered":
        kinds = net.actors["kind"].to_numpy(dtype=object)
        x = np.array([STAGE.get(k, 3) for k in kinds], dtype=float)
        y = rng.uniform(0, 1, n)
        adj = _adjacency(net)
        deg = np.asarray(adj.sum(axis=1)).ravel()
        cols = np.unique(x)
        for _ in range(4):  # barycentre sweeps: neighbours pull each other level
            mean = np.divide(adj @ y, deg, out=y.copy(), where=deg > 0)
            for c in cols:
                idx = np.flatnonzero(x == c)
                order = idx[np.argsort(mean[idx], kind="stable")]
                y[order] = np.linspace(0, 1, idx.size) if idx.size > 1 else 0.5
        counts = pd.Series(x).map(pd.Series(x).value_counts()).to_numpy()
        jitter = 0.1 + 0.2 * np.minimum(1.0, counts / 300)
        return np.column_stack([x + rng.uniform(-1, 1, n) * jitter, y])
    g = net.to_igraph(attributes=False).as_undirected()
    start = rng.uniform(-1, 1, size=(n, 2)).tolist()
    if how == "fr":
        lay = g.layout_fruchterman_reingold(seed=start, niter=500)
    elif how == "kk":
        lay = g.layout_kamada_kawai(seed=start)
    elif how == "drl":
        lay = g.layout_drl(seed=start)
    else:
        raise InputError(f"unknown layout '{how}'; expected auto, layered, fr, kk or drl",
                         field="layout")
    return np.asarray(lay.coords, dtype=float)


def shown_actors(net: Network, max_actors: int, keep: Sequence[str] = ()) -> Network:
    """The part of a large network worth drawing: the ``keep`` actors plus the highest-degree
    ones, up to ``max_actors`` (the whole network when it is small enough)."""
    if net.n_actors <= max_actors:
        return net
    deg = net.degree().to_numpy()
    must = np.zeros(net.n_actors, dtype=bool)
    known = set(net.ids.tolist())
    wanted = [k for k in keep if k in known]
    if wanted:
        must[net.index_of(wanted)] = True
    order = np.lexsort((np.arange(net.n_actors), -deg))
    chosen = list(np.flatnonzero(must))
    for i in order:
        if len(chosen) >= max_actors:
            break
        if not must[i]:
            chosen.append(i)
    return net.subgraph(np.sort(np.asarray(chosen)), by_index=True)


def _groups(net: Network, color_by: Any) -> tuple[np.ndarray, str]:
    """Group label of each actor and the grouping's name."""
    ids = net.ids
    if hasattr(color_by, "membership"):  # a Communities result
        color_by = color_by.membership.rename("community")
    if isinstance(color_by, str):
        if color_by not in net.actors:
            raise InputError(f"no actor column '{color_by}' to colour by", field="color_by")
        col = net.actors[color_by]
        return col.astype(object).where(col.notna(), "none").to_numpy(dtype=object), color_by
    mapping = pd.Series(color_by)
    mapping.index = mapping.index.astype(str)
    groups = mapping.reindex(ids).astype(object)
    groups = groups.where(groups.notna(), "none").to_numpy(dtype=object)
    return groups, str(getattr(color_by, "name", None) or "group")


def network_figure(
    net: Network,
    *,
    color_by: Any = "kind",
    highlight: Mapping[str, Sequence[str]] | None = None,
    size_by: pd.Series | Mapping[str, float] | None = None,
    layout: str = "auto",
    link_kinds: Sequence[str] | None = None,
    max_actors: int = 1500,
    max_groups: int = 12,
    labels: bool | None = None,
    seed: int = 0,
    title: str = "",
    height: int = 640,
) -> go.Figure:
    """Draw a network: actors coloured by kind, community or any grouping, marked sets of
    actors (key players, bottleneck) highlighted and labelled, hover text with id, kind
    and group; each actor marker carries its id as ``customdata`` (the web app selects
    actors by it).

    Parameters
    ----------
    color_by
        An actor column (``"kind"``: the fixed kind colours), a Series or mapping actor
        id -> group, or a :class:`~fentanet.analysis.Communities` result. Groups beyond the
        ``max_groups`` largest are drawn together as ``other``.
    highlight
        Named sets of actor ids, drawn as rings, diamonds, squares... in order.
    size_by
        Values per actor id (a centrality, say): marker area grows with the value.
    layout
        ``auto`` (supply-chain stages left to right for typed networks with flow links,
        else Fruchterman-Reingold), ``layered``, ``fr``, ``kk`` or ``drl``; seeded.
    max_actors
        Larger networks are drawn through their highest-degree actors plus every
        highlighted one, and the title says so.
    labels
        Write every actor's id beside it (default: only for networks up to 60 actors).
    """
    highlight = {k: [str(a) for a in v] for k, v in (highlight or {}).items()}
    full_n = net.n_actors
    if link_kinds is not None:
        net = net.select(link_kinds=link_kinds)
    net = shown_actors(net, max_actors, [a for v in highlight.values() for a in v])
    if layout == "auto":
        layout = "layered" if net.is_typed and net.has_flow else "fr"
    pos = _layout(net, layout, seed)
    ids = net.ids.astype(str)
    n = net.n_actors
    webgl = net.n_links > SVG_LIMIT
    Scatter = go.Scattergl if webgl else go.Scatter
    fig = go.Figure()
    src, dst = net.source_index, net.target_index
    if src.size:
        nan = np.full(src.size, np.nan)
        xs = np.column_stack([pos[src, 0], pos[dst, 0], nan]).ravel()
        ys = np.column_stack([pos[src, 1], pos[dst, 1], nan]).ravel()
        alpha = 0.45 if src.size < 600 else 0.18 if src.size < 5000 else 0.1
        fig.add_trace(Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", name="links",
                              line={"width": 0.8, "color": f"rgba(80,92,110,{alpha})"},
                              showlegend=False))
    groups, label = _groups(net, color_by)
    sizes = np.full(n, 9.0 if n <= 300 else 7.0)
    if size_by is not None:
        v = pd.Series(size_by)
        v.index = v.index.astype(str)
        v = v.reindex(ids).fillna(0).to_numpy(dtype=float)
        top = np.nanmax(v) if v.size else 0
        if top > 0:
            sizes = 6 + 20 * np.sqrt(np.clip(v, 0, None) / top)
    counts = pd.Series(groups).value_counts(sort=False)
    order = sorted(counts.index, key=lambda c: (-counts[c], str(c)))
    if len(order) > max_groups:
        keep = set(order[:max_groups - 1])
        groups = np.array([g if g in keep else "other" for g in groups], dtype=object)
        order = [*order[:max_groups - 1], "other"]
    kinds = net.actors["kind"].to_numpy(dtype=object).astype(str)
    for i, cat in enumerate(order):
        idx = np.flatnonzero(groups == cat)
        if label == "kind":
            color = KIND_COLORS.get(str(cat), PALETTE[i % len(PALETTE)])
            name = str(cat)
        elif cat == "other":
            color, name = OTHER_COLOR, "other"
        elif isinstance(cat, int | np.integer):  # communities keep their colour in any view
            color, name = PALETTE[int(cat) % len(PALETTE)], f"{label} {cat}"
        else:
            color, name = PALETTE[i % len(PALETTE)], f"{label} {cat}"
        hover = [f"<b>{plain(ids[j])}</b><br>{plain(kinds[j])}" + (
            "" if label == "kind" else f"<br>{plain(label)} {plain(groups[j])}") for j in idx]
        fig.add_trace(Scatter(
            x=pos[idx, 0], y=pos[idx, 1], mode="markers",
            name=f"{plain(name)} ({idx.size:,})",
            marker={"size": sizes[idx], "color": color, "opacity": 0.92,
                    "line": {"width": 0.6, "color": "#fff"}},
            text=hover, hovertemplate="%{text}<extra></extra>",
            customdata=ids[idx].tolist()))
    if labels is None:
        labels = n <= 60
    marked = {a for v in highlight.values() for a in v}
    if labels:
        idx = np.array([j for j in range(n) if ids[j] not in marked], dtype=int)
        if idx.size:
            fig.add_trace(go.Scatter(
                x=pos[idx, 0], y=pos[idx, 1], mode="text", text=[plain(a) for a in ids[idx]],
                textposition="top center", textfont={"size": 9, "color": "#5b6474"},
                hoverinfo="skip", showlegend=False, name="labels"))
    index = pd.Index(ids)
    for j, (name, members) in enumerate(highlight.items()):
        idx = index.get_indexer(members)
        idx = idx[idx >= 0]
        if idx.size == 0:
            continue
        st = HIGHLIGHT_STYLES[j % len(HIGHLIGHT_STYLES)]
        fig.add_trace(go.Scatter(
            x=pos[idx, 0], y=pos[idx, 1], mode="markers+text", name=plain(name),
            text=[plain(a) for a in ids[idx]], textposition="top center",
            textfont={"size": 11, "color": st["color"]},
            marker={"size": sizes[idx] + 12, "symbol": st["symbol"], "color": st["color"],
                    "line": {"width": st["width"], "color": st["color"]}},
            customdata=ids[idx].tolist(),
            hovertemplate=f"<b>%{{text}}</b><br>{plain(name)}<extra></extra>"))
    if layout == "layered":  # name the supply-chain stages along the top
        present = pd.unique(kinds)
        for k in sorted(present, key=lambda k: STAGE.get(k, 3)):
            if float(STAGE.get(k, 3)).is_integer():
                fig.add_annotation(x=STAGE.get(k, 3), y=1.06, text=k, showarrow=False,
                                   font={"size": 11, "color": "#5b6474"}, yanchor="bottom")
    shown = "" if n == full_n else f" — showing {n:,} of {full_n:,} actors"
    return _style(
        fig, title=plain(title or net.name or "network") + shown,
        xaxis={"visible": False}, yaxis={"visible": False}, height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10}, hovermode="closest",
        dragmode="pan",
        legend={"itemsizing": "constant", "orientation": "v", "x": 1.0, "xanchor": "left",
                "y": 1.0},
        meta={"layout": layout, "actors": n, "actors_total": full_n, "webgl": webgl})


def lines_figure(frame: pd.DataFrame, x: str, ys: Sequence[str] | str, *, title: str = "",
                 xlabel: str | None = None, ylabel: str = "", by: str | None = None,
                 colors: Mapping[str, str] | None = None, height: int = 400) -> go.Figure:
    """Lines of ``ys`` against ``x`` (one line per column, or per value of ``by``)."""
    ys = [ys] if isinstance(ys, str) else list(ys)
    colors = dict(colors or {})
    fig = go.Figure()
    if by is None:
        for i, y in enumerate(ys):
            fig.add_trace(go.Scatter(x=frame[x], y=frame[y], mode="lines", name=plain(y),
                                     line={"color": colors.get(y, PALETTE[i % len(PALETTE)]),
                                           "width": 2}))
    else:
        for i, (key, part) in enumerate(frame.groupby(by, sort=False)):
            for y in ys:
                name = str(key) if len(ys) == 1 else f"{key}: {y}"
                fig.add_trace(go.Scatter(
                    x=part[x], y=part[y], mode="lines", name=plain(name),
                    line={"color": colors.get(str(key), PALETTE[i % len(PALETTE)]),
                          "width": 2}))
    return _style(fig, title=title, xaxis_title=xlabel or x, yaxis_title=ylabel,
                  height=height, hovermode="x unified")


def scatter_figure(frame: pd.DataFrame, x: str, y: str, *, by: str | None = None,
                   title: str = "", xlabel: str | None = None, ylabel: str = "",
                   colors: Mapping[str, str] | None = None, height: int = 360) -> go.Figure:
    """Points of ``y`` against ``x``, one colour per value of ``by``, with a zero line."""
    fig = go.Figure()
    colors = dict(colors or {})
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=False))
    for i, (key, part) in enumerate(groups):
        name = y if key is None else str(key)
        fig.add_trace(go.Scatter(x=part[x], y=part[y], mode="markers", name=plain(name),
                                 marker={"color": colors.get(name, PALETTE[i % len(PALETTE)]),
                                         "size": 7, "opacity": 0.8}))
    fig.add_hline(y=0, line={"color": "#999", "width": 1})
    return _style(fig, title=title, xaxis_title=xlabel or x, yaxis_title=ylabel,
                  height=height, hovermode="closest",
                  legend={"orientation": "h", "y": -0.3, "yanchor": "top", "x": 0},
                  margin={"l": 60, "r": 24, "t": 50, "b": 90})


def band_figure(frame: pd.DataFrame, x: str, *, median: str = "q50", low: str = "q05",
                high: str = "q95", by: str | None = None, title: str = "",
                ylabel: str = "", xlabel: str | None = None,
                colors: Mapping[str, str] | None = None, height: int = 400) -> go.Figure:
    """Median lines with shaded ensemble bands (``low``-``high``), one per group ``by``."""
    fig = go.Figure()
    colors = dict(colors or {})
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=False))
    for i, (key, part) in enumerate(groups):
        name = "median" if key is None else str(key)
        color = colors.get(name, PALETTE[i % len(PALETTE)])
        banded = bool((part[high] - part[low]).abs().max() > 0) if len(part) else False
        if banded:
            fig.add_trace(go.Scatter(x=part[x], y=part[high], mode="lines",
                                     line={"width": 0}, showlegend=False, hoverinfo="skip",
                                     legendgroup=name, name=f"{plain(name)} high"))
            fig.add_trace(go.Scatter(x=part[x], y=part[low], mode="lines", line={"width": 0},
                                     fill="tonexty", fillcolor=_rgba(color, 0.12),
                                     showlegend=False, hoverinfo="skip", legendgroup=name,
                                     name=f"{plain(name)} low"))
        fig.add_trace(go.Scatter(x=part[x], y=part[median], mode="lines", name=plain(name),
                                 line={"color": color, "width": 2}, legendgroup=name))
    return _style(fig, title=title, xaxis_title=xlabel or x, yaxis_title=ylabel,
                  height=height, hovermode="x unified",
                  legend={"orientation": "h", "y": -0.3, "yanchor": "top", "x": 0},
                  margin={"l": 60, "r": 24, "t": 50, "b": 90})


def resilience_figure(curves: pd.DataFrame, *, measures: Sequence[str] | None = None,
                      title: str = "Resilience under attack",
                      labels: Mapping[str, str] | None = None, height: int = 400) -> go.Figure:
    """Resilience curves: each measure (largest component, flow, ...) as actors are
    removed, one line per attack strategy, one panel per measure.

    ``curves`` is the long table of :func:`fentanet.analysis.summary.analyze`
    (``strategy``, ``removed`` and one column per measure)."""
    from plotly.subplots import make_subplots

    labels = {"lcc": "largest component (share)", "flow": "supply flow (share)",
              "components": "components", "efficiency": "efficiency",
              **dict(labels or {})}
    if measures is None:
        measures = [m for m in ("lcc", "flow", "efficiency") if m in curves.columns]
    measures = list(measures)
    if not measures:
        raise InputError("no resilience measure to draw", field="measures")
    fig = make_subplots(rows=1, cols=len(measures), shared_xaxes=False,
                        subplot_titles=[labels.get(m, m) for m in measures],
                        horizontal_spacing=0.08)
    colors = iter(PALETTE)
    for strategy, part in curves.groupby("strategy", sort=False):
        color = "#8892a2" if strategy == "random" else next(colors)
        for j, m in enumerate(measures):
            fig.add_trace(go.Scatter(
                x=part["removed"], y=part[m], mode="lines+markers", name=str(strategy),
                legendgroup=str(strategy), showlegend=j == 0,
                marker={"size": 4}, line={"color": color, "width": 2,
                                          "dash": "dot" if strategy == "random" else "solid"},
                hovertemplate=f"{strategy}: %{{y:.3f}} after %{{x}} removed<extra></extra>"),
                row=1, col=j + 1)
        for j in range(len(measures)):
            fig.update_xaxes(title_text="actors removed", row=1, col=j + 1)
    for j, m in enumerate(measures):
        if m in ("lcc", "flow"):
            fig.update_yaxes(range=[0, 1.05], row=1, col=j + 1)
    for ann in fig.layout.annotations:
        ann.font = {"size": 13}
    return _style(fig, title=title, height=height,
                  legend={"orientation": "h", "y": -0.25, "x": 0})


def interdiction_figure(curve: pd.DataFrame, *, title: str = "Budget against supply flow",
                        unit: str = "", flow_unit: str = "", height: int = 400) -> go.Figure:
    """The interdiction trade-off: maximum flow left after the best removal, with hover
    text listing the targets removed and hollow markers where the solver did not prove
    optimality. ``unit`` is the budget's (x axis), ``flow_unit`` the flow's (y axis).

    ``curve`` is either :func:`fentanet.interdiction_steps`'s staircase, drawn as steps
    (each row's flow holds from its ``budget`` to the next row's, and to ``up_to`` for
    the last), or :func:`fentanet.interdiction_curve`'s table of solved budgets, drawn as
    points joined by a dotted line: the flow between two solved budgets was not computed
    and the figure says so instead of holding a value flat."""
    if curve.empty:
        raise InputError("the interdiction curve has no budgets", field="curve")
    before = float(curve["flow_before"].iloc[0])
    removed = [", ".join(map(str, r)) if len(r) else "nothing" for r in curve["removed"]]
    optimal = curve["optimal"].astype(bool).to_numpy()
    x = curve["budget"].to_numpy(dtype=float)
    y = curve["flow_after"].to_numpy(dtype=float)
    reduction = curve["reduction"].to_numpy() * 100
    staircase = "budget_to" in curve.columns
    symbol = np.where(optimal, "circle", "circle-open")
    size = np.full(x.size, 9)
    if staircase:
        up_to = float(curve.attrs.get("up_to", curve["budget_to"].iloc[-1]))
        upper = curve["budget_to"].to_numpy(dtype=float)
        reach = [f"budget {fmt_number(a)}" + (f" to {fmt_number(b)}" if b > a else "")
                 for a, b in zip(x, upper, strict=True)]
        proof = np.where(optimal, "the optimum at each of these budgets",
                         "best found, not proven optimal")
        if up_to > x[-1]:  # the last step runs on to the end of the curve: no marker
            x, y = np.append(x, up_to), np.append(y, y[-1])
            reduction, removed = np.append(reduction, reduction[-1]), [*removed, removed[-1]]
            reach, proof = [*reach, reach[-1]], np.append(proof, proof[-1])
            symbol, size = np.append(symbol, symbol[-1]), np.append(size, 0)
        custom = np.column_stack([reduction, removed, reach, proof])
        hover = ("%{customdata[2]}: flow %{y:.4g} (%{customdata[0]:.0f}% less),"
                 " %{customdata[3]}<br>remove: %{customdata[1]}<extra></extra>")
        line = {"color": "#b3001b", "width": 2.5}
        shape = "hv"
    else:
        custom = np.column_stack([reduction, removed])
        hover = ("budget %{x}: flow %{y:.4g} (%{customdata[0]:.0f}% less)<br>"
                 "remove: %{customdata[1]}<br>solved at this budget only<extra></extra>")
        line = {"color": "#b3001b", "width": 1.5, "dash": "dot"}
        shape = "linear"
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=x, y=y, mode="lines+markers", line_shape=shape, name="flow left", line=line,
        marker={"size": size, "symbol": symbol, "color": "#b3001b"},
        customdata=custom, hovertemplate=hover))
    fig.add_hline(y=before, line={"dash": "dot", "color": "#5b6474"},
                  annotation_text="without interdiction", annotation_position="top right")
    if staircase and not curve.attrs.get("complete", x[0] <= 0):
        fig.add_annotation(x=x[0], y=y[0], text=f"budgets below {fmt_number(x[0])} not solved",
                           showarrow=True, ax=-40, ay=-30)
    elif not staircase:
        fig.add_annotation(xref="paper", yref="paper", x=0, y=-0.22, showarrow=False,
                           xanchor="left", text="points: the budgets solved; the dotted "
                           "line between them was not computed")
    return _style(fig, title=title, height=height,
                  xaxis_title=f"budget{f' ({unit})' if unit else ''}",
                  yaxis_title=f"maximum flow to markets{f' ({flow_unit})' if flow_unit else ''}",
                  yaxis_rangemode="tozero", showlegend=False)


def interval_bar_figure(frame: pd.DataFrame, label: str, value: str, low: str, high: str, *,
                        title: str = "", xlabel: str = "", colors: Mapping[str, str] | None
                        = None, unit: str = "", height: int | None = None) -> go.Figure:
    """Horizontal bars with interval whiskers (deaths averted per strategy, say), a line
    at zero. A finite bound ends its whisker with a cap (the trace ``interval ends``); an
    infinite one (Fieller's open-ended interval of a cost per death averted) runs to the
    edge of the axis, which is then fixed there, and ends in an arrow with ``∞`` beside
    it, as the tables write it, so that a PNG, which has no hover text, does not read as a
    finite interval; the hover text says each interval. A missing bound (one seed) draws
    no whisker."""
    colors = dict(colors or {})
    f = frame.reset_index(drop=True)
    names = f[label].astype(str).tolist()
    v = f[value].to_numpy(dtype=float)
    lo = f[low].to_numpy(dtype=float)
    hi = f[high].to_numpy(dtype=float)
    finite = np.concatenate([v[np.isfinite(v)], lo[np.isfinite(lo)], hi[np.isfinite(hi)]])
    span = (finite.max() - min(finite.min(), 0)) if finite.size else 1.0
    edge = (finite.max() if finite.size else 0) + 0.15 * (span or 1)
    low_edge = min(finite.min() if finite.size else 0, 0) - 0.15 * (span or 1)
    hi_drawn = np.where(np.isinf(hi) & (hi > 0), edge, hi)
    lo_drawn = np.where(np.isinf(lo) & (lo < 0), low_edge, lo)
    notes = []
    for i in range(len(f)):
        if np.isnan(lo[i]) or np.isnan(hi[i]):
            notes.append("no interval (one seed)")
        else:
            notes.append(f"interval {short_number(lo[i])}{unit} to {short_number(hi[i])}{unit}")
    bar_colors = [colors.get(n, PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)]
    # an interval wholly at +inf (or -inf) has nothing bounded to draw: its arrow alone
    out = np.isposinf(lo) | np.isneginf(hi)
    err_plus = np.where(np.isnan(hi_drawn) | out, 0, hi_drawn - np.nan_to_num(v))
    err_minus = np.where(np.isnan(lo_drawn) | out, 0, np.nan_to_num(v) - lo_drawn)
    fig = go.Figure(go.Bar(
        y=[plain(n) for n in names], x=v, orientation="h", marker_color=bar_colors,
        customdata=notes,
        text=[("n/a" if np.isnan(x) else short_number(x) + unit) for x in v],
        textposition="none" if np.isfinite(lo).any() else "outside", cliponaxis=False,
        hovertemplate="%{y}: %{text}<br>%{customdata}<extra></extra>",
        error_x={"type": "data", "symmetric": False, "array": np.clip(err_plus, 0, None),
                 "arrayminus": np.clip(err_minus, 0, None), "color": "#3d4553",
                 "thickness": 1.5, "width": 0}))  # no caps: an open end must not get one
    ends: list[tuple[float, str, str, str, str]] = []  # x, y, symbol, text, its position
    for i, name in enumerate(names):
        if np.isnan(lo[i]) or np.isnan(hi[i]):
            continue
        for bound, drawn, side in ((lo[i], lo_drawn[i], "left"), (hi[i], hi_drawn[i], "right")):
            if np.isfinite(bound):
                ends.append((float(bound), plain(name), "line-ns", "", "middle center"))
            elif (bound > 0) == (side == "right"):  # open towards its own side
                ends.append((float(drawn), plain(name), f"arrow-{side}",
                             "∞" if side == "right" else "-∞",
                             f"top {'left' if side == 'right' else 'right'}"))
    if ends:
        x, y, symbol, text, where = (list(c) for c in zip(*ends, strict=True))
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="markers+text", name="interval ends", text=text,
            textposition=where, cliponaxis=False, hoverinfo="skip", showlegend=False,
            textfont={"color": "#3d4553", "size": 13},
            marker={"symbol": symbol, "size": 11, "color": "#3d4553",
                    "line": {"color": "#3d4553", "width": 1.5}}))
    fig.add_vline(x=0, line={"color": "#8892a2", "width": 1})
    axis: dict[str, Any] = {}
    if np.isinf(lo).any() or np.isinf(hi).any():  # the open ends at the axis' very edge
        axis = {"xaxis_range": [float(low_edge), float(edge)]}
        fig.add_annotation(xref="paper", yref="paper", x=1, y=1, xanchor="right",
                           yanchor="bottom", showarrow=False, font={"size": 11},
                           text="arrow, ∞: the interval has no bound on that side")
    return _style(fig, title=title, xaxis_title=xlabel or value,
                  height=height or max(240, 110 + 44 * len(f)),
                  yaxis={"autorange": "reversed"}, showlegend=False,
                  margin={"l": 140, "r": 40, "t": 56, "b": 50}, **axis)


def tornado_figure(frame: pd.DataFrame, *, parameter: str = "parameter",
                   low: str = "change_low", high: str = "change_high",
                   low_value: str | None = "low", high_value: str | None = "high",
                   intervals: bool = True, title: str = "", xlabel: str = "",
                   height: int | None = None) -> go.Figure:
    """One-at-a-time sensitivity: for each parameter the change in the output when it is
    set to its low and to its high value (bars from zero, widest swing on top), with the
    per-seed intervals of the change where the table has them
    (``<low>_ci_low``/``<low>_ci_high``, as :func:`fentanet.calibrate.tornado` returns)."""
    f = frame.assign(_swing=(frame[high] - frame[low]).abs()).sort_values(
        "_swing", ascending=True, kind="stable")

    def label(r: pd.Series) -> str:
        if low_value and high_value and low_value in r and high_value in r:
            return f"{r[parameter]} ({r[low_value]:.4g} → {r[high_value]:.4g})"
        return str(r[parameter])

    names = [plain(label(r)) for _, r in f.iterrows()]
    fig = go.Figure()
    for col, name, color in ((low, "at low value", PALETTE[0]),
                             (high, "at high value", PALETTE[1])):
        err = None
        lo_c, hi_c = f"{col}_ci_low", f"{col}_ci_high"
        if intervals and lo_c in f and hi_c in f:
            err = {"type": "data", "symmetric": False,
                   "array": np.nan_to_num((f[hi_c] - f[col]).to_numpy(dtype=float)),
                   "arrayminus": np.nan_to_num((f[col] - f[lo_c]).to_numpy(dtype=float)),
                   "color": "#3d4553", "thickness": 1.2, "width": 4}
        fig.add_trace(go.Bar(y=names, x=f[col], orientation="h", name=name,
                             marker_color=color, error_x=err,
                             hovertemplate="%{y}: %{x:.4g}<extra>" + name + "</extra>"))
    fig.add_vline(x=0, line={"color": "#8892a2", "width": 1})
    return _style(fig, barmode="overlay", title=title, xaxis_title=xlabel,
                  height=height or max(260, 120 + 40 * len(f)),
                  legend={"orientation": "h", "y": -0.2, "x": 0},
                  margin={"l": 220, "r": 30, "t": 56, "b": 60})


def bars_figure(labels: Sequence[str], values: Sequence[float], *, title: str = "",
                xlabel: str = "", color: str = PALETTE[0], height: int | None = None
                ) -> go.Figure:
    """Horizontal bars, largest on top (the top actors by a measure, say)."""
    fig = go.Figure(go.Bar(y=[plain(s) for s in labels], x=list(values), orientation="h",
                           marker_color=color, text=[short_number(float(v)) for v in values],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}: %{x:.4g}<extra></extra>"))
    return _style(fig, title=title, xaxis_title=xlabel, showlegend=False,
                  height=height or max(240, 100 + 26 * len(labels)),
                  yaxis={"autorange": "reversed", "type": "category"},
                  margin={"l": 120, "r": 40, "t": 56, "b": 50})


def variant_colors(names: Sequence[str], baseline: str = "baseline") -> dict[str, str]:
    """One colour per strategy: the baseline dark grey, the others from :data:`PALETTE`."""
    out, i = {}, 0
    for n in names:
        if n == baseline:
            out[n] = BASELINE_COLOR
        else:
            out[n] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def short_number(v: float) -> str:
    """A number in at most four characters of digits: 1234 -> 1.23k, 2.5e6 -> 2.5M."""
    if v is None or np.isnan(v):
        return "n/a"
    if np.isinf(v):
        return "∞" if v > 0 else "-∞"
    a = abs(v)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}"


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
