"""Supply flow: max flow, the interdiction instances, the heuristic at scale.

1. Max flow on generated supply networks (``fentanet.generate``, 10^4 and 10^5 actors):
   ours is the whole ``fentanet.max_flow`` call (stage expansion, solve, minimum cut,
   tables); the peers are igraph's own ``Graph.maxflow`` on the same expanded graph
   (graph already built) and networkx's ``maximum_flow_value`` (preflow-push) on it, at
   10^4 only in ``--quick``. Generated capacities are arbitrary floats (igraph's
   push-relabel path); the same network with capacities rounded to 0.001 takes the
   integer path (scipy's Dinic), measured too.
2. Every interdiction instance in ../shared/data/interdiction at budgets 0 to 24, exact:
   the max and median solve time per instance and whether every answer is proven
   optimal (goal: each under a second). Also the heuristic alone against those optima.
3. The heuristic on generated supply networks of 10^4 and 10^5 actors (actor and link
   targets, budgets 5 and 20): time and its proven gap; at 10^3 actors its true gap
   against the MILP.

    python -m benchmarks flow [--quick]
"""

from __future__ import annotations

import gc
import statistics
import time

import networkx as nx
import numpy as np

from benchmarks.common import Result, timeit
from fentanet import generate, max_flow, read
from fentanet.analysis.flow import expand
from fentanet.analysis.interdiction import Problem
from fentanet.datasets import data_dir
from fentanet.network.model import Network


def _expanded_nx(g) -> nx.DiGraph:
    d = nx.DiGraph()
    for a, b, c in zip(g.tail.tolist(), g.head.tolist(), g.capacity.tolist(), strict=True):
        if d.has_edge(a, b):
            d[a][b]["capacity"] = d[a][b].get("capacity", np.inf) + c
        else:
            d.add_edge(a, b, capacity=c)
    for _, _, attr in d.edges(data=True):
        if not np.isfinite(attr["capacity"]):
            del attr["capacity"]
    return d


def _rounded(net: Network, step: float) -> Network:
    actors, links = net.actors.copy(), net.links.copy()
    for frame in (actors, links):
        frame["capacity"] = (frame["capacity"] / step).round() * step
    actors["demand"] = (actors["demand"] / step).round() * step
    return Network(actors, links, name=net.name + " rounded")


def bench_max_flow(quick: bool, tiny: bool = False) -> list[Result]:
    out = []
    repeat = 1 if tiny else 3
    for n in ((300,) if tiny else (10_000, 100_000)):
        net = generate({"actors": n}, seed=1)
        for variant, network in (("float capacities", net),
                                 ("capacities to 0.001", _rounded(net, 0.001))):
            ours = timeit(lambda network=network: max_flow(network), repeat=repeat)
            g = expand(network)
            graph = g.solver.graph
            cap = np.where(np.isfinite(g.capacity), g.capacity, 1e12).tolist()
            peer = timeit(lambda graph=graph, cap=cap, g=g: graph.maxflow(g.source, g.sink,
                                                                         cap),
                          repeat=repeat)
            value = max_flow(network).value
            check = graph.maxflow(g.source, g.sink, cap).value
            scale = g.solver.integer_scale(g.solver.tighten(g.capacity))
            note = (f"{g.n_nodes} nodes, {g.n_arcs} arcs; value {value:.6g} (igraph "
                    f"{check:.6g}); solver {'dinic' if scale else 'push-relabel'}")
            out.append(Result(name=f"max_flow {n:.0e} actors, {variant}".replace("e+0", "e"),
                              ours_s=ours, peer="igraph Graph.maxflow", peer_s=peer,
                              note=note, extra={"value": value}))
            if n <= 10_000 or not quick:
                d = _expanded_nx(g)
                t0 = time.perf_counter()
                nx_value = nx.maximum_flow_value(d, g.source, g.sink)
                nx_s = time.perf_counter() - t0
                out.append(Result(name=f"max_flow {n:.0e} actors, {variant}".replace(
                    "e+0", "e"), ours_s=ours, peer="networkx maximum_flow_value",
                    peer_s=nx_s, note=f"networkx value {nx_value:.6g}"))
    return out


