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
    free space and capped by it (zones outside the destination have space 0). What a
    full zone cannot take goes to the zones with room left, again by space, until all
    is placed or every zone is full."""
    land = np.zeros_like(space_mu, dtype=np.float64)
    opm = np.where(output_per_mu_wan > 0, output_per_mu_wan, np.inf)
    room = (space_mu > 0) & (output_per_mu_wan > 0)
    left = float(capacity_wan)
    while left > 1e-9 * capacity_wan and room.any():
        weight = np.where(room, space_mu, 0.0)
        add = np.minimum(left * weight / weight.sum() / opm, space_mu - land)
        land += add
        left -= float((add * np.where(room, output_per_mu_wan, 0.0)).sum())
        full = room & (land >= space_mu * (1 - 1e-12))
        if not full.any():
            break  # nobody was capped: everything is placed
        room &= ~full
    return land
