"""The web app as the twentieth session's review found it: what a run made by the app
records, request fields the app does not know, actor ids holding markup, the jobs list
after a cancellation, stored ensembles' horizons, and the messages of bad requests."""

from __future__ import annotations

import pytest

import fentanet
from fentanet.store import RunStore


def wait(client, job_id: str, timeout: float = 300) -> dict:
    client.app_.api.state.jobs.wait(job_id, timeout=timeout)
    return client.get(f"/api/jobs/{job_id}").json()


def compare(client, **body) -> dict:
    r = client.post("/api/compare", json={"scenario": "toy", "strategies": ["naloxone"],
                                          "runs": 1, "years": 0.25, "seed": 5, **body})
    assert r.status_code == 200, r.text
    job = wait(client, r.json()["id"])
    assert job["status"] == "done", job["error"]
    return job


# ------------------------------------------------------------------ runs made by the app
def test_a_run_made_in_the_apps_process_can_be_made_again_from_its_record(client):
    """The app reports each step of a run it makes in its own process; its record named
    the model 'functools:?' (the partial that carried the progress callback), so
    `fentanet runs rerun` refused every such run as made 'outside fentanet'."""
    compare(client)
    store = RunStore(client.work / "runs")
    runs = store.runs()
    assert len(runs) == 2 and set(runs.status) == {"done"}
    for row in runs.itertuples():
        assert row.setup.get("model") in (None, "fentanet.simulate.run:simulate")
        again = fentanet.ensemble.rerun(row.run_id, store)
        assert again.summary["deaths_total"] == pytest.approx(
            store.summary([row.run_id])["deaths_total"].iloc[0])


# ------------------------------------------------------------------ unknown request fields
@pytest.mark.parametrize("path, body, field, near", [
    ("/api/networks/generate", {"actors": 30, "sed": 3}, "sed", "seed"),
    ("/api/networks/open", {"dataset": "caviar", "fromat": "dl"}, "fromat", "format"),
    ("/api/compare", {"strategies": ["naloxone"], "yeras": 1}, "yeras", "years"),
    ("/api/compare", {"variants": [{"name": "v", "strategy": "naloxone", "intensty": 0.9}]},
     "variants.0.intensty", "intensity"),
    ("/api/compare", {"variants": [{"name": "v", "interventions": [
        {"kind": "lab_raids", "cuont": 3, "rule": "degree"}]}]},
     "variants.0.interventions.0.cuont", "count"),
    ("/api/compare", {"strategies": ["naloxone"], "uncertain": [
        {"nmae": "params.market.elasticity", "low": 0.3, "high": 0.5}]},
     "uncertain.0.nmae", "name"),
])
def test_a_field_the_app_does_not_know_is_refused_naming_the_nearest(client, path, body, field,
                                                                     near):
    """A misspelt field was ignored: {"actors": 30, "sed": 3} made seed 1's network and
    {"yeras": 1} ran the scenario's own horizon, without a word (the command line refuses
    an unknown key and names the nearest)."""
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    msg = r.json()["error"]
    key = field.rsplit(".", 1)[-1]
    assert f"{field}: unknown field '{key}' (did you mean '{near}'?); expected one of: " in msg
    assert client.get("/api/networks").json() == [] and client.get("/api/jobs").json() == []


def test_the_analysis_refuses_an_unknown_field_too(client):
    nid = client.post("/api/networks/generate", json={"actors": 30}).json()["id"]
    r = client.post(f"/api/networks/{nid}/analyze", json={"k": 2, "tiem_limit": 5})
    assert r.status_code == 422
    assert r.json()["error"] == (
        "invalid request: tiem_limit: unknown field 'tiem_limit' (did you mean 'time_limit'?); "
        "expected one of: k, top, steps, seed, time_limit")


@pytest.mark.parametrize("raw, where", [(b"{not json", 1), (b'{"actors": 30,}', 14)])
def test_a_body_that_is_not_json_says_so_and_where(client, raw, where):
    # it read "invalid request: 1: JSON decode error"
    r = client.post("/api/networks/generate", content=raw,
                    headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"] == (f"invalid request: the body is not valid JSON at character "
                                 f"{where}: Expecting property name enclosed in double quotes")


