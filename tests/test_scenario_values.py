"""Scenario values a user writes by hand: per-kind and per-mode mappings, non-finite numbers
and population parameters are checked when the scenario is read, not in the middle of a run."""

from __future__ import annotations

import math

import pytest

from fentanet.errors import InputError
from fentanet.scenarios import load
from fentanet.simulate.params import EnforcementParams, MarketParams, MoneyParams, RouteParams
from fentanet.simulate.scenario import DT_NAMES, from_dict

NET = {"generate": {"actors": 300}}


@pytest.mark.parametrize("field, given, default", [
    ("params.enforcement.detection_rate", {"dealer": 0.3},
     EnforcementParams().detection_rate),
    ("params.routes.inspection", {"air": 0.5}, RouteParams().inspection),
    ("params.routes.shipment_kg", {"sea": 100.0}, RouteParams().shipment_kg),
    ("params.market.wholesale_share", {"dealer": 0.4}, MarketParams().wholesale_share),
    ("params.money.upkeep_usd_per_year", {"lab": 1.0}, MoneyParams().upkeep_usd_per_year),
])
def test_a_partial_mapping_changes_only_the_keys_it_names(field, given, default):
    # a mapping written in a scenario file changes the keys it gives, as the dotted path
    # params.x.y.key does; the other keys keep their defaults (they used to become 0, or
    # the run failed with a KeyError)
    group, name = field.split(".")[1:]
    by_mapping = from_dict({"network": NET, "params": {group: {name: given}}})
    by_path = load("toy").override({f"{field}.{k}": v for k, v in given.items()})
    got = getattr(getattr(by_mapping.params, group), name)
    assert got == {**default, **given}
    assert getattr(getattr(by_path.params, group), name) == got
    assert load("toy").override({field: given}).params == by_path.params


@pytest.mark.parametrize("field, value, message", [
    ("enforcement.detection_rate", {"dealr": 0.1}, "dealer"),        # allowed kinds listed
    ("enforcement.detection_rate", {"dealer": -0.1}, ">= 0"),
    ("routes.inspection", {"rail": 0.1}, "postal"),                  # allowed modes listed
    ("routes.inspection", {"land": -1.0}, ">= 0"),
    ("routes.shipment_kg", {"land": 0.0}, "> 0"),
    ("market.wholesale_share", {"dealer": 1.5}, "<= 1"),
    ("money.upkeep_usd_per_year", {"lab": -5.0}, ">= 0"),
    ("money.upkeep_usd_per_year", {"wizard": 5.0}, "trafficker"),
])
def test_mapping_keys_and_values_are_checked(field, value, message):
    group, name = field.split(".")
    with pytest.raises(InputError, match=message) as exc:
        from_dict({"network": NET, "params": {group: {name: value}}}, file="s.yaml")
    assert f"params.{field}" in str(exc.value) and "s.yaml" in str(exc.value)
    key = next(iter(value))
    assert repr(key) in str(exc.value)


@pytest.mark.parametrize("data, where", [
    ({"interventions": [{"kind": "lab_raids", "intensity": math.inf}]},
     "interventions.0.intensity"),
    ({"interventions": [{"kind": "naloxone", "start": math.inf, "intensity": 0.5}]},
     "interventions.0.start"),
    ({"interventions": [{"kind": "lab_raids", "cost_per_unit": math.inf}]},
     "interventions.0.cost_per_unit"),
    ({"params": {"market": {"elasticity": math.inf}}}, "params.market.elasticity"),
    ({"params": {"routes": {"inspection": {"air": math.inf}}}}, "params.routes.inspection"),
    ({"params": {"enforcement": {"detection_rate": {"lab": math.nan}}}},
     "params.enforcement.detection_rate"),
    ({"retarget_every": math.inf}, "retarget_every"),
])
def test_numbers_must_be_finite(data, where):
    # an infinite intensity ran and reported an infinite cost
    with pytest.raises(InputError, match="finite") as exc:
        from_dict({"network": NET, **data})
    assert f"field '{where}" in str(exc.value)


