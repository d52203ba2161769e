"""The population model against published effect sizes (the validation table)."""

from __future__ import annotations

import pandas as pd
import pytest

from fentanet.simulate.population import PopulationParams
from fentanet.simulate.population_checks import PUBLISHED, checks_markdown, effect_size_checks


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return effect_size_checks(seeds=4, population=500_000.0, years=1.0)


def test_every_published_figure_is_matched(table):
    bad = table[~table["consistent"]]
    assert bad.empty, bad[["key", "published", "low", "high", "model"]].to_string()
    # the independent checks land where the formulas say they should:
    rows = table.set_index("key")
    # opioid deaths in treatment relative to out of it: 1 / 2.2
    assert rows.loc["larochelle", "model"] == pytest.approx(1 / 2.2, rel=0.05)
    # deaths averted per naloxone administration: p0 * p_success = 0.099
    assert rows.loc["irvine", "model"] == pytest.approx(0.11 * 0.9, rel=0.03)
    # naloxone at full effort vs none: 1 - w * k_max * s = 1 - 0.6 * 0.8 * 0.9
    assert rows.loc["walley_high", "model"] == pytest.approx(1 - 0.6 * 0.8 * 0.9, rel=0.02)
    assert "| yes |" in checks_markdown(table)


def test_the_checks_fail_a_wrong_model():
    # naloxone that rarely works: deaths averted per administration and the rate ratio at
    # full effort both leave their published intervals
    wrong = effect_size_checks(
        PopulationParams(p_success=0.3), seeds=2, population=200_000.0, years=0.5
    ).set_index("key")
    assert not wrong.loc["irvine", "consistent"]
    assert not wrong.loc["walley_high", "consistent"]
    assert "| NO |" in checks_markdown(wrong.reset_index())


def test_cited_figures_match_the_shared_effect_sizes(shared_data):
    es = pd.read_csv(shared_data / "public" / "effect_sizes.csv")
    by_source = {(r.lever, r.source.split()[0]): r.value for r in es.itertuples()}
    assert by_source[("buprenorphine treatment", "Sordo")] == PUBLISHED["sordo"].value
    assert by_source[("buprenorphine after nonfatal overdose", "Larochelle")] == (
        PUBLISHED["larochelle"].value
    )
    walley = es[es["source"].str.startswith("Walley")]["value"].tolist()
    assert sorted(walley) == sorted([PUBLISHED["walley_low"].value, PUBLISHED["walley_high"].value])
    assert by_source[("take-home naloxone", "Irvine")] == PUBLISHED["irvine"].value
    assert by_source[("bystander naloxone", "SOURCE")] == PopulationParams().p_kit
    deaths = pd.read_csv(shared_data / "public" / "us_synthetic_opioid_deaths.csv")
    peak = deaths[deaths["year"].between(2021, 2023)]["deaths"]
    assert PUBLISHED["deaths_us"].low == peak.min()
    assert PUBLISHED["deaths_us"].high == peak.max()
    assert PUBLISHED["deaths_us"].value == pytest.approx(peak.mean(), abs=1)
