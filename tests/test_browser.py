"""The web app and the HTML reports in a real browser: Playwright driving Debian's
chromium, headless. Every request the pages make is recorded (and anything that would
leave the machine is blocked): the app only talks to itself, a report opened from disk
talks to nobody. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from fentanet.ensemble.plan import draw_uncertain

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which(
    "chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "browser"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]

pytestmark = [
    pytest.mark.browser, pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install "
                                                "chromium; .ci/run installs it)"),
]


@pytest.fixture(scope="module")
def browser_context():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1440, "height": 900})
        ctx.set_default_timeout(60_000)
        yield ctx
        ctx.close()


class Recorder:
    """Records every request of a page; aborts those not allowed (they would leave)."""

    def __init__(self, page, allowed: tuple[str, ...]) -> None:
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.allowed = allowed
        page.route("**/*", self._route)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(self.allowed):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


def figures_rendered(page) -> tuple[int, int, int]:
    """(figures in the report, figures plotly finished, plot elements holding an SVG)."""
    return page.evaluate("""() => [
        +document.body.dataset.figures,
        +(document.body.dataset.figuresRendered || 0),
        [...document.querySelectorAll('.plot')].filter(
            d => d.querySelector('svg.main-svg') && d.dataset.rendered === '1').length]""")


def trace_ids(page, element: str, name: str | None = None) -> list[str]:
    """Actor ids on the drawing in ``element`` (of one named trace, or of every marker)."""
    return page.evaluate("""([el, name]) => document.getElementById(el).data
        .filter(t => name ? t.name === name : t.mode === 'markers')
        .flatMap(t => t.customdata || [])""", [element, name])


def generate_drawn(page, actors: int) -> None:
    """Generate a network of ``actors`` on the Network tab and wait until it is drawn."""
    page.fill("#gen-actors", str(actors))
    page.click("#generate")
    page.wait_for_function("() => document.getElementById('graph').data && document"
                           ".getElementById('graph').data.flatMap(t => t.customdata "
                           f"|| []).length === {actors}")


def test_the_app_as_an_analyst_uses_it(browser_context, tmp_path, shared_data):
    from fentanet.web.server import ServerThread

    with ServerThread(tmp_path / "work") as server:
        page = browser_context.new_page()
        rec = Recorder(page, (server.url,))
        page.goto(server.url)
        page.wait_for_selector("#dataset option[value='caviar']", state="attached")
        page.select_option("#dataset", "caviar")
        page.click("#open-dataset")
        page.wait_for_selector("#graph[data-rendered='1']")
        assert len(trace_ids(page, "graph")) == 110  # every CAVIAR actor drawn
        assert "110" in page.inner_text("#net-summary")
        page.screenshot(path=ARTIFACTS / "app-1-caviar.png")

        # search an actor and inspect it; the drawing marks it
        page.fill("#search", "12")
        page.click("#search-results li[data-actor='12']")
        page.wait_for_selector("#actor-name")
        assert page.inner_text("#actor-name").startswith("12")
        page.wait_for_function("() => document.getElementById('graph').data.some("
                               "t => t.name === 'selected')")
        page.select_option("#radius", "1")  # its ego network
        page.wait_for_function("() => document.getElementById('graph').data.filter("
                               "t => t.mode === 'markers').flatMap(t => t.customdata)"
                               ".length < 110")
        page.screenshot(path=ARTIFACTS / "app-2-ego.png")
        page.select_option("#radius", "0")

        # the analysis: key players listed and drawn
        page.click("#tab-btn-analysis")
        page.click("#run-analysis")
        page.wait_for_selector("#kp-fragmentation li", timeout=180_000)
        page.wait_for_selector("#analysis-graph[data-rendered='1']")
        listed = page.eval_on_selector_all("#kp-fragmentation li .chip",
                                           "els => els.map(e => e.dataset.actor)")
        assert len(listed) == 5 and "1" in listed
        assert trace_ids(page, "analysis-graph", "key players (remove 5)") == listed
        assert page.locator("#top-actors tbody tr").count() == 10
        page.screenshot(path=ARTIFACTS / "app-3-analysis.png", full_page=True)

        # the full report, served by the app under its strict policy, draws every figure
        href = page.get_attribute("#analysis-report", "href")
        report = browser_context.new_page()
        rec_report = Recorder(report, (server.url,))
        report.goto(server.url + href)
        report.wait_for_function("() => document.body.dataset.figuresRendered === "
                                 "document.body.dataset.figures")
        n, done, svg = figures_rendered(report)
        assert n >= 3 and done == n == svg
        assert rec_report.requests == [server.url + href] and not rec_report.errors
        report.close()

        # a comparison of strategies with progress, and its chart
        page.click("#tab-btn-strategies")
        page.select_option("#cmp-scenario", "toy")
        page.fill("#cmp-runs", "2")
        page.fill("#cmp-years", "1")  # naloxone starts at half a year
        page.uncheck("#cmp-strategies input[value='lab-raids']")
        page.uncheck("#cmp-strategies input[value='border']")
        page.check("#cmp-strategies input[value='naloxone']")
        # the strategy at another intensity, and a variant of one's own
        page.fill("#cmp-strategies [data-strategy='naloxone'] .s-intensity", "0.8")
        page.fill("#adhoc-name", "treat")
        page.select_option("#adhoc-kind", "prevention_treatment")
        page.fill("#adhoc-intensity", "0.4")
        page.fill("#adhoc-start", "0.5")
        page.click("#adhoc-add")
        assert "treat: prevention treatment 0.4 from 0.5" in page.inner_text("#adhoc-list")
        # and one that starts after the horizon: its runs warn, on the page
        page.fill("#adhoc-name", "late")
        page.select_option("#adhoc-kind", "naloxone")
        page.fill("#adhoc-intensity", "0.5")
        page.fill("#adhoc-start", "1.5")
        page.click("#adhoc-add")
        # an uncertain parameter, drawn per seed
        rate = "params.population.overdose_rate"
        page.fill("#unc-name", rate)
        page.fill("#unc-low", "0.15")
        page.fill("#unc-high", "0.35")
        page.click("#unc-add")
        assert f"{rate}: 0.150 to 0.350" in page.inner_text("#unc-list")
        page.click("#run-compare")
        page.wait_for_selector("#cmp-progress:not([hidden])")
        page.wait_for_selector("#side-by-side", timeout=300_000)
        page.wait_for_selector("#cmp-series-overdose-deaths[data-rendered='1'] svg.main-svg")
        page.wait_for_selector("#cmp-deaths-averted[data-rendered='1']")
        rows = page.locator("#side-by-side tbody tr").all_inner_texts()
        assert [r.split("\t")[0] for r in rows] == ["baseline", "naloxone", "treat", "late"]
        # what each strategy runs (review s18, web M4: the page named them only)
        runs = page.locator("#definitions tbody tr").all_inner_texts()
        assert [r.split("\t")[:3] for r in runs if r.split("\t")[0] != "baseline"] == [
            ["naloxone", "naloxone", "0.8"], ["treat", "prevention_treatment", "0.4"],
            ["late", "naloxone", "0.5"]], runs
        # an open-ended interval shows as such (late spends and averts nothing: no bound)
        late = [r for r in page.locator("#comparison tbody tr").all_inner_texts()
                if r.startswith("late\tcost per death averted")]
        assert len(late) == 1 and late[0].split("\t")[3:5] == ["-∞", "∞"], late
        said = page.locator("#compare-warnings li").all_inner_texts()
        assert said == ["late, seeds 1, 2: naloxone start(s) at or after the horizon of 1 "
                        "year: no effect in this run"], said
        assert "done" in page.inner_text("#cmp-progress")
        # the ranges, the values drawn per seed and deaths averted against them
        ranges = page.locator("#uncertain-ranges tbody tr").all_inner_texts()
        assert len(ranges) == 1 and ranges[0].split("\t")[:3] == [rate, "0.150", "0.350"]
        drawn = page.locator("#uncertain-drawn tbody tr").all_inner_texts()
        assert [r.split("\t")[0] for r in drawn] == ["1", "2"]
        assert [float(r.split("\t")[1]) for r in drawn] == pytest.approx(
            [draw_uncertain({rate: (0.15, 0.35)}, s)[rate] for s in (1, 2)], abs=5e-4)
        page.wait_for_selector("#cmp-uncertain-params-population-overdose-rate"
                               "[data-rendered='1'] svg.main-svg")
        page.screenshot(path=ARTIFACTS / "app-4-strategies.png", full_page=True)
        # the same ensemble, reopened from the run store (no new report)
        page.wait_for_selector("#ens-list option:not([value=''])", state="attached")
        page.select_option("#ens-list", index=0)
        page.click("#ens-show")
        page.wait_for_function("() => !document.querySelector('#compare-report') && "
                               "document.querySelector('#uncertain-drawn')")
        assert page.locator("#uncertain-drawn tbody tr").all_inner_texts() == drawn

        page.click("#tab-btn-files")
        page.wait_for_selector("#file-list")
        names = page.locator("#file-list tbody tr").all_inner_texts()
        assert any("analysis-caviar" in n for n in names)
        assert any("compare-toy" in n for n in names)
        page.screenshot(path=ARTIFACTS / "app-5-files.png")

        assert rec.blocked == [] and not rec.errors
        assert all(u.startswith(server.url) for u in rec.requests)
        page.close()


def _open_report(context, path: Path, shot: str) -> tuple[int, int, int]:
    page = context.new_page()
    url = path.resolve().as_uri()
    rec = Recorder(page, (url,))
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.figuresRendered === "
                           "document.body.dataset.figures", timeout=60_000)
    counts = figures_rendered(page)
    page.screenshot(path=ARTIFACTS / shot, full_page=True)
    assert rec.requests == [url], rec.requests  # the file itself and nothing else
    assert rec.blocked == [] and not rec.errors
    page.close()
    return counts


def test_reports_open_from_disk_offline(browser_context, tmp_path):
    import fentanet
    from fentanet.network import generate
    from fentanet.report import analysis_report, simulation_report

    net = generate({"actors": 200}, seed=2)
    analysis_report(net, k=3, steps=5, time_limit=2, curve_time_limit=1).save(
        tmp_path / "analysis.html")
    n, done, svg = _open_report(browser_context, tmp_path / "analysis.html",
                                "report-analysis-supply.png")
    assert n >= 4 and done == n == svg

    cmp = fentanet.compare("toy", {"naloxone": [{"kind": "naloxone", "start": 0.1,
                                                 "intensity": 0.5}]}, seed=1, years=0.5)
    simulation_report(cmp).save(tmp_path / "simulation.html")
    n, done, svg = _open_report(browser_context, tmp_path / "simulation.html",
                                "report-simulation-toy.png")
    assert n >= 8 and done == n == svg


def test_caviar_report_from_disk(browser_context, tmp_path, shared_data):
    from fentanet import datasets
    from fentanet.report import analysis_report

    analysis_report(datasets.load("caviar"), k=5, steps=10).save(tmp_path / "caviar.html")
    n, done, svg = _open_report(browser_context, tmp_path / "caviar.html",
                                "report-analysis-caviar.png")
    assert n >= 3 and done == n == svg


def test_the_stored_ensembles_are_paged(browser_context, tmp_path):
    """More stored ensembles than a page (200): the list shows the newest page, and Older
    and Newer move through the store."""
    import fentanet
    from ensemble_standin import StandInScenario, simulate
    from fentanet.web.server import ServerThread

    (tmp_path / "work").mkdir()  # a new store makes its last folder only
    made = [fentanet.ensemble(StandInScenario(), runs=1, seed=s, scheduler="serial",
                              store=tmp_path / "work" / "runs", progress=False,
                              model=simulate).id for s in range(1, 203)]
    with ServerThread(tmp_path / "work") as server:
        page = browser_context.new_page()
        rec = Recorder(page, (server.url,))
        page.goto(server.url)
        page.click("#tab-btn-strategies")
        page.wait_for_function("() => document.querySelector('#ens-page').textContent")
        assert page.inner_text("#ens-page") == "1-200 of 202, newest first"
        values = page.eval_on_selector_all("#ens-list option", "els => els.map(e => e.value)")
        assert values == made[::-1][:200]
        assert page.is_disabled("#ens-newer") and page.is_enabled("#ens-older")
        page.click("#ens-older")
        page.wait_for_function("() => document.querySelector('#ens-page').textContent"
                               ".startsWith('201')")
        assert page.inner_text("#ens-page") == "201-202 of 202, newest first"
        values = page.eval_on_selector_all("#ens-list option", "els => els.map(e => e.value)")
        assert values == made[1::-1]
        assert page.is_enabled("#ens-newer") and page.is_disabled("#ens-older")
        page.click("#ens-newer")
        page.wait_for_function("() => document.querySelector('#ens-page').textContent"
                               ".startsWith('1-')")
        # on the last page, its ensembles deleted meanwhile: the list goes to the last page
        # there is (one page: no label, no paging)
        page.click("#ens-older")
        page.wait_for_function("() => document.querySelector('#ens-page').textContent"
                               ".startsWith('201')")
        from fentanet.store import RunStore

        for eid in made[:3]:
            RunStore(tmp_path / "work" / "runs").delete(ensemble=eid)
        page.click("#tab-btn-files")
        page.click("#tab-btn-strategies")
        page.wait_for_function("() => document.querySelector('#ens-page').textContent === ''")
        values = page.eval_on_selector_all("#ens-list option", "els => els.map(e => e.value)")
        assert values == made[:2:-1] and page.is_hidden("#ens-older")
        assert rec.blocked == [] and not rec.errors
        page.close()


def test_open_networks_shows_the_network_drawn_after_a_reload(browser_context, tmp_path):
    """A network generated, then one uploaded, then the page reloaded: the upload is drawn
    and "Open networks" selects it (it selected the first one, and choosing that one then
    did nothing: review s15, F6.9); choosing the other there draws it."""
    from fentanet.web.server import ServerThread

    (tmp_path / "up.csv").write_text("source,target\na,b\nb,c\nc,a\nd,e\n")
    with ServerThread(tmp_path / "work") as server:
        page = browser_context.new_page()
        rec = Recorder(page, (server.url,))
        page.goto(server.url)
        generate_drawn(page, 40)
        page.set_input_files("#upload-file", tmp_path / "up.csv")
        page.click("#upload")
        page.wait_for_function("() => document.getElementById('graph').data.filter(t => "
                               "t.mode === 'markers').flatMap(t => t.customdata).length "
                               "=== 5")
        page.reload()
        page.wait_for_selector("#graph[data-rendered='1']")
        assert sorted(trace_ids(page, "graph")) == ["a", "b", "c", "d", "e"]
        shown = page.eval_on_selector("#networks", "s => s.options[s.selectedIndex].text")
        assert shown == "up.csv (5 actors)"
        assert "up.csv" in page.inner_text("#net-summary")
        generated = page.eval_on_selector_all(
            "#networks option", "els => els.map(e => e.value)")[0]
        page.select_option("#networks", generated)
        page.wait_for_function("() => document.getElementById('graph').data.filter(t => "
                               "t.mode === 'markers').flatMap(t => t.customdata).length "
                               "=== 40")
        assert page.eval_on_selector("#networks", "s => s.value") == generated
        assert rec.blocked == [] and not rec.errors
        page.close()


def test_strategy_intensity_and_start_are_labelled(browser_context, tmp_path):
    """Each strategy's two number boxes carry a visible label (start in years) and an
    accessible name with the strategy's (review s15, F6.10)."""
    from fentanet.web.server import ServerThread

    with ServerThread(tmp_path / "work") as server:
        page = browser_context.new_page()
        page.goto(server.url)
        page.click("#tab-btn-strategies")
        page.select_option("#cmp-scenario", "toy")
        row = page.locator("#cmp-strategies [data-strategy='naloxone']")
        labels = row.locator("label.s-field").all_inner_texts()
        assert [t.strip() for t in labels] == ["intensity", "start (years)"]
        page.get_by_role("spinbutton", name="naloxone intensity", exact=True).fill("0.8")
        page.get_by_role("spinbutton", name="naloxone start (years)", exact=True).fill("0.5")
        assert row.locator(".s-intensity").input_value() == "0.8"
        assert row.locator(".s-start").input_value() == "0.5"
        names = page.eval_on_selector_all(
            "#cmp-strategies input[type=number]", "els => els.map(e => e.labels.length)")
        assert names and set(names) == {1}  # each box inside its own label
        page.close()