def test_population_parameters_are_checked_when_the_scenario_is_read(tmp_path):
    path = tmp_path / "pop.yaml"
    path.write_text("network: {generate: {actors: 300}}\n"
                    "params: {population: {overdose_rat: 0.1}}\n", encoding="utf-8")
    with pytest.raises(InputError, match="overdose_rat") as exc:
        load(str(path))
    assert str(path) in str(exc.value) and "params.population" in str(exc.value)
    assert "overdose_rate" in str(exc.value)  # the allowed names
    with pytest.raises(InputError, match=">= 0"):
        from_dict({"network": NET, "params": {"population": {"overdose_rate": -1}}})
    ok = from_dict({"network": NET, "params": {"population": {"overdose_rate": 0.3}}})
    assert ok.params.population == {"overdose_rate": 0.3}


@pytest.mark.parametrize("years, dt", [(0.001, "week"), (0.5, 1.0), (0.1, "quarter")])
def test_a_horizon_shorter_than_half_a_step_is_refused(years, dt):
    # it ran one whole step (a year for years 0.5 with yearly steps)
    with pytest.raises(InputError, match="one step") as exc:
        from_dict({"network": NET, "years": years, "dt": dt}, file="s.yaml")
    assert f"years ({years})" in str(exc.value) and "s.yaml" in str(exc.value)
    assert from_dict({"network": NET, "years": 0.75, "dt": 1.0}).steps == 1


def test_a_key_given_twice_in_a_scenario_file_is_refused(tmp_path):
    # YAML keeps the last of two equal keys: the first 'params' section was dropped silently
    path = tmp_path / "twice.yaml"
    path.write_text("network: {generate: {actors: 300}}\n"
                    "params:\n  market: {elasticity: 0.7}\n"
                    "years: 1\n"
                    "params:\n  enforcement: {jail_years: 0.5}\n", encoding="utf-8")
    with pytest.raises(InputError, match="'params' is given twice") as exc:
        load(str(path))
    assert exc.value.file == str(path) and exc.value.line == 5
    path.write_text("network: {generate: {actors: 300}}\n"
                    "interventions:\n- {kind: naloxone, intensity: 0.2, intensity: 0.5}\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="'intensity' is given twice") as exc:
        load(str(path))
    assert exc.value.line == 3
    path.write_text("network: {generate: {actors: 300}}\nparams: {market: {elasticity: 0.7}}\n"
                    "years: 1\n", encoding="utf-8")
    assert load(str(path)).params.market.elasticity == 0.7


def test_market_bounds_and_potency_points_are_checked():
    # price_min above price_max ran with the index pinned to a bound; a negative potency
    # failed inside the run as 'inputs.potency'
    with pytest.raises(InputError, match="price_min") as exc:
        from_dict({"network": NET, "params": {"market": {"price_min": 5, "price_max": 2}}})
    assert "params.market" in str(exc.value)
    with pytest.raises(InputError, match="potency") as exc:
        from_dict({"network": NET, "params": {"market": {"potency_trend": [[0, 1], [2, -1]]}}})
    assert "params.market.potency_trend" in str(exc.value) and "-1" in str(exc.value)
    ok = from_dict({"network": NET, "params": {"market": {"potency_trend": [[2, 1.5], [0, 1]],
                                                           "price_min": 1, "price_max": 1}}})
    assert ok.params.market.potency_trend == [(2, 1.5), (0, 1)]


@pytest.mark.parametrize(("bounds", "field", "expected"), [
    ({"price_min": 2, "price_max": 4}, "price_min", "<= 1"),
    ({"price_min": 2, "price_max": 2}, "price_min", "<= 1"),
    ({"price_min": 1.0001}, "price_min", "<= 1"),
    ({"price_min": 0.2, "price_max": 0.5}, "price_max", ">= 1"),
    ({"price_max": 0.999}, "price_max", ">= 1"),
])
def test_price_bounds_must_hold_the_status_quos_index(bounds, field, expected):
    """The status quo's price index is 1 by construction (docs/model.md 7.5): bounds of
    [2, 4] started the index at 1 and left it below its lower bound 44 steps of 52 (audit
    s11/audit-sim finding 7)."""
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "params": {"market": bounds}})
    assert exc.value.field == f"params.market.{field}"
    assert exc.value.detail.startswith(f"expected a value {expected}: the price index is 1 in "
                                       "the status quo (docs/model.md 7.5), so the bounds must "
                                       "hold 1; got ")


