"""Synthetic supply networks: :func:`generate` builds a typed network of the trade.

The network follows the schema agreed with the simulation (``docs/network.md``, section
"The generated supply network"): suppliers and online marketplaces feed precursor to labs
in origin regions; labs ship product onto smuggling routes, which deliver it to
traffickers in destination regions; traffickers distribute to dealers, who sell into
markets (populations of people who use drugs). Criminal organizations hold labs, routes,
traffickers, most dealers and launderers, with a leader, a few lieutenants and members tied
to each other in a small world. Complicit actors attach where they act: officials protect
routes, labs and traffickers; businesses front for routes and suppliers; launderers launder
for organizations; prescribers divert prescription opioids into markets.

Quantities are in kilograms of fentanyl-equivalent per year. Each stage of the chain
(suppliers, labs, routes, traffickers, dealers) has ``capacity_slack`` times the demand of
the markets it serves, split among its actors by heavy-tailed (log-normal) weights, so
that a few large actors carry much of the trade. The defaults are stated in
``docs/network.md`` and marked there as assumptions.

Everything is drawn from one :func:`numpy.random.default_rng` seeded with ``seed``, in a
fixed order, and built with array operations (no Python loop over actors): the same spec
and seed give identical tables, and a million actors take seconds.

>>> net = generate({"actors": 1000}, seed=1)
>>> net.n_actors, int((net.actors["kind"] == "lab").sum())
(1000, 30)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ConfigDict, Field, ValidationError

from fentanet.errors import InputError
from fentanet.network import yamltext
from fentanet.network.model import Network
from fentanet.network.textfile import read_text
from fentanet.numbers import NoBoolNumbers

GeneratedKind = Literal["supplier", "marketplace", "lab", "organization", "route",
                        "trafficker", "dealer", "official", "prescriber", "business",
                        "launderer", "market"]
Mode = Literal["land", "air", "sea", "postal", "online"]
Channel = Literal["street", "fixed", "online"]
Share = Annotated[float, Field(ge=0, allow_inf_nan=False)]

KINDS: tuple[str, ...] = ("supplier", "marketplace", "lab", "organization", "route",
                          "trafficker", "dealer", "official", "prescriber", "business",
                          "launderer", "market")
"""Actor kinds of a generated network, in the order of its actor table."""

PREFIX: dict[str, str] = {
    "supplier": "sup", "marketplace": "mkp", "lab": "lab", "organization": "org",
    "route": "rte", "trafficker": "trf", "dealer": "dlr", "official": "off",
    "prescriber": "prs", "business": "biz", "launderer": "lnd", "market": "mkt",
}
"""Id prefixes: actor ids are ``<prefix>-<zero-padded number from 1>``."""

DEFAULT_MIX: dict[str, float] = {
    "dealer": 0.72, "trafficker": 0.10, "lab": 0.03, "prescriber": 0.03, "supplier": 0.02,
    "route": 0.02, "official": 0.02, "business": 0.02, "launderer": 0.015,
    "organization": 0.01, "market": 0.01, "marketplace": 0.005,
}
"""Default shares of actors per kind (assumption: a retail-heavy pyramid)."""

MINIMUM: dict[str, int] = {k: 1 for k in KINDS} | {"route": 2, "market": 2, "organization": 2}
"""Fewest actors of each kind in a generated network."""

DEFAULT_ROUTE_MODES: dict[str, float] = {
    "land": 0.45, "postal": 0.20, "sea": 0.15, "air": 0.10, "online": 0.10,
}
"""Default shares of route modes (assumption)."""

DEFAULT_CHANNELS: dict[str, float] = {"street": 0.60, "fixed": 0.30, "online": 0.10}
"""Default shares of dealer channels (assumption)."""

PEOPLE_PER_MARKET = 1500.0
"""Default mean number of people who use illicit opioids per market (assumption)."""

USE_KG_PER_PERSON_YEAR = 0.0036
"""Default demand per person, kg fentanyl-equivalent a year: about 10 mg a day
(assumption)."""

MARKETPLACE_SHARE = 0.25
"""Marketplaces' total capacity as a share of the chain's (assumption)."""

ACTOR_COST: dict[str, float] = {
    "dealer": 1.0, "trafficker": 3.0, "lab": 5.0, "route": 5.0, "supplier": 8.0,
    "marketplace": 10.0, "organization": 20.0, "official": 4.0, "launderer": 4.0,
    "business": 3.0, "prescriber": 2.0,
}
"""Cost of removing an actor by enforcement, relative units (assumption); markets are not
targets and have none."""

LINK_COST: dict[str, float] = {
    "supplies": 2.0, "ships": 3.0, "distributes": 1.0, "sells_to": 1.0, "diverts_to": 2.0,
}
"""Cost of interdicting a flow link, relative units (assumption)."""

_LINK_KINDS = ("supplies", "ships", "distributes", "sells_to", "diverts_to", "member_of",
               "launders_for", "protects", "fronts_for", "tie")
_LK = {k: i for i, k in enumerate(_LINK_KINDS)}


QUANTITY_MAX = 1e15
"""The most people or kg a year a spec may ask for: the people over all markets, the demand,
and a stage's capacity (``capacity_slack`` times the demand), the bound a simulation puts on
a network's populations and capacities (``fentanet.simulate.state.MAX_QUANTITY``). Until the
twenty-first session ``population`` 1e300 (or 1e-300, now under its least, 1) ended in
NumPy's "Probabilities contain NaN", and ``capacity_slack`` 1e300 was refused at the run as
the capacity of actor 'sup-0001', a field the spec does not have."""


class SupplySpec(NoBoolNumbers):
    """What to generate. Only ``actors`` is required; see ``docs/network.md``.

    Attributes
    ----------
    actors
        Total number of actors (at least 20).
    mix
        Shares of actors per kind. Naming every kind gives shares that are normalised;
        naming some keeps the default shares of the others, scaled to fill the rest (the
        named shares must then sum to less than 1).
    counts
        Exact numbers of actors for the kinds given (override ``mix``).
    regions
        Destination regions (default: a quarter of the markets; each region gets at least
        one market, route and trafficker).
    origins
        Origin regions of suppliers and labs.
    route_modes, channels
        Shares of route modes and of dealer channels (normalised).
    legitimate_share
        Share of suppliers that are legitimate companies.
    population
        People who use illicit opioids over all markets (default 1500 per market), 1 to
        1e15.
    demand_kg_per_year
        Demand over all markets at the base price (default 0.0036 kg per person), at most
        1e15.
    capacity_slack
        Capacity of each stage of the chain over the demand it serves (times the demand,
        at most 1e15 kg a year).
    ties_per_member
        Mean number of person-to-person ties of a member of an organization.
    cross_org_ties
        Ties between traffickers of different organizations, as a share of the ties
        within organizations.
    organized_dealer_share
        Share of dealers that belong to an organization (that of their trafficker).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    actors: int = Field(ge=20, le=100_000_000)
    mix: dict[GeneratedKind, Share] | None = None
    counts: dict[GeneratedKind, Annotated[int, Field(ge=0)]] | None = None
    regions: int | None = Field(default=None, ge=1)
    origins: int = Field(default=2, ge=1)
    route_modes: dict[Mode, Share] | None = None
    channels: dict[Channel, Share] | None = None
    legitimate_share: float = Field(default=0.5, ge=0, le=1)
    population: float | None = Field(default=None, ge=1, le=QUANTITY_MAX,
                                     allow_inf_nan=False)
    demand_kg_per_year: float | None = Field(default=None, gt=0, le=QUANTITY_MAX,
                                             allow_inf_nan=False)
    capacity_slack: float = Field(default=1.5, gt=0, allow_inf_nan=False)
    ties_per_member: float = Field(default=3.0, ge=2, le=50)
    cross_org_ties: float = Field(default=0.02, ge=0, le=1)
    organized_dealer_share: float = Field(default=0.8, ge=0, le=1)


