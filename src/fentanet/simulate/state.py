"""The simulation state: NumPy arrays indexed by actor slot, link and market.

No Python object per agent. An actor *slot* is a position in the arrays; the actor holding
it has a ``uid`` that is never reused: a recruit who takes over a vacant position keeps the
slot (and its flow links) but gets a fresh uid, so keyed random draws (common random
numbers) never shift. Entrants (new labs, suppliers) append slots with fresh uids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fentanet.errors import InputError
from fentanet.network.kinds import ACTOR_KINDS
from fentanet.network.model import (
    MEMBERSHIP,
    Network,
    membership_positions,
    unknown_memberships,
)
from fentanet.simulate.params import MODES

KIND = {k: i for i, k in enumerate(ACTOR_KINDS)}
"""Integer code of each actor kind (order of :data:`fentanet.network.kinds.ACTOR_KINDS`)."""
MODE = {m: i for i, m in enumerate(MODES)}
LINK_KINDS = ("supplies", "ships", "distributes", "sells_to", "diverts_to", "member_of",
              "launders_for", "protects", "fronts_for", "tie", "flow")
LKIND = {k: i for i, k in enumerate(LINK_KINDS)}
ROLE = {"member": 0, "lieutenant": 1, "leader": 2}
PREFIX = {"supplier": "sup", "marketplace": "mkp", "lab": "lab", "organization": "org",
          "route": "rte", "trafficker": "trf", "dealer": "dlr", "official": "off",
          "prescriber": "prs", "business": "biz", "launderer": "lnd", "market": "mkt",
          "actor": "act"}

DEFAULT_CAPACITY = {"supplier": 400.0, "marketplace": 200.0, "lab": 150.0, "route": 300.0,
                    "trafficker": 40.0, "dealer": 2.0}
"""Capacity (kg/year) used where a network gives none for a flow actor (assumption)."""


def room(n: int) -> int:
    """The size of a per-actor (or per-link) buffer for ``n`` rows with room for those
    appended later (entrants, recruits' ties): a run rarely grows it."""
    return n + n // 8 + 1024


LATER_MAX = 64  # writes kept for a column's next read (:meth:`Table.set_later`) at most


class Table:
    """Columns of equal length with spare capacity (:func:`room`), grown by doubling.

    ``table.col`` is a view of the live rows (kept, so that reading a column is an
    ordinary attribute lookup; :meth:`append` makes the kept views again over the longer
    columns, and a view taken before stays as long as it was). Values dear to
    make and seldom read can be written at the column's next read (:meth:`set_later`).
    """

    def __init__(self, **cols: np.ndarray) -> None:
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            raise ValueError("columns of unequal length")
        n = lengths.pop() if lengths else 0
        store = {}
        for k, v in cols.items():
            v = np.asarray(v)
            store[k] = np.zeros(room(n), dtype=v.dtype)
            store[k][:n] = v
        object.__setattr__(self, "_cols", store)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "version", 0)

    def __getattr__(self, name: str) -> np.ndarray:
        cols = object.__getattribute__(self, "_cols")
        if name in cols:
            view = cols[name][: self.n]
            for rows, make, args in self.__dict__.get("_later", {}).pop(name, ()):
                view[rows] = make(*args)  # the writes kept for this read, in order
            object.__setattr__(self, name, view)  # found by plain lookup until an append
            return view
        raise AttributeError(name)

    def __setattr__(self, name: str, value) -> None:
        if name in self._cols:
            self.__dict__.get("_later", {}).pop(name, None)  # every row written anew
            self._cols[name][: self.n] = value
        else:
            object.__setattr__(self, name, value)

    def set_later(self, name: str, rows: np.ndarray, make, *args) -> None:
        """``column[rows] = make(*args)`` done at the column's next read through the table
        (before any other write to it, in the order asked), or once :data:`LATER_MAX`
        writes wait, for values dear to make and seldom read, such as recruits' labels: a
        run reads them only to retarget on a known network. A view of the column taken
        before shows the writes only from that read on: take views of such a column
        afresh, as after an :meth:`append`."""
        self.__dict__.pop(name, None)  # the next read goes through __getattr__
        waiting = self.__dict__.setdefault("_later", {}).setdefault(name, [])
        waiting.append((rows, make, args))
        if len(waiting) >= LATER_MAX:  # bounded: a run that never reads them
            getattr(self, name)

    def __getstate__(self) -> dict:
        """The table without its kept views (pickle, deepcopy): a view copied alone would be
        an array of its own, and what a phase wrote through it would be lost at the copy's
        next :meth:`append`; the copy makes its views again from its own columns."""
        return {k: v for k, v in self.__dict__.items() if k not in self._cols}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    @property
    def columns(self) -> list[str]:
        return list(self._cols)

    def append(self, **cols: np.ndarray) -> np.ndarray:
        """Append rows (columns not given get their type's zero: ``""`` for text); returns
        the new indices. The kept views are made again over the longer columns (a column
        with writes kept for its next read has none: it is read through the table)."""
        k = len(next(iter(cols.values())))
        n, need = self.n, self.n + k
        store = self._reserve(need)
        for name, arr in store.items():
            if name in cols:
                arr[n:need] = cols[name]
            else:  # 0 is 0.0 or False by the column's type
                arr[n:need] = "" if arr.dtype.kind == "O" else 0
        self._lengthen(need)
        return np.arange(n, need)

    def grow(self, k: int) -> int:
        """Append ``k`` rows whose values the caller writes, every column's, through the
        kept views (a compiled call writing them all: :meth:`append` writes each column
        in a NumPy call of its own); returns the first new row. Until written the new
        rows hold whatever the columns' storage holds there."""
        n = self.n
        self._reserve(n + k)
        self._lengthen(n + k)
        return n

    def _reserve(self, need: int) -> dict[str, np.ndarray]:
        """The columns' storage, grown (by doubling) to hold at least ``need`` rows."""
        store = self._cols
        cap = len(next(iter(store.values())))
        if need > cap:
            n = self.n
            new_cap = max(need, 2 * cap, 16)
            for name, arr in store.items():
                grown = np.zeros(new_cap, dtype=arr.dtype)
                grown[:n] = arr[:n]
                store[name] = grown
        return store

    def _lengthen(self, need: int) -> None:
        """``need`` rows from now on: the kept views made again over them (a column with
        writes kept for its next read has none: it is read through the table)."""
        store, views = self._cols, self.__dict__
        for name in store:
            if name in views:
                views[name] = store[name][:need]
        object.__setattr__(self, "n", need)
        object.__setattr__(self, "version", self.version + 1)


