"""Vectorised helpers for flows over links (the compiled stage transfers are in
:mod:`fentanet.simulate.kernels`: ``plan_transfers``, ``afford``, ``apply_transfers``)."""

from __future__ import annotations

import numpy as np


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
