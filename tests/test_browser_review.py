"""The Strategies tab's stored ensembles in a real browser (the twentieth session's
review): each says its horizon, a sweep its parameters and points, one seed is "1 seed".
Marked browser and slow, like tests/test_browser.py, whose fixtures it uses."""

from __future__ import annotations

import pytest

import fentanet
import test_browser
from test_browser import CHROMIUM, Recorder

browser_context = test_browser.browser_context  # the fixture: chromium, headless

pytestmark = [
    pytest.mark.browser, pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install "
                                                "chromium; .ci/run installs it)"),
]


def test_stored_ensembles_read_their_horizon_and_sweep(browser_context, tmp_path):
    from fentanet.web.server import ServerThread

    (tmp_path / "work").mkdir()
    store = tmp_path / "work" / "runs"
    sweep = fentanet.ensemble("toy", 2, variants=["naloxone"], sweep={
        "params.market.elasticity": [0.3, 0.6]}, seed=3, years=0.75, scheduler="serial",
        store=store, progress=False)
    one = fentanet.ensemble("toy", 1, variants=["naloxone"], seed=3, years=1.5,
                            scheduler="serial", store=store, progress=False)
    with ServerThread(tmp_path / "work") as server:
        page = browser_context.new_page()
        rec = Recorder(page, (server.url,))
        page.goto(server.url)
        page.click("#tab-btn-strategies")
        page.wait_for_selector(f"#ens-list option[value='{one.id}']", state="attached")
        options = page.eval_on_selector_all(
            "#ens-list option", "os => os.map(o => o.textContent)")
        assert options == [
            f"toy: baseline, naloxone · 1 seed · 1.5 years · {one.id}",
            f"toy: baseline, naloxone · 2 seeds · 0.75 years · sweep of "
            f"params.market.elasticity · {sweep.id}"]
        page.select_option("#ens-list", sweep.id)
        page.click("#ens-show")
        page.wait_for_selector("#comparison")
        assert page.inner_text("#compare-note") == (
            f"toy: 2 strategies × 2 seeds (common random numbers) over 0.75 years; "
            f"ensemble {sweep.id}.")
        head = page.eval_on_selector_all("#comparison th", "ts => ts.map(t => t.textContent)")
        assert head[:3] == ["variant", "params.market.elasticity", "outcome"]
        strategies = page.eval_on_selector_all(
            "#side-by-side tbody tr td:first-child", "ts => ts.map(t => t.textContent)")
        assert strategies == [f"{v} · params.market.elasticity={e}"
                              for v in ("baseline", "naloxone") for e in (0.3, 0.6)]
        assert rec.blocked == [] and rec.errors == []


def test_a_failed_analysis_is_shown_when_its_network_is_drawn_again(browser_context, tmp_path,
                                                                      monkeypatch):
    """An analysis that failed was toasted once; drawn again (another network chosen, then
    this one), its network read "No analysis of this network yet.", the failure gone."""
    from fentanet.errors import InputError
    from fentanet.web.server import ServerThread

    def failing(*args, **kwargs):
        raise InputError("the interdiction ran out of memory", field="k")

    monkeypatch.setattr("fentanet.analysis.summary.analyze", failing)
    with ServerThread(tmp_path / "work") as server:
        page = browser_context.new_page()
        rec = Recorder(page, (server.url,))
        page.goto(server.url)
        page.wait_for_selector("#gen-actors")
        for actors in ("40", "60"):
            page.fill("#gen-actors", actors)
            page.click("#generate")
            page.wait_for_function(f"() => document.getElementById('networks').selectedOptions"
                                   f"[0].textContent.includes('({actors} actors)')")
        page.click("#tab-btn-analysis")
        page.click("#run-analysis")
        page.wait_for_selector("#an-progress.failed")
        first = page.eval_on_selector("#networks", "s => s.options[0].value")
        second = page.eval_on_selector("#networks", "s => s.options[1].value")
        page.select_option("#networks", first)
        page.wait_for_selector("#an-progress", state="hidden")
        page.select_option("#networks", second)
        page.wait_for_selector("#an-progress.failed")
        assert page.inner_text("#an-progress .msg").startswith(
            "failed: field 'k': the interdiction ran out of memory")
        assert page.inner_text("#analysis-results") == ""
        assert rec.blocked == [] and rec.errors == []
