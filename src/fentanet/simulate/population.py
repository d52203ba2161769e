"""The population model: how the supply reaching a market turns into harm.

One entry per market, counts of real people (int64): people at risk who do not use,
people who use illicit opioids (split into those in the high-risk weeks after release
from custody and the others), people in treatment, people in remission, and cumulative
deaths (overdose and other causes). The simulation's population phase calls
:func:`step_population` once per step with this step's :class:`PopulationInputs`
(availability, price, potency and its volatility, prescription diversion, releases after
arrest, and the efforts of the public-health levers).

Every transition is a random draw (binomial, or multinomial for competing exits from one
compartment, drawn as sequential conditional binomials), never an average, so runs carry
honest noise. Parameters are annual rates; a step's probability is
``1 - exp(-rate * dt)``. Draws invert uniforms keyed by (seed, ``"population"``, step,
market uid, draw index) from :class:`fentanet.simulate.rng.Streams`: the same seed gives
the same draws in a baseline and an intervention run, and changing one market's inputs
never changes another market's draws.

The process, the parameters with their sources, and the checks against published effect
sizes are documented in ``docs/model-population.md`` (the population section of the ODD
protocol).

>>> import pandas as pd
>>> from fentanet.simulate.rng import Streams
>>> params = PopulationParams()
>>> state = init_population(pd.DataFrame({"uid": [7, 8], "population": [3000, 500]}), params)
>>> before = state.total()
>>> flows = step_population(state, params, PopulationInputs.baseline(2), Streams(1), 0, 1 / 52)
>>> bool((state.total() == before).all())
True
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.errors import InputError
from fentanet.simulate.binomial import binom_inv_many, keyed_uniform
from fentanet.simulate.rng import Streams

WEEKS_PER_YEAR = 365.25 / 7.0


def _p(default: float, unit: str, source: str, doc: str) -> Any:
    """A documented parameter field: default, unit, source (or "assumption") and meaning."""
    return field(default=default, metadata={"unit": unit, "source": source, "doc": doc})


@dataclass(frozen=True)
class PopulationParams:
    """Parameters of the population model: annual rates, probabilities and effect sizes.

    Every field carries its unit, its source (or "assumption") and its meaning in
    ``dataclasses.fields(PopulationParams)[i].metadata``; :func:`parameter_table` lists
    them. Efforts of the levers (inputs) run from 0 (the status quo the defaults describe,
    about 2021-2023 in the US) to 1 (the largest scale-up the model considers).
    """

    # --- scale of the initial state -------------------------------------------------
    at_risk_per_user: float = _p(
        3.0,
        "people at risk per person using",
        "assumption, anchored on NSDUH 2021 (about 8.7 million people misused prescription "
        "pain relievers in the past year, against about 3 million using illicit opioids; "
        "unverified)",
        "Initial people at risk (not using) per person using, where the market table has no "
        "`at_risk` column.",
    )
    treatment_capacity: float = _p(
        0.5,
        "treatment slots per person using at start",
        "assumption (set so that about a fifth of people with opioid use disorder are in "
        "treatment at the status quo, as NSDUH 2021 reports: Jones et al. JAMA Netw Open "
        "2023, 22.3%)",
        "Treatment places per market at effort 0, per person using at the start.",
    )
    # --- initiation -----------------------------------------------------------------
    initiation_rate: float = _p(
        0.0124,
        "per person at risk per year",
        "assumption, set so that the number using is stationary at the status quo "
        "(initiations balance deaths; calibrated later)",
        "Hazard of starting illicit opioid use at availability 1, price index 1, diversion "
        "1 and no prevention.",
    )
    initiation_availability_exponent: float = _p(
        1.0, "1", "assumption", "Initiation scales with availability ** this exponent."
    )
    initiation_price_elasticity: float = _p(
        0.5,
        "1",
        "assumption (participation price elasticities of heroin use reported between about "
        "-0.1 and -0.9)",
        "Initiation scales with price_index ** -this elasticity.",
    )
    diversion_share: float = _p(
        0.3,
        "share of initiation",
        "assumption (most heroin initiates of the 2000s had misused prescription opioids "
        "first, a share that fell as illicit fentanyl spread)",
        "Share of initiation that prescription diversion feeds at diversion 1; the factor "
        "is (1 - share) + share * diversion.",
    )
    education_effect: float = _p(
        0.1,
        "share of initiation averted at full effort",
        "assumption (school and media drug education show small effects)",
        "Initiation is multiplied by 1 - education_effect * education.",
    )
    prevention_effect: float = _p(
        0.2,
        "share of initiation averted at full effort",
        "assumption (community prevention systems report reductions of this order)",
        "Initiation is multiplied by 1 - prevention_effect * prevention.",
    )
    counterfeit_share: float = _p(
        0.25,
        "share of initiation",
        "assumption",
        "Share of initiation that starts with counterfeit pills bought online or through "
        "social media: the channel scam and counterfeit awareness acts on.",
    )
    scam_awareness_effect: float = _p(
        0.5,
        "share of that channel averted at full effort",
        "assumption",
        "Initiation is multiplied by 1 - counterfeit_share * scam_awareness_effect * "
        "scam_awareness.",
    )
    # --- overdose -------------------------------------------------------------------
    overdose_rate: float = _p(
        0.235,
        "overdoses per person using per year",
        "assumption, set so that 3 million people using give about 70,000 fatal overdoses "
        "a year at the status quo (CDC WONDER T40.4, 2021-2023: 70,601-73,838); within "
        "surveys' 20-30% reporting an overdose in the past year",
        "Overdose hazard of a person using at potency 1, availability 1, no volatility.",
    )
    potency_exponent: float = _p(
        1.0, "1", "assumption", "Overdose hazard scales with potency ** this exponent."
    )
    overdose_availability_exponent: float = _p(
        0.5,
        "1",
        "assumption (people use less when supply is short; heroin shortages lowered "
        "overdose deaths, e.g. Australia 2001)",
        "Overdose hazard scales with availability ** this exponent.",
    )
    volatility_effect: float = _p(
        1.0,
        "relative increase per unit of volatility",
        "Ray et al. AJPH 2023;113(7):750: fatal overdoses doubled within 7 days and 500 m "
        "of opioid seizures; potency_volatility 1 stands for such a disruption",
        "Overdose hazard is multiplied by 1 + volatility_effect * potency_volatility.",
    )
    p0: float = _p(
        0.11,
        "probability",
        "assumption (about one overdose in ten fatal without naloxone); with p_success its "
        "product is checked against Irvine et al. 2018 (0.1 deaths averted per kit used)",
        "Probability that an overdose is fatal when no naloxone is given.",
    )
    p_witnessed: float = _p(
        0.6,
        "probability",
        "assumption (a potential bystander was present at about 40% of overdose deaths, "
        "CDC SUDORS; witnessed overdoses survive more often, so the share among all "
        "overdoses is higher)",
        "Probability that an overdose is witnessed by someone who could respond.",
    )
    p_kit: float = _p(
        0.34,
        "probability",
        "Lim et al. PNAS 2022 (bystander naloxone, US 2017; effect_sizes.csv): the one "
        "input effect size of the naloxone lever",
        "Probability that naloxone is given at a witnessed overdose, at naloxone effort 0.",
    )
    p_kit_max: float = _p(
        0.8,
        "probability",
        "assumption",
        "Probability that naloxone is given at a witnessed overdose at naloxone effort 1; "
        "linear in effort between p_kit and p_kit_max.",
    )
    p_success: float = _p(
        0.9,
        "probability",
        "assumption (overdose education and naloxone programmes report survival after "
        "bystander naloxone in more than 90% of uses)",
        "Probability that naloxone given at an overdose that would be fatal reverses it.",
    )
    release_overdose_multiplier: float = _p(
        8.0,
        "ratio",
        "Binswanger et al. NEJM 2007;356:157 (overdose death 129 times other residents in "
        "the first 2 weeks after release, all-cause 12.7 times) and Merrall et al. "
        "Addiction 2010;105:1545 (drug-related deaths 3-8 times higher in weeks 1-2 than "
        "in weeks 3-12): the upper end of the latter, against people using who were not "
        "released; uncertain",
        "Overdose hazard of people in the high-risk window after release from custody, "
        "relative to other people using.",
    )
    release_window_weeks: float = _p(
        2.0,
        "weeks",
        "Binswanger et al. NEJM 2007 (the first 2 weeks after release)",
        "Mean time in the high-risk window after release (exponential).",
    )
    # --- treatment ------------------------------------------------------------------
    treatment_entry_rate: float = _p(
        0.8,
        "per person using per year",
        "assumption, set with treatment_capacity so that 22% of people with opioid use "
        "disorder are in treatment at the status quo (NSDUH 2021: 22.3% received "
        "medication, Jones et al. JAMA Netw Open 2023)",
        "Hazard of entering treatment when all slots are free; it falls with the share of "
        "slots filled.",
    )
    treatment_effort_gain: float = _p(
        1.0,
        "relative increase at full effort",
        "assumption (full effort doubles outreach and places)",
        "Treatment effort multiplies both the entry hazard and the capacity by "
        "1 + gain * treatment.",
    )
    treatment_dropout_rate: float = _p(
        1.0,
        "per person in treatment per year",
        "assumption (about half of buprenorphine patients stop within 6-12 months)",
        "Hazard of leaving treatment and using again.",
    )
    treatment_completion_rate: float = _p(
        0.2,
        "per person in treatment per year",
        "assumption",
        "Hazard of leaving treatment into remission.",
    )
    treatment_mortality_ratio: float = _p(
        2.20,
        "rate ratio out of / in treatment",
        "Sordo et al. BMJ 2017;357:j1550 (buprenorphine, all-cause mortality, effect_sizes.csv; "
        "methadone: 3.20): the one input effect size of the treatment lever",
        "All-cause mortality in treatment is that of people using divided by this ratio "
        "(applied to the overdose hazard and to other causes alike).",
    )
    # --- remission and other causes -------------------------------------------------
    remission_rate: float = _p(
        0.05,
        "per person using per year",
        "assumption (long-term cohorts find a few per cent stopping each year)",
        "Hazard of stopping use without treatment.",
    )
    relapse_rate: float = _p(
        0.25,
        "per person in remission per year",
        "assumption",
        "Hazard of using again after remission.",
    )
    other_mortality_using: float = _p(
        0.01,
        "per person per year",
        "assumption (non-overdose deaths among people using opioids, of the order of 1 per "
        "100 person-years)",
        "Death hazard from causes other than overdose, people using (and, divided by "
        "treatment_mortality_ratio, in treatment).",
    )
    other_mortality_remission: float = _p(
        0.005, "per person per year", "assumption", "Death hazard from all causes in remission."
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise InputError(f"expected a finite number, got {v!r}", field=f.name)
            if v < 0:
                raise InputError(f"expected a value >= 0, got {v}", field=f.name)
        for name in (
            "diversion_share",
            "education_effect",
            "prevention_effect",
            "counterfeit_share",
            "scam_awareness_effect",
            "p0",
            "p_witnessed",
            "p_kit",
            "p_kit_max",
            "p_success",
        ):
            if getattr(self, name) > 1:
                raise InputError(
                    f"expected a share in [0, 1], got {getattr(self, name)}", field=name
                )
        if self.p_kit_max < self.p_kit:
            raise InputError(
                f"expected p_kit_max >= p_kit = {self.p_kit}, got {self.p_kit_max}",
                field="p_kit_max",
            )
        for name in ("treatment_mortality_ratio", "release_window_weeks"):
            if getattr(self, name) <= 0:
                raise InputError(f"expected a value > 0, got {getattr(self, name)}", field=name)

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any] | None, where: str = "params.population"
    ) -> PopulationParams:
        """Build from a mapping (a scenario's ``params.population``); unknown keys raise."""
        values = dict(values or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise InputError(
                f"unknown parameter(s) {unknown}; allowed: {sorted(names)}",
                field=f"{where}.{unknown[0]}",
            )
        try:
            return cls(**{name: _number(x) for name, x in values.items()})
        except InputError as err:
            raise InputError(err.detail, field=f"{where}.{err.field}") from None

    @functools.cached_property
    def vector(self) -> np.ndarray:
        """The parameters as a float array in field order (what the compiled step reads)."""
        return np.array([getattr(self, n) for n in PARAM_NAMES], dtype=np.float64)

    def replace(self, **changes: Any) -> PopulationParams:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)


def _number(x: Any) -> Any:
    """A number written as text read as the number (``"1e-3"``: YAML 1.1, which scenario
    files and ``--set`` values are read as, takes an exponent without a dot as text, and
    the model's other parameters take it as pydantic does); anything else as given."""
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            return x
    return x


PARAM_NAMES = tuple(f.name for f in dataclasses.fields(PopulationParams))
"""Parameter names in the order of :attr:`PopulationParams.vector`."""
_P = {name: i for i, name in enumerate(PARAM_NAMES)}
(
    _INIT,
    _INIT_AV,
    _INIT_PRICE,
    _DIV,
    _EDU,
    _PREV,
    _CF,
    _SCAM,
    _OD,
    _POT,
    _OD_AV,
    _VOL,
    _P0,
    _PW,
    _PKIT,
    _PKITMAX,
    _PS,
    _REL_MULT,
    _REL_WEEKS,
    _TX_ENTRY,
    _TX_GAIN,
    _TX_DROP,
    _TX_COMP,
    _TX_RR,
    _REM,
    _RELAPSE,
    _MU_U,
    _MU_R,
) = (
    _P[n]
    for n in (
        "initiation_rate",
        "initiation_availability_exponent",
        "initiation_price_elasticity",
        "diversion_share",
        "education_effect",
        "prevention_effect",
        "counterfeit_share",
        "scam_awareness_effect",
        "overdose_rate",
        "potency_exponent",
        "overdose_availability_exponent",
        "volatility_effect",
        "p0",
        "p_witnessed",
        "p_kit",
        "p_kit_max",
        "p_success",
        "release_overdose_multiplier",
        "release_window_weeks",
        "treatment_entry_rate",
        "treatment_effort_gain",
        "treatment_dropout_rate",
        "treatment_completion_rate",
        "treatment_mortality_ratio",
        "remission_rate",
        "relapse_rate",
        "other_mortality_using",
        "other_mortality_remission",
    )
)
(_X_AVAIL, _X_PRICE, _X_POT, _X_VOL, _X_DIV, _X_REL, _X_EDU, _X_PREV, _X_TX, _X_NAL, _X_SCAM) = (
    range(11)
)


def parameter_table(params: PopulationParams | None = None) -> pd.DataFrame:
    """One row per parameter: name, value, default, unit, source, meaning."""
    params = params or PopulationParams()
    rows = []
    for f in dataclasses.fields(PopulationParams):
        rows.append(
            {
                "name": f.name,
                "value": getattr(params, f.name),
                "default": f.default,
                "unit": f.metadata["unit"],
                "source": f.metadata["source"],
                "meaning": f.metadata["doc"],
            }
        )
    return pd.DataFrame(rows)


def parameter_markdown() -> str:
    """The parameter table of docs/model-population.md (generated: the doc must match)."""
    table = parameter_table()
    lines = ["| parameter | default | unit | meaning | source |", "|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| `{r.name}` | {r.default:g} | {r.unit} | {r.meaning} | {r.source} |")
    assumed = int(table["source"].str.startswith("assumption").sum())
    lines.append("")
    lines.append(
        f"{len(table)} parameters: {len(table) - assumed} with a published source, "
        f"{assumed} marked assumption."
    )
    return "\n".join(lines)


@dataclass
class PopulationState:
    """Per-market compartments (int64 counts of people) and cumulative deaths.

    ``using`` counts every person who uses illicit opioids (out of treatment);
    ``released`` is the part of them in the high-risk window after release from custody
    (``0 <= released <= using``). People are conserved: ``at_risk + using + treatment +
    remission + overdose_deaths + other_deaths`` never changes (:meth:`total`).
    """

    uid: np.ndarray  # int64 stable market uids: the keys of the random draws
    at_risk: np.ndarray
    using: np.ndarray
    released: np.ndarray  # of whom in the post-release window (a subset of using)
    treatment: np.ndarray
    remission: np.ndarray
    overdose_deaths: np.ndarray
    other_deaths: np.ndarray
    capacity: np.ndarray  # float64 treatment places at effort 0

    COUNTS = (
        "at_risk",
        "using",
        "treatment",
        "remission",
        "overdose_deaths",
        "other_deaths",
    )

    @property
    def n_markets(self) -> int:
        return int(self.uid.shape[0])

    @property
    def people_using(self) -> np.ndarray:
        """People who use illicit opioids (out of treatment), recently released included."""
        return self.using

    @property
    def deaths(self) -> np.ndarray:
        """Cumulative deaths of all causes in the model."""
        return self.overdose_deaths + self.other_deaths

    def total(self) -> np.ndarray:
        """People per market, alive or dead: constant over a run."""
        return sum(getattr(self, name) for name in self.COUNTS)

    def copy(self) -> PopulationState:
        return PopulationState(
            **{f.name: getattr(self, f.name).copy() for f in dataclasses.fields(self)}
        )

    def to_frame(self) -> pd.DataFrame:
        """The state as a table, one row per market."""
        return pd.DataFrame({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})


_INPUT_DEFAULTS: dict[str, float] = {
    "availability": 1.0,
    "price_index": 1.0,
    "potency": 1.0,
    "potency_volatility": 0.0,
    "diversion": 1.0,
    "released": 0.0,
    "education": 0.0,
    "prevention": 0.0,
    "treatment": 0.0,
    "naloxone": 0.0,
    "scam_awareness": 0.0,
}
_EFFORTS = ("education", "prevention", "treatment", "naloxone", "scam_awareness")


@dataclass
class PopulationInputs:
    """This step's inputs per market (float arrays of one length, or scalars).

    availability: share of demand met by the supply consumed this step (0..1).
    price_index: 1 = base price. potency: potency index (1 = base).
    potency_volatility: recent volatility of potency, 0 = stable, 1 = a disruption like a
    local opioid seizure (Ray et al. 2023). diversion: prescription diversion reaching
    the market after take-back and prescriber oversight (1 = status quo).
    released: people who use drugs released after arrest this step (count, rounded).
    education, prevention, treatment, naloxone, scam_awareness: efforts 0..1 above the
    status quo.
    """

    availability: np.ndarray | float = 1.0
    price_index: np.ndarray | float = 1.0
    potency: np.ndarray | float = 1.0
    potency_volatility: np.ndarray | float = 0.0
    diversion: np.ndarray | float = 1.0
    released: np.ndarray | float = 0.0
    education: np.ndarray | float = 0.0
    prevention: np.ndarray | float = 0.0
    treatment: np.ndarray | float = 0.0
    naloxone: np.ndarray | float = 0.0
    scam_awareness: np.ndarray | float = 0.0

    @classmethod
    def baseline(cls, n_markets: int, **values: Any) -> PopulationInputs:
        """Status-quo inputs as arrays of length ``n_markets``, with ``values`` set."""
        out = {k: np.full(n_markets, v, dtype=np.float64) for k, v in _INPUT_DEFAULTS.items()}
        for k, v in values.items():
            if k not in out:
                raise InputError(f"unknown input; allowed: {sorted(out)}", field=k)
            out[k] = np.broadcast_to(np.asarray(v, dtype=np.float64), (n_markets,)).copy()
        return cls(**out)

    def matrix(self, n_markets: int) -> np.ndarray:
        """The inputs as a validated (n_markets, 11) float array, columns in
        :data:`INPUT_NAMES` order; bad values raise :class:`InputError` naming the input.

        Column-major (the transpose of an (11, n_markets) array): each input is copied in
        one contiguous run, a third of the time of filling strided columns."""
        xt = np.empty((len(INPUT_NAMES), n_markets), dtype=np.float64)
        for row, name in enumerate(INPUT_NAMES):
            a = np.asarray(getattr(self, name), dtype=np.float64)
            if a.ndim != 0 and a.shape != (n_markets,):
                raise InputError(
                    f"expected {n_markets} values (one per market), got shape {a.shape}",
                    field=f"inputs.{name}",
                )
            xt[row] = a
        x = xt.T
        if not _inputs_valid(xt, _UPPER):
            row, col = _first_bad_input(x)
            name = INPUT_NAMES[row]
            want = "in [0, 1]" if row in _UNIT_ROWS else "finite and >= 0"
            raise InputError(
                f"expected values {want}, got {x[col, row]} for market {col}",
                field=f"inputs.{name}",
            )
        return x

    def arrays(self, n_markets: int) -> dict[str, np.ndarray]:
        """Validated float arrays of length ``n_markets``, by input name."""
        x = self.matrix(n_markets)
        return {name: x[:, row] for row, name in enumerate(INPUT_NAMES)}


INPUT_NAMES = tuple(_INPUT_DEFAULTS)
"""The inputs in the column order of :meth:`PopulationInputs.matrix`."""
_UNIT_ROWS = tuple(INPUT_NAMES.index(n) for n in ("availability", *_EFFORTS))
_UPPER = np.array([1.0 if r in _UNIT_ROWS else np.inf for r in range(len(INPUT_NAMES))])
"""The largest valid value of each input (shares and efforts at most 1)."""


@numba.njit(cache=True)
def _inputs_valid(xt, upper):
    """Whether every value of the (inputs, markets) array ``xt`` is finite, ``>= 0`` and at
    most its input's ``upper`` bound (NaN is not); without a branch per value."""
    ok = True
    for r in range(xt.shape[0]):
        hi = upper[r]
        for c in range(xt.shape[1]):
            v = xt[r, c]
            ok &= (v >= 0.0) & (v <= hi) & (v < np.inf)
    return ok


@numba.njit(cache=True)
def _first_bad_input(x):
    """(row, column) of the first value that is NaN, infinite, negative, or above 1 in a
    share row (availability, efforts); (-1, -1) when all are valid."""
    for c in range(x.shape[0]):
        for r in range(x.shape[1]):
            v = x[c, r]
            if not (0.0 <= v < np.inf) or (v > 1.0 and r in _UNIT_ROWS):
                return r, c
    return -1, -1


def init_population(markets: pd.DataFrame, params: PopulationParams) -> PopulationState:
    """The initial state of every market, at the status-quo steady state.

    ``markets`` has one row per market with ``uid`` (stable integer id) and
    ``population`` (people using illicit opioids, out of treatment); optional
    ``at_risk`` (people at risk of starting; default ``at_risk_per_user * population``).
    Treatment and remission start at their steady state given the number using and the
    status-quo rates (:func:`steady_state`), so a run starts without a transient.
    """
    for col in ("uid", "population"):
        if col not in markets.columns:
            raise InputError(
                f"market table has no '{col}' column; columns: {list(markets.columns)}", field=col
            )
    uid = _column(markets, "uid", integer=True)
    if len(np.unique(uid)) != len(uid):
        raise InputError("market uids are not unique", field="uid")
    names = markets["id"].to_numpy() if "id" in markets.columns else uid
    pop = _column(markets, "population")
    using = np.rint(pop).astype(np.int64)
    if "at_risk" in markets.columns:
        at_risk = _at_most(_column(markets, "at_risk"), names, "people at risk", "at_risk",
                           "the market table's at_risk")
    else:
        at_risk = _at_most(params.at_risk_per_user * pop, names, "people at risk",
                           "params.population.at_risk_per_user",
                           "the people using times at_risk_per_user")
    treatment, remission = steady_state(using, params)
    treatment = _at_most(treatment, names, "people in treatment", "params.population",
                         "the status quo's steady state: treatment_entry_rate * using / "
                         "(exits + treatment_entry_rate / treatment_capacity)")
    remission = _at_most(remission, names, "people in remission", "params.population",
                         "the status quo's steady state: (remission_rate * using + "
                         "treatment_completion_rate * treatment) / (relapse_rate + "
                         "other_mortality_remission)")
    zeros = np.zeros(len(uid), dtype=np.int64)
    return PopulationState(
        uid=uid,
        at_risk=at_risk,
        using=using,
        released=zeros.copy(),
        treatment=treatment,
        remission=remission,
        overdose_deaths=zeros.copy(),
        other_deaths=zeros.copy(),
        capacity=params.treatment_capacity * using.astype(np.float64),
    )


PEOPLE_MAX = 1e15
"""The most people a market's compartment starts with (``MAX_QUANTITY`` of a network's
population, :mod:`fentanet.simulate.state`): counts are int64 and are drawn as such, and
1e15 is far beyond any real population."""


def _at_most(x: np.ndarray, names: np.ndarray, what: str, field: str, rule: str) -> np.ndarray:
    """``x`` rounded to whole people, or an :class:`InputError` naming ``field``, the
    ``rule`` that gave ``x`` and the market (its id in ``names``) when it would start with more than
    :data:`PEOPLE_MAX` (``at_risk_per_user`` 1e300 overflowed int64 to negative people at
    risk, ``remission_rate`` 1e300 to negative people in remission: fuzzing, session 21)."""
    bad = ~(np.asarray(x) <= PEOPLE_MAX)  # NaN and inf too
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{rule} gives {x[i]:.3g} {what} in market {names[i]!s}; expected at most "
                         f"{PEOPLE_MAX:g}", field=field)
    return np.rint(x).astype(np.int64)


