"""Every shared dataset loads with the counts stated in its SOURCE.md.

Counts are those of the SOURCE.md files (computed there with networkx): nodes, arcs
(nonzero off-diagonal cells), undirected edges (OR-symmetrised), total weight,
components and the largest component. Skipped when ../shared/data is absent.
"""

from __future__ import annotations

import numpy as np
import pytest

import fentanet
from fentanet import datasets
from fentanet.network.io import detect_format


def components(net) -> tuple[int, int]:
    labels = net.component_labels()
    sizes = np.bincount(labels)
    return int(sizes.size), int(sizes.max())


def undirected_edges(net) -> int:
    """Unordered pairs with a link either way, self-loops excluded (OR-symmetrised)."""
    s, t = net.source_index, net.target_index
    keep = s != t
    pairs = {(min(a, b), max(a, b)) for a, b in zip(s[keep], t[keep], strict=True)}
    return len(pairs)


def reciprocity(net) -> float:
    arcs = set(zip(net.source_index.tolist(), net.target_index.tolist(), strict=True))
    return sum((b, a) in arcs for a, b in arcs) / len(arcs)


# name: (nodes, arcs or None, undirected edges, total weight or None, components, LCC)
MATRICES = {
    "caviar": (110, 295, 205, 3546, 1, 110),
    "cielnet": (25, 45, 35, 198, 1, 25),
    "french_connection": (112, None, 361, 445, 1, 112),
    "montagna_subset": (40, 72, 51, 161, 8, 33),
    "natarajan_cocaine": (28, 40, 40, 151, 1, 28),
    "natarajan_heroin": (38, 168, 87, None, 1, 38),
    "oversize": (89, None, 146, None, 2, 85),
}


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_matrix_datasets(shared_data, name):
    nodes, arcs, edges, weight, n_comp, lcc = MATRICES[name]
    net = datasets.load(name)
    assert net.n_actors == nodes
    if arcs is not None:
        assert net.directed
        assert net.n_links == arcs
    else:  # symmetric matrices read as undirected: one link per pair
        assert not net.directed
        assert net.n_links == edges
    assert undirected_edges(net) == edges
    if weight is not None:
        assert net.links["weight"].sum() == weight
    assert components(net) == (n_comp, lcc)


def test_caviar_ids_and_symmetrised_weights(shared_data):
    net = datasets.load("caviar")
    assert sorted(net.ids, key=int) == [str(i) for i in range(1, 111)]
    assert (net.degree() > 0).all()  # no isolates
    assert net.links["weight"].max() == 337
    und = net.to_undirected("max")  # networkdata's CAVIAR_FULL: weight = max of both cells
    assert und.n_links == 205


def test_natarajan_reciprocity_and_binary(shared_data):
    assert reciprocity(datasets.load("natarajan_cocaine")) == 0
    heroin = datasets.load("natarajan_heroin")
    assert round(reciprocity(heroin), 3) == 0.964
    assert set(heroin.links["weight"]) == {1.0}


def test_montagna_subset_isolates(shared_data):
    net = datasets.load("montagna_subset")
    assert int((net.degree() == 0).sum()) == 7


def test_french_connection_values(shared_data):
    net = datasets.load("french_connection")
    assert set(net.links["weight"]) == {1.0, 2.0}


# phase: nodes, arcs, undirected edges, total weight, components, LCC (SOURCE.md table)
CAVIAR_PHASES = {
    1: (15, 26, 18, 59, 1, 15), 2: (24, 35, 28, 120, 1, 24), 3: (33, 68, 56, 282, 1, 33),
    4: (33, 65, 48, 456, 1, 33), 5: (32, 50, 39, 162, 1, 32), 6: (27, 68, 47, 668, 1, 27),
    7: (36, 63, 49, 379, 2, 30), 8: (42, 75, 58, 335, 1, 42), 9: (34, 60, 44, 317, 1, 34),
    10: (42, 68, 50, 478, 3, 31), 11: (41, 72, 50, 355, 2, 39),
}


def test_caviar_phases_one_network_of_eleven_phases(shared_data):
    net = datasets.load("caviar_phases")
    assert net.phases == list(range(1, 12))
    assert net.directed
    assert net.n_actors == 107
    assert {"57", "60", "110"}.isdisjoint(set(net.ids))
    for phase, (nodes, arcs, edges, weight, n_comp, lcc) in CAVIAR_PHASES.items():
        sub = net.at_phase(phase)
        assert (sub.n_actors, sub.n_links) == (nodes, arcs), phase
        assert undirected_edges(sub) == edges, phase
        assert sub.links["weight"].sum() == weight, phase
        assert components(sub) == (n_comp, lcc), phase
    # the phases do not add up to the aggregate (SOURCE.md): 303 cells, weight 3611
    cells = net.links.groupby(["source", "target"])["weight"].sum()
    assert (len(cells), cells.sum()) == (303, 3611)


@pytest.mark.parametrize(("name", "nodes", "edges", "n_comp", "lcc", "lo", "hi"), [
    ("montagna_meetings", 101, 256, 5, 92, 0, 100),
    ("montagna_phonecalls", 100, 124, 5, 89, 11, 153),
])
def test_montagna_as_the_authors_load_it(shared_data, name, nodes, edges, n_comp, lcc,
                                         lo, hi):
    net = datasets.load(name)
    assert not net.directed
    assert (net.n_actors, net.n_links) == (nodes, edges)
    assert components(net) == (n_comp, lcc)
    ids = sorted(int(i) for i in net.ids)
    assert (ids[0], ids[-1]) == (lo, hi)
    assert (net.source_index != net.target_index).all()  # no self-loops


