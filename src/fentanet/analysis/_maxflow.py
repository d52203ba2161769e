"""Maximum flow on an arc list, with two solvers behind one call.

- Capacities that are integers after scaling by a power of ten (``12``, ``3.5``,
  ``0.25``: what data and generators hold) go to scipy's Dinic
  (``scipy.sparse.csgraph.maximum_flow``), exactly, in integer arithmetic. On the
  shallow, stage-ordered graphs of supply networks it was 3-5x faster than igraph's
  push-relabel at 10^4-10^5 actors (``benchmarks/bench_flow.py``).
- Any other float capacities, and small graphs (fewer than :data:`DINIC_MIN_ARCS` arcs,
  where igraph's lower call overhead wins), go to igraph's push-relabel
  (``Graph.maxflow``).

Unbounded arcs (``inf``) first get the tightest bound conservation implies (the flow
on an arc is at most what its head can pass on and what its tail can receive, two
passes); only arcs left unbounded get the constant ``M`` = (sum of finite bounds) + 1
(doubled for floats), which exceeds every finite cut, so a flow value of ``M`` or more
means no finite cut exists (the value is then ``inf``). Bounds never remove a feasible
flow, so the value and a minimum cut computed from the residual graph under the
original capacities are those of the original network.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

INT_LIMIT = 2**31 - 1
"""scipy's maximum_flow works in int32: scaled capacities and flow values stay below."""
DINIC_MIN_ARCS = 4096
"""Below this many arcs igraph's lower call overhead wins (measured crossover ~3000)."""