def test_a_count_without_a_rule_is_refused_not_dropped(client):
    """A variant's intervention with "count" and no "rule" ran with the intervention's own
    targeting, the count dropped without a word (`--variant NAME=kind:intensity:rule:count`
    takes a count only after a rule)."""
    r = client.post("/api/compare", json={"variants": [{"name": "five", "interventions": [
        {"kind": "lab_raids", "intensity": 2, "count": 5}]}]})
    assert r.status_code == 422
    assert r.json()["error"] == (
        "invalid request: variants.0.interventions.0: count (actors targeted) needs a rule "
        "to choose them by (random, degree, betweenness, ...): give rule too")
    assert client.get("/api/jobs").json() == []


# ------------------------------------------------------------------ jobs
def test_a_job_cancelled_while_running_is_no_longer_cancelling():
    """`cancelling` means asked and not yet stopped: it stayed true once the job had
    stopped, and the Files tab's jobs list showed such a job as "cancelling" for good."""
    import threading

    from fentanet.web.jobs import JobRunner

    runner = JobRunner()
    started, asked = threading.Event(), threading.Event()

    def work(job):
        started.set()
        asked.wait(30)
        job.update(0.5, "half")  # its next progress report: it stops here
        return "never"

    job = runner.submit("test", "a job", work)
    assert started.wait(30)
    assert runner.cancel(job.id).public()["cancelling"] is True
    asked.set()
    done = runner.wait(job.id, timeout=30).public()
    runner.shutdown()
    assert (done["status"], done["cancelling"], done["message"]) == (
        "cancelled", False, "cancelled")


# ------------------------------------------------------------------ ids holding markup
MARKUP = ['<b>bold</b>', '<a href="http://example.org/">click</a>', 'a&amp;b', "x<br>y"]


def test_actor_ids_are_drawn_as_written_not_as_markup():
    """Actor ids come from the user's files: plotly read `<b>`, `<br>` and `<a href>` in a
    trace's text, a title or a tick label as markup (`<b>bold</b>` was drawn as a bold
    "bold", an `<a href>` as a link to its address, `a&amp;b` as "a&b"), in the app's
    drawings and in the reports. Escaped, plotly shows the characters themselves."""
    import pandas as pd

    from fentanet.network import Network
    from fentanet.report import figures as F

    ids = [*MARKUP, "n1"]
    links = pd.DataFrame({"source": ids[:-1], "target": ids[1:]})
    net = Network(links=links, directed=True, name="<i>case</i>")
    fig = F.network_figure(net, color_by="kind", highlight={"key players": [MARKUP[0]]},
                           labels=True)
    shown = {t.name: t for t in fig.data}
    marks = shown["key players"]
    assert list(marks.customdata) == [MARKUP[0]]  # the id itself, for selecting it
    assert list(marks.text) == ["&lt;b&gt;bold&lt;/b&gt;"]
    assert list(shown["labels"].text) == [
        '&lt;a href="http://example.org/"&gt;click&lt;/a&gt;', "a&amp;amp;b", "x&lt;br&gt;y",
        "n1"]
    [dots] = [t for t in fig.data if t.mode == "markers" and t.name.startswith("actor")]
    assert list(dots.customdata) == ids
    assert dots.text[0] == "<b>&lt;b&gt;bold&lt;/b&gt;</b><br>actor"
    assert fig.layout.title.text == "&lt;i&gt;case&lt;/i&gt;"
    bars = F.bars_figure(ids[:2], [2.0, 1.0])
    assert list(bars.data[0].y) == ["&lt;b&gt;bold&lt;/b&gt;",
                                    '&lt;a href="http://example.org/"&gt;click&lt;/a&gt;']


def test_the_apps_drawing_of_an_ego_network_names_its_actor_as_written(client):
    body = "source,target\n" + "".join(
        '"{}",n1\n'.format(a.replace('"', '""')) for a in MARKUP)
    r = client.post("/api/networks/upload", files={"file": ("m.csv", body.encode(),
                                                            "text/csv")})
    assert r.status_code == 200, r.text
    nid = r.json()["id"]
    r = client.get(f"/api/networks/{nid}/figure", params={"ego": MARKUP[1], "radius": 1})
    assert r.status_code == 200, r.text
    assert r.json()["layout"]["title"]["text"] == (
        'm.csv · ego network of &lt;a href="http://example.org/"&gt;click&lt;/a&gt; '
        "(radius 1)")


