"""Step 5, low-efficiency exit (低效退出), and the land of every firm that closes.

Mandatory mode: a firm rated D in as many consecutive evaluations as the
rectification window (exit.rectification_years: 3 = "D three years in a row") without
completing its rectification exits. Either mode: a D firm that stays rectifies
(整治提升) with probability
    p = clip(p_0 + a · surcharge / output + b · max(margin, 0), 0, 1)
(the surcharge pushes, the margin pays for the upgrade); success gives back the land
the firm does not need (its output per mu rises by the rectification gain; the land
goes to the zone's stock pool) and, the rectification accepted (整改验收), restarts
its count of D ratings: exit is for the firms whose rectification failed (D: "整改无望
或整改后仍不达标"), not for every firm the ranking puts at the bottom three times; a
rectified firm ranked D again starts a new window. Exits are bounded by what land recovery can
process: at most exit.capacity_share_of_built of a zone's built land a year, the
lowest-scored firms first; the others stay due and leave in a later year.
Market mode: each firm exits with hazard
    h = [class D] · h_base + slope · (surcharge / output + max(0, −margin)),
i.e. rising with the margin it loses. Before either, 限期开发: a supplied project left
idle past its development deadline is closed and its land recovered, free.
Whatever the reason a firm closes (here, relocation, forced exit for carbon), its land
goes to the zone's stock pool after the recovery lag (`close_firms`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from models.firms import CLASS_D, CLASS_T, EXIT_MANDATORY, EXIT_MARKET, EXITED, FirmTable
from models.units import safe_div

if TYPE_CHECKING:
    from models.zone import ZoneTable
    from sim.scenario import Scenario


def years_in_d(prev_years: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """Consecutive years in class D, counting this one."""
    return np.where(cls == CLASS_D, prev_years + 1, 0).astype(prev_years.dtype)


def mandatory_exits(years_d: np.ndarray, rectification_years: int) -> np.ndarray:
    """Mask of firms rated D in `rectification_years` consecutive evaluations (or more)."""
    return years_d >= rectification_years


def within_capacity(
    rows: np.ndarray,
    zone: np.ndarray,
    land_mu: np.ndarray,
    score: np.ndarray,
    capacity_mu: np.ndarray,
) -> np.ndarray:
    """The exits `rows` that recovery can process this year (a subset of rows).

    In each zone, firms in order of score (lowest first; unscored last) while their
    cumulated land stays within capacity_mu[zone]; the first firm of a zone always
    fits (a zone can take at least one exit a year).
    """
    if len(rows) == 0:
        return rows
    z = zone[rows]
    key = np.where(np.isnan(score[rows]), np.inf, score[rows])
    order = np.lexsort((rows, key, z))
    r, zo = rows[order], z[order]
    land = land_mu[r]
    cum = np.cumsum(land)
    start = np.searchsorted(zo, zo, side="left")
    before = cum - land - np.where(start > 0, cum[start - 1], 0.0)
    first = np.arange(len(r)) == start
    keep = first | (before + land <= capacity_mu[zo])
    return np.sort(r[keep])


def rectification_success(
    margin: np.ndarray,
    surcharge_wan: np.ndarray,
    output_wan: np.ndarray,
    base: float,
    per_surcharge: float,
    per_margin: float,
    draws: np.ndarray,
) -> np.ndarray:
    """Mask of D firms whose rectification (整改) succeeds this year.

    p = clip(base + per_surcharge · surcharge / output + per_margin · max(margin, 0), 0, 1)
    """
    p = (
        base
        + per_surcharge * safe_div(surcharge_wan, output_wan)
        + per_margin * np.maximum(margin, 0.0)
    )
    return draws < np.clip(p, 0.0, 1.0)


def market_exits(
    cls: np.ndarray,
    margin: np.ndarray,
    surcharge_wan: np.ndarray,
    output_wan: np.ndarray,
    hazard_base: float,
    hazard_slope: float,
    draws: np.ndarray,
) -> np.ndarray:
    """Mask of firms that exit under market pressure (draws: uniform [0, 1) per firm).

        h = [class D] · hazard_base + hazard_slope · (surcharge / output + max(0, −margin))
    clipped to [0, 1]; a firm exits when its draw < h. Class T (not evaluated: young
    firms, utilities) is never a low-efficiency exit.
    """
    loss = safe_div(surcharge_wan, output_wan)
    hazard = (cls == CLASS_D) * hazard_base + hazard_slope * (loss + np.maximum(0.0, -margin))
    return (cls != CLASS_T) & (draws < np.clip(hazard, 0.0, 1.0))


def deadline_rows(alive: np.ndarray, idle_until: np.ndarray, year: int) -> np.ndarray:
    """Rows of live idle projects whose development deadline (限期开发) has come."""
    return np.flatnonzero(alive & (idle_until > 0) & (idle_until <= year))


def low_efficiency_rows(
    firms: FirmTable, levers: Scenario, draws: np.ndarray
) -> tuple[np.ndarray, int]:
    """Rows of the firms that exit for low efficiency this year, and the exit reason.

    Under the year's exit mode (levers.exit: off, mandatory or market). `draws` holds
    one uniform draw per row of the firm table (drawn whatever the mode, so the random
    stream does not depend on it).
    """
    cfg = levers.exit
    live = np.flatnonzero(firms.alive())
    if cfg.mode == "off":
        return live[:0], EXIT_MANDATORY
    if cfg.mode == "mandatory":
        leave = mandatory_exits(firms.years_in_d[live], cfg.rectification_years)
        return live[leave], EXIT_MANDATORY
    leave = market_exits(
        firms.cls[live],
        firms.margin[live],
        firms.surcharge_wan[live],
        firms.output_wan[live],
        cfg.market_hazard_base,
        cfg.market_hazard_per_margin_loss,
        draws[live],
    )
    return live[leave], EXIT_MARKET


def rectify(firms: FirmTable, levers: Scenario, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply this year's successful rectifications among live D firms, in place.

    A success gives back the land the firm does not need (分割转让 / 退让 of idle
    land): land × exp(−exit.rectification_gain) at unchanged output, so its output per
    mu rises and the zone gets the land back (no output is created); the accepted
    rectification restarts the firm's count of consecutive D ratings (`accept`).
    Returns (rows, mu given back by each). `draws`: one uniform draw per row of the
    firm table.
    """
    cfg = levers.exit
    rows = rectified_rows(firms, levers, draws)
    freed = firms.land_mu[rows] * (1.0 - np.exp(-cfg.rectification_gain))
    firms.land_mu[rows] -= freed
    accept(firms.years_in_d, rows)
    return rows, freed


