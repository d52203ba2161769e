"""Scenario files: validation with clear errors, built-ins, digest, overrides."""

from __future__ import annotations

import pickle

import pytest

import fentanet
from fentanet.errors import InputError
from fentanet.scenarios import load, names
from fentanet.simulate.params import INTERVENTION_KINDS, parameter_table
from fentanet.simulate.scenario import Intervention, from_dict


def test_builtins_are_listed_and_load():
    assert {"toy", "us-baseline"} <= set(names())
    toy = load("toy")
    assert toy.name == "toy" and toy.dt == pytest.approx(1 / 52) and toy.steps == 104
    us = load("us-baseline")
    assert us.network.generate["actors"] == 100_000 and us.start_year == 2023


def test_digest_is_stable_and_sensitive_to_content():
    a, b = load("toy"), load("toy")
    assert a.digest() == b.digest() and len(a.digest()) == 64
    c = a.override({"params.market.elasticity": 0.7})
    assert c.params.market.elasticity == 0.7 and c.digest() != a.digest()
    assert a.override({"params.market.elasticity": 0.5}).digest() == a.digest()


def test_override_errors_name_the_field():
    toy = load("toy")
    with pytest.raises(InputError, match=r"params\.market\.elastic") as exc:
        toy.override({"params.market.elastic": 1})
    assert "elasticity" in str(exc.value)  # the allowed names are listed
    with pytest.raises(InputError, match="greater than 0"):
        toy.override({"params.market.elasticity": -1})
    # dict-typed parameters accept their keys
    assert toy.override({"params.population.overdose_rate": 0.3}).params.population == {
        "overdose_rate": 0.3}


def test_generator_spec_is_checked_with_the_scenario():
    """The spec under network.generate (an optional mapping) takes the generator's fields,
    from a file or an override, and a field it does not take is refused with the scenario,
    named inside the spec, not when the network is built."""
    toy = load("toy")
    assert toy.override({"network.generate.population": 6000}).network.generate[
        "population"] == 6000
    with pytest.raises(InputError) as exc:
        toy.override({"network.generate.populace": 6000})
    assert exc.value.field == "network.generate.populace"
    assert "expected one of: actors, mix" in exc.value.detail
    with pytest.raises(InputError) as exc:
        from_dict({"network": {"generate": {"actors": 5}}}, file="s.yaml")
    assert exc.value.field == "network.generate.actors"
    assert "greater than or equal to 20" in exc.value.detail and exc.value.file == "s.yaml"


def test_invalid_intervention_kind_lists_allowed_values():
    with pytest.raises(InputError) as exc:
        from_dict({"network": {"generate": {"actors": 50}},
                   "interventions": [{"kind": "lab_raid"}]})
    msg = str(exc.value)
    assert "interventions.0.kind" in msg and "'lab_raids'" in msg and "'naloxone'" in msg


@pytest.mark.parametrize("bad, where", [
    ({"kind": "naloxone", "intensity": 1.5}, "coverage"),
    ({"kind": "lab_raids", "start": 2, "end": 1}, "before start"),
    ({"kind": "naloxone", "target": {"rule": "random"}}, "not an operation"),
    ({"kind": "lab_raids", "once": True}, "needs a target"),
    ({"kind": "lab_raids", "target": {"rule": "closest"}}, "target.rule"),
])
def test_intervention_rules(bad, where):
    with pytest.raises(InputError, match=where):
        from_dict({"network": {"generate": {"actors": 50}}, "interventions": [bad]})


