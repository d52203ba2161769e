"""Plotly figures for reports and the web app: the network drawing and result charts.

Every function returns a ``plotly.graph_objects.Figure`` and takes plain tables, so the
same figure serves the HTML report, the PNG export and the web app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fentanet.errors import InputError
from fentanet.network.model import Network

KIND_COLORS: dict[str, str] = {
    "supplier": "#6a3d9a",
    "marketplace": "#cab2d6",
    "lab": "#e31a1c",
    "organization": "#1d2330",
    "route": "#ff7f00",
    "trafficker": "#b15928",
    "dealer": "#fdbf6f",
    "official": "#1f78b4",
    "prescriber": "#a6cee3",
    "business": "#33a02c",
    "launderer": "#b2df8a",
    "market": "#fb9a99",
    "actor": "#5b6474",
}
"""A fixed colour per actor kind, the same in every figure."""

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
           "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363"]
"""Colours for categories without a fixed colour (communities, variants)."""

STAGE = {"supplier": 0, "marketplace": 1, "lab": 2, "route": 3, "trafficker": 4,
         "dealer": 5, "market": 6, "organization": 3.5, "official": 2.5, "business": 1.5,
         "launderer": 4.5, "prescriber": 5.5, "actor": 3}
"""Column of each kind in the layered drawing: the supply chain from left to right."""

HIGHLIGHT_SYMBOLS = ["diamond-open", "square-open", "star-open", "circle-open", "x-open"]


def _layout(net: Network, how: str, seed: int) -> np.ndarray:
    n = net.n_actors
    if n == 0:
        return np.zeros((0, 2))
    if how == "layered":
        rng = np.random.default_rng(seed)
        kinds = net.actors["kind"].to_numpy(dtype=object)
        x = np.array([STAGE.get(k, 3) for k in kinds], dtype=float)
        y = np.zeros(n)
        for col in np.unique(x):
            idx = np.flatnonzero(x == col)
            y[idx] = np.linspace(0, 1, idx.size) if idx.size > 1 else 0.5
            y[idx] = y[idx][rng.permutation(idx.size)]
        return np.column_stack([x + rng.uniform(-0.12, 0.12, n), y])
    g = net.to_igraph(attributes=False).as_undirected()
    rng = np.random.default_rng(seed)
    start = rng.uniform(-1, 1, size=(n, 2)).tolist()
    if how == "fr":
        lay = g.layout_fruchterman_reingold(seed=start, niter=500)
    elif how == "kk":
        lay = g.layout_kamada_kawai(seed=start)
    elif how == "drl":
        lay = g.layout_drl(seed=start)
    else:
        raise InputError(f"unknown layout '{how}'; expected layered, fr, kk or drl",
                         field="layout")
    return np.asarray(lay.coords, dtype=float)


def shown_actors(net: Network, max_actors: int, keep: Sequence[str] = ()) -> Network:
    """The part of a large network worth drawing: the ``keep`` actors plus the highest-degree
    ones, up to ``max_actors`` (the whole network when it is small enough)."""
    if net.n_actors <= max_actors:
        return net
    deg = net.degree().to_numpy()
    must = np.zeros(net.n_actors, dtype=bool)
    if keep:
        must[net.index_of([k for k in keep if k in set(net.ids)])] = True
    order = np.lexsort((np.arange(net.n_actors), -deg))
    chosen = list(np.flatnonzero(must))
    for i in order:
        if len(chosen) >= max_actors:
            break
        if not must[i]:
            chosen.append(i)
    return net.subgraph(np.sort(np.asarray(chosen)), by_index=True)


def network_figure(
    net: Network,
    *,
    color_by: str | pd.Series | Mapping[str, Any] = "kind",
    highlight: Mapping[str, Sequence[str]] | None = None,
    size_by: pd.Series | None = None,
    layout: str = "auto",
    link_kinds: Sequence[str] | None = None,
    max_actors: int = 1500,
    seed: int = 0,
    title: str = "",
) -> go.Figure:
    """Draw a network: actors coloured by kind (or community, or any grouping), marked sets
    of actors (key players, bottleneck) highlighted, hover text with id and kind.

    ``layout="auto"`` lays typed supply networks out by supply-chain stage (left to right)
    and untyped ones by Fruchterman-Reingold (igraph), seeded for reproducibility. Networks
    larger than ``max_actors`` are drawn through their highest-degree actors plus every
    highlighted one, and the title says so.
    """
    highlight = {k: list(v) for k, v in (highlight or {}).items()}
    full_n = net.n_actors
    if link_kinds is not None:
        net = net.select(link_kinds=link_kinds)
    net = shown_actors(net, max_actors, [a for v in highlight.values() for a in v])
    if layout == "auto":
        layout = "layered" if net.is_typed and net.has_flow else "fr"
    pos = _layout(net, layout, seed)
    ids = net.ids
    fig = go.Figure()
    src, dst = net.source_index, net.target_index
    if src.size:
        xs = np.column_stack([pos[src, 0], pos[dst, 0], np.full(src.size, np.nan)]).ravel()
        ys = np.column_stack([pos[src, 1], pos[dst, 1], np.full(src.size, np.nan)]).ravel()
        fig.add_trace(go.Scattergl(x=xs, y=ys, mode="lines", hoverinfo="skip",
                                   line={"width": 0.5, "color": "rgba(90,100,116,0.35)"},
                                   name="links", showlegend=False))
    if isinstance(color_by, str):
        if color_by not in net.actors:
            raise InputError(f"no actor column '{color_by}' to colour by", field="color_by")
        groups = net.actors[color_by].astype(object).where(net.actors[color_by].notna(), "none")
        groups = groups.to_numpy(dtype=object)
        label = color_by
    else:
        mapping = pd.Series(color_by) if isinstance(color_by, Mapping) else color_by
        mapping.index = mapping.index.astype(str)
        groups = mapping.reindex(ids).astype(object).fillna("none").to_numpy(dtype=object)
        label = getattr(color_by, "name", None) or "group"
    sizes = np.full(net.n_actors, 8.0)
    if size_by is not None:
        v = pd.Series(size_by).reindex(ids).fillna(0).to_numpy(dtype=float)
        if v.max() > 0:
            sizes = 6 + 18 * np.sqrt(v / v.max())
    cats = pd.unique(groups)
    order = sorted(cats, key=lambda c: (-int((groups == c).sum()), str(c)))
    kinds = net.actors["kind"].to_numpy(dtype=object)
    for i, cat in enumerate(order):
        idx = np.flatnonzero(groups == cat)
        color = KIND_COLORS.get(str(cat)) if label == "kind" else PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scattergl(
            x=pos[idx, 0], y=pos[idx, 1], mode="markers", name=f"{label} {cat}"
            if label != "kind" else str(cat),
            marker={"size": sizes[idx], "color": color or "#888",
                    "line": {"width": 0.5, "color": "#fff"}},
            text=[f"{ids[j]} ({kinds[j]})" for j in idx], hoverinfo="text",
            customdata=ids[idx].tolist()))
    index = pd.Index(ids)
    for j, (name, members) in enumerate(highlight.items()):
        idx = index.get_indexer([str(m) for m in members])
        idx = idx[idx >= 0]
        if idx.size == 0:
            continue
        fig.add_trace(go.Scatter(
            x=pos[idx, 0], y=pos[idx, 1], mode="markers+text", name=name,
            text=[str(ids[k]) for k in idx], textposition="top center",
            textfont={"size": 10},
            marker={"size": sizes[idx] + 10, "symbol": HIGHLIGHT_SYMBOLS[j % 5],
                    "line": {"width": 2}, "color": PALETTE[(j + 3) % len(PALETTE)]},
            hoverinfo="text"))
    shown = "" if net.n_actors == full_n else f" (showing {net.n_actors} of {full_n} actors)"
    fig.update_layout(
        title=(title or net.name or "network") + shown,
        xaxis={"visible": False}, yaxis={"visible": False},
        plot_bgcolor="#fff", height=620, margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"itemsizing": "constant"})
    return fig


def lines_figure(frame: pd.DataFrame, x: str, ys: Sequence[str] | str, *, title: str = "",
                 xlabel: str | None = None, ylabel: str = "", by: str | None = None) -> go.Figure:
    """Lines of ``ys`` against ``x`` (one line per column, or per value of ``by``)."""
    ys = [ys] if isinstance(ys, str) else list(ys)
    fig = go.Figure()
    if by is None:
        for i, y in enumerate(ys):
            fig.add_trace(go.Scatter(x=frame[x], y=frame[y], mode="lines", name=y,
                                     line={"color": PALETTE[i % len(PALETTE)]}))
    else:
        for i, (key, part) in enumerate(frame.groupby(by, sort=False)):
            for y in ys:
                name = str(key) if len(ys) == 1 else f"{key}: {y}"
                fig.add_trace(go.Scatter(x=part[x], y=part[y], mode="lines", name=name,
                                         line={"color": PALETTE[i % len(PALETTE)]}))
    fig.update_layout(title=title, xaxis_title=xlabel or x, yaxis_title=ylabel,
                      template="plotly_white", height=420,
                      margin={"l": 60, "r": 20, "t": 50, "b": 50})
    return fig


def band_figure(frame: pd.DataFrame, x: str, *, median: str = "q50", low: str = "q05",
                high: str = "q95", by: str | None = None, title: str = "",
                ylabel: str = "", xlabel: str | None = None) -> go.Figure:
    """Median lines with shaded ensemble bands (``low``-``high``), one per group ``by``."""
    fig = go.Figure()
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=False))
    for i, (key, part) in enumerate(groups):
        color = PALETTE[i % len(PALETTE)]
        rgba = _rgba(color, 0.18)
        name = "median" if key is None else str(key)
        fig.add_trace(go.Scatter(x=part[x], y=part[high], mode="lines", line={"width": 0},
                                 showlegend=False, hoverinfo="skip", legendgroup=name))
        fig.add_trace(go.Scatter(x=part[x], y=part[low], mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor=rgba, showlegend=False,
                                 hoverinfo="skip", legendgroup=name))
        fig.add_trace(go.Scatter(x=part[x], y=part[median], mode="lines", name=name,
                                 line={"color": color, "width": 2}, legendgroup=name))
    fig.update_layout(title=title, xaxis_title=xlabel or x, yaxis_title=ylabel,
                      template="plotly_white", height=420,
                      margin={"l": 60, "r": 20, "t": 50, "b": 50})
    return fig


def interval_bar_figure(frame: pd.DataFrame, label: str, value: str, low: str, high: str, *,
                        title: str = "", xlabel: str = "") -> go.Figure:
    """Horizontal bars with interval whiskers (deaths averted per strategy, say)."""
    fig = go.Figure(go.Bar(
        y=frame[label].astype(str), x=frame[value], orientation="h",
        marker_color=PALETTE[0],
        error_x={"type": "data", "symmetric": False,
                 "array": (frame[high] - frame[value]).to_numpy(),
                 "arrayminus": (frame[value] - frame[low]).to_numpy()}))
    fig.update_layout(title=title, xaxis_title=xlabel or value, template="plotly_white",
                      height=max(260, 60 + 36 * len(frame)),
                      margin={"l": 160, "r": 20, "t": 50, "b": 50})
    return fig


def tornado_figure(frame: pd.DataFrame, *, parameter: str = "parameter", low: str = "low",
                   high: str = "high", base: float = 0.0, title: str = "",
                   xlabel: str = "") -> go.Figure:
    """One-at-a-time sensitivity: for each parameter, the output at its low and high value
    as bars around the base output, widest swing on top."""
    f = frame.assign(_swing=(frame[high] - frame[low]).abs()).sort_values("_swing")
    fig = go.Figure()
    fig.add_trace(go.Bar(y=f[parameter], x=f[low] - base, base=base, orientation="h",
                         name="low value", marker_color=PALETTE[0]))
    fig.add_trace(go.Bar(y=f[parameter], x=f[high] - base, base=base, orientation="h",
                         name="high value", marker_color=PALETTE[1]))
    fig.update_layout(barmode="overlay", title=title, xaxis_title=xlabel,
                      template="plotly_white", height=max(260, 60 + 34 * len(f)),
                      margin={"l": 200, "r": 20, "t": 50, "b": 50})
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