@dataclass
class State:
    """Everything that changes during a run."""

    actors: Table
    links: Table
    markets: np.ndarray  # actor slot of each market
    market_of: np.ndarray  # market number of each market slot (-1 otherwise)
    demand0: np.ndarray  # base demand per market (kg/year)
    population0: np.ndarray  # people using at the start, per market
    next_uid: int
    retail_cap0: np.ndarray  # initial dealer capacity selling into each market (kg/year)
    diversion0: np.ndarray  # diversion's status quo per market (status_quo_diversion)
    org_initial: np.ndarray  # members per organization slot at the start
    price: np.ndarray = field(default=None)
    potency: np.ndarray = field(default=None)
    volatility: np.ndarray = field(default=None)
    supply_prev: np.ndarray = field(default=None)
    avail0: np.ndarray = field(default=None)  # share of demand met at the spin-up's end
    offer0: np.ndarray = field(default=None)  # reference retail offer per market per step
    totals: dict = field(default_factory=dict)

    @property
    def n_markets(self) -> int:
        return int(self.markets.size)


def _distinct(values: np.ndarray) -> bool:
    """Whether no value repeats (a sort; NumPy's hashed ``unique`` took 46 ms on 10^5
    uids)."""
    s = np.sort(values)
    return bool((s[1:] != s[:-1]).all())


