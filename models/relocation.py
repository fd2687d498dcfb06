"""Sector policy, relocation: a sector leaves one belt for another over N years
(e.g. chemicals from the Yangtze to coastal chemical parks, 重化围江 / 沿海布局).

In each year of the window a share 1 / (years left) of the sector's remaining firms
in the origin belt closes, lowest per-mu score first; their output capacity re-opens
as new projects in the destination zones (those with the destination flag, else every
zone of the destination belt), shared in proportion to each zone's free space and
capped by it. Land at the destination is new construction land outside the quota.
"""

from __future__ import annotations

import numpy as np


def relocating_rows(
    candidates: np.ndarray, score: np.ndarray, year: int, start: int, years: int
) -> np.ndarray:
    """The candidate rows that move this year (lowest score first; NaN scores last)."""
    if not start <= year < start + years or len(candidates) == 0:
        return candidates[:0]
    left = start + years - year
    k = int(np.ceil(len(candidates) / left))
    order = np.argsort(np.nan_to_num(score, nan=np.inf), kind="stable")
    return candidates[order[:k]]


def destination_land(
    capacity_wan: float,
    space_mu: np.ndarray,
    output_per_mu_wan: np.ndarray,
) -> np.ndarray:
    """(Z,) mu opened in each destination zone for `capacity_wan` of output, shared by
    free space and capped by it (zones outside the destination have space 0)."""
    total = space_mu.sum()
    if capacity_wan <= 0 or total <= 0:
        return np.zeros_like(space_mu)
    want = (
        capacity_wan
        * (space_mu / total)
        / np.where(output_per_mu_wan > 0, output_per_mu_wan, np.inf)
    )
    return np.minimum(want, space_mu)