def test_the_network_page_after_review_s18(browser_context, tmp_path):
    """The summary says neighbours and the search links, as the actor panel does (L4);
    the Analysis tab gives the flows' unit (L8); an upload without actors is refused with
    the server's message and the network drawn stays (M2); and a drawing that fails leaves
    no drawing of another network in place and its error is not hidden by the "opened"
    note (M2)."""
    from fentanet.web.server import ServerThread

    (tmp_path / "header_only.csv").write_text("source,target\n")
    with ServerThread(tmp_path / "work") as server:
        page = browser_context.new_page()
        rec = Recorder(page, (server.url,))
        page.goto(server.url)
        generate_drawn(page, 40)
        summary = page.text_content("#net-summary")
        assert "neighbours" in summary and "degree" not in summary
        page.fill("#search", "lab")
        page.wait_for_selector("#search-results li[data-actor]")
        hits = page.locator("#search-results li[data-actor] .k").all_inner_texts()
        assert hits and all(h.startswith("lab, links ") for h in hits), hits

        page.click("#tab-btn-analysis")
        page.fill("#an-k", "2")
        page.click("#run-analysis")
        page.wait_for_selector("#max-flow", timeout=180_000)
        assert " kg per year from " in page.inner_text("#max-flow")
        page.click("#tab-btn-network")

        # an upload without actors: refused, saying what was expected
        page.set_input_files("#upload-file", tmp_path / "header_only.csv")
        page.click("#upload")
        page.wait_for_selector("#toast:not([hidden]):not(.info)")
        assert page.inner_text("#toast") == (
            "uploads/header_only.csv: no actors and no links found in it (only a header?); "
            "expected a network of at least one link or one actor")
        assert page.locator("#networks option").count() == 1
        assert len(trace_ids(page, "graph")) == 40

        # a drawing that fails: the old one goes, the error stays on screen
        page.route("**/figure?*", lambda route: route.fulfill(
            status=400, content_type="application/json",
            body='{"error": "field \'color_by\': the drawing failed"}'))
        page.evaluate("() => { document.getElementById('toast').hidden = true; }")
        page.fill("#gen-actors", "30")
        page.click("#generate")
        page.wait_for_selector("#graph .graph-error")
        page.wait_for_function("() => !document.getElementById('generate').disabled")
        assert page.inner_text("#graph .graph-error") == (
            "Cannot draw this network: field 'color_by': the drawing failed")
        assert page.evaluate("() => document.getElementById('graph').data === undefined")
        assert page.get_attribute("#graph", "data-rendered") is None
        assert page.is_visible("#toast") and "info" not in page.get_attribute("#toast", "class")
        assert page.inner_text("#toast") == "field 'color_by': the drawing failed"
        assert "generated 30" in page.text_content("#net-summary")
        page.screenshot(path=ARTIFACTS / "app-s18-drawing-failed.png")
        page.unroute("**/figure?*")
        page.select_option("#color-by", "community")  # drawn again once it can be
        page.wait_for_function("() => document.getElementById('graph').data && document"
                               ".getElementById('graph').data.flatMap(t => t.customdata "
                               "|| []).length === 30")
        assert page.locator("#graph .graph-error").count() == 0
        assert rec.blocked == [] and not rec.errors
        page.close()