def _codes(col: pd.Series, codes: dict[str, int], default: int) -> np.ndarray:
    """int8 code of each value of ``col`` (as text) in ``codes``, ``default`` for the
    others and for missing values; one dictionary look-up per distinct value."""
    pos, uniques = pd.factorize(col)
    table = np.array([codes.get(str(u), default) for u in uniques] + [default], dtype=np.int8)
    return table[pos]  # a missing value has position -1: the default


def _col(actors: pd.DataFrame, name: str, default, dtype=None) -> np.ndarray:
    if name not in actors:
        return np.full(len(actors), default, dtype=dtype)
    s = actors[name]
    if dtype is not None and np.dtype(dtype).kind == "f":
        # a copy: pandas may hand back a read-only view of the table's column
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan,
                                                          copy=True)
    return s.to_numpy(dtype=object)


def build_state(net: Network) -> State:
    """The initial state of a typed supply network (schema of docs/network.md).

    Raises :class:`InputError` when the network cannot carry a simulation (no labs, no
    markets, no flow links).
    """
    a = net.actors
    kind = _codes(a["kind"], KIND, KIND["actor"])
    for need in ("lab", "market"):
        if not (kind == KIND[need]).any():
            raise InputError(f"the network has no {need}; a simulation needs a typed supply "
                             "network (fentanet.generate or the schema of docs/network.md)",
                             field="network")
    n = len(a)
    uid = (pd.to_numeric(a["uid"], errors="coerce").to_numpy(dtype=np.int64, na_value=-1)
           if "uid" in a else np.arange(n, dtype=np.int64))
    if (uid < 0).any() or not _distinct(uid):
        uid = np.arange(n, dtype=np.int64)
    src, dst = net.source_index, net.target_index
    label = a["id"].astype(str).to_numpy(dtype=object)

    # organization membership: the column (the slot of each name among the ids, hashed
    # through Arrow as the network finds its links' ends), else member_of links
    org = membership_positions(a)
    problem = unknown_memberships(a, org)
    if problem is not None:
        raise InputError(problem + "; a simulation needs each organization as an actor: add "
                         "it, or clear these actors' organization to simulate them as "
                         "independents (Network.without([...]) of the organizations does; a "
                         "view that leaves them out, such as select or subgraph, keeps the "
                         "memberships as group labels)", file=net.source, field=MEMBERSHIP)
    named = np.flatnonzero(org >= 0)
    other = named[kind[org[named]] != KIND["organization"]]
    if other.size:  # a name that is an actor's id, but not an organization's
        v, o = int(other[0]), int(org[other[0]])
        raise InputError(
            f"{other.size} actor{'s' * (other.size > 1)} name{'s' * (other.size == 1)} as "
            f"organization an actor that is not one: {label[v]!r} names {label[o]!r}, a "
            f"{a['kind'].iloc[o]}; expected the id of an actor of kind organization, or none "
            "for an independent actor", file=net.source, field=MEMBERSHIP)
    lk = _codes(net.links["kind"], LKIND, LKIND["tie"])
    mem = lk == LKIND["member_of"]
    org[src[mem]] = np.where(org[src[mem]] < 0, dst[mem], org[src[mem]])

    # kinds compared by code (the code of a kind name is the kind; other names map to
    # "actor"), not as 10^5 strings
    cap = _col(a, "capacity", np.nan, np.float64)
    for k, c in DEFAULT_CAPACITY.items():
        this = kind == KIND[k]
        sel = this & ~np.isfinite(cap)
        if sel.any():
            known = cap[this & np.isfinite(cap)]
            cap[sel] = np.median(known) if known.size else c
    cap = np.where(np.isfinite(cap), cap, 0.0)
    _bounded(cap, lambda i: f"actor {label[i]!r}", "capacity", net)

    mode = _codes(a["mode"], MODE, -1) if "mode" in a else np.full(n, -1, dtype=np.int8)
    route = kind == KIND["route"]
    mode[route & (mode < 0)] = MODE["land"]
    legit = np.zeros(n, dtype=bool)
    if "legitimate" in a:
        legit = a["legitimate"].fillna(False).astype(bool).to_numpy()
    online = np.zeros(n, dtype=bool)
    if "channel" in a:
        online = _codes(a["channel"], {"online": 1}, 0).astype(bool)

    role = np.zeros(n, dtype=np.int8)
    if "role" in a:
        role = _codes(a["role"], {"lieutenant": ROLE["lieutenant"], "leader": ROLE["leader"]},
                      ROLE["member"])
    _default_roles(org, role)

    payer = np.where(org >= 0, org, np.arange(n)).astype(np.int32)
    actors = Table(
        kind=kind, uid=uid, alive=np.ones(n, dtype=bool), org=org, payer=payer, role=role,
        capacity=cap.astype(np.float64), precursor=np.zeros(n), product=np.zeros(n),
        cash=np.zeros(n), dirty=np.zeros(n), hoard=np.zeros(n), mode=mode, legit=legit,
        online=online, vacant=np.zeros(n, dtype=bool), vacant_since=np.zeros(n),
        label=label, activity=np.ones(n),
        loss=np.zeros(n), held=np.zeros(n), spare=np.zeros(n),
        suspended_until=np.full(n, -np.inf), failed=np.zeros(n, dtype=bool),
        refused=np.zeros(n), targeted=np.zeros(n), lost_recent=np.zeros(n),
        throughput=np.zeros(n),
    )

    lcap = (pd.to_numeric(net.links["capacity"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan) if "capacity" in net.links else
        np.full(len(lk), np.nan))
    weight = (pd.to_numeric(net.links["weight"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=1.0) if "weight" in net.links else np.ones(len(lk)))
    for name, values in (("capacity", lcap), ("weight", weight)):
        _bounded(values, lambda i: f"link {label[src[i]]!r} -> {label[dst[i]]!r}", name, net)
    links = Table(src=src.astype(np.int32), dst=dst.astype(np.int32), kind=lk,
                  capacity=lcap, weight=weight, alive=np.ones(len(lk), dtype=bool),
                  known=np.zeros(len(lk), dtype=bool), born=np.zeros(len(lk)))

    markets = np.flatnonzero(kind == KIND["market"]).astype(np.int32)
    market_of = np.full(n, -1, dtype=np.int32)
    market_of[markets] = np.arange(markets.size, dtype=np.int32)
    pop = _market_column(net, markets, "population",
                         f"a positive number of people using, at most {MAX_QUANTITY:g}",
                         lambda v: (v > 0) & (v <= MAX_QUANTITY))
    if pop is None:
        pop = np.full(markets.size, DEFAULT_POPULATION)
    demand = _market_column(net, markets, "demand",
                            f"kg per year at the base price, 0 to {MAX_QUANTITY:g}",
                            lambda v: (v >= 0) & (v <= MAX_QUANTITY))
    if demand is None:  # the labs' capacity over the usual slack, split by population
        demand = cap[kind == KIND["lab"]].sum() / 1.5 * pop / pop.sum()

    sells = lk == LKIND["sells_to"]
    retail_cap0 = np.bincount(market_of[dst[sells]], weights=cap[src[sells]],
                              minlength=markets.size)
    div = lk == LKIND["diverts_to"]
    # the start's; Sim.warmup puts the status quo's, at the spin-up's end, in its place
    diversion0 = np.bincount(market_of[dst[div]], weights=weight[div], minlength=markets.size)
    members = org >= 0
    org_initial = np.bincount(org[members], minlength=n).astype(np.float64)

    m = markets.size
    return State(actors=actors, links=links, markets=markets, market_of=market_of,
                 demand0=demand.astype(np.float64), population0=pop, next_uid=int(uid.max()) + 1,
                 retail_cap0=retail_cap0, diversion0=diversion0, org_initial=org_initial,
                 price=np.ones(m), potency=np.ones(m), volatility=np.zeros(m),
                 supply_prev=np.zeros(m))


DEFAULT_POPULATION = 1000.0
"""People using per market of a network file without a ``population`` column."""


def _market_column(net: Network, markets: np.ndarray, name: str, expected: str,
                   valid) -> np.ndarray | None:
    """The markets' values of the actor column ``name``; None when no market has one (the
    caller's documented default applies). A column that some markets have and others miss
    is refused, as is a value that is not a number or fails ``valid``: a missing value read
    as 0 (or any default) would silently give that market no demand, or the wrong scale,
    among markets that have their own."""
    a = net.actors
    if name not in a:
        return None
    raw = a[name].iloc[markets]
    given = raw.notna().to_numpy(copy=True)
    if not pd.api.types.is_numeric_dtype(raw.dtype):  # a number is never blank text
        given &= (raw.astype(str).str.strip() != "").to_numpy()
    if not given.any():
        return None
    values = pd.to_numeric(raw.where(given), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    ids = a["id"].iloc[markets].astype(str).to_numpy()
    with np.errstate(invalid="ignore"):
        bad = given & ~(np.isfinite(values) & valid(values))
    if bad.any():
        raise InputError(f"market {_some(ids[bad])}: '{name}' is {raw.to_numpy()[bad][0]!r}; "
                         f"expected {expected}", file=net.source, field=name)
    if not given.all():
        raise InputError(f"{(~given).sum()} of {given.size} markets have no '{name}' while the "
                         f"others have one: {_some(ids[~given])}; give every market a value "
                         f"(or none, for the default)", file=net.source, field=name)
    return values


MAX_QUANTITY = 1e15  # the largest capacity, weight, demand or population a run accepts


def _bounded(values: np.ndarray, which, name: str, net: Network) -> None:
    """Refuse a capacity or weight above :data:`MAX_QUANTITY` (``which(i)`` names row
    ``i``): the network layer accepts any finite number, and a run multiplies such
    numbers (a capacity of 1e308 written for "unlimited" overflowed to NaN stocks and
    cash); 1e15 kg or people is far beyond any real trade."""
    with np.errstate(invalid="ignore"):
        big = np.flatnonzero(values > MAX_QUANTITY)
    if big.size:
        i = int(big[0])
        more = f"; {big.size - 1} more like it" if big.size > 1 else ""
        raise InputError(f"{which(i)}: '{name}' is {values[i]:g}; expected at most "
                         f"{MAX_QUANTITY:g} (leave it empty for the default){more}",
                         file=net.source, field=name)


def _some(ids: np.ndarray, k: int = 5) -> str:
    """Up to ``k`` ids, then how many more."""
    shown = ", ".join(ids[:k])
    return shown if ids.size <= k else f"{shown} and {ids.size - k} more"


def _default_roles(org: np.ndarray, role: np.ndarray) -> None:
    """Give every organization without a leader one: its first member; and up to two
    lieutenants (the next members)."""
    members = np.flatnonzero(org >= 0)
    if not members.size:
        return
    orgs = org[members]
    has_leader = np.zeros(org.size, dtype=bool)
    has_leader[orgs[role[members] == ROLE["leader"]]] = True
    # the members of organizations without a leader (none in a network that names them),
    # by organization, then slot (a stable sort keeps the slots' order within one)
    members = members[~has_leader[orgs]]
    if not members.size:
        return
    order = members[np.argsort(org[members], kind="stable")]
    o = org[order]
    starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
    rank = np.arange(o.size) - np.repeat(starts, np.diff(np.r_[starts, o.size]))
    role[order[rank == 0]] = ROLE["leader"]
    next_two = order[(rank >= 1) & (rank <= 2)]
    role[next_two[role[next_two] == 0]] = ROLE["lieutenant"]
