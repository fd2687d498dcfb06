r"""Abatement supply for the allocation (step 8) and its application to firms (step 10).

Issue 13: the yearly LP chooses new land and abatement together. This module turns the
existing firms of each zone into the LP's abatement columns a[z,j] (t CO2 abated in
zone z by measure-tier j) and, once the LP has chosen, applies the plan to firms.

Measure-tiers j, each with tonnes available this year and a cost per tonne:

    retrofit_k     t = share_{s,k} · CO2_i              c = cost_{s,k}  (abatement_tiers.csv)
    green_power    t = g · MWh_i · grid                 c = premium · 1000 / grid   (元/t)
    curtailment_k  t = u · CO2_i  (C and D firms)       c = λ = VA/CO2 of the zone-sector's
                                                            C/D firms (有序用电: VA lost)
    forced_exit_k  t = CO2_i      (D firms, whole)      c = λ = VA_i / CO2_i

with g = carbon.green_power_max_share (of a firm's electricity bought green this year),
u = carbon.curtailment_max_share. Curtailment and exit tiers split each zone's
candidates, sorted by λ, into tiers of equal tonnes. The column of zone z and tier j
holds the sum of its firms' tonnes at their tonne-weighted cost (万元/t in the LP).
Curtailment and exit remove λ·t of existing value added (the intensity row).

Application (step 10), measure by measure within each zone, cheapest pieces first, up
to the tonnes the LP chose for the zone (its tiers summed): retrofits lower a firm's
energy intensity for good; green power lowers this year's CO2 of the firm's
electricity; curtailment cuts this year's output; forced exit closes whole D firms
(rounded to the nearest firm; the land goes to the stock pool after the recovery lag).
With a carbon price p, firms also take every retrofit and green-power piece still
unused that costs less than p (their own choice, whatever the plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.carbon import PLAN_KINDS, FirmActions, YearCuts
from models.firms import CLASS_C, CLASS_D, TCE_PER_MWH, FirmTable
from models.units import YUAN_PER_WAN

if TYPE_CHECKING:
    from models.zone import ZoneTable
    from optimize import Allocation
    from sim.scenario import Scenario

KINDS = PLAN_KINDS
"""The measures, in the order step 10 applies them within a zone."""

CURTAILMENT_TIERS = 2
EXIT_TIERS = 2


@dataclass
class Pieces:
    """One measure's firm-level pieces: what each firm can abate and at what cost."""

    rows: np.ndarray
    """Firm rows."""
    zpos: np.ndarray
    """Position of the firm's zone among the snapshot's zones."""
    t: np.ndarray
    """t CO2 the piece abates."""
    cost: np.ndarray
    """万元 per t."""
    column: np.ndarray
    """Index j of the LP column the piece belongs to."""


@dataclass
class Supply:
    """The year's abatement columns (for the Snapshot) and the pieces behind them."""

    measures: tuple[str, ...]
    max_t: np.ndarray
    cost_wan_per_t: np.ndarray
    va_lost_wan_per_t: np.ndarray
    pieces: dict[str, Pieces] = field(default_factory=dict)

    def snapshot_fields(self) -> dict[str, object]:
        """The Snapshot's abatement fields."""
        return {
            "abatement_measures": self.measures,
            "abatement_max_t": self.max_t,
            "abatement_cost_wan_per_t": self.cost_wan_per_t,
            "abatement_va_lost_wan_per_t": self.va_lost_wan_per_t,
        }


def _sum(index: np.ndarray, weights: np.ndarray, minlength: int = 0) -> np.ndarray:
    """np.bincount with weights, always float (bincount of an empty index is int)."""
    return np.bincount(index, weights, minlength=minlength).astype(np.float64)


def measure_names(n_retrofit_tiers: int) -> tuple[str, ...]:
    """The column names j: retrofit_1..K, green_power, curtailment_1.., forced_exit_1.."""
    return (
        *(f"retrofit_{k}" for k in range(1, n_retrofit_tiers + 1)),
        "green_power",
        *(f"curtailment_{k}" for k in range(1, CURTAILMENT_TIERS + 1)),
        *(f"forced_exit_{k}" for k in range(1, EXIT_TIERS + 1)),
    )