def test_strategy_names_are_drawn_as_written():
    """A variant's name on the command line may hold markup (`--variant '<b>x</b>=...'`),
    and the app shows the ensembles of its run store, those made there too."""
    import pandas as pd

    from fentanet.report import figures as F

    frame = pd.DataFrame({"variant": ["<b>x</b>", "<b>x</b>"], "t": [0, 1],
                          "q05": [1.0, 2.0], "q50": [2.0, 3.0], "q95": [3.0, 4.0]})
    band = F.band_figure(frame, "t", by="variant")
    assert [t.name for t in band.data] == ["&lt;b&gt;x&lt;/b&gt; high",
                                           "&lt;b&gt;x&lt;/b&gt; low", "&lt;b&gt;x&lt;/b&gt;"]
    bars = F.interval_bar_figure(pd.DataFrame({"v": ["<b>x</b>"], "m": [2.0], "lo": [1.0],
                                               "hi": [3.0]}), "v", "m", "lo", "hi")
    assert list(bars.data[0].y) == ["&lt;b&gt;x&lt;/b&gt;"]
    assert set(bars.data[1].y) == {"&lt;b&gt;x&lt;/b&gt;"}  # the interval's ends, on its bar


# ------------------------------------------------------------------ stored ensembles
def test_stored_ensembles_say_their_horizon(client):
    """Two ensembles of one scenario, strategies and seeds but not one horizon read the
    same in the Stored ensembles list and when shown: nothing said over how many years
    their runs went."""
    shown = {years: compare(client, years=years)["result"] for years in (0.25, 0.5)}
    assert [v["years"] for v in shown.values()] == [[0.25], [0.5]]
    listed = client.get("/api/ensembles").json()
    assert [(e["ensemble"], e["years"]) for e in listed] == [
        (shown[0.5]["ensemble"], [0.5]), (shown[0.25]["ensemble"], [0.25])]
    again = client.get(f"/api/ensembles/{shown[0.25]['ensemble']}").json()
    assert again["years"] == [0.25]


# ------------------------------------------------------------------ messages naming the field
def test_a_path_outside_is_refused_naming_the_field_file(client):
    # it named field 'path', which POST /api/networks/open does not have
    for path, why in (("../x.csv", "'..' is not allowed in paths"),
                      ("/etc/passwd", "absolute paths are not allowed; give a path inside "
                                      "the working folder"),
                      ("uploads/none.csv", "no file 'uploads/none.csv' in the working folder")):
        r = client.post("/api/networks/open", json={"file": path})
        assert r.status_code in (400, 404)
        assert r.json()["error"] == f"field 'file': {why}"


def test_the_kind_filter_is_named_kinds_and_an_empty_view_is_refused(client):
    nid = client.post("/api/networks/generate", json={"actors": 40}).json()["id"]
    r = client.get(f"/api/networks/{nid}/figure", params={"kinds": "lab,lbs"})
    assert r.status_code == 400  # it named 'actor_kinds', the Python argument
    assert r.json()["error"].startswith("field 'kinds': unknown kind(s) ['lbs']; expected any "
                                        "of supplier, marketplace, lab, ")
    # a kind the network has none of drew an empty plot without a word
    for kinds in ("actor", ","):
        r = client.get(f"/api/networks/{nid}/figure", params={"kinds": kinds})
        assert r.status_code == 400, kinds
        assert r.json()["error"].startswith(
            f"field 'kinds': no actor of kind {kinds.strip(',') or '(none given)'} in "
            "generated 40 (seed 1); it has ")


@pytest.mark.parametrize("limit", [0, -5, 201])
def test_a_search_limit_out_of_range_is_refused(client, limit):
    # it was silently clamped to 1..200, where every other parameter is refused
    nid = client.post("/api/networks/generate", json={"actors": 40}).json()["id"]
    r = client.get(f"/api/networks/{nid}/search", params={"q": "lab", "limit": limit})
    assert r.status_code == 400
    assert r.json()["error"] == "field 'limit': limit must be 1 to 200"


def test_a_network_of_three_actors_takes_one_key_player(client):
    nid = client.post("/api/networks/upload", files={"file": (
        "t.csv", b"source,target\na,b\nb,c\n", "text/csv")}).json()["id"]
    r = client.post(f"/api/networks/{nid}/analyze", json={"k": 2})
    assert r.status_code == 400  # it said "k must be 1 to 1"
    assert r.json()["error"] == "field 'k': k must be 1 for t.csv (its 3 actors less 2)"


def test_an_unknown_job_says_jobs_are_forgotten_at_a_restart(client):
    """After a restart the page, still polling its job, got "no job 'x'" and no reason."""
    for r in (client.get("/api/jobs/abc123"), client.delete("/api/jobs/abc123")):
        assert r.status_code == 404
        assert r.json()["error"] == (
            "no job 'abc123' (the app keeps its jobs while it runs: a restart forgets them, "
            "and the reports, results and runs they made stay in the working folder)")