def _column(markets: pd.DataFrame, col: str, *, integer: bool = False) -> np.ndarray:
    values = pd.to_numeric(markets[col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if integer:
        bad |= values != np.round(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        what = "non-negative integers" if integer else "finite numbers >= 0"
        raise InputError(f"expected {what}, got {markets[col].iloc[row]!r} in row {row}", field=col)
    return values.astype(np.int64) if integer else values


def steady_state(using: np.ndarray, params: PopulationParams) -> tuple[np.ndarray, np.ndarray]:
    """Expected treatment and remission counts in equilibrium with ``using`` people using,
    at status-quo inputs (all efforts 0, availability, price, potency, diversion 1).

    Treatment: entries ``e * U * (1 - T / K)`` balance exits ``x * T`` with
    ``K = treatment_capacity * U``, so ``T = e U / (x + e U / K)``. Remission: inflow
    ``remission_rate * U + completion * T`` balances ``(relapse + other mortality) * R``.
    """
    p = params
    u = np.asarray(using, dtype=np.float64)
    fatal_share = p.p0 * (1 - p.p_witnessed * p.p_kit * p.p_success)
    mort_t = (p.overdose_rate * fatal_share + p.other_mortality_using) / p.treatment_mortality_ratio
    exits = p.treatment_dropout_rate + p.treatment_completion_rate + mort_t
    cap = p.treatment_capacity * u
    e = p.treatment_entry_rate
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(cap > 0, e * u / (exits + e * u / np.where(cap > 0, cap, 1.0)), 0.0)
    out_r = p.relapse_rate + p.other_mortality_remission
    r = (p.remission_rate * u + p.treatment_completion_rate * t) / out_r if out_r > 0 else 0 * u
    return t, r


@numba.njit(cache=True, inline="always")
def _power(x, e):
    """``x ** e``, without the call where ``e`` is 1 (``pow(x, 1)`` is ``x`` exactly)."""
    return x if e == 1.0 else x ** e


@numba.njit(cache=True, inline="always")
def _rates(pv, x, i, capacity0, treatment):
    """The model's formulas for market ``i``: annual hazards and overdose outcome
    probabilities from the parameters ``pv`` and inputs ``x`` (see population_rates)."""
    avail = x[i, _X_AVAIL]
    init = (
        pv[_INIT]
        * _power(avail, pv[_INIT_AV])
        * max(x[i, _X_PRICE], 1e-12) ** -pv[_INIT_PRICE]
        * ((1.0 - pv[_DIV]) + pv[_DIV] * x[i, _X_DIV])
        * (1.0 - pv[_EDU] * x[i, _X_EDU])
        * (1.0 - pv[_PREV] * x[i, _X_PREV])
        * (1.0 - pv[_CF] * pv[_SCAM] * x[i, _X_SCAM])
    )
    od = (pv[_OD] * _power(x[i, _X_POT], pv[_POT]) * _power(avail, pv[_OD_AV])
          * (1.0 + pv[_VOL] * x[i, _X_VOL]))
    kit = pv[_PKIT] + (pv[_PKITMAX] - pv[_PKIT]) * x[i, _X_NAL]
    fatal_share = pv[_P0] * (1.0 - pv[_PW] * kit * pv[_PS])
    gain = 1.0 + pv[_TX_GAIN] * x[i, _X_TX]
    capacity = capacity0 * gain
    free = 1.0 - treatment / capacity if capacity > 0 else 0.0
    free = min(max(free, 0.0), 1.0)
    entry = pv[_TX_ENTRY] * gain * free
    return init, od, fatal_share, kit, entry, capacity


@numba.njit(cache=True)
def _rates_all(pv, x, capacity0, treatment, out):
    for i in range(capacity0.shape[0]):
        r = _rates(pv, x, i, capacity0[i], treatment[i])
        for k in range(6):
            out[i, k] = r[k]


def population_rates(
    state: PopulationState, params: PopulationParams, inputs: PopulationInputs
) -> dict[str, np.ndarray]:
    """This step's annual hazards and outcome probabilities per market (the model's formulas).

    Returns ``initiation`` (per person at risk), ``overdose`` (per person using, before
    the release multiplier and the treatment ratio), ``fatal_share`` (probability that an
    overdose is fatal: ``p0 * (1 - p_witnessed * p_kit_eff * p_success)``), ``kit``
    (``p_kit_eff``, naloxone given at a witnessed overdose), ``treatment_entry`` (per
    person using) and ``capacity`` (treatment places this step). The step evaluates the
    same compiled function.
    """
    m = state.n_markets
    out = np.empty((m, 6))
    _rates_all(
        params.vector, inputs.matrix(m), state.capacity.astype(np.float64), state.treatment, out
    )
    names = ("initiation", "overdose", "fatal_share", "kit", "treatment_entry", "capacity")
    return {name: out[:, k] for k, name in enumerate(names)}


FLOWS = (
    "initiations",
    "overdoses",
    "fatal",
    "reversed",
    "naloxone_given",
    "treatment_entries",
    "treatment_exits",
    "treatment_completions",
    "remissions",
    "relapses",
    "deaths",
    "other_deaths",
    "deaths_in_treatment",
    "fatal_in_treatment",
    "deaths_in_remission",
    "released_in",
)
"""Names of the per-market flows :func:`step_population` returns, in its column order."""

_N_UNIFORMS = 22  # uniforms per market and step (draw indices 0..21, see _advance)


def population_uniforms(uid: np.ndarray, streams: Streams, step: int) -> np.ndarray:
    """The (markets, 22) uniforms one step draws: ``Streams.uniform("population", step,
    (uid << 5) | j)`` for draw index j (the kernel derives the same numbers itself)."""
    keys = (np.asarray(uid).astype(np.uint64)[:, None] << np.uint64(5)) | np.arange(
        _N_UNIFORMS, dtype=np.uint64
    )
    return streams.uniform("population", step, keys)


def step_population(
    state: PopulationState,
    params: PopulationParams,
    inputs: PopulationInputs,
    streams: Streams,
    step: int,
    dt: float,
) -> dict[str, np.ndarray]:
    """Advance ``state`` in place by one step of ``dt`` years; return this step's flows.

    Flows per market (int64): ``initiations``; ``overdoses`` (all, fatal or not);
    ``fatal`` (fatal overdoses); ``reversed`` (overdoses that would have been fatal,
    reversed by naloxone); ``naloxone_given`` (overdoses at which naloxone was given);
    ``treatment_entries``; ``treatment_exits`` (dropouts and completions);
    ``treatment_completions`` (exits into remission); ``remissions`` (into remission from
    use and from treatment); ``relapses``; ``deaths`` (all causes: fatal overdoses and
    other causes); ``other_deaths``; ``deaths_in_treatment``; ``fatal_in_treatment``;
    ``deaths_in_remission``; ``released_in`` (people entering the post-release window).

    Order within the step: releases mark people using as ``released`` (in the high-risk
    window; at most all those using who are not yet in it); then
    every compartment's exits are drawn from the state at the start of the step (one
    multinomial per compartment, as sequential conditional binomials) and applied
    together; treatment entries are capped by the free places.
    """
    out = _step_array(state, params, inputs, streams, step, dt)
    return {name: out[:, k] for k, name in enumerate(FLOWS)}


def _step_array(
    state: PopulationState,
    params: PopulationParams,
    inputs: PopulationInputs,
    streams: Streams,
    step: int,
    dt: float,
    totals: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`step_population` returning the flows as one (markets, len(FLOWS)) array;
    each flow's sum over the markets is added to ``totals`` (int64, ``len(FLOWS)``) when
    given."""
    _check_dt(dt)
    return _step_matrix(state, params, inputs.matrix(state.n_markets), streams, step, dt,
                        totals)


def step_totals(
    state: PopulationState,
    params: PopulationParams,
    per_market: tuple[np.ndarray, ...],
    efforts: tuple[float, ...],
    streams: Streams,
    step: int,
    dt: float,
    totals: np.ndarray,
) -> np.ndarray:
    """:func:`_step_array` with the inputs as the simulation's population phase has them:
    ``per_market`` the first six of :data:`INPUT_NAMES` (availability to released, float
    arrays of one value per market), ``efforts`` the five levers' (floats).

    The inputs are copied into their matrix and checked, and the step advanced, in one
    compiled call (:func:`_fill_and_advance`); what :meth:`PopulationInputs.matrix`
    refuses it refuses with the same error (the state left as it was), and inputs of
    another form (a scalar for a market's value) take that method's way."""
    _check_dt(dt)
    m = state.n_markets
    if all(type(a) is np.ndarray and a.ndim == 1 for a in per_market):
        xt = np.empty((len(INPUT_NAMES), m), dtype=np.float64)
        out = np.empty((m, len(FLOWS)), dtype=np.int64)
        if _fill_and_advance(xt, *per_market, *efforts, _UPPER,
                             streams.prefix("population", step), state.uid, state.at_risk,
                             state.using, state.released, state.treatment, state.remission,
                             state.overdose_deaths, state.other_deaths, state.capacity,
                             params.vector, float(dt), out, totals):
            return out
    x = PopulationInputs(**dict(zip(INPUT_NAMES, (*per_market, *efforts),
                                    strict=True))).matrix(m)
    return _step_matrix(state, params, x, streams, step, dt, totals)


@numba.njit(cache=True)
def _fill_and_advance(xt, availability, price_index, potency, potency_volatility, diversion,
                      released, education, prevention, treatment, naloxone, scam_awareness,
                      upper, prefix, uid, at_risk, using, released_state, in_treatment,
                      remission, od_deaths, other_deaths, capacity0, pv, dt, out, totals):
    """:func:`_fill_inputs`, then, when every input is valid, :func:`_advance` on the
    (markets, inputs) view of ``xt``: :func:`step_totals`' two compiled calls in one.
    Returns whether the inputs were valid (the step was taken)."""
    if not _fill_inputs(xt, availability, price_index, potency, potency_volatility,
                        diversion, released, education, prevention, treatment, naloxone,
                        scam_awareness, upper):
        return False
    _advance(prefix, uid, at_risk, using, released_state, in_treatment, remission, od_deaths,
             other_deaths, capacity0, xt.T, pv, dt, out, totals)
    return True


@numba.njit(cache=True, inline="always")
def _fill_row(xt, row, a):
    """Copy ``a`` into row ``row`` of ``xt``; False when its length is not the row's."""
    if a.shape[0] != xt.shape[1]:
        return False
    for i in range(a.shape[0]):
        xt[row, i] = a[i]
    return True


@numba.njit(cache=True)
def _fill_inputs(xt, availability, price_index, potency, potency_volatility, diversion,
                 released, education, prevention, treatment, naloxone, scam_awareness, upper):
    """Fill the (inputs, markets) array ``xt`` in :data:`INPUT_NAMES` order, the efforts
    broadcast over the markets; return whether every input has one value per market and
    every value is valid (:func:`_inputs_valid`)."""
    if not (_fill_row(xt, 0, availability) and _fill_row(xt, 1, price_index)
            and _fill_row(xt, 2, potency) and _fill_row(xt, 3, potency_volatility)
            and _fill_row(xt, 4, diversion) and _fill_row(xt, 5, released)):
        return False
    xt[6, :] = education
    xt[7, :] = prevention
    xt[8, :] = treatment
    xt[9, :] = naloxone
    xt[10, :] = scam_awareness
    return _inputs_valid(xt, upper)


def _check_dt(dt: float) -> None:
    if not dt > 0 or not math.isfinite(dt):
        raise InputError(f"expected a time step > 0 in years, got {dt}", field="dt")


def _step_matrix(
    state: PopulationState,
    params: PopulationParams,
    x: np.ndarray,
    streams: Streams,
    step: int,
    dt: float,
    totals: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`_step_array` with the inputs' validated (markets, inputs) matrix ``x``."""
    m = state.n_markets
    out = np.empty((m, len(FLOWS)), dtype=np.int64)
    if totals is None:
        totals = np.zeros(len(FLOWS), dtype=np.int64)
    # uniform j of market i is Streams.uniform("population", step, (uid << 5) | j), derived
    # inside the kernel (bit-identical; population_uniforms gives them to Python)
    _advance(
        streams.prefix("population", step),
        state.uid,
        state.at_risk,
        state.using,
        state.released,
        state.treatment,
        state.remission,
        state.overdose_deaths,
        state.other_deaths,
        state.capacity,
        x,
        params.vector,
        float(dt),
        out,
        totals,
    )
    return out


@numba.njit(cache=True, inline="always")
def _queue(bu, bn, bp, nb, u, n, p):
    """Append the draw ``Binomial(n, p)`` at uniform ``u`` to a batch; return its index."""
    bu[nb] = u
    bn[nb] = n
    bp[nb] = p
    return nb


@numba.njit(cache=True)
def _advance(
    prefix,
    uid,
    at_risk,
    using,
    released,
    treatment,
    remission,
    od_deaths,
    other_deaths,
    capacity0,
    x,
    pv,
    dt,
    out,
    totals,
):
    """One step of every market (see :func:`step_population`), its binomials in batches;
    ``out`` gets the flows per market, ``totals`` their sums over markets added.

    Every market's draws are those of the plain rule, market by market: draw 0 initiation;
    the four compartments' competing exits (draws 1-4 using, not recently released: fatal
    overdose, other death, treatment, remission; 5-9 recently released: the same with the
    release multiplier, and the end of the high-risk window; 10-13 treatment: fatal
    overdose and other death, both / rr, dropout, completion; 14-15 remission: relapse,
    death), each a multinomial drawn as one binomial for leaving at all (probability
    ``1 - exp(-sum(hz) dt)``, uniform ``j0``) and then conditional binomials for each cause
    with positive hazard in turn (probability ``hz[c] / rest``, uniform ``j0 + 1 + c``; the
    last such cause takes the rest, so no draw removes more than the compartment holds);
    treatment entries capped by the free places; draws 16-18 non-fatal overdoses of the
    survivors; 19-21 the outcome of each overdose. Uniform ``j`` of market ``i`` is
    ``keyed_uniform((uid << 5) | j, prefix)``.

    The draws of one stage that do not depend on each other (all markets' draw 0 and first
    exits; then each cause's conditional draw; the non-fatal overdoses; the outcomes) are
    made together by :func:`~fentanet.simulate.binomial.binom_inv_many`, which returns what
    ``binom_inv`` returns for each, so every count is the plain rule's (tested against it).
    """
    m = uid.shape[0]
    mu_u, h_rem, rel_mult, rr = pv[_MU_U], pv[_REM], pv[_REL_MULT], pv[_TX_RR]
    h_end = WEEKS_PER_YEAR / pv[_REL_WEEKS]
    h_drop, h_comp, h_relapse, mu_r = pv[_TX_DROP], pv[_TX_COMP], pv[_RELAPSE], pv[_MU_R]
    p0, p_w, p_s = pv[_P0], pv[_PW], pv[_PS]
    j0s = (1, 5, 10, 14)  # first uniform of each compartment's exits
    hz = np.zeros((m, 4, 5))  # annual exit hazards: using, released, treatment, remission
    cnt = np.zeros((m, 4, 5), dtype=np.int64)
    left = np.zeros((m, 4), dtype=np.int64)  # still to split over the causes
    rest = np.zeros((m, 4))  # hazard of the causes not drawn yet
    last = np.full((m, 4), -1, dtype=np.int64)  # the last cause with a positive hazard
    slot = np.full((m, 5), -1, dtype=np.int64)  # a market's draws in the current batch
    r_od = np.empty(m)
    f = np.empty(m)
    kit = np.empty(m)
    capacity = np.empty(m)
    rel_in = np.empty(m, dtype=np.int64)
    init = np.zeros(m, dtype=np.int64)
    cap = 5 * m
    bu = np.empty(cap)
    bp = np.empty(cap)
    bn = np.empty(cap, dtype=np.int64)
    bk = np.empty(cap, dtype=np.int64)
    work = np.empty((4, cap))
    iwork = np.empty((2, cap), dtype=np.int64)
    # stage 1: releases, rates; draw 0 and each compartment's first exit draw
    nb = 0
    for i in range(m):
        # releases after arrest join the post-release window (at most those using not in it)
        ri = using[i] - released[i]
        if x[i, _X_REL] + 0.5 < ri:
            ri = math.floor(x[i, _X_REL] + 0.5)
        released[i] += ri
        rel_in[i] = ri
        h_init, r, fi, ki, h_entry, c = _rates(pv, x, i, capacity0[i], treatment[i])
        r_od[i], f[i], kit[i], capacity[i] = r, fi, ki, c
        base = np.uint64(uid[i]) << np.uint64(5)
        h_fatal = r * fi
        hz[i, 0, 0] = h_fatal
        hz[i, 0, 1] = mu_u
        hz[i, 0, 2] = h_entry
        hz[i, 0, 3] = h_rem
        hz[i, 1, 0] = h_fatal * rel_mult
        hz[i, 1, 1] = mu_u
        hz[i, 1, 2] = h_entry
        hz[i, 1, 3] = h_rem
        hz[i, 1, 4] = h_end
        hz[i, 2, 0] = h_fatal / rr
        hz[i, 2, 1] = mu_u / rr
        hz[i, 2, 2] = h_drop
        hz[i, 2, 3] = h_comp
        hz[i, 3, 0] = h_relapse
        hz[i, 3, 1] = mu_r
        if at_risk[i] > 0:
            slot[i, 4] = _queue(bu, bn, bp, nb, keyed_uniform(base, prefix), at_risk[i],
                                -math.expm1(-h_init * dt))
            nb += 1
        for g in range(4):
            n = using[i] - released[i] if g == 0 else (
                released[i] if g == 1 else (treatment[i] if g == 2 else remission[i]))
            total = 0.0
            for c in range(5):
                if hz[i, g, c] > 0:
                    total += hz[i, g, c]
                    last[i, g] = c
            if n > 0 and last[i, g] >= 0:
                rest[i, g] = total
                slot[i, g] = _queue(bu, bn, bp, nb, keyed_uniform(base | np.uint64(j0s[g]),
                                                                  prefix),
                                    n, -math.expm1(-total * dt))
                nb += 1
    binom_inv_many(bu, bn, bp, nb, bk, work, iwork)
    for i in range(m):
        if slot[i, 4] >= 0:
            init[i] = bk[slot[i, 4]]
            slot[i, 4] = -1
        for g in range(4):
            if slot[i, g] >= 0:
                left[i, g] = bk[slot[i, g]]
    # stages 2-5: cause c of every compartment still splitting people
    for c in range(4):
        nb = 0
        for i in range(m):
            base = np.uint64(uid[i]) << np.uint64(5)
            for g in range(4):
                slot[i, g] = -1
                if left[i, g] > 0 and c < last[i, g] and hz[i, g, c] > 0:
                    u = keyed_uniform(base | np.uint64(j0s[g] + 1 + c), prefix)
                    slot[i, g] = _queue(bu, bn, bp, nb, u, left[i, g], hz[i, g, c] / rest[i, g])
                    nb += 1
        if nb == 0:  # no draw of cause c; a later cause may still have some
            continue
        binom_inv_many(bu, bn, bp, nb, bk, work, iwork)
        for i in range(m):
            for g in range(4):
                if slot[i, g] >= 0:
                    k = bk[slot[i, g]]
                    cnt[i, g, c] = k
                    left[i, g] -= k
                    rest[i, g] -= hz[i, g, c]
    # stage 6: the last cause takes the rest; entries capped; non-fatal overdoses (16-18)
    nb = 0
    for i in range(m):
        for g in range(4):
            if last[i, g] >= 0:
                cnt[i, g, last[i, g]] = left[i, g]
        cu, cr, ct = cnt[i, 0], cnt[i, 1], cnt[i, 2]
        # treatment entries are capped by the free places
        free = math.floor(capacity[i]) - treatment[i]
        if free < 0:
            free = 0
        entries = cu[2] + cr[2]
        if entries > free:
            keep_r = (cr[2] * free) // entries
            cr[2] = keep_r
            cu[2] = free - keep_r
        base = np.uint64(uid[i]) << np.uint64(5)
        nf = 1.0 - f[i]
        r = r_od[i]
        ordinary = using[i] - released[i]
        for j in range(3):
            if j == 0:
                n = ordinary - cu[0] - cu[1]
                p = -math.expm1(-r * nf * dt)
            elif j == 1:
                n = released[i] - cr[0] - cr[1]
                p = -math.expm1(-r * rel_mult * nf * dt)
            else:
                n = treatment[i] - ct[0] - ct[1]
                p = -math.expm1(-r / rr * nf * dt)
            slot[i, j] = _queue(bu, bn, bp, nb, keyed_uniform(base | np.uint64(16 + j), prefix),
                                n, p)
            nb += 1
    binom_inv_many(bu, bn, bp, nb, bk, work, iwork)
    nonfatal = np.empty(m, dtype=np.int64)
    # stage 7: given an overdose: fatal p0 (1 - w k s), reversed p0 w k s, survived with
    # naloxone (1 - p0) w k, survived without (1 - p0)(1 - w k); draws 19 (reversed among
    # the non-fatal) and 21 (naloxone given at the fatal)
    nb = 0
    for i in range(m):
        nonfatal[i] = bk[slot[i, 0]] + bk[slot[i, 1]] + bk[slot[i, 2]]
        base = np.uint64(uid[i]) << np.uint64(5)
        nf = 1.0 - f[i]
        wk = p_w * kit[i]
        rev = p0 * wk * p_s
        slot[i, 0] = _queue(bu, bn, bp, nb, keyed_uniform(base | np.uint64(19), prefix),
                            nonfatal[i], rev / nf if nf > 0 else 0.0)
        fatal = cnt[i, 0, 0] + cnt[i, 1, 0] + cnt[i, 2, 0]
        q = wk * p_s
        slot[i, 1] = _queue(bu, bn, bp, nb + 1, keyed_uniform(base | np.uint64(21), prefix),
                            fatal, wk * (1.0 - p_s) / (1.0 - q) if q < 1 else 0.0)
        nb += 2
    binom_inv_many(bu, bn, bp, nb, bk, work, iwork)
    # stage 8: draw 20, naloxone given at the non-fatal overdoses not reversed
    nb = 0
    for i in range(m):
        base = np.uint64(uid[i]) << np.uint64(5)
        nf = 1.0 - f[i]
        wk = p_w * kit[i]
        rest_nf = nf - p0 * wk * p_s
        slot[i, 2] = _queue(bu, bn, bp, nb, keyed_uniform(base | np.uint64(20), prefix),
                            nonfatal[i] - bk[slot[i, 0]],
                            (1.0 - p0) * wk / rest_nf if rest_nf > 0 else 0.0)
        nb += 1
    # (slot[i, 0] and slot[i, 1] index the previous batch: read them before it is reused)
    reversed_ = np.empty(m, dtype=np.int64)
    given_fatal = np.empty(m, dtype=np.int64)
    for i in range(m):
        reversed_[i] = bk[slot[i, 0]]
        given_fatal[i] = bk[slot[i, 1]]
    binom_inv_many(bu, bn, bp, nb, bk, work, iwork)
    # apply
    for i in range(m):
        cu, cr, ct, cm = cnt[i, 0], cnt[i, 1], cnt[i, 2], cnt[i, 3]
        entries = cu[2] + cr[2]
        fatal = cu[0] + cr[0] + ct[0]
        given_nf = bk[slot[i, 2]]
        at_risk[i] -= init[i]
        left_r = cr[0] + cr[1] + cr[2] + cr[3]  # left using: died, treatment, remission
        using[i] += init[i] + ct[2] + cm[0] - (cu[0] + cu[1] + cu[2] + cu[3]) - left_r
        released[i] -= left_r + cr[4]
        treatment[i] += entries - (ct[0] + ct[1] + ct[2] + ct[3])
        remission[i] += cu[3] + cr[3] + ct[3] - (cm[0] + cm[1])
        od_deaths[i] += fatal
        other = cu[1] + cr[1] + ct[1] + cm[1]
        other_deaths[i] += other
        out[i, 0] = init[i]
        out[i, 1] = fatal + nonfatal[i]
        out[i, 2] = fatal
        out[i, 3] = reversed_[i]
        out[i, 4] = reversed_[i] + given_nf + given_fatal[i]
        out[i, 5] = entries
        out[i, 6] = ct[2] + ct[3]
        out[i, 7] = ct[3]
        out[i, 8] = cu[3] + cr[3] + ct[3]
        out[i, 9] = cm[0]
        out[i, 10] = fatal + other
        out[i, 11] = other
        out[i, 12] = ct[0] + ct[1]
        out[i, 13] = ct[0]
        out[i, 14] = cm[1]
        out[i, 15] = rel_in[i]
        for j in range(16):
            totals[j] += out[i, j]

@dataclass
class PopulationRun:
    """The population model run on its own (:func:`run_population`).

    ``series``: one row per step (``step``, ``time`` in years at the step's end, each flow
    summed over markets, and the counts after the step); ``totals``: each flow summed over
    the run, per market; ``person_years``: time lived per market in ``using`` (all),
    ``ordinary`` (using, not in the post-release window), ``released``, ``treatment`` and
    ``remission``; ``state``: the final state.
    """

    series: pd.DataFrame
    totals: dict[str, np.ndarray]
    person_years: dict[str, np.ndarray]
    state: PopulationState


def run_population(
    params: PopulationParams,
    markets: pd.DataFrame | PopulationState,
    *,
    years: float,
    dt: float = 1 / 52,
    seed: int = 0,
    inputs: PopulationInputs | Any | None = None,
) -> PopulationRun:
    """Run the population model alone for ``years`` with fixed or time-varying inputs.

    ``markets`` is a market table (as for :func:`init_population`) or a state (copied);
    ``inputs`` is a :class:`PopulationInputs`, a function ``(step, time) ->
    PopulationInputs`` for inputs that change, or ``None`` for the status quo. Used for
    the checks against published effect sizes, sensitivity of the population model alone
    and the benchmark; the full simulation calls :func:`step_population` from its
    population phase instead.
    """
    state = (
        markets.copy() if isinstance(markets, PopulationState) else init_population(markets, params)
    )
    m = state.n_markets
    streams = Streams(seed)
    fixed = PopulationInputs.baseline(m) if inputs is None else inputs
    steps = max(1, round(years / dt))
    total = np.zeros((m, len(FLOWS)), dtype=np.int64)
    names = ("using", "ordinary", "released", "treatment", "remission")
    time_in = np.zeros((5, m))
    rows = np.zeros((steps, len(FLOWS) + 5), dtype=np.int64)
    nf = len(FLOWS)
    for step in range(steps):
        ordinary = state.using - state.released
        counts = np.stack((state.using, ordinary, state.released, state.treatment, state.remission))
        time_in += counts * dt
        x = fixed(step, step * dt) if callable(fixed) else fixed
        out = _step_array(state, params, x, streams, step, dt)
        total += out
        rows[step, :nf] = out.sum(axis=0)
        rows[step, nf:] = np.stack(
            (state.at_risk, state.using, state.treatment, state.remission, state.deaths)
        ).sum(axis=1)
    totals = {k: total[:, j] for j, k in enumerate(FLOWS)}
    py = dict(zip(names, time_in, strict=True))
    series = pd.DataFrame(
        rows, columns=[*FLOWS, "at_risk", "using", "treatment", "remission", "cumulative_deaths"]
    )
    series.insert(0, "time", (np.arange(steps) + 1) * dt)
    series.insert(0, "step", np.arange(steps))
    return PopulationRun(series=series, totals=totals, person_years=py, state=state)