def test_yaml_errors_name_file_and_line(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("name: x\nnetwork: {generate: {actors: 50}\nyears: [\n")
    with pytest.raises(InputError) as exc:
        fentanet.scenarios.load(p)
    assert str(p) in str(exc.value) and exc.value.line is not None
    p.write_text("name: x\nnetwork: {generate: {actors: 50}}\ndt: fortnight\n")
    with pytest.raises(InputError, match=r"dt.*week"):
        fentanet.scenarios.load(p)
    with pytest.raises(InputError, match="neither a built-in"):
        fentanet.scenarios.load("no-such-scenario")


def test_network_spec_needs_exactly_one_source():
    with pytest.raises(InputError, match="exactly one"):
        from_dict({"network": {}})


def test_scenario_pickles():
    toy = load("toy")
    again = pickle.loads(pickle.dumps(toy))
    assert again == toy and again.digest() == toy.digest()


def test_every_intervention_of_the_design_table_exists():
    assert len(INTERVENTION_KINDS) == 16
    for kind in INTERVENTION_KINDS:
        iv = Intervention(kind=kind)
        assert iv.unit_cost() == INTERVENTION_KINDS[kind]["cost"] > 0


def test_every_parameter_has_a_source():
    table = parameter_table()
    assert len(table) >= 55
    assert table["source"].str.len().gt(0).all()
    assert table["parameter"].is_unique


def test_model_doc_lists_every_parameter():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text()
    for name in parameter_table()["parameter"]:
        assert f"`{name}`" in doc, name


def test_model_doc_parameter_table_is_the_codes():
    """docs/model.md section 8's table is parameter_markdown() as it stands, and its count
    is the code's: the table was kept by hand and had drifted (a citation of DESIGN.md, a
    source cut short, 73 parameters where the code has 74). Engine: 78 parameters, 14
    sourced; population: 30, 5 sourced; in all 108, 19 sourced, 89 assumptions."""
    from pathlib import Path

    from fentanet.simulate import population
    from fentanet.simulate.params import parameter_markdown

    doc = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text()
    section = doc[doc.index("## 8. Parameters"):doc.index("## 9.")]
    assert parameter_markdown() in section
    engine = parameter_table()
    n, sourced = len(engine), int((engine["source"] != "assumption").sum())
    people = population.parameter_table()
    n_p = len(people)
    sourced_p = n_p - int(people["source"].str.startswith("assumption").sum())
    assert (n, sourced, n_p, sourced_p) == (78, 14, 30, 5)
    words = " ".join(section.split())
    assert (f"Engine: {n} parameters, {sourced} with a published source, {n - sourced} "
            "assumptions.") in words
    assert (f"Population model: {n_p} parameters, {sourced_p} with a published source, "
            f"{n_p - sourced_p} marked") in words
    assert (f"In all, {n + n_p} parameters: {sourced + sourced_p} sourced, "
            f"{n - sourced + n_p - sourced_p} assumptions.") in words


def test_model_doc_lists_every_scenario_field_with_its_default():
    """docs/model.md section 8 has the table of a scenario file's fields, generated from the
    models: their defaults (a target's count 10, sample 256; an intervention's intensity 1)
    were written nowhere but the code."""
    from pathlib import Path

    from fentanet.simulate.scenario import field_markdown

    doc = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text()
    section = doc[doc.index("## 8. Parameters"):doc.index("## 9.")]
    table = field_markdown()
    assert table in section
    for row in ("| `years` | 5 | a number > 0, <= 200 |", "| `dt` | week (1/52) |",
                "| `interventions[i].intensity` | 1 | a number >= 0 |",
                "| `interventions[i].target.count` | 10 | a whole number >= 1 |",
                "| `interventions[i].target.sample` | 256 | a whole number >= 1 |",
                "| `network` | required | a mapping |",
                "| `interventions[i].modes` | not given | a list of land, air, sea, postal, "
                "online |"):
        assert row in table, row
    assert table.count("\n") == 2 + 12 + 4 + 8 + 4 - 1


def test_integer_fields_are_known_by_path():
    """Fields that take whole numbers only (drawn as such by ``ensemble(uncertain=)``): in
    the scenario, its parameters and its generator spec (an open mapping in the scenario)."""
    sc = load("toy")
    for path in ("network.generate.actors", "network.generate.regions",
                 "network.generate.counts.lab", "start_year", "network.seed",
                 "params.adaptation.closure_ties"):
        assert sc.integer_field(path), path
    for path in ("years", "dt", "network.generate.capacity_slack", "network.generate.mix.lab",
                 "params.market.elasticity", "params.nothing", "network.generate.nothing"):
        assert not sc.integer_field(path), path


def test_intervention_costs_come_from_the_scenario():
    """Without its own cost_per_unit an intervention costs the scenario's usd_per_unit of
    its kind times the scale; a mapping changes only the kinds it names; its own cost is
    used as given. The toy scales the national defaults to its 4,500 people."""
    from fentanet.simulate.params import CostParams

    assert load("us-baseline").params.costs == CostParams()
    toy = load("toy")
    assert toy.params.costs.scale == 0.00145
    assert Intervention(kind="naloxone").unit_cost(toy.params.costs) == pytest.approx(
        5e7 * 0.00145)
    sc = toy.override({"params.costs.usd_per_unit": {"naloxone": 2e6}, "params.costs.scale": 2})
    costs = sc.params.costs
    assert Intervention(kind="naloxone").unit_cost(costs) == 4e6
    assert Intervention(kind="lab_raids").unit_cost(costs) == 2 * 2e7
    assert Intervention(kind="naloxone", cost_per_unit=7.0).unit_cost(costs) == 7.0
    r = fentanet.simulate(sc, seed=1, years=0.5, interventions=[
        {"kind": "naloxone", "intensity": 0.5}])
    assert r.summary["intervention_cost_usd_total"] == pytest.approx(4e6 * 0.5 * 26 / 52)
    for bad, words in (({"params.costs.usd_per_unit": {"raids": 1.0}},
                        ["costs.usd_per_unit", "unknown intervention 'raids'", "lab_raids"]),
                       ({"params.costs.usd_per_unit": {"naloxone": -1.0}},
                        ["costs.usd_per_unit", "expected a value >= 0"]),
                       ({"params.costs.scale": 0}, ["costs.scale", "greater than 0"])):
        with pytest.raises(InputError) as err:
            toy.override(bad)
        assert all(w in str(err.value) for w in words), str(err.value)
