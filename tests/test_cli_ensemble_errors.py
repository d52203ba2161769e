"""Bad input to the ensemble commands is refused before anything runs or is stored; the
comparison table reads well where a variant averts nothing; deleting asks first."""

from __future__ import annotations

import io
import json
import socket

import pytest

from ensemble_standin import StandInScenario, simulate
from fentanet.cli import main
from fentanet.ensemble import ensemble
from fentanet.errors import InputError
from fentanet.store import RunStore


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ------------------------------------------------------------------ sweep points


@pytest.mark.parametrize("param, said", [
    ("params.nonexistent.x=1,2", "no such scenario field 'params.nonexistent'"),
    ("params.market.elasticity=0.5,abc", "valid number"),
])
def test_sweep_with_a_bad_parameter_is_refused_before_any_run(capsys, tmp_path, param, said):
    store = tmp_path / "s"
    code, _, err = cli(capsys, "sweep", "toy", "--param", param, "--runs", "2",
                       "--scheduler", "serial", "--store", str(store))
    line = one_error_line(err)
    assert code == 2 and said in line and param.split("=")[0] in line
    assert not store.exists()  # nothing stored, not even an empty catalog


def test_ensemble_checks_every_point_and_variant_override(tmp_path):
    with pytest.raises(InputError, match=r"sweep point \{'params.rate': 2, 'params.nope': 1\}"):
        ensemble(StandInScenario(), 2, sweep={"params.rate": [2, 3], "params.nope": [1]},
                 scheduler="serial", store=tmp_path / "a", progress=False, model=simulate)
    with pytest.raises(InputError, match="variant 'odd'") as info:
        ensemble(StandInScenario(), 2, variants={"odd": {"params.typo": 1.0}},
                 scheduler="serial", store=tmp_path / "b", progress=False, model=simulate)
    assert info.value.field == "params.typo"
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_every_run_failing_exits_non_zero(capsys, tmp_path, monkeypatch):
    # a failure inside the runs (bad input, such as a missing network file, is refused
    # before any run: tests/test_cli_scenario_network.py)
    import fentanet

    def broken(scenario, seed=None, **kw):
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(fentanet, "simulate", broken)
    code, out, err = cli(capsys, "simulate", "toy", "--years", "0.1", "--runs", "2",
                         "--scheduler", "serial", "--store", str(tmp_path / "s"))
    assert code == 1 and "2 failed" in out and "all 2 runs failed" in err
    assert "the engine broke" in out
    assert list(RunStore(tmp_path / "s").runs().status) == ["failed", "failed"]


# ------------------------------------------------------------------ scheduler addresses


@pytest.mark.parametrize("address, said", [
    ("bogus", "missing port number"),
    ("tcp://somehost", "missing port number"),
    ("tcp://somehost:port", "invalid literal"),
    ("carrier-pigeon://somehost:1", "unknown protocol 'carrier-pigeon'"),
])
def test_malformed_scheduler_address_is_one_clear_line(capsys, tmp_path, address, said):
    store = tmp_path / "s"
    code, _, err = cli(capsys, "simulate", "toy", "--runs", "2", "--scheduler", address,
                       "--years", "0.1", "--store", str(store))
    line = one_error_line(err)
    assert code == 2 and said in line and "tcp://HOST:PORT" in line
    assert not store.exists()


def test_malformed_scheduler_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FENTANET_SCHEDULER", "tcp://nohost")
    with pytest.raises(InputError, match="not a Dask scheduler address") as info:
        ensemble(StandInScenario(), 2, store=tmp_path / "s", progress=False, model=simulate)
    assert info.value.field == "scheduler"



def test_unreachable_scheduler_fails_at_once_naming_why(capsys, tmp_path, monkeypatch):
    """Nothing listens on the port: refused by the probe, without Dask's 20 s of retries."""
    import socket

    import dask.distributed

    class NoHandshake:
        def __init__(self, *args, **kwargs):
            raise AssertionError("the client was tried after the probe")

    monkeypatch.setattr(dask.distributed, "Client", NoHandshake)
    with socket.socket() as sock:  # a port nothing listens on once this is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    code, _, err = cli(capsys, "simulate", "toy", "--runs", "2", "--scheduler", address,
                       "--years", "0.1", "--store", str(tmp_path / "s"))
    line = one_error_line(err)
    assert code == 2 and address in line and "connection refused" in line
    with pytest.raises(InputError, match="cannot reach the Dask scheduler") as info:
        ensemble(StandInScenario(), 2, store=tmp_path / "s", progress=False, model=simulate,
                 scheduler="tcp://no-such-host.invalid:8786")
    assert info.value.field == "scheduler"
    monkeypatch.setenv("FENTANET_SCHEDULER", address)  # the message says where it came from
    with pytest.raises(InputError, match=r"at tcp://127\.0\.0\.1:\d+ \(from \$FENTANET_SCHEDULER"):
        ensemble(StandInScenario(), 2, store=tmp_path / "s", progress=False, model=simulate)

# ------------------------------------------------------------------ the comparison table


@pytest.fixture
def nothing_averted(tmp_path):
    """Stand-in comparison: 'zz' has no effect (averts exactly 0 per seed), 'aa' has."""
    variants = {"zz": [{"kind": "naloxone", "intensity": 0.0}],
                "aa": [{"kind": "naloxone", "intensity": 0.7}]}
    ens = ensemble(StandInScenario(), 3, variants=variants, scheduler="serial",
                   store=tmp_path / "s", progress=False, model=simulate)
    return str(tmp_path / "s"), ens