def test_price_bounds_of_one_hold_the_index_at_one():
    import fentanet

    sc = from_dict({"network": {"generate": {"actors": 300}}, "years": 0.25,
                    "params": {"market": {"price_min": 1, "price_max": 1}}})
    r = fentanet.simulate(sc, seed=1, interventions=[{"kind": "lab_raids", "intensity": 5}])
    assert (r.series["price_index"] == 1.0).all()
    for bounds in ({"price_min": 0.5, "price_max": 1}, {"price_min": 1, "price_max": 4}):
        assert from_dict({"network": NET, "params": {"market": bounds}}).params.market \
            .model_dump(include=set(bounds)) == bounds


@pytest.mark.parametrize("data, field, allowed", [
    ({"parms": {}}, "parms", ["params", "interventions", "years"]),
    ({"params": {"market": {"elastic": 1}}}, "params.market.elastic", ["elasticity"]),
    ({"params": {"markets": {}}}, "params.markets", ["market", "enforcement"]),
    ({"interventions": [{"kind": "naloxone", "intensty": 0.5}]}, "interventions.0.intensty",
     ["intensity", "start"]),
    ({"strategies": {"a": [{"kind": "lab_raids", "target": {"rul": "degree"}}]}},
     "strategies.a.0.target.rul", ["rule", "count"]),
    ({"network": {"generate": {"actors": 300}, "sed": 1}}, "network.sed", ["seed", "file"]),
])
def test_an_unknown_field_lists_the_allowed_ones(data, field, allowed):
    # pydantic said only "Extra inputs are not permitted"
    data = {"network": NET, **data}
    with pytest.raises(InputError) as exc:
        from_dict(data, file="s.yaml")
    msg = str(exc.value)
    assert f"field '{field}'" in msg and "unknown field" in msg
    assert all(a in msg for a in allowed) and "base_dir" not in msg


@pytest.mark.parametrize("data, field", [
    ({"interventions": {"kind": "naloxone"}}, "interventions"),
    ({"strategies": {"a": {"kind": "naloxone"}}}, "strategies.a"),
    ({"interventions": [{"kind": "border_security", "modes": "air"}]}, "interventions.0.modes"),
])
def test_a_mapping_or_text_where_a_list_belongs_says_list(data, field):
    # pydantic's word was "tuple", which a scenario file does not have
    with pytest.raises(InputError, match="should be a list") as exc:
        from_dict({"network": NET, **data})
    assert f"field '{field}'" in str(exc.value) and "tuple" not in str(exc.value)


def test_a_check_across_fields_does_not_repeat_the_whole_scenario():
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "years": 0.5, "dt": 1.0}, file="s.yaml")
    msg = str(exc.value)
    assert msg.startswith("s.yaml: years (0.5)") and "got {" not in msg
    assert "Value error" not in msg
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "interventions": [{"kind": "naloxone", "intensity": 2}]})
    assert str(exc.value).startswith("field 'interventions.0': intensity of naloxone is a "
                                     "coverage in [0, 1], got 2")


def test_modes_belong_to_screening_only():
    # modes on another intervention were accepted and ignored
    with pytest.raises(InputError, match="border_security, postal_screening") as exc:
        from_dict({"network": NET, "interventions": [{"kind": "lab_raids", "modes": ["air"]}]})
    assert "interventions.0" in str(exc.value)
    ok = from_dict({"network": NET, "interventions": [
        {"kind": "border_security", "modes": ["air"]},
        {"kind": "postal_screening", "modes": ["postal"]}]})
    assert [iv.screened_modes for iv in ok.interventions] == [("air",), ("postal",)]