def test_strategies_horizon_and_cancelling_jobs(browser_context, tmp_path):
    """Choosing us-baseline proposes a horizon past its strategies' start (it proposed 1
    year, when they all start at 1: M1); a queued comparison is cancelled from its
    progress bar, and a queued job from the jobs list (M3)."""
    import threading

    from fentanet.web.server import ServerThread

    with ServerThread(tmp_path / "work") as server:
        runner = server.app.api.state.jobs
        gate, started = threading.Event(), threading.Event()

        def hold(job):
            started.set()
            gate.wait(120)
            return "held"

        page = browser_context.new_page()
        rec = Recorder(page, (server.url,))
        try:
            page.goto(server.url)
            page.click("#tab-btn-strategies")
            page.wait_for_selector("#cmp-scenario option[value='us-baseline']",
                                   state="attached")
            page.select_option("#cmp-scenario", "us-baseline")
            assert page.input_value("#cmp-years") == "2"
            page.select_option("#cmp-scenario", "toy")
            assert page.input_value("#cmp-years") == "1.5"

            runner.submit("test", "blocker", hold)
            assert started.wait(60)
            page.fill("#cmp-runs", "1")
            page.click("#run-compare")
            page.wait_for_selector("#cmp-progress .cancel-job:not([hidden])")
            assert "waiting for 'blocker' (running, 0%)" in page.inner_text(
                "#cmp-progress .msg")
            page.click("#cmp-progress .cancel-job")
            page.wait_for_function("() => document.querySelector('#cmp-progress .msg')"
                                   ".textContent.startsWith('cancelled before it started')")
            assert page.is_hidden("#cmp-progress .cancel-job")
            assert [j.status for j in runner.list()] == ["running", "cancelled"]

            queued = runner.submit("test", "queued one", lambda job: "ran")
            page.click("#tab-btn-files")
            page.wait_for_selector(f"#job-list button[data-job='{queued.id}']")
            page.click(f"#job-list button[data-job='{queued.id}']")
            page.wait_for_function("""() => [...document.querySelectorAll('#job-list tr')]
                .some(r => r.textContent.includes('queued one') &&
                           r.textContent.includes('cancelled'))""")
            assert runner.get(queued.id).status == "cancelled"
            assert page.locator(f"#job-list button[data-job='{queued.id}']").count() == 0
            page.screenshot(path=ARTIFACTS / "app-s18-jobs.png")
        finally:
            gate.set()
        assert runner.wait(queued.id).result is None
        assert rec.blocked == [] and not rec.errors
        page.close()
