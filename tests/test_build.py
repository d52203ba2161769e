"""Which engine made a run: the build id (a digest of the package's source files) is
recorded with each run, shown by ``runs show``, and ``runs rerun`` warns when the run was
made by another build (or before builds were recorded); the same build, scenario and seed
make the same run bit for bit."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

import fentanet
import fentanet.build as build_mod
import fentanet.ensemble.runner as runner
from fentanet.build import ROOT, build, build_of, recorded_version, source_digest
from fentanet.cli import main
from fentanet.ensemble import rerun
from fentanet.errors import RunWarning
from fentanet.simulate.run import version
from fentanet.store import RunStore

OTHER = "0123456789ab"  # a build id that is not this fentanet's


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    """A console wide enough that no table cell wraps (as in a narrow terminal)."""
    from fentanet.cli.common import console

    monkeypatch.setattr(console, "width", 200)


def _copy(tmp_path):
    dst = tmp_path / "fentanet"
    shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns("__pycache__", "static"))
    return dst


def test_the_build_is_a_digest_of_the_package_source(tmp_path):
    assert len(build()) == 12 and int(build(), 16) >= 0
    copy = _copy(tmp_path)
    assert source_digest(copy) == build()            # the same files: the same build
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "x.py").write_text("compiled = 1\n")
    (copy / "notes.txt").write_text("not code\n")
    assert source_digest(copy) == build()            # caches and other files do not count
    kernels = copy / "simulate" / "kernels.py"
    kernels.write_text(kernels.read_text() + "\n# an edit\n")
    edited = source_digest(copy)
    assert edited != build()                          # any edit of the code: another build
    kernels.rename(copy / "simulate" / "kernels2.py")  # a file renamed, content the same
    assert source_digest(copy) not in (edited, build())
    toy = copy / "scenarios" / "toy.yaml"           # the built-in scenarios count too
    toy.write_text(toy.read_text() + "# an edit\n")
    assert source_digest(copy) != build()


def test_the_version_of_a_run_names_its_build():
    assert recorded_version() == f"{fentanet.__version__} (build {build()})"
    assert version() == f"fentanet {fentanet.__version__} (build {build()}); numpy " \
                        f"{np.__version__}"
    assert fentanet.simulate("toy", seed=2, years=0.25).version == version()
    assert build_of(recorded_version()) == build() == build_of(version())
    assert build_of("0.1.0") is None and build_of(None) is None
    assert build_of("fentanet 0.1.0; numpy 2.2.6") is None


def _one_run(capsys, store: str) -> str:
    assert main(["simulate", "toy", "--years", "0.25", "--seed", "7", "--scheduler", "serial",
                 "--store", store]) == 0
    capsys.readouterr()
    [rid] = RunStore(store).runs().run_id
    return rid


def test_the_same_build_reruns_bit_for_bit_without_a_warning(capsys, tmp_path):
    store = str(tmp_path / "s")
    rid = _one_run(capsys, store)
    st = RunStore(store)
    row = st.runs([rid]).iloc[0]
    assert row.fentanet_version == recorded_version() and row.numpy_version == np.__version__
    manifest = json.loads((st.root / "manifests" / f"{rid}.json").read_text())
    assert manifest["run"]["fentanet_version"] == recorded_version()  # a rebuild keeps it
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunWarning)
        again = rerun(rid, st).series
    stored = st.series([rid]).drop(columns=["run_id", "variant", "seed"])
    pd.testing.assert_frame_equal(stored, again, check_dtype=False, check_exact=True)
    assert main(["runs", "rerun", rid, "--store", store]) == 0
    out, err = capsys.readouterr()
    assert "every series equal" in out and err == ""
    assert main(["runs", "show", rid, "--store", store, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["build"] == shown["this_build"] == build()
    assert main(["runs", "show", rid, "--store", store]) == 0
    assert f"{build()} (this fentanet's)" in capsys.readouterr().out


def test_a_run_of_another_build_reruns_with_a_warning(capsys, monkeypatch, tmp_path):
    store = str(tmp_path / "s")
    rid = _one_run(capsys, store)
    monkeypatch.setattr(build_mod, "build", lambda: OTHER)  # as if the code changed since
    with pytest.warns(RunWarning) as said:
        rerun(rid, store)
    assert [str(w.message) for w in said] == [
        f"run {rid} was made by another fentanet build ({build()}; this is {OTHER}): "
        "results may differ"]
    assert main(["runs", "rerun", rid, "--store", store]) == 0  # the same here: exit 0
    out, err = capsys.readouterr()
    assert "every series equal" in out
    assert err == (f"warning: run {rid} was made by another fentanet build ({build()}; this "
                   f"is {OTHER}): results may differ\n")
    assert main(["runs", "show", rid, "--store", store]) == 0
    assert f"{build()} (another; this fentanet is build {OTHER})" in capsys.readouterr().out


def test_a_run_stored_before_builds_were_recorded(capsys, monkeypatch, tmp_path):
    """Stores written before this change hold the bare version ("0.1.0"): they read as
    before, show the build as not recorded, and a rerun says it cannot tell the build."""
    store = str(tmp_path / "s")
    with monkeypatch.context() as m:
        m.setattr(runner, "recorded_version", lambda: fentanet.__version__)
        rid = _one_run(capsys, store)
    assert RunStore(store).runs([rid]).iloc[0].fentanet_version == fentanet.__version__
    assert main(["runs", "rerun", rid, "--store", store]) == 0
    out, err = capsys.readouterr()
    assert "every series equal" in out
    assert err == (f"warning: run {rid} was made by fentanet {fentanet.__version__}, before "
                   f"builds were recorded (this is build {build()}): results may differ\n")
    assert main(["runs", "show", rid, "--store", store, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["build"] is None and shown["this_build"] == build()
    assert main(["runs", "show", rid, "--store", store]) == 0
    assert "not recorded (stored before builds were)" in capsys.readouterr().out


def test_hidden_names_links_and_line_ends_do_not_change_the_build(tmp_path):
    """Review s11 finding 4: Emacs keeps ``.#run.py`` as a dangling link while run.py is
    edited, and read_bytes failed on it (every run crashed with FileNotFoundError); a
    Windows checkout (core.autocrlf) of the same commit got another build."""
    copy = _copy(tmp_path)
    (copy / "simulate" / ".#run.py").symlink_to("root@host.1234:1700000000")  # dangling
    (copy / ".hidden").mkdir()
    (copy / ".hidden" / "x.py").write_text("hidden = 1\n")
    (copy / "simulate" / "gone.py").symlink_to(tmp_path / "nothing.py")  # dangling, visible
    assert source_digest(copy) == build()
    errors = copy / "errors.py"
    errors.write_bytes(errors.read_bytes().replace(b"\n", b"\r\n"))
    assert source_digest(copy) == build()
    errors.write_bytes(errors.read_bytes() + b"# an edit\r\n")
    assert source_digest(copy) != build()


def test_a_package_file_that_cannot_be_read_makes_the_build_unknown(
        capsys, monkeypatch, tmp_path):
    """An OSError reading the package gives the build 'unknown', recorded as such, and the
    run goes on; an unknown build is never said to be this fentanet's."""
    def unreadable(root=ROOT):
        raise PermissionError(13, "Permission denied", str(root / "errors.py"))

    monkeypatch.setattr(build_mod, "source_digest", unreadable)
    build_mod.build.cache_clear()
    try:
        assert build_mod.build() == build_mod.UNKNOWN == "unknown"
        assert build_of(recorded_version()) == "unknown"
        store = str(tmp_path / "s")
        rid = _one_run(capsys, store)
        assert RunStore(store).runs([rid]).iloc[0].fentanet_version == (
            f"{fentanet.__version__} (build unknown)")
        assert main(["runs", "rerun", rid, "--store", store]) == 0
        out, err = capsys.readouterr()
        assert "every series equal" in out
        assert err == (f"warning: run {rid} was made by fentanet build unknown (this is "
                       "build unknown; a build is unknown when a file of its package could "
                       "not be read, and cannot be compared): results may differ\n")
        assert main(["runs", "show", rid, "--store", store]) == 0
        assert ("unknown (this fentanet is build unknown; unknown: a package file could not "
                "be read)") in capsys.readouterr().out
    finally:
        build_mod.build.cache_clear()
