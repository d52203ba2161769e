"""The simulation's command line beyond ensembles: ad-hoc variants, scenarios, scenario show."""

from __future__ import annotations

import json

import pytest

from fentanet.cli import main
from fentanet.cli.simulate import parse_variant
from fentanet.errors import InputError


def test_scenarios_lists_the_builtins(capsys):
    assert main(["scenarios", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} >= {"toy", "us-baseline"}


def test_scenario_show_prints_every_parameter(capsys):
    assert main(["scenario", "show", "toy"]) == 0
    out = capsys.readouterr().out
    assert "name: toy" in out and "elasticity: 0.5" in out and "displacement: true" in out


def test_scenario_show_says_what_the_scenario_sets_and_where_the_sources_are(capsys, tmp_path):
    """The sources of us-baseline's values were in its file's comments and of the defaults in
    the docs, and scenario show, the way the issue gives to look at a scenario, printed
    neither nor said where they were: now its values set, the docs of the defaults' sources
    and the file's opening comments, as YAML comments (the output still reads as the
    scenario)."""
    import yaml

    from fentanet.scenarios import load

    assert main(["scenario", "show", "us-baseline"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1].endswith("scenarios/us-baseline.yaml")
    assert lines[2] == (
        "# sets: seed, years, dt, start_year, warmup_years, retarget_every, "
        "network.generate.actors, network.generate.population, "
        "network.generate.demand_kg_per_year, network.generate.capacity_slack, network.seed, "
        "params.market.potency_trend, params.population.overdose_rate; every other value is "
        "the default")
    assert lines[3].startswith("# sources: of the values it sets, the file's comments "
                               "(below); of every default, with its source or 'assumption': "
                               "docs/model.md section 8")
    assert "# - params.population.overdose_rate 0.2413 and the potency index 0.947: " \
        "calibrated to the" in lines
    again = load(str(_write(tmp_path / "again.yaml", out)))  # the comments read as such
    assert again.params.market == load("us-baseline").params.market and again.name == "us-baseline"
    path = _write(tmp_path / "mine.yaml", "# my region\n\nnetwork: {generate: {actors: 300}}\n"
                  "params: {enforcement: {detection_rate: {dealer: 0.2}}, population: "
                  "{p0: 0.1}}\n# not a heading\n")
    assert main(["scenario", "show", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:3] == [f"# {path}", "# sets: network.generate.actors, "
                          "params.enforcement.detection_rate, params.population.p0; every "
                          "other value is the default"]
    assert lines[4:7] == ["# my region", "#", "name: scenario"]
    assert yaml.safe_load("\n".join(lines))["params"]["population"]["p0"] == 0.1


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_show_fills_in_the_population_model_and_the_generator_spec(capsys):
    # both are kept in the scenario as the overrides it gives; shown, every field is there
    import dataclasses

    from fentanet.network.generator import SupplySpec
    from fentanet.simulate.population import PopulationParams

    assert main(["scenario", "show", "us-baseline", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    pop = data["params"]["population"]
    assert list(pop) == [f.name for f in dataclasses.fields(PopulationParams)]
    assert pop["overdose_rate"] == 0.2413 and pop["p0"] == 0.11  # the scenario's, a default
    spec = data["network"]["generate"]
    assert list(spec) == list(SupplySpec.model_fields)
    assert spec["population"] == 3_100_000 and spec["ties_per_member"] == 3.0
    assert main(["scenario", "show", "toy"]) == 0
    out = capsys.readouterr().out
    assert "    overdose_rate: 0.235\n" in out and "    ties_per_member: 3.0\n" in out


def test_compare_with_an_ad_hoc_variant(tmp_path, capsys):
    code = main(["compare", "toy", "--variant", "nal=naloxone:1", "--years", "0.5",
                 "--scheduler", "serial", "--store", str(tmp_path / "s"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    res = json.loads(out)
    assert res["variants"] == ["baseline", "nal"] and res["finished"] == 2


def test_bad_variants_exit_2_with_a_clear_line(tmp_path, capsys):
    assert main(["compare", "toy", "--variant", "x=lab_raid", "--store",
                 str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "lab_raids" in err


def test_an_empty_variant_name_is_called_empty(tmp_path, capsys):
    """The audit's finding 6: '=naloxone' was told to use a name other than 'baseline'."""
    for text in ("=naloxone", " =naloxone"):
        with pytest.raises(InputError) as exc:
            parse_variant(text, 0.0)
        assert str(exc.value) == (f"field 'variant': '{text}' has an empty name; expected "
                                  f"NAME=intervention,...")
    assert main(["compare", "toy", "--variant", "=naloxone", "--store",
                 str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err == ("error: field 'variant': '=naloxone' has an empty "
                                       "name; expected NAME=intervention,...\n")
    assert not (tmp_path / "s").exists()


def test_parse_variant_fields():
    name, items = parse_variant("hit=lab_raids:2:degree:5,naloxone", 1.0)
    assert name == "hit"
    assert items[0] == {"kind": "lab_raids", "start": 1.0, "intensity": 2.0,
                        "target": {"rule": "degree", "count": 5}}
    assert items[1] == {"kind": "naloxone", "start": 1.0}
    with pytest.raises(InputError, match="intensity of 'lab_raids:high' must be a number"):
        parse_variant("x=lab_raids:high", 0.0)
    with pytest.raises(InputError, match=r"count of .* must be a whole number, got '2\.5'"):
        parse_variant("x=lab_raids:1:degree:2.5", 0.0)
    with pytest.raises(InputError, match="baseline"):
        parse_variant("baseline=naloxone", 0.0)
    # the same intervention twice is a slip (it doubled the effort and the cost); the same
    # kind with other options is two interventions
    with pytest.raises(InputError, match="'naloxone' twice"):
        parse_variant("x=naloxone,,naloxone", 0.0)
    _, items = parse_variant("x=naloxone:0.5,naloxone:0.5@start=2", 1.0)
    assert [iv.get("start") for iv in items] == [1.0, 2.0]


def test_parse_variant_options():
    """`@key=value` options set what an intervention of a scenario file can: start, end, once,
    modes, the targeting rule's view, cost per unit; the scenario checks the values."""
    _, items = parse_variant(
        "mix=border_security:20@modes=air/sea@end=2,lab_raids:1:degree:3@once@view=true"
        "@start=0.5,naloxone@cost_per_unit=1e6", 1.0)
    assert items == [
        {"kind": "border_security", "start": 1.0, "intensity": 20.0, "modes": ["air", "sea"],
         "end": 2.0},
        {"kind": "lab_raids", "start": 0.5, "intensity": 1.0, "once": True,
         "target": {"rule": "degree", "count": 3, "view": "true"}},
        {"kind": "naloxone", "start": 1.0, "cost_per_unit": 1e6}]
    for bad, match in (("x=naloxone@speed=2", "unknown option 'speed'.*expected one of"),
                       ("x=naloxone@end=soon", "end of naloxone must be a number"),
                       ("x=naloxone@once=maybe", "once is true or false"),
                       ("x=naloxone@end", "needs a value"),
                       ("x=lab_raids@view=true", "view applies to a targeting rule")):
        with pytest.raises(InputError, match=match):
            parse_variant(bad, 0.0)


def test_compare_variant_with_modes_and_a_one_time_operation(capsys, tmp_path):
    """Options reach the run: screening on air only is what a scenario file's modes give,
    and a bad mode is refused naming the allowed ones."""
    import pandas as pd

    import fentanet

    out = tmp_path / "o"
    code = main(["compare", "toy", "--variant", "air=border_security:5@modes=air",
                 "--years", "0.3", "--scheduler", "serial", "--store", str(tmp_path / "s"),
                 "--out", str(out), "--json"])
    assert code == 0
    capsys.readouterr()
    want = fentanet.simulate("toy", seed=1, years=0.3, variant="air", interventions=[
        {"kind": "border_security", "intensity": 5.0, "modes": ["air"]}]).summary
    got = pd.read_csv(out / "summary.csv").set_index("variant").loc["air"]
    assert got["seized_air_kg_total"] == pytest.approx(want["seized_air_kg_total"])
    assert got["intervention_cost_usd_total"] == pytest.approx(
        want["intervention_cost_usd_total"])
    code = main(["compare", "toy", "--variant", "bad=border_security:5@modes=rail",
                 "--years", "0.3", "--scheduler", "serial", "--store", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and "rail" in err and "air" in err


def test_set_overrides_the_scenario_for_every_run(tmp_path, capsys):
    """`--set DOTTED.PATH=VALUE` runs the scenario with that field changed: the series is the
    Python run of the overridden scenario, not the scenario's own; bad paths and values are
    one-line errors before any run."""
    import pandas as pd

    import fentanet
    from fentanet.ensemble import load_scenario

    store = str(tmp_path / "s")
    code = main(["simulate", "toy", "--years", "0.5", "--set", "params.market.elasticity=0.9",
                 "--set", "network.generate.population=6000", "--scheduler", "serial",
                 "--store", store, "--out", str(tmp_path / "out"), "--json"])
    err = capsys.readouterr().err
    assert code == 0, err
    got = pd.read_parquet(tmp_path / "out" / "series.parquet")
    sc = load_scenario("toy").override({"params.market.elasticity": 0.9, "years": 0.5,
                                        "network.generate.population": 6000})
    want = fentanet.simulate(sc, seed=sc.seed).series
    cols = ["supply_kg", "price_index", "people_using", "deaths"]
    pd.testing.assert_frame_equal(got[cols].reset_index(drop=True), want[cols],
                                  check_dtype=False)
    plain = fentanet.simulate("toy", seed=sc.seed, years=0.5).series
    assert not plain["people_using"].equals(want["people_using"])
    for bad, says in (("params.market.elastic=0.9", "allowed here: elasticity"),
                      ("params.market.elasticity", "DOTTED.PATH=VALUE"),
                      ("params.market.elasticity=-3", "greater than 0"),
                      ("network.generate.populace=1", "unknown spec field")):
        assert main(["compare", "toy", "--set", bad, "--store", store]) == 2, bad
        err = capsys.readouterr().err
        assert err.startswith("error:") and says in err and "Traceback" not in err, err
    # every problem of a generator spec named as the scenario's field (the later ones were
    # named as the spec's: "and field 'actors'")
    assert main(["compare", "toy", "--set", "network.generate.populace=1", "--set",
                 "network.generate.actors=5", "--store", store]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "field 'network.generate.populace': unknown spec field 'populace'" in err, err
    assert "; and field 'network.generate.actors': Input should be greater than or equal " \
           "to 20, got 5" in err, err


def test_uncertain_parameters_from_the_command_line(tmp_path, capsys):
    """`--uncertain NAME=LOW:HIGH`: each seed runs a drawn value, the same for baseline and
    variant; a stored run is made again value for value from its record; a malformed range
    is a one-line error before any run."""
    from fentanet.ensemble.plan import draw_uncertain
    from fentanet.store import RunStore

    store = str(tmp_path / "s")
    rate = "params.population.overdose_rate"
    code = main(["compare", "toy", "naloxone", "--years", "0.25", "--runs", "2",
                 "--uncertain", f"{rate}=0.15:0.35", "--scheduler", "serial",
                 "--store", store, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    res = json.loads(out)
    assert res["uncertain"] == [rate] and res["finished"] == 4
    runs = RunStore(store).runs(ensemble=res["ensemble"])
    for r in runs.itertuples():
        assert r.params[rate] == draw_uncertain({rate: (0.15, 0.35)}, r.seed)[rate]
        assert r.setup["uncertain"] == {rate: [0.15, 0.35]}
    assert main(["runs", "rerun", runs.run_id.iloc[-1], "--store", store]) == 0
    capsys.readouterr()
    for bad in (f"{rate}=0.35", f"{rate}=0.35:0.15", f"{rate}=a:b"):
        assert main(["compare", "toy", "--uncertain", bad, "--store", store]) == 2, bad
        err = capsys.readouterr().err
        assert err.startswith("error:") and "Traceback" not in err


def test_uncertain_whole_number_fields_draw_whole_numbers(tmp_path, capsys):
    """`--uncertain network.generate.actors=LOW:HIGH` draws a whole number of actors per seed
    (the generator refuses 312.7 actors: before, every run failed and was stored), and each
    run is the scenario with that many actors."""
    import fentanet
    from fentanet.ensemble import load_scenario
    from fentanet.ensemble.plan import draw_uncertain
    from fentanet.store import RunStore

    store = str(tmp_path / "s")
    actors = "network.generate.actors"
    code = main(["simulate", "toy", "--years", "0.1", "--runs", "2", "--uncertain",
                 f"{actors}=250:400", "--scheduler", "serial", "--store", store, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    res = json.loads(out)
    assert res["finished"] == 2 and res["failed"] == []
    st = RunStore(store)
    for r in st.runs(ensemble=res["ensemble"]).itertuples():
        n = draw_uncertain({actors: (250, 400)}, r.seed, whole=[actors])[actors]
        assert r.params[actors] == n and isinstance(n, int) and 250 <= n <= 400
        sc = load_scenario("toy").override({actors: n, "years": 0.1})
        want = fentanet.simulate(sc, seed=r.seed).summary["deaths_total"]
        assert st.summary([r.run_id])["deaths_total"].iloc[0] == want


def test_start_moves_the_scenarios_strategies_too(tmp_path, capsys):
    """`compare toy naloxone --start 0` ran naloxone from its own 0.5 years, silently (the
    same deaths averted and cost as without --start); it now starts at 0, as `--variant
    nal=naloxone:0.5 --start 0` does, which gives the same runs."""
    from fentanet.store import RunStore

    store = tmp_path / "s"

    def runs(*argv):
        code = main(["compare", "toy", *argv, "--years", "0.25", "--scheduler", "serial",
                     "--store", str(store), "--json"])
        out, err = capsys.readouterr()
        assert code == 0, err
        ens = json.loads(out)["ensemble"]
        return RunStore(store).runs(ensemble=ens).set_index("variant")

    moved = runs("naloxone", "--start", "0")
    assert moved.loc["naloxone", "setup"]["interventions"] == [
        {"kind": "naloxone", "intensity": 0.5}]  # start 0, the default, not written
    adhoc = runs("--variant", "nal=naloxone:0.5", "--start", "0")
    own = runs("naloxone")
    assert own.loc["naloxone", "setup"]["interventions"] == [
        {"kind": "naloxone", "start": 0.5, "intensity": 0.5}]
    summary = RunStore(store).summary().set_index(["ensemble_id", "variant"])
    for col in ("deaths_total", "intervention_cost_usd_total"):
        got = summary.loc[(moved.ensemble_id.iloc[0], "naloxone"), col]
        assert got == summary.loc[(adhoc.ensemble_id.iloc[0], "nal"), col]
    assert summary.loc[(moved.ensemble_id.iloc[0], "naloxone"), "intervention_cost_usd_total"] \
        > summary.loc[(own.ensemble_id.iloc[0], "naloxone"), "intervention_cost_usd_total"]


def test_start_moves_a_window_keeping_its_length(tmp_path):
    from fentanet.cli.simulate import strategy_from

    path = tmp_path / "s.yaml"
    path.write_text("name: s\nnetwork: {generate: {actors: 300}}\nstrategies:\n"
                    "  short:\n    - {kind: naloxone, start: 0.5, end: 1.5, intensity: 0.5}\n"
                    "    - {kind: lab_raids, start: 1, intensity: 2}\n")
    assert strategy_from(str(path), "short", 2.0) == [
        {"kind": "naloxone", "start": 2.0, "end": 3.0, "intensity": 0.5},
        {"kind": "lab_raids", "start": 2.0, "intensity": 2.0}]
    assert strategy_from("toy", "top-traffickers", 0.0) == [
        {"kind": "trafficker_enforcement", "start": 0.0, "intensity": 2.0,
         "target": {"rule": "degree", "count": 5}}]


@pytest.mark.parametrize("text, n", [("r=lab_raids:1:degree:2:0.5:junk", 6),
                                     ("r=lab_raids:1:degree:2:0.5", 5)])
def test_extra_colon_fields_of_a_variant_are_refused(tmp_path, capsys, text, n):
    """'lab_raids:1:degree:2:0.5:junk' ran lab_raids at degree 2; the 0.5 (meant as a
    start?) and 'junk' were dropped without a word."""
    part = text.partition("=")[2]
    want = (f"field 'variant': '{part}' has {n} ':' fields, expected at most 4: "
            "kind[:intensity[:rule[:count]]]; give a start, an end and the other options "
            "after @ (kind:intensity@start=0.5@end=2)")
    with pytest.raises(InputError) as exc:
        parse_variant(text, 0.0)
    assert str(exc.value) == want
    assert main(["compare", "toy", "--variant", text, "--store", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err == f"error: {want}\n"
    assert not (tmp_path / "s").exists()