def as_spec(spec: SupplySpec | Mapping[str, Any] | int) -> SupplySpec:
    """A validated :class:`SupplySpec` from a spec, a mapping, or a number of actors.

    Raises :class:`InputError` naming the field (``mix.wizard``, ``actors``) and what was
    expected.
    """
    if isinstance(spec, SupplySpec):
        return spec
    if isinstance(spec, bool) or not isinstance(spec, int | Mapping):
        raise InputError(f"a spec is a mapping such as {{'actors': 1000}}, got "
                         f"{type(spec).__name__}", field="spec")
    data = {"actors": spec} if isinstance(spec, int) else dict(spec)
    try:
        return SupplySpec.model_validate(data)
    except ValidationError as exc:
        raise _spec_error(exc) from None


def read_spec(path: str | Path) -> SupplySpec:
    """A :class:`SupplySpec` from a YAML or JSON file holding a mapping of its fields.

    Errors name the file, the line of a syntax error, and the field of a bad value.
    """
    import json

    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputError("no such spec file" if not path.exists() else
                         "is not a file; expected a YAML or JSON spec", file=path)
    text = read_text(path, expected="a YAML or JSON spec")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yamltext.load(text)  # safe, and a key given twice is refused
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(f"not valid YAML: {problem}", file=path,
                         line=None if mark is None else mark.line + 1) from None
    if not isinstance(data, Mapping):
        raise InputError(f"expected a mapping of spec fields such as 'actors: 1000', got "
                         f"{type(data).__name__}", file=path)
    try:
        spec = as_spec(data)
        plan_counts(spec)  # the counts' own rules, named with the file as the fields' are
        _normalised(spec.route_modes, DEFAULT_ROUTE_MODES, "route_modes")  # shares of 0
        _normalised(spec.channels, DEFAULT_CHANNELS, "channels")
    except InputError as exc:
        raise exc.located(file=path) from None
    return spec  # the regions are checked once the command line's --actors is applied


def checked_spec(data: SupplySpec | Mapping[str, Any] | int) -> SupplySpec:
    """:func:`as_spec` and every rule a network drawn from it must meet, each an
    :class:`InputError` naming its field, before anything is drawn (a scenario's
    ``network.generate``): the counts (:func:`plan_counts`), the structure
    (:func:`_check_structure`: a dealer for every market, no more regions than markets,
    ...) and route modes and channels with a share above 0."""
    spec = as_spec(data)
    counts = plan_counts(spec)
    _check_structure(spec, counts)  # the counts' rules, named as the fields' are
    _check_capacity(spec, counts)  # a simulation's bound
    _normalised(spec.route_modes, DEFAULT_ROUTE_MODES, "route_modes")  # shares of 0
    _normalised(spec.channels, DEFAULT_CHANNELS, "channels")
    return spec