def rectified_rows(firms: FirmTable, levers: Scenario, draws: np.ndarray) -> np.ndarray:
    """Rows of the live D firms whose rectification succeeds this year.

    `draws`: one uniform draw per row of the firm table (`rectification_success`).
    """
    cfg = levers.exit
    d = np.flatnonzero(firms.alive() & (firms.cls == CLASS_D))
    ok = rectification_success(
        firms.margin[d],
        firms.surcharge_wan[d],
        firms.output_wan[d],
        cfg.rectification_success_base,
        cfg.rectification_success_per_surcharge,
        cfg.rectification_success_per_margin,
        draws[d],
    )
    return d[ok]


def accept(years_d: np.ndarray, rows: np.ndarray) -> None:
    """Restart the D count of firms `rows` whose rectification was accepted, in place.

    The mandatory exit counts D ratings since the last accepted rectification: a firm
    that has rectified and is ranked D again (5 % are D whatever the firms do) gets a
    new window. The sources send to exit the D firms whose rectification is hopeless
    or failed; restarting the count on acceptance is this model's reading of it.
    """
    years_d[rows] = 0


def close_firms(
    firms: FirmTable,
    zones: ZoneTable,
    rows: np.ndarray,
    reason: int,
    year: int,
    recovery_lag_years: int,
    cost_wan_per_mu: float,
) -> None:
    """Close firms `rows`, changing the firm table and the zone table in place.

    The firms get status EXITED, this exit year and `reason`; their land (mu) enters
    their zone's stock pool in year + recovery lag, bought back at `cost_wan_per_mu`
    (0: recovered free); the zones' flows firms_exited, land_exited_mu and
    spent_buyback_wan and their spending total record it.
    """
    if len(rows) == 0:
        return
    firms.status[rows] = EXITED
    firms.exit_year[rows] = year
    firms.exit_reason[rows] = reason
    n_z = len(zones)
    land = np.bincount(firms.zone[rows], firms.land_mu[rows], minlength=n_z)
    zones.flows["firms_exited"] += np.bincount(firms.zone[rows], minlength=n_z)
    zones.flows["land_exited_mu"] += land
    zones.receive_idle(land, year + recovery_lag_years)
    hit = np.flatnonzero(land)
    zones.spent_buyback_wan[hit] += cost_wan_per_mu * land[hit]
    zones.flows["spent_buyback_wan"][hit] += cost_wan_per_mu * land[hit]
