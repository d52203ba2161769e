"""The supply-chain step of fentanet's simulation written the way a Mesa 3 user would write
it: one Python object per actor, each with a ``step`` method, on the same network.

It implements the same rules as the supply phases of :mod:`fentanet.simulate.phases` for
one step (a single offer pass): labs buy precursor up to their target stock from their
suppliers (capacity-limited) and produce up to capacity; every holder (lab, route,
trafficker, dealer, marketplace) offers ``min(stock, capacity * dt)`` to its receivers in
proportion to their room; routes lose ``Binomial(n, p)`` of ``n`` shipments to seizure;
dealers sell into markets up to demand; every actor of an enforced kind is detected with
probability ``1 - exp(-rate * dt)`` and an organization member's position is refilled.
Random numbers come from ``random.Random`` per model (Mesa's way), so the draws differ
from fentanet's keyed streams: totals agree in distribution, not draw for draw.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from fentanet.network.model import Network

HOLDERS = ("lab", "route", "trafficker", "dealer", "marketplace")
DETECT = {"dealer": 0.15, "trafficker": 0.08, "lab": 0.10, "route": 0.08, "supplier": 0.05,
          "marketplace": 0.10, "launderer": 0.05, "official": 0.03, "business": 0.02,
          "prescriber": 0.03}
SHIPMENT = {"land": 10.0, "air": 2.0, "sea": 50.0, "postal": 0.5, "online": 0.25}
INSPECT = {"land": 0.06, "air": 0.06, "sea": 0.04, "postal": 0.03, "online": 0.02}
COVER = 0.04
PRECURSOR_COVER = 0.08


class Actor(mesa.Agent):
    """One actor of the trade."""

    def __init__(self, model: SupplyModel, kind: str, capacity: float, mode: str | None,
                 org: int, demand: float) -> None:
        super().__init__(model)
        self.kind = kind
        self.capacity = capacity
        self.mode = mode
        self.org = org
        self.demand = demand
        self.product = COVER * capacity if kind in HOLDERS and kind != "route" else 0.0
        self.precursor = PRECURSOR_COVER * capacity if kind == "lab" else 0.0
        self.alive = True
        self.out: list[Actor] = []
        self.suppliers: list[Actor] = []
        self.sold_this_step = 0.0

    def room(self) -> float:
        if self.kind == "route":
            return max(0.0, self.capacity * self.model.dt - self.product)
        if self.kind == "market":
            return max(0.0, self.demand * self.model.dt - self.product)
        return max(0.0, COVER * self.capacity - self.product)

    def procure(self) -> None:
        if self.kind != "lab" or not self.alive:
            return
        want = max(0.0, PRECURSOR_COVER * self.capacity - self.precursor)
        sups = [s for s in self.suppliers if s.alive]
        for s in sups:
            ask = want / len(sups)
            got = min(ask, s.capacity * self.model.dt - s.sold_this_step)
            if got > 0:
                s.sold_this_step += got
                self.precursor += got

    def produce(self) -> None:
        if self.kind != "lab" or not self.alive:
            return
        made = min(self.capacity * self.model.dt, self.precursor,
                   max(0.0, COVER * self.capacity - self.product))
        self.precursor -= made
        self.product += made
        self.model.produced += made

    def ship(self) -> None:
        if self.kind not in HOLDERS or not self.alive:
            return
        receivers = [r for r in self.out if r.alive]
        if not receivers:
            return
        offer = min(self.product, self.capacity * self.model.dt)
        rooms = [r.room() for r in receivers]
        total = sum(rooms)
        if total <= 0 or offer <= 0:
            return
        sent = 0.0
        for r, room in zip(receivers, rooms, strict=True):
            q = min(room, offer * room / total)
            if q <= 0:
                continue
            delivered = q
            if self.kind == "route":
                n = max(1, math.ceil(q / SHIPMENT[self.mode]))
                p = 1.0 - math.exp(-INSPECT[self.mode])
                k = sum(1 for _ in range(n) if self.random.random() < p)
                delivered = q * (1 - k / n)
                self.model.seized += q - delivered
            r.product += delivered
            sent += q
        self.product -= sent

    def enforce(self) -> None:
        rate = DETECT.get(self.kind, 0.0)
        if not self.alive or rate <= 0:
            return
        if self.random.random() < 1.0 - math.exp(-rate * self.model.dt):
            self.alive = False
            self.model.arrests += 1
            self.product = 0.0
            self.precursor = 0.0
            if self.org >= 0:
                self.model.vacancies.append(self)

    def refill(self) -> None:
        self.alive = True


class SupplyModel(mesa.Model):
    """The toy supply chain as Mesa agents."""

    def __init__(self, net: Network, seed: int = 1, dt: float = 1 / 52) -> None:
        super().__init__(seed=seed)
        self.dt = dt
        self.produced = self.seized = self.consumed = 0.0
        self.arrests = 0
        self.vacancies: list[Actor] = []
        a = net.actors
        orgs = {o: i for i, o in enumerate(a["organization"].dropna().unique())} \
            if "organization" in a else {}
        cap = a["capacity"].fillna(0.0).to_numpy() if "capacity" in a else np.zeros(len(a))
        demand = a["demand"].fillna(0.0).to_numpy() if "demand" in a else np.zeros(len(a))
        mode = a["mode"].to_numpy(dtype=object) if "mode" in a else [None] * len(a)
        org = a["organization"].to_numpy(dtype=object) if "organization" in a else []
        self.actors: list[Actor] = []
        for i, kind in enumerate(a["kind"].astype(str)):
            o = orgs.get(org[i], -1) if len(org) else -1
            self.actors.append(Actor(self, kind, float(cap[i]), mode[i], o, float(demand[i])))
        src, dst = net.source_index, net.target_index
        kinds = net.links["kind"].astype(str).to_numpy()
        for s, d, k in zip(src, dst, kinds, strict=True):
            if k == "supplies" and self.actors[d].kind == "lab":
                self.actors[d].suppliers.append(self.actors[s])
            elif k in ("ships", "distributes", "sells_to"):
                self.actors[s].out.append(self.actors[d])
        self.markets = [x for x in self.actors if x.kind == "market"]

    def step(self) -> None:
        for x in self.actors:
            x.sold_this_step = 0.0
        self.agents.do("procure")
        self.agents.do("produce")
        for kind in HOLDERS:
            self.agents.select(lambda x, kind=kind: x.kind == kind).do("ship")
        for m in self.markets:
            self.consumed += m.product
            m.product = 0.0
        self.agents.do("enforce")
        for x in self.vacancies:
            if self.random.random() < 1.0 - math.exp(-6.0 * self.dt):
                x.refill()
        self.vacancies = [x for x in self.vacancies if not x.alive]