@pytest.mark.parametrize("data, where", [
    ({"years": True}, "years"),
    ({"dt": False}, "dt"),
    ({"warmup_years": True}, "warmup_years"),
    ({"seed": True}, "seed"),
    ({"interventions": [{"kind": "naloxone", "intensity": True}]}, "interventions.0.intensity"),
    ({"interventions": [{"kind": "naloxone", "start": True}]}, "interventions.0.start"),
    ({"interventions": [{"kind": "naloxone", "end": True}]}, "interventions.0.end"),
    ({"interventions": [{"kind": "lab_raids", "target": {"count": True}}]},
     "interventions.0.target.count"),
    ({"params": {"market": {"elasticity": False}}}, "params.market.elasticity"),
    ({"params": {"costs": {"usd_per_unit": {"naloxone": True}}}}, "params.costs.usd_per_unit"),
])
def test_true_or_false_is_not_a_number(data, where):
    # pydantic's lax mode read `years: true` as one year, and ran it
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, **data}, file="s.yaml")
    assert str(exc.value).startswith(f"s.yaml: field '{where}': Input should be a valid "
                                     "number, not true or false; got ")


def test_true_or_false_still_sets_a_yes_or_no_field(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("network: {generate: {actors: 300}}\nyears: true\n", encoding="utf-8")
    with pytest.raises(InputError, match="'years': Input should be a valid number, not true"):
        load(str(path))
    s = from_dict({"network": NET, "interventions": [
        {"kind": "lab_raids", "once": True, "target": {"count": 2}}]})
    assert s.interventions[0].once is True
    assert from_dict({"network": NET, "years": 1, "dt": "week"}).years == 1


def test_every_problem_is_said_a_misspelt_field_first(tmp_path, capsys):
    """'netwrk' for 'network' said only "field 'network': Field required (and 1 more
    problem(s))": the misspelt key, the user's actual slip, was never named."""
    from fentanet.cli import main
    from fentanet.simulate.scenario import read

    fields = ("name, description, seed, years, dt, start_year, warmup_years, "
              "retarget_every, network, params, interventions, strategies")
    path = tmp_path / "typo_network.yaml"
    path.write_text("name: t\nyears: 1\nnetwrk: {generate: {actors: 300}}\n")
    want = (f"{path}: field 'netwrk': unknown field 'netwrk' (did you mean 'network'?); "
            f"expected one of: {fields}; and field 'network': required, and not given")
    with pytest.raises(InputError) as exc:
        read(path)
    assert str(exc.value) == want and exc.value.file == str(path)
    assert main(["simulate", str(path), "--store", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err == f"error: {want}\n"
    assert not (tmp_path / "s").exists()
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "params": {"market": {"price_min": 3, "pricemax": 5}}},
                  file="p.yaml")
    msg = str(exc.value)
    assert msg.startswith("p.yaml: field 'params.market.pricemax': unknown field 'pricemax' "
                          "(did you mean 'price_max'?); expected one of: elasticity, ")
    assert msg.endswith("; and field 'params.market.price_min': expected a value <= 1: the "
                        "price index is 1 in the status quo (docs/model.md 7.5), so the "
                        "bounds must hold 1; got 3")
    with pytest.raises(InputError) as exc:  # no near name: the list alone
        from_dict({"network": NET, "zzz": 1})
    assert str(exc.value) == f"field 'zzz': unknown field 'zzz'; expected one of: {fields}"


@pytest.mark.parametrize("data, field, expected", [
    ({"network": "toy.csv"}, "network",
     "expected a mapping of fields (generate, file, format, seed); got 'toy.csv'"),
    ({"params": 3}, "params",
     "expected a mapping of fields (supply, routes, market, money, enforcement, adaptation, "
     "public_health, costs, population); got 3"),
    ({"interventions": [3]}, "interventions.0",
     "expected a mapping of fields (kind, start, end, intensity, cost_per_unit, target, once, "
     "modes); got 3"),
    ({"interventions": [{"kind": "lab_raids", "target": "degree"}]}, "interventions.0.target",
     "expected a mapping of fields (rule, count, view, sample); got 'degree'"),
    ({"strategies": ["a", "b"]}, "strategies",
     "expected a mapping of strategy names to lists of interventions; got ['a', 'b']"),
    ({"params": {"routes": {"inspection": 0.1}}}, "params.routes.inspection",
     "expected a mapping; got 0.1"),
])
def test_a_value_where_a_mapping_belongs_names_its_fields(data, field, expected):
    # pydantic said "Input should be a valid dictionary or instance of NetworkSpec": a class
    # name the user never wrote, no field it takes, and not what was given
    data = {"network": NET, **data}
    with pytest.raises(InputError) as exc:
        from_dict(data, file="s.yaml")
    assert str(exc.value) == f"s.yaml: field '{field}': {expected}"


@pytest.mark.parametrize("name, expected", [
    ("baseline", "strategy 'baseline': the name of the scenario as it is, with which every "
                 "strategy is compared; give the strategy another name"),
    ("", "strategy '': a strategy needs a name"),
    ("  ", "strategy '  ': a strategy needs a name"),
])
def test_a_strategy_needs_a_name_other_than_baseline(name, expected):
    # a strategy named 'baseline' was read, then every comparison of the scenario failed
    # ("variant names must differ ... from 'baseline'", field 'variant'); an empty name
    # ran under a blank label
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "strategies": {name: [{"kind": "naloxone"}]}},
                  file="s.yaml")
    assert str(exc.value) == f"s.yaml: field 'strategies': {expected}"