def _spec_error(exc: ValidationError) -> InputError:
    """One :class:`InputError` for every problem of a spec, each naming its field: a
    misspelt field first ("unknown field 'actor'" says more than "'actors' missing"),
    then the others as "; and field 'x': ..." (as scenario files list theirs)."""
    errors = exc.errors()
    unknown = [_spec_field(e) for e in errors if e["type"] == "extra_forbidden"]
    problems = [_spec_problem(e) for e in errors if e["type"] != "extra_forbidden"]
    if unknown:
        import difflib

        known = list(SupplySpec.model_fields)
        near = {f: difflib.get_close_matches(f, known, n=1, cutoff=0.7) for f in unknown}
        names = ", ".join(repr(f) + "".join(f" (did you mean {m!r}?)" for m in near[f])
                          for f in unknown)
        problems.insert(0, (unknown[0], f"unknown spec field{'s' * (len(unknown) > 1)} "
                                        f"{names}; expected one of: {', '.join(known)}"))
    (field, message), *rest = problems
    also = "".join(f"; and field '{where}': {what}" for where, what in rest)
    error = InputError(message + also, field=field)
    error.problems = problems  # (field, text) each, for a scenario to name as its own fields
    return error


def _spec_field(err: Any) -> str:
    return ".".join(str(p) for p in err["loc"] if p != "[key]") or "spec"


def _spec_problem(err: Any) -> tuple[str, str]:
    """The field (dotted) and the text of one of pydantic's errors about a spec (not an
    unknown field: :func:`_spec_error` names those together)."""
    field = _spec_field(err)
    if err["type"] == "missing":
        return field, "required (the total number of actors, at least 20)"
    if ", got " in err["msg"]:
        return field, err["msg"].removeprefix("Value error, ")
    return field, f"{err['msg'].removeprefix('Value error, ')}, got {err.get('input')!r}"


# ---------------------------------------------------------------------------- the plan
def plan_counts(spec: SupplySpec) -> dict[str, int]:
    """Number of actors of each kind (in :data:`KINDS` order) for a spec.

    Exact ``counts`` first; the remaining actors go to the other kinds by their shares
    (largest remainders, at least :data:`MINIMUM` each).
    """
    fixed = dict(spec.counts or {})
    for kind, n in fixed.items():
        if n < MINIMUM[kind]:
            raise InputError(f"must be at least {MINIMUM[kind]}, got {n}",
                             field=f"counts.{kind}")
    shares = _shares(spec.mix)
    free = [k for k in KINDS if k not in fixed]
    rest = spec.actors - sum(fixed.values())
    if not free:
        if rest != 0:
            raise InputError(f"counts name every kind and sum to {sum(fixed.values())}, but "
                             f"actors is {spec.actors}; expected them to agree",
                             field="counts")
        return {k: fixed[k] for k in KINDS}
    need = sum(MINIMUM[k] for k in free)
    if rest < need:
        raise InputError(f"counts sum to {sum(fixed.values())} of {spec.actors} actors, "
                         f"leaving {rest} for the other kinds, which need at least {need}",
                         field="counts")
    w = np.array([shares[k] for k in free])
    if w.sum() <= 0:
        raise InputError("the kinds without counts (" + ", ".join(free) + ") all have "
                         "share 0; expected a positive share for some", field="mix")
    raw = rest * w / w.sum()
    n = np.maximum(np.floor(raw).astype(np.int64), [MINIMUM[k] for k in free])
    mins = np.array([MINIMUM[k] for k in free])
    frac = raw - np.floor(raw)
    while n.sum() < rest:  # at most len(free) rounds per pass: loops over kinds
        order = np.argsort(-frac, kind="stable")
        for i in order[: rest - n.sum()]:
            n[i] += 1
        frac[:] = 0
    while n.sum() > rest:
        n[int(np.argmax(n - mins))] -= 1
    out = dict(fixed)
    out.update({k: int(v) for k, v in zip(free, n, strict=True)})
    _fewer_organizations(out, set(fixed) | set(spec.mix or ()), shares)
    return {k: out[k] for k in KINDS}


def _fewer_organizations(n: dict[str, int], named: set[str], shares: dict[str, float]) -> None:
    """Each organization holds a lab or a route (:func:`_check_structure`): when the spec
    names neither the organizations' count nor their share, their rounded count is kept at
    most the larger of the labs' and routes', the rest going to the unnamed kind of the
    largest share (the dealers by default). The rounding gave 83 to 96 actors at the
    default mix 3 organizations for 2 labs and 2 routes, and such a spec was refused as
    'expected fewer organizations', though it named none (fuzzing, session 21); every
    count that was not refused is unchanged."""
    surplus = n["organization"] - max(n["lab"], n["route"], MINIMUM["organization"])
    others = [k for k in KINDS if k not in named and k != "organization"]
    if surplus <= 0 or "organization" in named or not others:
        return
    n["organization"] -= surplus
    n[max(others, key=lambda k: shares[k])] += surplus


def _shares(mix: Mapping[str, float] | None) -> dict[str, float]:
    if not mix:
        return dict(DEFAULT_MIX)
    named = sum(mix.values())
    if set(mix) == set(KINDS):
        if named <= 0:
            raise InputError("shares sum to 0; expected a positive total", field="mix")
        return {k: mix[k] / named for k in KINDS}
    if named >= 1 + 1e-9:
        raise InputError(f"the named shares sum to {named:g}; expected less than 1 (the "
                         "kinds not named keep their default proportions and share the "
                         "rest), or name every kind to have the shares normalised",
                         field="mix")
    others = {k: DEFAULT_MIX[k] for k in KINDS if k not in mix}
    scale = max(1.0 - named, 0.0) / sum(others.values())
    return {k: mix[k] if k in mix else others[k] * scale for k in KINDS}


def _normalised(shares: Mapping[str, float] | None, default: Mapping[str, float],
                field: str) -> tuple[list[str], np.ndarray]:
    shares = default if shares is None else shares
    names = [k for k in default if shares.get(k, 0) > 0]
    if not names:
        raise InputError(f"shares sum to 0; expected a positive share for one of "
                         f"{', '.join(default)}", field=field)
    p = np.array([shares[k] for k in names], dtype=np.float64)
    return names, p / p.sum()