def test_cost_per_death_averted_without_deaths_averted(capsys, nothing_averted, monkeypatch):
    from fentanet.cli.common import console

    monkeypatch.setattr(console, "width", 200)  # one table row per line
    store, ens = nothing_averted
    code, out, _ = cli(capsys, "runs", "show", ens.id, "--store", store)
    assert code == 0
    rows = [ln for ln in out.splitlines() if "cost per death averted" in ln]
    assert len(rows) == 2
    assert "n/a (no deaths averted)" in rows[0] and rows[0].split()[0] == "zz"
    assert "n/a" not in rows[1] and rows[1].split()[0] == "aa"
    assert "nan" not in out and "inf" not in out


def test_variants_in_the_order_given_and_no_negative_zero(capsys, nothing_averted):
    store, ens = nothing_averted
    code, out, _ = cli(capsys, "runs", "show", ens.id, "--store", store, "--json")
    assert code == 0 and "-0.0" not in out
    res = json.loads(out)
    assert res["variants"] == ["baseline", "zz", "aa"]
    assert list(dict.fromkeys(r["variant"] for r in res["summary"])) == ["baseline", "zz", "aa"]
    assert list(dict.fromkeys(r["variant"] for r in res["compare"])) == ["zz", "aa"]
    zz = {r["outcome"]: r for r in res["compare"] if r["variant"] == "zz"}
    assert zz["deaths averted"]["mean"] == 0.0 and zz["cost per death averted"]["mean"] is None
    # no deaths averted: the cost ratio's interval is open at both ends, not missing (as
    # the web app gives it; review s18, L5)
    cost = zz["cost per death averted"]
    assert (cost["ci_low"], cost["ci_high"], cost["q50"]) == ("-inf", "inf", None)


# ------------------------------------------------------------------ delete asks first


def test_delete_asks_for_confirmation(capsys, nothing_averted, monkeypatch):
    store, ens = nothing_averted
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, _, err = cli(capsys, "runs", "delete", "--ensemble", ens.id, "--store", store)
    assert code != 0 and "Delete 9 run(s)" in err and len(RunStore(store).runs()) == 9
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out, _ = cli(capsys, "runs", "delete", "--variant", "zz", "--store", store)
    assert code == 0 and "deleted 3 runs" in out and len(RunStore(store).runs()) == 6
    code, out, _ = cli(capsys, "runs", "delete", "--ensemble", ens.id, "--yes", "--store",
                       store)
    assert code == 0 and "deleted 6 runs" in out and RunStore(store).runs().empty


# ------------------------------------------------------------------ serve on a busy port


def test_serve_on_a_busy_port_is_one_line_exit_2(capsys, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = cli(capsys, "serve", "--port", str(port), "--workdir",
                             str(tmp_path / "w"))
    line = one_error_line(err)
    assert code == 2 and f"127.0.0.1:{port}" in line and "--port" in line
    assert "fentanet web app" not in out  # no address announced that nobody serves


def test_ensemble_tables_follow_the_variant_order_not_the_run_order(nothing_averted):
    from fentanet.ensemble import Ensemble

    _, ens = nothing_averted
    stored = ens.store.summary(ensemble=ens.id)  # in the order the runs started: by seed
    assert list(stored.variant[:3]) == ["baseline", "zz", "aa"]
    regrouped = Ensemble(ens.id, ens.store, ens.scenario, ["baseline", "aa", "zz"], ens.seeds)
    summary = regrouped.summary()
    assert list(summary.variant) == ["baseline"] * 3 + ["aa"] * 3 + ["zz"] * 3
    assert list(summary.seed) == [1, 2, 3] * 3  # stable within a variant
    series = regrouped.series()
    assert list(dict.fromkeys(series.variant)) == ["baseline", "aa", "zz"]
    first = series[series.variant == "aa"]
    assert list(first.step[:8]) == list(range(8)) and first.seed.iloc[0] == 1


def test_one_seed_has_no_interval_and_says_so(tmp_path, capsys, monkeypatch):
    # with one seed the 95% interval of the mean is undefined: "n/a (one seed)", not
    # "nan .. nan" (review s15, F6.1)
    from fentanet.cli.common import console

    monkeypatch.setattr(console, "width", 200)
    ens = ensemble(StandInScenario(), 1, variants={"aa": [{"kind": "naloxone",
                                                           "intensity": 0.7}]},
                   scheduler="serial", store=tmp_path / "s", progress=False, model=simulate)
    code, out, _ = cli(capsys, "runs", "show", ens.id, "--store", str(tmp_path / "s"))
    assert code == 0 and "nan" not in out
    rows = [ln for ln in out.splitlines() if "deaths averted" in ln and "cost" not in ln]
    assert rows and all("n/a (one seed)" in ln for ln in rows)
    # the outcomes with their units, deaths named for what they count (review s15, F2)
    assert "supply reduction (kg)" in out and "extra cost (USD)" in out
    assert "deaths (all causes)" in out


@pytest.mark.parametrize("argv, why", [
    (("naloxone", "naloxone"), "'naloxone' is given twice"),
    (("naloxone", "--variant", "naloxone=lab_raids:1"), "'naloxone' is given twice"),
])
def test_compare_refuses_repeated_variant_names_before_any_run(capsys, tmp_path, argv, why):
    """The rule the web app's comparisons follow too (ensemble.plan.distinct_names)."""
    store = tmp_path / "s"
    code, _, err = cli(capsys, "compare", "toy", *argv, "--store", str(store))
    assert code == 2
    assert one_error_line(err) == ("error: field 'variant': variant names must differ from "
                                   f"each other and from 'baseline': {why}")
    assert not store.exists() or RunStore(store).runs().empty
