"""A comparison's variant may change interventions and model parameters, never the world,
horizon, step or seed it runs in (audit s11/audit-sim finding 1): ``{"years": 1.0}`` as a
variant reported 181 deaths averted and a 50.8% supply reduction against a baseline of 2
years, with nothing done. Sweeps still vary these fields, for baseline and variants alike."""

from __future__ import annotations

import pytest

import fentanet
from fentanet.ensemble import Variant, check_inputs
from fentanet.errors import InputError
from fentanet.simulate.scenario import WORLD_FIELDS

NALOXONE = [{"kind": "naloxone", "intensity": 0.5}]

WORLD = [({"seed": 5}, "seed"), ({"years": 1.0}, "years"), ({"dt": "month"}, "dt"),
         ({"warmup_years": 0.0}, "warmup_years"), ({"start_year": 2020}, "start_year"),
         ({"network.seed": 8}, "network.seed"),
         ({"network.generate.actors": 400}, "network.generate.actors"),
         ({"network": {"generate": {"actors": 300}}}, "network"),
         ({"params.market.elasticity": 0.6, "years": 1.0}, "years")]


def _why(field: str) -> str:
    return (f"field 'variants': variant 'v' sets {field}, .*: a variant may change only "
            "interventions and model parameters, since a comparison needs the same world, "
            r"horizon, step and seed as its baseline \(common random numbers\); set "
            f"{field} for every run instead$")


def test_the_fields_a_variant_may_not_set_are_listed_in_one_place():
    assert set(WORLD_FIELDS) == {"seed", "years", "dt", "warmup_years", "start_year",
                                 "network"}


@pytest.mark.parametrize(("overrides", "field"), WORLD)
def test_compare_refuses_a_variant_that_sets_the_world(overrides, field):
    with pytest.raises(InputError, match=_why(field)) as exc:
        fentanet.compare("toy", {"ok": NALOXONE, "v": overrides}, years=0.1)
    assert exc.value.field == "variants"


@pytest.mark.parametrize(("overrides", "field"), WORLD)
def test_ensemble_refuses_a_variant_that_sets_the_world(tmp_path, overrides, field):
    store = tmp_path / "s"
    for variants in ({"v": overrides}, [Variant("v", (), overrides)]):
        with pytest.raises(InputError, match=_why(field)):
            fentanet.ensemble("toy", runs=2, variants=variants, scheduler="serial",
                              store=store, progress=False)
        with pytest.raises(InputError, match=_why(field)):  # the web app's check
            check_inputs("toy", variants=variants, overrides={"years": 0.1})
    assert not store.exists()  # refused before any run


def test_a_variant_of_model_parameters_or_retargeting_still_compares():
    # the toy's elasticity is 0.5 and it has no operation to retarget: both variants are
    # the baseline itself, run on the same seed, so nothing is averted, exactly
    cmp = fentanet.compare("toy", {"same": {"params.market.elasticity": 0.5},
                                   "retarget": {"retarget_every": 0.5},
                                   "closed": {"params.adaptation.entry": False}}, years=0.1)
    t = cmp.table
    assert t.loc["same", "deaths_averted"] == 0.0 and t.loc["same", "supply_reduction"] == 0.0
    assert t.loc["retarget", "deaths_averted"] == 0.0
    assert cmp.results["closed"].scenario.params.adaptation.entry is False
    assert {r.scenario.years for r in cmp.results.values()} == {0.1}


def test_a_sweep_still_varies_the_horizon_and_the_network_for_every_variant(tmp_path):
    ens = fentanet.ensemble("toy", runs=1, variants={"naloxone": NALOXONE},
                            sweep={"years": [0.05, 0.1],
                                   "network.generate.actors": [300, 320]},
                            scheduler="serial", store=tmp_path / "s", progress=False)
    s = ens.summary()
    assert len(s) == 8 and not len(ens.failed)
    # round(0.05 * 52) = 3 steps, round(0.1 * 52) = 5, for the baseline and the variant
    # alike, on each network
    assert sorted(zip(s["steps"], s["variant"], s["network.generate.actors"],
                      strict=True)) == [(n, v, a) for n in (3.0, 5.0)
                                        for v in ("baseline", "naloxone") for a in (300, 320)]
    assert set(ens.compare()["variant"]) == {"naloxone"}