def test_montagna_repeated_pair_keeps_last_line(shared_data):
    net = datasets.load("montagna_phonecalls")
    pair = net.links[((net.links.source == "18") & (net.links.target == "19"))
                     | ((net.links.source == "19") & (net.links.target == "18"))]
    assert pair["weight"].tolist() == [6.0]  # lines '18 19 5' then '19 18 6'


def test_montagna_matches_networkx_line_by_line(shared_data):
    """Oracle: the authors' own loading, networkx.Graph.add_edge line by line."""
    import networkx as nx

    for name in ("montagna_meetings", "montagna_phonecalls"):
        g = nx.Graph()
        lines = datasets.path(name).read_text().splitlines()
        assert len(lines) == {"montagna_meetings": 289, "montagna_phonecalls": 150}[name]
        for line in lines:
            a, b, w = line.split()
            g.add_edge(a, b, weight=float(w))
        net = datasets.load(name)
        expected = fentanet.from_networkx(g)
        assert net.differences(expected) == []


@pytest.mark.parametrize("duplicates", ["sum", "max", "first", "keep"])
def test_montagna_duplicate_rules(shared_data, duplicates):
    p = datasets.path("montagna_phonecalls")
    net = fentanet.read(p, duplicates=duplicates)
    pair = net.links[net.links.source.isin(["18", "19"]) & net.links.target.isin(["18", "19"])]
    expected = {"sum": [11.0], "max": [6.0], "first": [5.0], "keep": [5.0, 6.0]}[duplicates]
    assert sorted(pair["weight"]) == expected
    assert net.n_links == (150 if duplicates == "keep" else 124)


def test_kpp_figure8_three_files_one_graph(shared_data):
    folder = shared_data / "networks" / "kpp_figure8"
    nets = [fentanet.read(folder / f) for f in ("figure_8.txt", "figure_8.sif", "figure_8.dot")]
    for net in nets:
        assert (net.n_actors, net.n_links) == (32, 56)
        assert not net.directed
    pairs = [{frozenset(p) for p in zip(n.links.source, n.links.target, strict=True)}
             for n in nets]
    assert pairs[0] == pairs[1] == pairs[2]
    assert {"HS", "BR", "WD"} <= set(nets[2].ids)


def _files(shared_data):
    return sorted(p for sub in ("networks", "interdiction")
                  for p in (shared_data / sub).rglob("*") if p.is_file()
                  and p.name != "SOURCE.md")


def test_every_shared_file_loads(shared_data):
    files = _files(shared_data)
    assert len(files) == 43
    for f in files:
        net = fentanet.read(f)
        assert net.n_actors > 0 and net.n_links > 0, f


def test_formats_detected(shared_data):
    got = {f.name: detect_format(f) for f in _files(shared_data)}
    assert got["morselli_caviar.csv"] == "matrix"
    assert got["phase7.csv"] == "matrix"
    assert got["figure_8.txt"] == "matrix"
    assert got["figure_8.sif"] == "sif"
    assert got["figure_8.dot"] == "dot"
    assert got["Montagna_meetings_edgelist.csv"] == "edgelist"
    assert got["Network8.csv"] == "interdiction"
    assert got["Net1.csv"] == "interdiction"


HT_ARCS = {1: 101, 2: 74, 3: 64, 4: 86, 5: 79, 6: 83, 7: 70, 8: 64, 9: 56, 10: 73}


@pytest.mark.parametrize("k", sorted(HT_ARCS))
def test_interdiction_ht(shared_data, k):
    path = shared_data / "interdiction" / "ht" / f"Network{k}.csv"
    net = fentanet.read(path)
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    assert net.n_links == HT_ARCS[k] == len(lines) - 1
    sink = int(net.meta["sink"])
    assert net.meta["source"] == "0"
    # SOURCE.md: 26-41 nodes, counted without the source and the sink; 56-101 arcs
    assert 26 <= net.n_actors - 2 <= 41
    assert 56 <= net.n_links <= 101
    assert sorted(int(i) for i in net.ids) == list(range(sink + 1))
    assert set(net.links["kind"]) == {"flow"}
    assert {"capacity", "cost", "special", "trafficker", "bottom", "victim"} <= \
        set(net.links.columns)
    roles = dict(zip(net.actors["id"], net.actors["role"], strict=True))
    assert roles["0"] == "source" and roles[str(sink)] == "sink"
    first = [float(x) for x in lines[1].split(",") if x.strip()]
    row = net.links.iloc[0]
    assert [int(row.source), int(row.target), row.capacity, row.cost] == first[:4]


@pytest.mark.parametrize("k", range(1, 11))
def test_interdiction_layered_drops_the_return_arc(shared_data, k):
    path = shared_data / "interdiction" / "layered_type1" / f"Net{k}.csv"
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    net = fentanet.read(path)
    assert net.meta["variant"] == "layered"
    assert net.n_links == len(lines) - 2  # no header, no sink -> source arc
    back = (net.links.source == net.meta["sink"]) & (net.links.target == "0")
    assert not back.any()
    kept = fentanet.read(path, keep_return_arc=True)
    assert kept.n_links == len(lines) - 1
    assert sorted(int(i) for i in net.ids) == list(range(22))


def test_named_datasets_list(shared_data):
    for name in datasets.DATASETS:
        assert datasets.load(name).n_actors > 0