def bench_instances(tiny: bool = False) -> list[Result]:
    root = data_dir()
    if root is None:
        return [Result(name="interdiction instances", ours_s=0.0,
                       note="skipped: ../shared/data is absent")]
    out = []
    gaps, optimal_h = [], []
    times_all = []
    paths = sorted((root / "interdiction").glob("*/*.csv"))
    budgets = 3 if tiny else 25
    for path in paths[:1] if tiny else paths:
        net = read(path)
        problem = Problem(net)
        # the garbage of the max-flow part (networkx's graphs of 10^5 actors) collected
        # now, not in a timed solve: it made the first instance's first solve take 2.1 s
        gc.collect()
        times, proven = [], []
        flows = []
        for b in range(budgets):
            t0 = time.perf_counter()
            res = problem.solve(b)
            times.append(time.perf_counter() - t0)
            proven.append(res.optimal)
            flows.append(res.flow_after)
            h = problem.solve(b, exact=False)
            opt = res.flow_after
            gaps.append((h.flow_after - opt) / opt if opt > 0 else float(h.flow_after > 0))
            optimal_h.append(h.flow_after <= opt + 1e-9)
        times_all += times
        monotone = bool(np.all(np.diff(flows) <= 1e-9))
        out.append(Result(
            name=f"interdict {path.parent.name}/{path.stem} budgets 0-{budgets - 1}",
            ours_s=max(times),
            goal="each solve < 1 s, all proven optimal",
            note=(f"max {max(times) * 1e3:.0f} ms, median {statistics.median(times) * 1e3:.1f}"
                  f" ms; proven optimal {sum(proven)}/{budgets}; flow {flows[0]:g} -> "
                  f"{flows[-1]:g}"
                  f"{'' if monotone else ' NOT monotone'}; "
                  f"{'met' if max(times) < 1 and all(proven) else 'NOT met'}"),
            extra={"max_s": max(times), "median_s": statistics.median(times),
                   "all_optimal": all(proven), "flows": flows}))
    out.append(Result(
        name=f"interdiction heuristic vs exact, {len(out)} instances x {budgets} budgets",
        ours_s=statistics.median(times_all),
        note=(f"heuristic optimal in {np.mean(optimal_h):.0%}; excess flow mean "
              f"{np.mean(gaps):.2%}, median {np.median(gaps):.2%}, max {np.max(gaps):.1%}"),
        extra={"gaps": gaps}))
    return out


def bench_heuristic(quick: bool, tiny: bool = False) -> list[Result]:
    out = []
    small = 300 if tiny else 1_000
    net = generate({"actors": small}, seed=1)
    for target in ("actors", "links"):
        problem = Problem(net, target=target)
        for b in ((2,) if tiny else (5, 20)):
            t0 = time.perf_counter()
            h = problem.solve(b, exact=False)
            th = time.perf_counter() - t0
            t0 = time.perf_counter()
            _, info = problem.exact(b, 600)
            te = time.perf_counter() - t0
            opt = info["objective"]
            out.append(Result(
                name=f"heuristic {small:.0e} actors, target {target}, budget {b}".replace(
                    "e+0", "e"), ours_s=th,
                peer="MILP (HiGHS)", peer_s=te,
                note=(f"heuristic {h.flow_after:.6g} vs optimum {opt:.6g} "
                      f"({'proven' if info['optimal'] else 'not proven'}): excess "
                      f"{(h.flow_after - opt) / opt:.2%}; heuristic bound gap {h.gap:.2%}"),
                extra={"arcs": int(problem.relevant.size)}))
    for n in (() if tiny else (10_000,) if quick else (10_000, 100_000)):
        net = generate({"actors": n}, seed=1)
        for target in ("actors", "links"):
            problem = Problem(net, target=target)
            for b in (5, 20):
                t0 = time.perf_counter()
                h = problem.solve(b, exact=False)
                th = time.perf_counter() - t0
                out.append(Result(
                    name=f"heuristic {n:.0e} actors, target {target}, budget {b}".replace(
                        "e+0", "e"), ours_s=th,
                    note=(f"flow {h.flow_before:.6g} -> {h.flow_after:.6g}, proven gap "
                          f"{h.gap:.2%}, {len(h.removed)} removed"),
                    extra={"gap": h.gap, "arcs": int(problem.relevant.size)}))
    return out


def run(quick: bool, tiny: bool = False) -> list[Result]:
    return (bench_max_flow(quick, tiny) + bench_instances(tiny)
            + bench_heuristic(quick, tiny))