class ArcSolver:
    """Solves maximum flow on a fixed arc list under changing capacities."""

    def __init__(self, n_nodes: int, tail: np.ndarray, head: np.ndarray, source: int,
                 sink: int) -> None:
        self.n = int(n_nodes)
        self.tail = tail
        self.head = head
        self.source = int(source)
        self.sink = int(sink)
        self._from_source = tail == self.source

    @cached_property
    def _pairs(self) -> tuple[np.ndarray, ...]:
        """For the integer solver: the distinct (tail, head) pairs in CSR order, each
        arc's pair, and the arcs grouped by pair in arc order (to split a pair's flow)."""
        key = self.tail.astype(np.int64) * self.n + self.head
        pairs, inv = np.unique(key, return_inverse=True)
        indptr = np.searchsorted(pairs // self.n, np.arange(self.n + 1)).astype(np.int32)
        indices = (pairs % self.n).astype(np.int32)
        order = np.argsort(inv, kind="stable")
        pair_of_sorted = inv[order]
        group_start = np.searchsorted(pair_of_sorted, np.arange(pairs.size))
        return pairs, inv, indptr, indices, order, pair_of_sorted, group_start

    @cached_property
    def graph(self):
        """The igraph graph of the arcs (built on first use)."""
        import igraph

        g = igraph.Graph(n=self.n, directed=True)
        g.add_edges(np.column_stack([self.tail, self.head]))
        return g

    # -------------------------------------------------------------- bounds and scale
    def tighten(self, cap: np.ndarray, passes: int = 2) -> np.ndarray:
        """Capacities with unbounded arcs bounded by what their head can pass on and
        their tail can receive (valid for every feasible flow)."""
        b = cap
        for _ in range(passes):
            unbounded = np.isinf(b)
            if not unbounded.any():
                break
            finite = np.where(unbounded, 0.0, b)
            out_cap = np.bincount(self.tail, weights=finite, minlength=self.n)
            out_cap[np.bincount(self.tail, weights=unbounded, minlength=self.n) > 0] = np.inf
            in_cap = np.bincount(self.head, weights=finite, minlength=self.n)
            in_cap[np.bincount(self.head, weights=unbounded, minlength=self.n) > 0] = np.inf
            out_cap[self.sink] = np.inf
            in_cap[self.source] = np.inf
            b = np.minimum(b, np.minimum(out_cap[self.head], in_cap[self.tail]))
        return b

    @staticmethod
    def integer_scale(cap: np.ndarray) -> float | None:
        """The least power of ten (1 to 10^6) making every finite capacity an integer, or
        ``None``."""
        finite = cap[np.isfinite(cap)]
        for d in range(7):
            x = finite * 10.0**d
            if np.all(np.abs(x - np.round(x)) <= 1e-9 * np.maximum(1.0, np.abs(x))):
                return 10.0**d
        return None

    def floor(self, cap: np.ndarray, scale: float | None = None) -> np.ndarray:
        """Capacities rounded down to a grid the integer solver takes exactly: multiples
        of ``1 / scale`` (default: a power of ten keeping the total below 2^29)."""
        if scale is None:
            total = float(cap[np.isfinite(cap)].sum())
            scale = 10.0 ** np.floor(np.log10(2**29 / max(total, 1.0)))
            scale = min(scale, 1e6)
        out = cap.copy()
        finite = np.isfinite(cap)
        out[finite] = np.floor(cap[finite] * scale * (1 + 1e-12)) / scale
        return out

    # -------------------------------------------------------------- solve
    def solve(self, cap: np.ndarray, method: str = "auto") -> tuple[float, np.ndarray]:
        """Maximum flow value (``inf`` if unbounded) and the flow on each arc.

        ``method``: ``"auto"`` (Dinic for integer-scalable capacities on at least
        :data:`DINIC_MIN_ARCS` arcs, else push-relabel), ``"dinic"`` (where the
        capacities allow it) or ``"push_relabel"``.
        """
        if self.tail.size == 0:
            return 0.0, np.zeros(0)
        b = self.tighten(cap)
        if method == "dinic" or (method == "auto" and b.size >= DINIC_MIN_ARCS):
            scale = self.integer_scale(b)
            if scale is not None:
                solved = self._dinic(b, scale)
                if solved is not None:
                    return solved
        return self._push_relabel(b)

    def _dinic(self, b: np.ndarray, scale: float) -> tuple[float, np.ndarray] | None:
        unbounded = np.isinf(b)
        ints = np.zeros(b.size, dtype=np.int64)
        ints[~unbounded] = np.round(b[~unbounded] * scale).astype(np.int64)
        big = int(ints.sum()) + 1
        ints[unbounded] = big
        pairs, inv, indptr, indices, order, pair_of_sorted, group_start = self._pairs
        data = np.bincount(inv, weights=ints, minlength=pairs.size)
        out_of_source = int(ints[self._from_source].sum())
        if big >= INT_LIMIT or out_of_source >= INT_LIMIT or data.max() >= INT_LIMIT:
            return None
        mat = sp.csr_array((data.astype(np.int32), indices, indptr),
                           shape=(self.n, self.n))
        res = maximum_flow(mat, self.source, self.sink, method="dinic")
        flow = res.flow.tocsr()
        flow.sort_indices()
        rows = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(flow.indptr))
        keys = rows * self.n + flow.indices
        pos = np.minimum(np.searchsorted(keys, pairs), max(keys.size - 1, 0))
        per_pair = np.where(keys[pos] == pairs, flow.data[pos], 0) if keys.size else \
            np.zeros(pairs.size)
        per_pair = np.maximum(per_pair, 0).astype(np.int64)
        # split each pair's flow over its parallel arcs, in arc order, up to capacity
        caps = ints[order]
        csum = np.cumsum(caps)
        before_group = (csum - caps)[group_start]
        before = csum - caps - before_group[pair_of_sorted]
        sorted_flow = np.clip(per_pair[pair_of_sorted] - before, 0, caps)
        arc_flow = np.empty(b.size, dtype=np.int64)
        arc_flow[order] = sorted_flow
        value = int(res.flow_value)
        if value >= big:
            return float("inf"), arc_flow / scale
        return value / scale, arc_flow / scale

    def _push_relabel(self, b: np.ndarray) -> tuple[float, np.ndarray]:
        finite = np.isfinite(b)
        total = float(b[finite].sum())
        c = np.where(finite, b, 2.0 * total + 1.0)
        import igraph

        # GraphBase.maxflow: the raw (value, flow, cut, partition), without building
        # the Flow clustering object
        value, flow, _, _ = igraph.GraphBase.maxflow(self.graph, self.source, self.sink,
                                                      c.tolist())
        flow = np.asarray(flow, dtype=np.float64)
        value = float(value)
        if value > 1.5 * total + 0.75:
            value = float("inf")
        return value, flow
