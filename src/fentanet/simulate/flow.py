"""Moving material along flow links: offers, room at the receiver, cash, payments.

One stage of the supply chain moves material from senders to receivers over a set of
links, all at once (vectorised with ``np.bincount``):

1. each sender offers ``offer_l`` on each of its links (its offer split by link shares);
2. a receiver takes at most its ``room`` (what it wants to hold minus what it holds): all
   offers to it are scaled by ``min(1, room / offered)``;
3. a buyer of another organization pays the seller's price; what a payer cannot afford
   is scaled down (cash never goes negative);
4. the material moves (``stock`` of senders down, receivers up) and the money moves
   (buyer's usable cash down, seller's unlaundered revenue up).

Material is only moved, never created: the totals are what the balance check counts.
"""

from __future__ import annotations

import numpy as np

from fentanet.simulate.state import Table


def link_shares(src: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    """Share of each link in its sender's offer: weight / sum of the sender's weights."""
    tot = np.bincount(src, weights=weight, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = weight / tot[src]
    return np.where(np.isfinite(share), share, 0.0)


def accept_ratio(dst: np.ndarray, offer: np.ndarray, room: np.ndarray, n: int) -> np.ndarray:
    """Per actor: share of what is offered to it that fits its room (1 where no offer)."""
    offered = np.bincount(dst, weights=offer, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(offered > 0, np.minimum(1.0, room / offered), 1.0)
    return np.maximum(ratio, 0.0)


def afford(actors: Table, src: np.ndarray, dst: np.ndarray, qty: np.ndarray,
           price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale purchases across organizations to what each buyer's payer can pay.

    Returns the quantities and the amount paid per link (0 within one payer).
    """
    payer = actors.payer
    n = actors.n
    pays = payer[src] != payer[dst]
    cost = np.where(pays, qty * price, 0.0)
    due = np.bincount(payer[dst], weights=cost, minlength=n)
    cash = actors.cash
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(due > cash, cash / due, 1.0)
    scale = np.clip(np.where(np.isfinite(scale), scale, 0.0), 0.0, 1.0)
    s = np.where(pays, scale[payer[dst]], 1.0)
    return qty * s, cost * s


def pay(actors: Table, src: np.ndarray, dst: np.ndarray, paid: np.ndarray) -> None:
    """Move money for purchases: buyers' payers' cash down, sellers' payers' revenue up."""
    if not paid.any():
        return
    n = actors.n
    payer = actors.payer
    cash = actors.cash
    cash -= np.bincount(payer[dst], weights=paid, minlength=n)
    np.maximum(cash, 0.0, out=cash)
    actors.dirty[:] += np.bincount(payer[src], weights=paid, minlength=n)


def move(stock: np.ndarray, src: np.ndarray, dst: np.ndarray, sent: np.ndarray,
         received: np.ndarray | None = None) -> None:
    """Take ``sent`` from the senders' stock and give ``received`` (default: sent)."""
    n = stock.size
    out = np.bincount(src, weights=sent, minlength=n)
    stock -= out
    np.maximum(stock, 0.0, out=stock)
    stock += np.bincount(dst, weights=sent if received is None else received, minlength=n)