# ------------------------------------------------------------------ the page
def test_every_field_of_the_page_has_a_label(client):
    """The generator's two boxes (actors, seed) and the search had a placeholder or a
    tooltip only: a screen reader announced "1000" and "1", and so did the page."""
    from html.parser import HTMLParser

    class Fields(HTMLParser):
        def __init__(self):
            super().__init__()
            self.fields, self.labelled, self.open_labels = [], set(), 0

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "label":
                self.open_labels += 1
                if a.get("for"):
                    self.labelled.add(a["for"])
            elif tag in ("input", "select", "textarea"):
                self.fields.append(a.get("id"))
                if self.open_labels or a.get("aria-label"):
                    self.labelled.add(a.get("id"))

        def handle_endtag(self, tag):
            if tag == "label":
                self.open_labels -= 1

    page = Fields()
    page.feed(client.get("/").text)
    assert {"gen-actors", "gen-seed", "search"} <= set(page.fields)
    assert [f for f in page.fields if f not in page.labelled] == []


def test_a_comparison_in_the_apps_process_says_what_its_first_run_does(client, monkeypatch):
    """The first comparison after an install or an update sat at 0% with "2 runs to make
    (here)" for a minute or more while the model compiled, as if it had hung."""
    from fentanet.web import jobs as web_jobs

    said = []
    update = web_jobs.Job.update

    def record(self, progress=None, message=None):
        said.append(message)
        return update(self, progress, message)

    monkeypatch.setattr(web_jobs.Job, "update", record)
    compare(client)
    assert said[0] == ("run 1 of 2 (here): the spin-up to the status quo; the first run after "
                       "fentanet is installed or updated compiles the model first (a minute "
                       "or more)")
    assert said[1] == "run 1 of 2: step 1 of 13"


def test_a_stored_sweep_is_shown_point_by_point(client):
    """A sweep run from the command line into the app's store (`fentanet sweep toy
    --variant naloxone --param params.market.elasticity=0.3,0.6 --store WORKDIR/runs`) was
    shown with its points pooled: "naloxone, seeds 4" for 2 seeds at 2 points, its median
    and band over both, and two "naloxone, deaths averted" rows that could not be told
    apart."""
    ens = fentanet.ensemble("toy", 2, variants=["naloxone"], sweep={
        "params.market.elasticity": [0.3, 0.6]}, seed=3, years=0.75, scheduler="serial",
        store=client.work / "runs", progress=False)
    view = client.get(f"/api/ensembles/{ens.id}").json()
    assert view["sweep"] == ["params.market.elasticity"]
    side = {r["strategy"]: r for r in view["side_by_side"]}
    assert list(side) == [f"{v} · params.market.elasticity={e}"
                          for v in ("baseline", "naloxone") for e in (0.3, 0.6)]
    assert {r["seeds"] for r in side.values()} == {2}
    summary = ens.summary()
    for e in (0.3, 0.6):
        at = summary[summary["params.market.elasticity"] == e]
        deaths = at.pivot(index="seed", columns="variant", values="deaths_total")
        [row] = [r for r in view["comparison"] if r["outcome"] == "deaths averted"
                 and r["params.market.elasticity"] == e]
        assert row["mean"] == pytest.approx((deaths["baseline"] - deaths["naloxone"]).mean())
    assert client.get("/api/ensembles").json()[0]["sweep"] == ["params.market.elasticity"]


def test_the_interdiction_says_what_its_budget_bought(client):
    """The Analysis tab read "Optimal interdiction for a budget of 5 (actors): remove
    rte-0001", as if 5 actors could go and one did: the budget is in the actors' cost
    units, and what the removal cost was not said (the report says it)."""
    from fentanet.analysis.summary import analyze

    nid = client.post("/api/networks/generate", json={"actors": 200, "seed": 2}).json()["id"]
    r = client.post(f"/api/networks/{nid}/analyze", json={"k": 2, "steps": 3})
    job = wait(client, r.json()["id"])
    assert job["status"] == "done", job["error"]
    inter = job["result"]["interdiction"]
    direct = analyze(fentanet.generate({"actors": 200}, seed=2), k=2, steps=3).interdiction
    assert (inter["budget"], inter["cost_used"], inter["removed"]) == (
        direct.budget, direct.cost_used, direct.removed)
    js = client.get("/static/app.js").text
    assert "cost units" in js and "i.cost_used" in js