def tier_arrays(
    tiers: pd.DataFrame | None, sectors: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """(K,S) share of CO2 per year and (K,S) cost (万元/t) of the retrofit tiers."""
    if tiers is None or len(tiers) == 0:
        return np.zeros((0, len(sectors))), np.zeros((0, len(sectors)))
    r = tiers[tiers["measure"] == "retrofit"]
    ks = sorted(set(r["tier"]))
    share = np.zeros((len(ks), len(sectors)))
    cost = np.zeros((len(ks), len(sectors)))
    pos = {s: i for i, s in enumerate(sectors)}
    for row in r.itertuples(index=False):
        k, s = ks.index(int(row.tier)), pos[str(row.sector)]
        share[k, s] = float(row.share_of_co2_per_year)
        cost[k, s] = float(row.cost_yuan_per_t) / YUAN_PER_WAN
    return share, cost


def _tiers_by_lambda(
    zpos: np.ndarray, lam: np.ndarray, t: np.ndarray, nz: int, n_tiers: int
) -> tuple[np.ndarray, np.ndarray]:
    """Order pieces by (zone, λ) and give each the tier of equal tonnes it falls in."""
    order = np.lexsort((lam, zpos))
    zs, ts = zpos[order], t[order]
    total = _sum(zs, ts, minlength=nz)
    cum = np.cumsum(ts)
    start = np.concatenate([[0.0], np.cumsum(total)])[zs]
    before = cum - ts - start
    frac = np.divide(before, total[zs], out=np.zeros_like(before), where=total[zs] > 0)
    tier = np.minimum((frac * n_tiers).astype(np.int64), n_tiers - 1)
    out = np.empty_like(tier)
    out[order] = tier
    return out, order


def build_supply(
    firms: FirmTable,
    zone_pos: np.ndarray,
    nz: int,
    sector_names: tuple[str, ...],
    tiers: pd.DataFrame | None,
    grid_t_per_mwh: float,
    green_max_share: float,
    green_premium_yuan_per_kwh: float,
    curtailment_max_share: float,
    retrofit_max_share: float = 1.0,
) -> Supply:
    """The year's abatement columns from the live firms.

    `zone_pos` maps each zone of the zone table to its position among the snapshot's
    `nz` zones (−1: merged away, no firms).
    """
    f = firms
    live = np.flatnonzero(f.alive() & (f.co2_t > 0))
    live = live[zone_pos[f.zone[live]] >= 0]
    zp = zone_pos[f.zone[live]]
    co2 = f.co2_t[live]
    share, tcost = tier_arrays(tiers, sector_names)
    # carbon.retrofit_max_share bounds a firm's retrofits in a year: the tiers together
    # hold at most that share of its CO2 (scaled down pro rata where they hold more).
    total = share.sum(axis=0)
    share = share * np.minimum(
        1.0, np.divide(retrofit_max_share, total, out=np.ones_like(total), where=total > 0)
    )
    n_k = share.shape[0]
    measures = measure_names(n_k)
    nj = len(measures)
    pieces: dict[str, Pieces] = {}

    # retrofits: one piece per firm and tier
    s = f.sector[live]
    if n_k:
        rows = np.tile(live, n_k)
        k = np.repeat(np.arange(n_k), len(live))
        t = (share[:, s] * co2[None, :]).ravel()
        pieces["retrofit"] = Pieces(rows, np.tile(zp, n_k), t, tcost[:, s].ravel(), k)
    # green power: a share of the firm's electricity bought green this year
    j_green = n_k
    green_t = green_max_share * f.elec_mwh[live] * grid_t_per_mwh
    green_cost = (
        green_premium_yuan_per_kwh * 1000.0 / grid_t_per_mwh / YUAN_PER_WAN
        if grid_t_per_mwh > 0
        else 0.0
    )
    pieces["green_power"] = Pieces(
        live, zp, green_t, np.full(len(live), green_cost), np.full(len(live), j_green)
    )
    # curtailment of C and D firms, λ by zone-sector
    cls = f.cls[live]
    cd = (cls == CLASS_C) | (cls == CLASS_D)
    r_cd, z_cd, s_cd = live[cd], zp[cd], s[cd]
    n_s = len(sector_names)
    cell = z_cd * n_s + s_cd
    va_cell = _sum(cell, f.va_wan[r_cd], minlength=nz * n_s)
    co2_cell = _sum(cell, f.co2_t[r_cd], minlength=nz * n_s)
    lam = np.divide(va_cell, co2_cell, out=np.zeros_like(va_cell), where=co2_cell > 0)[cell]
    t_cd = curtailment_max_share * f.co2_t[r_cd]
    tier, _ = _tiers_by_lambda(z_cd, lam, t_cd, nz, CURTAILMENT_TIERS)
    pieces["curtailment"] = Pieces(r_cd, z_cd, t_cd, lam, j_green + 1 + tier)
    # forced exit of D firms, whole, λ by firm
    d = cls == CLASS_D
    r_d, z_d = live[d], zp[d]
    lam_d = f.va_wan[r_d] / f.co2_t[r_d]
    tier_d, _ = _tiers_by_lambda(z_d, lam_d, f.co2_t[r_d], nz, EXIT_TIERS)
    pieces["forced_exit"] = Pieces(
        r_d, z_d, f.co2_t[r_d].copy(), lam_d, j_green + 1 + CURTAILMENT_TIERS + tier_d
    )

    max_t = np.zeros((nz, nj))
    spend = np.zeros((nz, nj))
    for p in pieces.values():
        idx = p.zpos * nj + p.column
        max_t += _sum(idx, p.t, nz * nj).reshape(nz, nj)
        spend += _sum(idx, p.t * p.cost, minlength=nz * nj).reshape(nz, nj)
    cost = np.divide(spend, max_t, out=np.zeros_like(spend), where=max_t > 0)
    lost = np.zeros_like(cost)
    lost[:, j_green + 1 :] = cost[:, j_green + 1 :]
    return Supply(measures, max_t, cost, lost, pieces)


def year_supply(
    firms: FirmTable,
    zone_index: np.ndarray,
    n_zones: int,
    sector_names: tuple[str, ...],
    tiers: pd.DataFrame | None,
    levers: Scenario,
) -> Supply | None:
    """The year's abatement columns for the snapshot's zones (`build_supply`).

    `zone_index`: the model indices of the snapshot's zones, of `n_zones` in all. None
    when carbon.abatement_in_allocation turns them off (caps are then met by less land
    and by enforcement only, as before issue 13).
    """
    c = levers.carbon
    if not c.abatement_in_allocation:
        return None
    pos = np.full(n_zones, -1)
    pos[zone_index] = np.arange(len(zone_index))
    return build_supply(
        firms,
        pos,
        len(zone_index),
        sector_names,
        tiers,
        levers.economy.grid_factor_t_per_mwh,
        c.green_power_max_share,
        c.green_power_premium_yuan_per_kwh,
        c.curtailment_max_share,
        c.retrofit_max_share,
    )


def kind_of(measure: str) -> str:
    """The measure of a column name ("curtailment_2" → "curtailment")."""
    head, _, tail = measure.rpartition("_")
    return head if head and tail.isdigit() else measure


def take_cheapest(p: Pieces, want_t: np.ndarray, whole: bool = False) -> np.ndarray:
    """Tonnes taken from each piece: cheapest first within each zone, up to want_t[zone].

    `whole`: a piece is all or nothing, taken when at least half of it is wanted (a
    firm closes or it does not), so the zone's total is met to the nearest firm.
    """
    taken = np.zeros(len(p.t))
    if len(p.t) == 0:
        return taken
    order = np.lexsort((p.cost, p.zpos))
    zs, ts = p.zpos[order], p.t[order]
    nz = len(want_t)
    total = _sum(zs, ts, minlength=nz)
    start = np.concatenate([[0.0], np.cumsum(total)])[zs]
    before = np.cumsum(ts) - ts - start
    left = want_t[zs] - before
    if whole:
        take = np.where(left >= 0.5 * ts, ts, 0.0)
        # a firm past the wanted total stays: stop at the first piece that is not taken
        stop = np.zeros(len(ts), dtype=bool)
        stop[1:] = (take[:-1] == 0) & (zs[1:] == zs[:-1])
        blocked = np.maximum.accumulate(np.where(stop, np.arange(len(ts)), -1))
        zone_first = np.searchsorted(zs, zs)  # first index of each zone's run
        take = np.where(blocked >= zone_first, 0.0, take)
    else:
        take = np.clip(left, 0.0, ts)
    # round-off of the running sums (1e-9 t) is not abatement
    take[(want_t[zs] <= 0) | (take <= 1e-9 * np.maximum(ts, 1.0))] = 0.0
    taken[order] = take
    return taken


def price_pieces(p: Pieces, used_t: np.ndarray, price_wan_per_t: float) -> np.ndarray:
    """Tonnes (t) firms abate on their own at the carbon price, by abatement piece.

    Every piece cheaper than the price (万元/t) is taken, less what the plan already took
    (`used_t`); none without a price.
    """
    if price_wan_per_t <= 0:
        return np.zeros(len(p.t))
    return np.where(p.cost < price_wan_per_t, p.t - used_t, 0.0).clip(0.0)


@dataclass
class Applied(FirmActions):
    """What step 10 did with the plan: the firm rows changed, by measure t and 万元."""

    planned_t: dict[str, float] = field(default_factory=dict)
    done_t: dict[str, float] = field(default_factory=dict)
    cost_wan: dict[str, float] = field(default_factory=dict)
    price_t: float = 0.0
    """Tonnes firms abated on their own because the carbon price exceeds the cost."""
    green_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    green_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    spent_zpos: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Money spent on retrofits and green power by snapshot zone position (万元)."""
    abated_zpos: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """t CO2 abated by the plan by snapshot zone position, all measures."""
    cost_zpos: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Cost of the plan by zone position (万元: money, and VA lost to curtailment, exit)."""


def _per_firm(rows: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum tonnes by firm row: (rows, tonnes) of the firms with any."""
    u, inv = np.unique(rows, return_inverse=True)
    total = _sum(inv, t, minlength=len(u))
    keep = total > 0
    return u[keep], total[keep]


def plan_application(
    firms: FirmTable, supply: Supply, plan_t: np.ndarray, price_wan_per_t: float
) -> Applied:
    """Which firms do what: the plan (Z,J) of the LP turned into firm-level actions.

    Nothing is changed here; `apply_plan` applies the result.
    """
    nz = plan_t.shape[0]
    out = Applied(spent_zpos=np.zeros(nz), abated_zpos=np.zeros(nz), cost_zpos=np.zeros(nz))
    for kind in KINDS:
        p = supply.pieces.get(kind)
        cols = [j for j, m in enumerate(supply.measures) if kind_of(m) == kind]
        want = plan_t[:, cols].sum(axis=1) if cols else np.zeros(nz)
        out.planned_t[kind] = float(want.sum())
        if p is None:
            out.done_t[kind] = out.cost_wan[kind] = 0.0
            continue
        taken = take_cheapest(p, want, whole=kind == "forced_exit")
        if kind in ("retrofit", "green_power"):
            extra = price_pieces(p, taken, price_wan_per_t)
            out.price_t += float(extra.sum())
            taken = taken + extra
        out.done_t[kind] = float(taken.sum())
        out.cost_wan[kind] = float((taken * p.cost).sum())
        out.abated_zpos += _sum(p.zpos, taken, minlength=nz)
        out.cost_zpos += _sum(p.zpos, taken * p.cost, minlength=nz)
        if kind in ("retrofit", "green_power"):
            out.spent_zpos += _sum(p.zpos, taken * p.cost, minlength=nz)
        rows, t = _per_firm(p.rows, taken)
        co2 = firms.co2_t[rows]
        share = np.divide(t, co2, out=np.zeros_like(t), where=co2 > 0).clip(0.0, 1.0)
        if kind == "retrofit":
            out.retrofit_rows, out.retrofit_share = rows, share
        elif kind == "green_power":
            out.green_rows, out.green_t = rows, t
        elif kind == "curtailment":
            out.curtail_rows, out.curtail_share = rows, share
        else:
            out.exit_rows = rows
    return out


def electricity_co2_t(firms: FirmTable, rows: np.ndarray, grid_t_per_mwh: float) -> np.ndarray:
    """CO2 of the firms' electricity (t): MWh × grid factor."""
    return firms.energy_tce[rows] * firms.elec_share[rows] / TCE_PER_MWH * grid_t_per_mwh


def apply_plan(
    firms: FirmTable,
    zones: ZoneTable,
    supply: Supply | None,
    alloc: Allocation,
    levers: Scenario,
    cuts: YearCuts,
) -> Applied | None:
    """Apply the abatement the allocation chose to firms, in place; None without one.

    Retrofits lower energy intensity for good (counted in `cuts.retrofit_used`, so
    enforcement's retrofit limit covers both); curtailment cuts this year's output
    (`cuts`, restored next year); green power and exits are returned for the caller
    (the model takes green tonnes off CO2 after accounts and closes the exit rows).
    Money spent on retrofits and green power goes to the zones' spent_carbon_wan.
    """
    if supply is None or alloc.abatement_t is None:
        return None
    f = firms
    price = levers.carbon.carbon_price_wan_per_t
    acts = plan_application(f, supply, np.asarray(alloc.abatement_t), price)
    rr, rs = acts.retrofit_rows, acts.retrofit_share
    cuts.retrofit_used[rr] = 1.0 - (1.0 - cuts.retrofit_used[rr]) * (1.0 - rs)
    f.energy_intensity_tce_per_wan[rr] *= 1.0 - rs
    cr, cs = acts.curtail_rows, acts.curtail_share
    cuts.curtail_used[cr] = 1.0 - (1.0 - cuts.curtail_used[cr]) * (1.0 - cs)
    cuts.curtailed_rows = np.concatenate([cuts.curtailed_rows, cr])
    cuts.curtailed_before = np.concatenate([cuts.curtailed_before, f.output_wan[cr]])
    f.output_wan[cr] *= 1.0 - cs
    idx = np.flatnonzero(~zones.merged)
    spent = np.zeros(len(zones))
    spent[idx] = acts.spent_zpos
    zones.flows["spent_carbon_wan"] += spent
    zones.spent_carbon_wan += spent
    zones.flows["abatement_planned_t"][idx] += acts.abated_zpos
    zones.flows["abatement_planned_cost_wan"][idx] += acts.cost_zpos
    return acts


def green_tonnes(plan: Applied | None, n_firms: int) -> np.ndarray:
    """This year's green-power tonnes by firm row (t; zeros without a plan)."""
    out = np.zeros(n_firms)
    if plan is not None:
        out[plan.green_rows] = plan.green_t
    return out


def take_off_green(firms: FirmTable, green_t: np.ndarray, rows: np.ndarray) -> None:
    """Take this year's green-power tonnes off the CO2 of `rows`, in place (never below 0).

    Called after the rows' accounts were recomputed: green power is a yearly contract,
    and production recomputes CO2 next year. What was taken off is kept in
    `firms.green_co2_t` (the tables' co2_green_power_t), so electricity's CO2 in a
    decomposition is the grid's minus the green power bought.
    """
    co2_t = firms.co2_t
    if len(rows) and len(green_t) == len(co2_t):
        g = np.minimum(green_t[rows], co2_t[rows])
        co2_t[rows] -= g
        firms.green_co2_t[rows] = g
