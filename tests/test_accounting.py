"""The series count what happened: every arrest in exactly one arrest column, the price
index is what buyers paid, and a network whose markets half have a demand is refused."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd

import fentanet
from fentanet.simulate.params import INTERVENTION_KINDS, KINDS_ENFORCED
from fentanet.simulate.run import build_network, prepare
from fentanet.simulate.state import KIND

enforcement = importlib.import_module("fentanet.simulate.phases.enforcement")


def _toy_network() -> fentanet.Network:
    return build_network(prepare("toy"))


def _with_untyped_members(net: fentanet.Network) -> fentanet.Network:
    """The toy network plus two untyped members (kind ``actor``), one in each of two
    organizations, tied to the first one's leader."""
    a, links = net.actors, net.links
    orgs = a.loc[a["kind"] == "organization", "id"].tolist()
    leader = a.loc[(a["organization"] == orgs[0]) & (a["role"] == "leader"), "id"].iloc[0]
    people = pd.DataFrame({"id": ["person-1", "person-2"], "kind": ["actor", "actor"],
                           "uid": [10**6, 10**6 + 1], "organization": orgs[:2]})
    ties = pd.DataFrame({"source": ["person-1", "person-2", "person-1"],
                         "target": [orgs[0], orgs[1], leader],
                         "kind": ["member_of", "member_of", "tie"]})
    return fentanet.Network(pd.concat([a, people], ignore_index=True),
                            pd.concat([links, ties], ignore_index=True), directed=True)


def test_every_arrest_is_in_exactly_one_arrest_column(monkeypatch):
    # a one-time takedown of every organization arrests its untyped members too; they were
    # in no arrest column (and not in `arrests`), whose columns were the enforced kinds only
    removed: list[np.ndarray] = []
    remove = enforcement.remove

    def spy(sim, slots, cause):
        if cause == "arrest":  # the actors this call takes out: alive ones, each once
            slots = np.unique(slots)
            removed.append(sim.s.actors.kind[slots[sim.s.actors.alive[slots]]].copy())
        return remove(sim, slots, cause)

    monkeypatch.setattr(enforcement, "remove", spy)
    every = [{"kind": k, "start": 0.1, "intensity": 1.0} for k in INTERVENTION_KINDS]
    every.append({"kind": "organization_takedown", "start": 0.2, "intensity": 1.0,
                  "once": True, "target": {"rule": "degree", "count": 10}})
    s = fentanet.simulate("toy", seed=4, years=0.5, interventions=every,
                          network=_with_untyped_members(_toy_network())).series
    kinds = np.concatenate(removed)
    columns = [c for c in s.columns if c.startswith("arrests_")]
    assert columns == [*(f"arrests_{k}" for k in KINDS_ENFORCED), "arrests_other"]
    assert s[columns].to_numpy().sum() == kinds.size == s["arrests"].sum()
    assert (s[columns].sum(axis=1) == s["arrests"]).all()
    for k in KINDS_ENFORCED:
        assert s[f"arrests_{k}"].sum() == (kinds == KIND[k]).sum(), k
    assert s["arrests_other"].sum() == (kinds == KIND["actor"]).sum() == 2
