"""Sector policy, relocation: a sector leaves one belt for another over N years.

For example chemicals, from the Yangtze to coastal chemical parks (重化围江 / 沿海布局).

In each year of the window a share 1 / (years left) of the sector's remaining firms
in the origin belt closes, lowest per-mu score first; their output capacity re-opens
as new projects in the destination zones (those with the destination flag, else every
zone of the destination belt), shared in proportion to each zone's free space and
capped by it. Land at the destination is new construction land outside the quota.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from models.firms import FirmTable

if TYPE_CHECKING:
    from models.zone import ZoneTable


def origin_zones(zones: ZoneTable, from_belt: str, keep_flag: str | None) -> np.ndarray:
    """Mask of the zones the sector leaves, (Z,).

    Those in `from_belt`, not merged away and without the flag that keeps it
    (`keep_flag`, e.g. chemical_park).
    """
    keep = zones.flag(keep_flag) if keep_flag else np.zeros(len(zones), bool)
    return zones.in_belt(from_belt) & ~zones.merged & ~keep


def destination_zones(
    zones: ZoneTable, from_belt: str, to_belt: str, origin: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """Mask of the zones the sector may move to, (Z,).

    Zones of `to_belt` that are not also in `from_belt`, unless `to_belt` is their own
    belt (zones.csv `belt`; a Nantong zone is in both the Yangtze and the coastal belt,
    its own belt is the Yangtze), not merged, not an origin, and where the sector is
    `allowed` (no ban).
    """
    own = np.array([b == to_belt for b in zones.belt])
    return (
        zones.in_belt(to_belt)
        & (~zones.in_belt(from_belt) | own)
        & ~zones.merged
        & ~origin
        & allowed
    )


def movers(
    firms: FirmTable, sector: int, origin: np.ndarray, year: int, start: int, years: int
) -> np.ndarray:
    """Rows of the sector's live firms in the `origin` zones that move this year.

    Idle projects are not relocated: the development deadline recovers their land.
    """
    cand = np.flatnonzero(
        firms.alive() & (firms.sector == sector) & origin[firms.zone] & (firms.idle_until == 0)
    )
    return relocating_rows(cand, firms.score[cand], year, start, years)


def moved_capacity(firms: FirmTable, rows: np.ndarray, n_zones: int) -> tuple[float, np.ndarray]:
    """Output capacity of the moving firms (万元): the total and (Z,) by origin zone.

    A project still ramping up moves with its full capacity.
    """
    full = np.where(
        firms.capacity_output_wan[rows] > 0, firms.capacity_output_wan[rows], firms.output_wan[rows]
    )
    return float(full.sum()), np.bincount(firms.zone[rows], full, minlength=n_zones)


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


def place(
    capacity_wan: float,
    space_mu: np.ndarray,
    flagged: np.ndarray,
    output_per_mu_wan: np.ndarray,
    flagged_only: bool,
) -> tuple[np.ndarray, float]:
    """((Z,) mu opened in each destination zone, output lost for want of space 万元).

    Flagged zones (e.g. chemical parks) take the capacity first; unless only flagged
    zones may take it (化工企业入园), the rest of the destination takes what is left.
    `space_mu` is the free space of the destination zones (0 elsewhere).
    """
    land = destination_land(capacity_wan, np.where(flagged, space_mu, 0.0), output_per_mu_wan)
    if not flagged_only:
        rest = capacity_wan - float((land * output_per_mu_wan).sum())
        land += destination_land(rest, np.where(flagged, 0.0, space_mu), output_per_mu_wan)
    lost = max(capacity_wan - float((land * output_per_mu_wan).sum()), 0.0)
    return land, lost


def destination_land(
    capacity_wan: float,
    space_mu: np.ndarray,
    output_per_mu_wan: np.ndarray,
) -> np.ndarray:
    """Land opened in each destination zone for `capacity_wan` of output, (Z,) in mu.

    Shared by free space and capped by it (zones outside the destination have space 0).
    What a full zone cannot take goes to the zones with room left, again by space, until
    all is placed or every zone is full.
    """
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
