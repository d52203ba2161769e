"""The vectorised paths of Network construction: kind normalisation on distinct values,
Arrow id lookup, and flow-chain checks on integer codes (each against a plain answer)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fentanet import InputError, Network


def test_kinds_normalised_per_distinct_value():
    links = pd.DataFrame({"source": ["a", "b", "c", "d"], "target": ["b", "c", "d", "a"],
                          "kind": ["TIE", " tie ", None, ""]})
    net = Network(links=links)
    assert net.links["kind"].tolist() == ["tie"] * 4


def test_unknown_kind_reports_its_first_row():
    links = pd.DataFrame({"source": list("abcde"), "target": list("bcdea"),
                          "kind": ["tie", "wizard", "tie", "wizard", "ghost"]})
    with pytest.raises(InputError, match=r"links row 2: unknown kind 'wizard'"):
        Network(links=links)


def test_flow_chain_error_names_the_first_offending_link():
    actors = pd.DataFrame({"id": ["s", "l", "m1", "m2"],
                           "kind": ["supplier", "lab", "market", "market"]})
    links = pd.DataFrame({"source": ["s", "m2", "m1"], "target": ["l", "l", "l"],
                          "kind": ["supplies", "supplies", "supplies"]})
    with pytest.raises(InputError, match=r"links row 2: a 'supplies' link cannot join a "
                                         r"market to a lab \('m2' -> 'l'\)"):
        Network(actors, links)


@pytest.mark.parametrize("dtype", [object, "str"])
def test_lookup_matches_a_python_dict(dtype):
    rng = np.random.default_rng(5)
    ids = np.array([f"n{i}" for i in rng.permutation(500)], dtype=object)
    src = rng.integers(0, 500, 2000)
    dst = rng.integers(0, 500, 2000)
    links = pd.DataFrame({"source": pd.Series(ids[src], dtype=dtype),
                          "target": pd.Series(ids[dst], dtype=dtype)})
    net = Network(pd.DataFrame({"id": pd.Series(ids, dtype=dtype)}), links)
    where = {v: i for i, v in enumerate(ids)}
    assert net.source_index.tolist() == [where[v] for v in ids[src]]
    assert net.target_index.tolist() == [where[v] for v in ids[dst]]
    assert net.source_index.dtype == np.int32


def test_numeric_ids_are_looked_up_as_text():
    actors = pd.DataFrame({"id": [10, 20, 30]})
    links = pd.DataFrame({"source": [30, 10], "target": [20.0, 30.0]})
    net = Network(actors, links)
    assert net.source_index.tolist() == [2, 0]
    assert net.target_index.tolist() == [1, 2]