def _check_capacity(spec: SupplySpec, n: dict[str, int]) -> None:
    """A stage's capacity, ``capacity_slack`` times the demand, at most :data:`QUANTITY_MAX`
    kg a year (the demand given, or the people times 0.0036 kg)."""
    people = spec.population or PEOPLE_PER_MARKET * n["market"]
    demand = spec.demand_kg_per_year or people * USE_KG_PER_PERSON_YEAR
    if spec.capacity_slack * demand > QUANTITY_MAX:
        raise InputError(f"{spec.capacity_slack:g} times the demand of {demand:g} kg a year "
                         f"gives each stage of the chain {spec.capacity_slack * demand:.3g} kg "
                         f"a year; expected at most {QUANTITY_MAX:g} (a simulation's bound)",
                         field="capacity_slack")


def _check_structure(spec: SupplySpec, n: dict[str, int]) -> int:
    """Check that the counts can carry the guarantees; return the number of regions."""
    def where(kind: str) -> str:
        return f"counts.{kind}" if spec.counts and kind in spec.counts else f"mix.{kind}"

    if n["dealer"] < n["market"]:
        raise InputError(f"{n['dealer']} dealers for {n['market']} markets; every market "
                         "needs a dealer: expected at least as many dealers as markets",
                         field=where("dealer"))
    orgs = n["organization"]
    if n["trafficker"] < orgs:
        raise InputError(f"{n['trafficker']} traffickers for {orgs} organizations; each "
                         "organization is led by a trafficker: expected at least as many "
                         "traffickers as organizations", field=where("trafficker"))
    if max(n["lab"], n["route"]) < orgs:
        raise InputError(f"{orgs} organizations but only {n['lab']} labs and {n['route']} "
                         "routes; each organization holds a lab or a route besides its "
                         "traffickers: expected fewer organizations", field=where("organization"))
    most = min(n["market"], n["route"], n["trafficker"])
    if spec.regions is None:
        return int(min(max(1, n["market"] // 4), most))
    if spec.regions > most:
        raise InputError(f"{spec.regions} regions but only {n['market']} markets, "
                         f"{n['route']} routes and {n['trafficker']} traffickers; each region "
                         f"needs one of each: expected at most {most}", field="regions")
    return spec.regions


# ---------------------------------------------------------------------------- helpers
def _assign(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """Group (0..g-1) of each of ``n`` items, by ``weights``; every group at least once
    when ``n >= g``."""
    g = len(weights)
    p = weights / weights.sum()
    if n >= g:
        out = np.concatenate([np.arange(g), rng.choice(g, n - g, p=p)])
        return rng.permutation(out)
    return rng.choice(g, n, p=p)


def _lognormal_split(rng: np.random.Generator, total: np.ndarray, group: np.ndarray,
                     sigma: float) -> np.ndarray:
    """Split ``total[g]`` among the members of each group ``g`` by log-normal weights."""
    w = rng.lognormal(0.0, sigma, group.size)
    sums = np.bincount(group, weights=w, minlength=total.size)
    return total[group] * w / sums[group]


class _Pool:
    """Members of a pool grouped (by region, organization...) for vectorised picks of a
    random member of a given group, uniform or in proportion to a weight."""

    def __init__(self, group: np.ndarray, n_groups: int, members: np.ndarray | None = None,
                 weight: np.ndarray | None = None) -> None:
        members = np.arange(group.size) if members is None else members
        order = np.argsort(group, kind="stable")
        self.members = members[order]
        self.count = np.bincount(group, minlength=n_groups)
        self.end = np.cumsum(self.count)
        self.start = self.end - self.count
        self.cum = None if weight is None else np.cumsum(weight[order])

    def pick(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        """A member of each of ``groups`` (-1 where a group is empty)."""
        groups = np.asarray(groups, dtype=np.int64)
        u = rng.random(groups.size)
        if self.members.size == 0:
            return np.full(groups.size, -1, dtype=np.int64)
        start, count = self.start[groups], self.count[groups]
        if self.cum is None:
            pos = start + np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
        else:
            lo = np.where(start > 0, self.cum[np.maximum(start - 1, 0)], 0.0)
            hi = self.cum[np.maximum(self.end[groups] - 1, 0)]
            pos = np.searchsorted(self.cum, lo + u * (hi - lo), side="right")
            pos = np.clip(pos, start, np.maximum(start + count - 1, start))
        pos = np.minimum(pos, self.members.size - 1)
        return np.where(count > 0, self.members[pos], -1)


def _ids(kind: str, n: int) -> pa.Array:
    width = max(4, len(str(n)))
    nums = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width, "0")
    return pc.binary_join_element_wise(f"{PREFIX[kind]}-", nums, "")


def _labels(labels: list[str], codes: np.ndarray) -> pd.Series:
    """A string column from label codes (-1 = missing), built in Arrow."""
    arr = pa.array(labels, type=pa.large_string()).take(
        pa.array(codes, mask=codes < 0, type=pa.int64()))
    return _text(arr)


def _text(arr: pa.Array) -> pd.Series:
    """A pandas ``str`` column (Arrow-backed, missing = NaN) from an Arrow string array."""
    return pd.Series(arr, dtype=_STR)


_STR = pd.StringDtype("pyarrow", na_value=np.nan)


class _Links:
    """Link blocks collected during generation; repeated (source, target) pairs of a kind
    are dropped at the end, keeping the first."""

    def __init__(self) -> None:
        self.blocks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray | None, bool]] = []

    def add(self, kind: str, src: np.ndarray, dst: np.ndarray,
            weight: np.ndarray | None = None, *, distinct: bool = False) -> None:
        """Add links; ``distinct``: the caller guarantees that none of them repeats a pair
        of this kind (so the kind needs no hashing if all its blocks are distinct)."""
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        keep = (src >= 0) & (dst >= 0) & (src != dst)
        w = None if weight is None else np.asarray(weight, dtype=np.float64)[keep]
        src, dst = src[keep], dst[keep]
        if kind == "tie":  # undirected: one link per unordered pair, lower index first
            src, dst = np.minimum(src, dst), np.maximum(src, dst)
        self.blocks.append((_LK[kind], src, dst, w, distinct))

    def tables(self, n_actors: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        hashed = {b[0] for b in self.blocks if not b[4]}
        keeps = []
        for code in hashed:  # one pass per link kind, not per actor
            mine = [b for b in self.blocks if b[0] == code]
            key = np.concatenate([b[1] * n_actors + b[2] for b in mine])
            first = ~pd.Series(key).duplicated().to_numpy()
            keeps += zip((id(b) for b in mine),
                         np.split(first, np.cumsum([b[1].size for b in mine])[:-1]),
                         strict=True)
        keep = dict(keeps)
        parts = []
        for b in self.blocks:
            mask = keep.get(id(b))
            sel = slice(None) if mask is None else mask
            w = np.ones(b[1].size) if b[3] is None else b[3]
            parts.append((np.full(b[1].size, b[0], np.int64)[sel], b[1][sel], b[2][sel],
                          w[sel]))
        return tuple(np.concatenate(col) for col in zip(*parts, strict=True))


# ---------------------------------------------------------------------------- generate
def generate(spec: SupplySpec | Mapping[str, Any] | int, seed: int = 0, *,
             name: str | None = None) -> Network:
    """A synthetic supply network of the trade, deterministic for ``(spec, seed)``.

    Parameters
    ----------
    spec
        A :class:`SupplySpec`, a mapping of its fields (``{"actors": 10_000}`` alone gives
        the default mix), or the number of actors.
    seed
        Seed of the random generator (a non-negative integer).
    name
        Network name (default ``supply-<actors>-seed<seed>``).

    Returns
    -------
    Network
        Directed, with the actor and link columns of ``docs/network.md``; ``net.meta``
        holds the spec, the seed, the region labels and the units.

    Raises
    ------
    InputError
        A spec value is out of range or the counts cannot carry the guarantees (every lab
        has a precursor source, every market is reachable from a lab, every organization
        has members of two kinds); the message names the field.

    Examples
    --------
    >>> net = generate({"actors": 2000, "regions": 3}, seed=7)
    >>> sorted(net.actors.loc[net.actors["kind"] == "market", "region"].unique())
    ['region-01', 'region-02', 'region-03']
    """
    spec = as_spec(spec)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"expected a non-negative integer, got {seed!r}", field="seed")
    n = plan_counts(spec)
    n_regions = _check_structure(spec, n)
    modes, mode_p = _normalised(spec.route_modes, DEFAULT_ROUTE_MODES, "route_modes")
    channels, channel_p = _normalised(spec.channels, DEFAULT_CHANNELS, "channels")
    rng = np.random.default_rng(int(seed))
    return _build(spec, int(seed), n, n_regions, modes, mode_p, channels, channel_p, rng,
                  name or f"supply-{spec.actors}-seed{int(seed)}")


def _build(spec, seed, n, R, modes, mode_p, channels, channel_p, rng, name) -> Network:
    N = spec.actors
    start = dict(zip(KINDS, np.cumsum([0] + [n[k] for k in KINDS[:-1]]).tolist(),
                     strict=True))

    def at(kind: str) -> np.ndarray:
        return start[kind] + np.arange(n[kind])

    n_origins = spec.origins
    slack = spec.capacity_slack
    region = np.full(N, -1, dtype=np.int64)  # 0..R-1 destinations, R..R+n_origins-1 origins
    org = np.full(N, -1, dtype=np.int64)     # organization number 0..n_org-1
    capacity = np.full(N, np.nan)
    links = _Links()

    # markets: regions of uneven size, populations and demand -----------------------
    mkt = at("market")
    region_w = rng.lognormal(0.0, 0.5, R)
    region[mkt] = _assign(rng, mkt.size, region_w)
    people = spec.population or PEOPLE_PER_MARKET * mkt.size
    pop_w = rng.lognormal(0.0, 0.75, mkt.size)
    population = people * pop_w / pop_w.sum()
    total_demand = spec.demand_kg_per_year or people * USE_KG_PER_PERSON_YEAR
    demand = total_demand * population / people
    mkt_region = region[mkt]
    region_demand = np.bincount(mkt_region, weights=demand, minlength=R)
    region_people = np.bincount(mkt_region, weights=population, minlength=R)
    markets_by_region = _Pool(mkt_region, R, mkt, weight=demand)

    # dealers: one per market first, the rest by demand; sell into their market ------
    dlr = at("dealer")
    home = _assign(rng, dlr.size, demand)            # market number of each dealer
    region[dlr] = mkt_region[home]
    capacity[dlr] = _lognormal_split(rng, slack * demand, home, 0.75)
    channel = rng.choice(len(channels), dlr.size, p=channel_p)
    links.add("sells_to", dlr, mkt[home], distinct=True)
    second = rng.random(dlr.size) < 0.2
    other = markets_by_region.pick(rng, region[dlr[second]])
    other[other == mkt[home[second]]] = -1        # the same market again: no second link
    links.add("sells_to", dlr[second], other, distinct=True)

    # traffickers: every region, by demand; distribute to dealers of their region -----
    trf = at("trafficker")
    region[trf] = _assign(rng, trf.size, region_demand + 1e-12)
    capacity[trf] = _lognormal_split(rng, slack * region_demand, region[trf], 1.0)
    traffickers = _Pool(region[trf], R, trf, weight=capacity[trf])
    # each trafficker supplies a dealer of its own where it can, the other dealers pick
    # theirs by capacity; three in ten dealers have a second trafficker
    first_trf = _one_to_one(rng, region[dlr], region[trf], trf, R)
    free = first_trf < 0
    first_trf[free] = traffickers.pick(rng, region[dlr[free]])
    links.add("distributes", first_trf, dlr, distinct=True)
    more = rng.random(dlr.size) < 0.3
    other = traffickers.pick(rng, region[dlr[more]])
    other[other == first_trf[more]] = -1          # the same trafficker again: no link
    links.add("distributes", other, dlr[more], distinct=True)
    peer = rng.random(trf.size) < 0.05            # trafficker -> trafficker, one each
    links.add("distributes", trf[peer], traffickers.pick(rng, region[trf[peer]]),
              distinct=True)

    # routes: every region, by demand, every mode given; deliver to traffickers -------
    rte = at("route")
    region[rte] = _assign(rng, rte.size, region_demand + 1e-12)
    capacity[rte] = _lognormal_split(rng, slack * region_demand, region[rte], 1.0)
    mode = _assign(rng, rte.size, mode_p)
    routes = _Pool(region[rte], R, rte, weight=capacity[rte])
    links.add("ships", rte, traffickers.pick(rng, region[rte]))
    again = rng.random(rte.size) < 0.5
    links.add("ships", rte[again], traffickers.pick(rng, region[rte[again]]))
    links.add("ships", routes.pick(rng, region[trf]), trf)

    # organizations: uneven sizes; traffickers, labs, routes, dealers, launderers -----
    orgs = at("organization")
    G = orgs.size
    org_w = rng.lognormal(0.0, 1.0, G)
    org[trf] = _assign(rng, trf.size, org_w)
    lab = at("lab")
    org[lab] = _assign(rng, lab.size, org_w)
    org[rte] = _assign(rng, rte.size, org_w)
    organized = rng.random(dlr.size) < spec.organized_dealer_share
    org[dlr] = np.where(organized, org[first_trf], -1)
    lnd = at("launderer")
    org[lnd] = _assign(rng, lnd.size, org_w)

    # labs in origins; ship onto routes, their organization's first ------------------
    region[lab] = R + _assign(rng, lab.size, np.ones(n_origins))
    capacity[lab] = _lognormal_split(rng, np.array([slack * total_demand]),
                                     np.zeros(lab.size, dtype=np.int64), 1.0)
    org_routes = _Pool(org[rte], G, rte, weight=capacity[rte])
    all_routes = _Pool(np.zeros(rte.size, dtype=np.int64), 1, rte, weight=capacity[rte])
    org_labs = _Pool(org[lab], G, lab, weight=capacity[lab])
    all_labs = _Pool(np.zeros(lab.size, dtype=np.int64), 1, lab, weight=capacity[lab])

    def own_or_any(own: _Pool, anyone: _Pool, groups: np.ndarray, prefer: float):
        mine = own.pick(rng, groups)
        other = anyone.pick(rng, np.zeros(groups.size, dtype=np.int64))
        use_own = (rng.random(groups.size) < prefer) & (mine >= 0)
        return np.where(use_own, mine, other)

    links.add("ships", lab, own_or_any(org_routes, all_routes, org[lab], 0.8))
    again = rng.random(lab.size) < 0.5
    links.add("ships", lab[again], own_or_any(org_routes, all_routes, org[lab[again]], 0.8))
    links.add("ships", own_or_any(org_labs, all_labs, org[rte], 0.8), rte)

    # precursor: suppliers and marketplaces; every lab gets 1-3 sources ---------------
    sup = at("supplier")
    region[sup] = R + _assign(rng, sup.size, np.ones(n_origins))
    capacity[sup] = _lognormal_split(rng, np.array([slack * total_demand]),
                                     np.zeros(sup.size, dtype=np.int64), 1.25)
    legitimate = np.zeros(sup.size, dtype=bool)
    legitimate[rng.permutation(sup.size)[: round(spec.legitimate_share * sup.size)]] = True
    mkp = at("marketplace")
    capacity[mkp] = _lognormal_split(rng, np.array([MARKETPLACE_SHARE * slack * total_demand]),
                                     np.zeros(mkp.size, dtype=np.int64), 1.0)
    suppliers = _Pool(np.zeros(sup.size, dtype=np.int64), 1, sup, weight=capacity[sup])
    markets_online = _Pool(np.zeros(mkp.size, dtype=np.int64), 1, mkp, weight=capacity[mkp])
    # every lab has 1-3 sources, 15 in 100 through a marketplace; each supplier and each
    # marketplace fills a source of its own where it can, the others go by capacity
    n_sources = 1 + rng.binomial(2, 0.35, lab.size)
    buyer = np.repeat(lab, n_sources)
    via_mkp = (rng.random(buyer.size) < 0.15).astype(np.int64)
    source = _one_to_one(rng, via_mkp, np.zeros(sup.size, np.int64), sup, 2)
    source = np.where(via_mkp == 1,
                      _one_to_one(rng, 1 - via_mkp, np.zeros(mkp.size, np.int64), mkp, 2),
                      source)
    free = source < 0
    by_mkp = free & (via_mkp == 1)
    source[by_mkp] = markets_online.pick(rng, np.zeros(int(by_mkp.sum()), np.int64))
    by_sup = free & (via_mkp == 0)
    source[by_sup] = suppliers.pick(rng, np.zeros(int(by_sup.sum()), np.int64))
    links.add("supplies", source, buyer)
    idle = np.setdiff1d(sup, source)          # suppliers no lab buys from directly
    links.add("supplies", idle, markets_online.pick(rng, np.zeros(idle.size, np.int64)))
    zeros_mkp = np.zeros(mkp.size, dtype=np.int64)
    links.add("supplies", suppliers.pick(rng, zeros_mkp), mkp)
    # product through marketplaces: labs list on them, online dealers buy there
    links.add("ships", all_labs.pick(rng, zeros_mkp), mkp)
    online = dlr[channels.index("online") == channel] if "online" in channels else dlr[:0]
    links.add("ships", markets_online.pick(rng, np.zeros(online.size, np.int64)), online)

    # roles: a leader and a few lieutenants among each organization's traffickers -----
    rank = _rank_within(rng, org[trf], G)
    persons = np.concatenate([trf, dlr[org[dlr] >= 0], lnd])
    size = np.bincount(org[persons], minlength=G)
    n_trf_org = np.bincount(org[trf], minlength=G)
    n_lieutenants = np.minimum(n_trf_org - 1,
                               np.maximum(1, np.round(np.sqrt(size) / 2))).astype(np.int64)
    role = np.full(N, -1, dtype=np.int64)      # 0 leader, 1 lieutenant, 2 member
    role[org >= 0] = 2
    role[trf[(rank > 0) & (rank <= n_lieutenants[org[trf]])]] = 1
    leader = np.full(G, -1, dtype=np.int64)
    leader[org[trf[rank == 0]]] = trf[rank == 0]
    role[leader] = 0
    region[orgs] = region[leader]

    # launderers: launder for their organization; every organization has one ---------
    links.add("launders_for", lnd, orgs[org[lnd]])
    launderers = _Pool(np.zeros(lnd.size, dtype=np.int64), 1, lnd)
    links.add("launders_for", launderers.pick(rng, np.zeros(G, np.int64)), orgs)
    extra = rng.random(lnd.size) < 0.2
    links.add("launders_for", lnd[extra], orgs[rng.integers(0, G, int(extra.sum()))])
    region[lnd] = region[orgs[org[lnd]]]

    # membership
    members = np.flatnonzero(org >= 0)
    links.add("member_of", members, orgs[org[members]], distinct=True)

    # prescribers divert into markets of their region --------------------------------
    prs = at("prescriber")
    region[prs] = _assign(rng, prs.size, region_people)
    markets_by_people = _Pool(mkt_region, R, mkt, weight=population)
    links.add("diverts_to", prs, markets_by_people.pick(rng, region[prs]))
    again = rng.random(prs.size) < 0.3
    links.add("diverts_to", prs[again], markets_by_people.pick(rng, region[prs[again]]))

    # complicit officials and businesses, attached where they act ---------------------
    _attach(rng, links, "protects", at("official"), region, capacity, R + n_origins,
            {"route": (rte, 0.45), "trafficker": (trf, 0.35), "lab": (lab, 0.20)})
    _attach(rng, links, "fronts_for", at("business"), region, capacity, R + n_origins,
            {"route": (rte, 0.60), "supplier": (sup, 0.40)})

    # person-to-person ties inside organizations (small world) ------------------------
    _ties(rng, links, persons, org, role, leader, G, spec)
    within = sum(b[1].size for b in links.blocks if b[0] == _LK["tie"])
    n_cross = round(spec.cross_org_ties * within)
    if n_cross and G > 1:
        a = trf[rng.integers(0, trf.size, n_cross)]
        b = trf[rng.integers(0, trf.size, n_cross)]
        cross = org[a] != org[b]
        links.add("tie", a[cross], b[cross], 1 + rng.poisson(1.0, int(cross.sum())))

    return _assemble(spec, seed, name, n, start, R, n_origins, region, org, role, capacity,
                     mode, modes, legitimate, channel, channels, population, demand,
                     links)


def _one_to_one(rng: np.random.Generator, slot_group: np.ndarray, item_group: np.ndarray,
                items: np.ndarray, n_groups: int) -> np.ndarray:
    """Fill slots with distinct items of the same group, in random order: within each
    group, as many slots as there are items get one item each; the other slots get -1."""
    slot_rank = _rank_within(rng, slot_group, n_groups)
    item_rank = _rank_within(rng, item_group, n_groups)
    count = np.bincount(item_group, minlength=n_groups)
    first = np.cumsum(count) - count
    ordered = np.empty(items.size, dtype=np.int64)
    ordered[first[item_group] + item_rank] = items
    ok = slot_rank < count[slot_group]
    out = np.full(slot_group.size, -1, dtype=np.int64)
    out[ok] = ordered[first[slot_group[ok]] + slot_rank[ok]]
    return out


def _rank_within(rng: np.random.Generator, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Random rank (0, 1, ...) of each item within its group."""
    order = np.lexsort((rng.random(group.size), group))
    count = np.bincount(group, minlength=n_groups)
    first = np.cumsum(count) - count
    rank = np.empty(group.size, dtype=np.int64)
    rank[order] = np.arange(group.size) - first[group[order]]
    return rank


def _attach(rng, links: _Links, kind: str, who: np.ndarray, region: np.ndarray,
            capacity: np.ndarray, n_regions: int, targets: dict) -> None:
    """Complicit actors ``who`` attach (link ``kind``) to 1-3 targets of one kind, in one
    region, the first chosen by capacity; they take that region."""
    names = list(targets)
    p = np.array([targets[k][1] for k in names])
    choice = rng.choice(len(names), who.size, p=p / p.sum())
    extra = rng.binomial(2, 0.3, who.size)
    for i, name in enumerate(names):
        pool = targets[name][0]
        mine = who[choice == i]
        if mine.size == 0 or pool.size == 0:
            continue
        everyone = _Pool(np.zeros(pool.size, dtype=np.int64), 1, pool, weight=capacity[pool])
        first = everyone.pick(rng, np.zeros(mine.size, dtype=np.int64))
        region[mine] = region[first]
        links.add(kind, mine, first)
        local = _Pool(region[pool], n_regions, pool)
        more = np.repeat(mine, extra[choice == i])
        links.add(kind, more, local.pick(rng, region[more]))


def _ties(rng, links: _Links, persons: np.ndarray, org: np.ndarray, role: np.ndarray,
          leader: np.ndarray, G: int, spec: SupplySpec) -> None:
    """Small-world ties among the members of each organization.

    Each lieutenant ties to the leader and each member to one lieutenant (hubs). The
    members are then laid out per organization, crew by crew (a crew is a hub's members),
    and each ties to the next ones on that ring, so that neighbours are mostly crew-mates
    who share their hub (friends of friends, closing triangles); one ring tie in ten is
    rewired to a random member of the organization (Watts & Strogatz 1998). The mean
    number of ties per person is ``spec.ties_per_member``.
    """
    po = org[persons]
    lieutenant = persons[role[persons] == 1]
    crews = _Pool(org[lieutenant], G, lieutenant)
    hub = np.where(role[persons] == 1, leader[po], crews.pick(rng, po))
    hub = np.where(hub < 0, leader[po], hub)
    hub = np.where(role[persons] == 0, persons, hub)
    hub_tie = hub != persons
    links.add("tie", persons[hub_tie], hub[hub_tie], 1 + rng.poisson(3.0, int(hub_tie.sum())))

    order = np.lexsort((rng.random(persons.size), hub, po))
    ring, ring_org = persons[order], po[order]
    extra = spec.ties_per_member / 2 - 1          # ring ties each person starts
    everyone = _Pool(po, G, persons)
    for offset in range(1, math.ceil(extra) + 1):  # a few offsets, not a loop over actors
        q = min(1.0, extra - (offset - 1))
        a, b = ring[:-offset], ring[offset:]
        keep = (ring_org[:-offset] == ring_org[offset:]) & (rng.random(a.size) < q)
        a, b = a[keep], b[keep]
        rewire = rng.random(a.size) < 0.1
        b = np.where(rewire, everyone.pick(rng, org[a]), b)
        links.add("tie", a, b, 1 + rng.poisson(1.0, a.size))


def _assemble(spec, seed, name, n, start, R, n_origins, region, org, role, capacity, mode, modes,
              legitimate, channel, channels, population, demand, links) -> Network:
    N = spec.actors
    kind_code = np.repeat(np.arange(len(KINDS)), [n[k] for k in KINDS])
    ids = pa.chunked_array([_ids(k, n[k]) for k in KINDS]).combine_chunks()
    width = max(2, len(str(R)))
    region_labels = ([f"region-{i + 1:0{width}d}" for i in range(R)]
                     + [f"origin-{i + 1}" for i in range(n_origins)])
    org_ids = ids.slice(start["organization"], n["organization"]).to_pylist()

    def column(kind: str, values: np.ndarray, dtype=np.float64) -> np.ndarray:
        out = np.full(N, np.nan, dtype=dtype)
        out[start[kind]: start[kind] + n[kind]] = values
        return out

    def codes(kind: str, values: np.ndarray) -> np.ndarray:
        out = np.full(N, -1, dtype=np.int64)
        out[start[kind]: start[kind] + n[kind]] = values
        return out

    cost = np.array([ACTOR_COST.get(k, np.nan) for k in KINDS])[kind_code]
    legit = pd.array(np.zeros(N, dtype=bool), dtype="boolean")
    legit[:] = pd.NA
    legit[start["supplier"]: start["supplier"] + n["supplier"]] = legitimate
    actors = pd.DataFrame({
        "id": _text(ids),
        "kind": _labels(list(KINDS), kind_code),
        "uid": np.arange(N, dtype=np.int64),
        "region": _labels(region_labels, region),
        "organization": _labels(org_ids, org),
        "role": _labels(["leader", "lieutenant", "member"], role),
        "capacity": capacity,
        "cost": cost,
        "mode": _labels(modes, codes("route", mode)),
        "legitimate": legit,
        "channel": _labels(channels, codes("dealer", channel)),
        "population": column("market", population),
        "demand": column("market", demand),
    })

    kind, src, dst, weight = links.tables(N)
    node_cap = np.where(kind_code == KINDS.index("market"), column("market", demand),
                        capacity)
    flow = kind < _LK["member_of"]
    link_cap = np.where(flow & (kind != _LK["diverts_to"]),
                        np.fmin(node_cap[src], node_cap[dst]), np.nan)
    link_cost = np.array([LINK_COST.get(k, np.nan) for k in _LINK_KINDS])[kind]
    table = pd.DataFrame({
        "source": _text(ids.take(pa.array(src))),
        "target": _text(ids.take(pa.array(dst))),
        "kind": _labels(list(_LINK_KINDS), kind),
        "weight": weight,
        "capacity": link_cap,
        "cost": link_cost,
    })
    meta = {
        "generator": "fentanet.generate",
        "seed": seed,
        "spec": spec.model_dump(mode="json"),
        "counts": dict(n),
        "regions": region_labels[:R],
        "origins": region_labels[R:],
        "units": {"capacity": "kg fentanyl-equivalent per year",
                  "demand": "kg fentanyl-equivalent per year",
                  "population": "people who use illicit opioids",
                  "cost": "relative units"},
    }
    return Network(actors, table, directed=True, name=name, meta=meta)