def test_a_target_on_a_lever_that_is_no_operation_names_the_operations():
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "interventions": [
            {"kind": "naloxone", "target": {"rule": "degree"}}]})
    assert str(exc.value) == (
        "field 'interventions.0': naloxone is not an operation against actors: no target or "
        "once (they apply to lab_raids, organization_takedown, precursor_controls, "
        "trafficker_enforcement, marketplace_takedown, anti_money_laundering, "
        "anti_corruption, prescriber_oversight)")


def test_view_true_written_in_yaml_is_the_oracle(tmp_path):
    # docs/model.md writes `view: true` for the oracle, and YAML reads true as a boolean:
    # it was refused ("Input should be 'known' or 'true'; got True")
    path = tmp_path / "oracle.yaml"
    path.write_text("network: {generate: {actors: 300}}\ninterventions:\n"
                    "  - {kind: lab_raids, target: {rule: degree, view: true}}\n")
    assert load(str(path)).interventions[0].target.view == "true"
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "interventions": [
            {"kind": "lab_raids", "target": {"view": False}}]}, file="s.yaml")
    assert str(exc.value) == ("s.yaml: field 'interventions.0.target.view': expected known "
                              "(the network the police know) or true (the oracle); got False")


def test_a_network_format_no_reader_has_is_refused_when_the_scenario_is_read():
    # it was said at the run, as field 'format' without the scenario's file
    with pytest.raises(InputError) as exc:
        from_dict({"network": {"file": "x.csv", "format": "xyz"}}, file="s.yaml")
    assert str(exc.value).startswith("s.yaml: field 'network.format': no reader for this "
                                     "format; expected one of: dl, dot, edgelist, ")
    assert str(exc.value).endswith(", sif; got 'xyz'")
    assert from_dict({"network": {"file": "x.csv", "format": "edgelist"}}).network.format \
        == "edgelist"


@pytest.mark.parametrize("generate, field, start", [
    ({"actors": 300, "regions": 500}, "network.generate.regions",
     "500 regions but only 3 markets, 6 routes and 30 traffickers"),
    ({"actors": 300, "counts": {"market": 250}}, "network.generate.mix.dealer",
     "34 dealers for 250 markets; every market needs a dealer"),
])
def test_a_generator_spec_no_network_can_meet_is_refused_with_the_file(generate, field,
                                                                         start):
    # said at the run before, without the scenario's file
    with pytest.raises(InputError) as exc:
        from_dict({"network": {"generate": generate}}, file="s.yaml")
    assert str(exc.value).startswith(f"s.yaml: field '{field}': {start}")


@pytest.mark.parametrize("dt", [1e-4, 1 / 8760, 1 / 367])
def test_a_step_shorter_than_a_day_is_refused(dt):
    # an hour's step made a spin-up of 8,760 steps; at 1e-4 years the supply was half the
    # weekly run's (fuzzing, session 21)
    with pytest.raises(InputError, match="shorter than a day") as exc:
        from_dict({"network": NET, "dt": dt}, file="s.yaml")
    assert exc.value.field == "dt" and "s.yaml" in str(exc.value)
    for day in ("day", 1 / 366, 1 / 365.25, 1 / 365):
        assert from_dict({"network": NET, "years": 0.1, "dt": day}).dt == pytest.approx(
            DT_NAMES.get(day, day) if isinstance(day, str) else day)
