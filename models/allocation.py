"""Step 8, allocation: the one seam between the model and optimize/.

Builds the year's `optimize.Snapshot` from the zones' land pools and the frontier
of each zone-sector pair, and returns the optimiser's `Allocation`. How to solve
(`optimize.SolveOptions`) is built once per run by `solve_options`.

    v[z,s] = frontier output per mu[z,s] · va_ratio_s                          (万元 VA / mu)
    e[z,s] = v[z,s] · ei_new_s · co2_per_tce_s(grid_t)                          (t CO2 / mu)

both at full output; new projects produce 1 / economy.entry_ramp_years of it in their
first year, the share at which the LP's carbon rows count them
(`optimize.Snapshot.first_year_share`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models import abatement, entry
from models.drivers import year_drivers
from models.firms import CLASS_A, EXIT_MANDATORY, EXIT_MARKET, FirmTable
from models.inputs import SectorArrays
from models.production import co2_per_tce
from models.quota import built_mu, link_caps
from models.units import safe_div
from models.zone import Zone, ZoneTable
from optimize import Allocation, OptimizeError, Snapshot, SolveOptions, allocate, prepare

if TYPE_CHECKING:
    from models.abatement import Supply
    from models.drivers import Drivers
    from sim.scenario import Scenario

log = logging.getLogger(__name__)


def cells(
    firms: FirmTable, n_zones: int, n_sectors: int, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Land (mu) and output (万元) of firms, summed by zone and sector.

    Returns two (Z,S) arrays over the live firms, or over the firms the mask `rows`
    selects if given (callers pass a subset of the live firms).
    """
    live = firms.alive() if rows is None else rows
    cell = firms.zone[live].astype(np.int64) * n_sectors + firms.sector[live]
    size = n_zones * n_sectors
    land = np.bincount(cell, firms.land_mu[live], minlength=size).reshape(n_zones, n_sectors)
    output = np.bincount(cell, firms.output_wan[live], minlength=size).reshape(n_zones, n_sectors)
    return land, output


def undeveloped_mu(firms: FirmTable, zones: ZoneTable) -> np.ndarray:
    """Space left inside each zone's boundary, (Z,) in mu.

    What is neither built, in the stock pool nor ready:
        undeveloped_z = max(boundary_z − built_z − (stock_z + ready_z), 0)
    """
    pools = zones.stock_mu() + zones.ready_mu
    return np.maximum(zones.boundary_mu - built_mu(firms, len(zones)) - pools, 0.0)


def new_firm_intensity(firms: FirmTable, sectors: SectorArrays, factor: float) -> np.ndarray:
    """Energy intensity of new projects by sector, (S,) in tce per 万元 VA.

    The sector's current VA-weighted intensity of live firms (its table value where it
    has none) × `factor` (economy.new_firm_efficiency).
    """
    live = firms.alive()
    n_s = len(sectors.names)
    energy = np.bincount(firms.sector[live], firms.energy_tce[live], minlength=n_s)
    va = np.bincount(firms.sector[live], firms.va_wan[live], minlength=n_s)
    current = np.where(
        va > 0, energy / np.where(va > 0, va, 1.0), sectors.energy_intensity_tce_per_wan
    )
    return current * factor


# Sectors whose land is not industrial land (工业用地): the industrial-land floor
# (optimizer.min_industrial_share) counts every other sector.
NON_INDUSTRIAL = ("services",)


def exited_output(firms: FirmTable, n_zones: int, n_sectors: int, year: int) -> np.ndarray:
    """(Z,S) output (万元) of the firms that left for low efficiency or margins this year."""
    rows = (firms.exit_year == year) & np.isin(firms.exit_reason, (EXIT_MANDATORY, EXIT_MARKET))
    _, output = cells(firms, n_zones, n_sectors, rows)
    return output


def demand(
    firms: FirmTable,
    zones: ZoneTable,
    sectors: SectorArrays,
    growth: np.ndarray,
    levers: Scenario,
    frontier_wan_per_mu: np.ndarray,
    year: int,
    claims: np.ndarray | None = None,
) -> np.ndarray | None:
    """(Z,S) investors' demand for new land this year (mu), None for no bound.

    The one demand mechanism (issue 12 items 2 and 5), finite by sector, in whole
    projects of the sector's project_size_mu (at every data.firm_scale). Expected land:
    - growth: the zones' candidate demand `project_demand` (A firms' land counts
      1 + land.a_class_land_priority times), capped sector by sector at the land whose
      full capacity adds the growth incumbents do not make (`entry.new_project_need_wan`,
      `entry.cap_demand`: (1 − economy.incumbent_growth_share) · g_s · VA_s);
    - replacement: land.exit_replacement_share of the output that left this year for
      low efficiency or margins (its buyers turn partly to new suppliers), in mu at the
      zone-sector's frontier output per mu, in the zone-sector it left.
    Over the project size these are the zones' expected projects; `entry.offer_projects`
    adds them to the zones' `claims` (Z,S), carried over the years and changed in place
    (None: none carried, as at the first year), and hands each sector's whole projects
    to the largest claims. A merged zone's claims pass to its host, and it expects
    nothing more. Exited land is refilled only as far as these allow; the rest stays
    ready or in stock.
    """
    n_z, n_s = len(zones), len(sectors.names)
    land, _ = cells(firms, n_z, n_s)
    land_a, _ = cells(firms, n_z, n_s, firms.alive() & (firms.cls == CLASS_A))
    cfg = levers.land
    want = project_demand(
        land + cfg.a_class_land_priority * land_a,
        growth,
        zones.leading(sectors),
        sectors.project_size_mu,
        cfg.demand_multiplier,
        cfg.leading_entry_projects,
    )
    if want is None:
        return None
    need = entry.new_project_need_wan(firms, n_s, growth, levers.economy.incumbent_growth_share)
    want = entry.cap_demand(want, frontier_wan_per_mu * sectors.va_ratio[None, :], need)
    assert want is not None
    replace_mu = safe_div(
        cfg.exit_replacement_share * exited_output(firms, n_z, n_s, year), frontier_wan_per_mu
    )
    size = sectors.project_size_mu  # real projects, at every data.firm_scale (entry.py)
    expected = (want + replace_mu) / size[None, :]
    if claims is None:
        claims = np.zeros((n_z, n_s))
    merged = zones.merged
    expected[merged] = 0.0
    for z in np.flatnonzero(merged & (np.abs(claims).sum(axis=1) > 0)):
        claims[zones.host[z]] += claims[z]
        claims[z] = 0.0
    return entry.offer_projects(claims, expected) * size[None, :]


def industrial_floor(
    zones: Sequence[Zone], sectors: SectorArrays, min_share: dict[str, float]
) -> tuple[np.ndarray | None, np.ndarray]:
    """The industrial-land floor of each zone, (Z,) shares, and the industrial mask (S,).

    optimizer.min_industrial_share gives the floor by level (national: the national
    ETDZ, high-tech and other zones; provincial); None where no level has one.
    """
    industrial = np.array([s not in NON_INDUSTRIAL for s in sectors.names])
    if not min_share:
        return None, industrial
    key = ["provincial" if z.level == "provincial" else "national" for z in zones]
    return np.array([float(min_share.get(k, 0.0)) for k in key]), industrial


def frontier_output_per_mu(
    land_zs_mu: np.ndarray,
    output_zs_wan: np.ndarray,
    sectors: SectorArrays,
    management_efficiency: np.ndarray,
    elasticity: float,
) -> np.ndarray:
    """Output per mu of a new project in each zone-sector, (Z,S) in 万元/mu.

        f[z,s] = frontier_s · eff_z · clip((opm[z,s] / opm_s)^elasticity, 0.5, 2)

    where opm is output per mu now (the zone-sector's and the sector's in all zones):
    a zone whose firms in a sector use land well attracts better projects of it. A pair
    with no firms yet gets the sector frontier × the zone's efficiency.
    """
    land_s = land_zs_mu.sum(axis=0)
    opm_s = safe_div(output_zs_wan.sum(axis=0), land_s, fill=1.0)
    opm = safe_div(output_zs_wan, land_zs_mu)
    rel = np.where(land_zs_mu > 0, opm / opm_s[None, :], 1.0)
    factor = np.clip(rel**elasticity, 0.5, 2.0)
    return sectors.frontier_output_per_mu_wan[None, :] * management_efficiency[:, None] * factor


def frontier(
    output_per_mu_wan: np.ndarray, sectors: SectorArrays, ei_new: np.ndarray, grid_t_per_mwh: float
) -> tuple[np.ndarray, np.ndarray]:
    """(va_per_mu, co2_per_mu) of new projects at full output, for every zone × sector."""
    va = output_per_mu_wan * sectors.va_ratio[None, :]
    per_va = ei_new * co2_per_tce(sectors.elec_share, sectors.fuel_co2_t_per_tce, grid_t_per_mwh)
    return va, va * per_va[None, :]


def allowed_pairs(zones: Sequence[Zone], sectors: SectorArrays, bans: Sequence[Any]) -> np.ndarray:
    """Mask of the zone-sector pairs open to new projects, (Z,S).

    False where a ban applies (by belt or zone list, unless the zone has the exempting
    flag).
    """
    ok = np.ones((len(zones), len(sectors.names)), dtype=bool)
    for ban in bans:
        s = sectors.index(ban.sector)
        for i, z in enumerate(zones):
            hit = (ban.belt is not None and ban.belt in z.belts) or z.zone_id in ban.zones
            if hit and not (ban.except_flag and z.flags.get(ban.except_flag)):
                ok[i, s] = False
    return ok


def project_demand(
    land_zs_mu: np.ndarray,
    growth: np.ndarray,
    leading: np.ndarray,
    project_size_mu: np.ndarray,
    multiplier: float | None,
    leading_projects: float,
) -> np.ndarray | None:
    """(Z,S) zones' candidate demand for new land, before `demand` caps it at the need.

        u[z,s] = multiplier · max(g_s, 0) · land[z,s] + leading_projects · size_s · [s leads z]

    Without a bound the LP's optimum is a corner: every mu to the one pair with the
    highest value per mu. None (no multiplier) means no bound.
    """
    if multiplier is None:
        return None
    return multiplier * np.maximum(growth, 0.0)[None, :] * land_zs_mu + (
        leading_projects * project_size_mu[None, :] * leading
    )


def build_snapshot(
    year: int,
    zones: Sequence[Zone],
    sectors: SectorArrays,
    *,
    output_per_mu_wan: np.ndarray,
    ei_new: np.ndarray,
    grid_t_per_mwh: float,
    link_cap_mu: np.ndarray,
    space_mu: np.ndarray,
    province_quota_mu: float | None,
    existing_co2_t: float,
    existing_va_wan: float,
    total_cap_t: float | None,
    intensity_cap_t_per_wan: float | None,
    carbon_price_wan_per_t: float,
    max_land_mu: np.ndarray | None,
    optimizer: Any,
    abatement: Any = None,
    ramp_years: int = 1,
) -> Snapshot:
    """The optimiser's input for this year (zones that were merged away are not passed).

    New projects produce 1 / `ramp_years` of their full output in their first year
    (models/entry.py): the carbon rows count their CO2 and VA at that share.
    """
    va, co2 = frontier(output_per_mu_wan, sectors, ei_new, grid_t_per_mwh)
    floor, industrial = industrial_floor(zones, sectors, dict(optimizer.min_industrial_share))
    return Snapshot(
        year=year,
        zone_ids=tuple(z.zone_id for z in zones),
        sectors=sectors.names,
        zone_belts=tuple(z.belts for z in zones),
        va_per_mu=va,
        co2_per_mu=co2,
        allowed=allowed_pairs(zones, sectors, optimizer.bans),
        ready_mu=np.array([z.ready_mu for z in zones]),
        link_cap_mu=link_cap_mu,
        space_mu=space_mu,
        province_quota_mu=province_quota_mu,
        existing_co2_t=existing_co2_t,
        existing_va_wan=existing_va_wan,
        total_cap_t=total_cap_t,
        intensity_cap_t_per_wan=intensity_cap_t_per_wan,
        carbon_price_wan_per_t=carbon_price_wan_per_t,
        first_year_share=1.0 / max(1, int(ramp_years)),
        min_share_by_belt=dict(optimizer.min_share_by_belt),
        max_zone_share=optimizer.max_zone_share,
        min_investment_wan_per_mu=sectors.min_investment_wan_per_mu,
        investment_wan_per_mu=np.tile(sectors.investment_wan_per_mu, (len(zones), 1)),
        project_size_mu=sectors.project_size_mu,
        max_land_mu=max_land_mu,
        min_industrial_share=floor,
        industrial_sectors=industrial,
        **({} if abatement is None else abatement.snapshot_fields()),
    )


def zone_frontier(
    firms: FirmTable, zones: ZoneTable, sectors: SectorArrays, levers: Scenario
) -> np.ndarray:
    """(Z,S) output per mu of a new project this year (`frontier_output_per_mu`)."""
    land, output = cells(firms, len(zones), len(sectors.names))
    return frontier_output_per_mu(
        land,
        output,
        sectors,
        zones.management_efficiency,
        levers.economy.frontier_zone_elasticity,
    )


def year_snapshot(
    year: int,
    firms: FirmTable,
    zones: ZoneTable,
    sectors: SectorArrays,
    levers: Scenario,
    drivers: Drivers,
    *,
    frontier_wan_per_mu: np.ndarray,
    link_cap_mu: np.ndarray,
    intensity_target: float | None,
    supply: Supply | None,
    claims: np.ndarray | None = None,
) -> Snapshot:
    """The year's problem from the model's tables: every zone not merged away.

    The (Z,) and (Z,S) arrays are over all zones of the zone table; the existing
    emissions and VA are the live firms' after this year's exits; `supply` the year's
    abatement columns (models/abatement.py; None: none); `claims` the zones' claims on
    new projects carried from past years, changed in place (`demand`; None: none).
    """
    idx = np.flatnonzero(~zones.merged)
    live = firms.alive()
    want = demand(firms, zones, sectors, drivers.growth, levers, frontier_wan_per_mu, year, claims)
    ei_new = new_firm_intensity(firms, sectors, levers.economy.new_firm_efficiency)
    return build_snapshot(
        year,
        [zones[i] for i in idx],
        sectors,
        output_per_mu_wan=frontier_wan_per_mu[idx],
        ei_new=ei_new,
        grid_t_per_mwh=levers.economy.grid_factor_t_per_mwh,
        link_cap_mu=link_cap_mu[idx],
        space_mu=undeveloped_mu(firms, zones)[idx],
        province_quota_mu=levers.land.new_quota_mu,
        existing_co2_t=float(firms.co2_t[live].sum()),
        existing_va_wan=float(firms.va_wan[live].sum()),
        total_cap_t=drivers.total_cap_t,
        intensity_cap_t_per_wan=intensity_target,
        carbon_price_wan_per_t=levers.carbon.carbon_price_wan_per_t,
        max_land_mu=None if want is None else want[idx],
        optimizer=levers.optimizer,
        abatement=supply,
        ramp_years=levers.economy.entry_ramp_years,
    )


def warm_up(
    firms: FirmTable,
    zones: ZoneTable,
    sectors: SectorArrays,
    levers: Scenario,
    year: int,
    intensity_target: float | None,
    tiers: pd.DataFrame | None,
    options: SolveOptions,
) -> None:
    """Build the optimiser's model for the first year's problem at the run's setup.

    The problem (`prepare`) is built from the setup's firms with the first `year`'s
    levers: the same structure as that year's allocation unless a process changes it
    first (a ban, a merge), and then that year builds its own. Nothing in the tables
    changes, and what the problem lacks (a solver, a valid field) is left for the
    first year to report. A full collection of the Python heap follows: with the model's ~10^5
    Pyomo objects then counted as long-lived, the next one is due only once a quarter
    as many new objects have survived, so no year pays it (~0.15 s at full scale).
    """
    land = levers.land
    link = link_caps(
        built_mu(firms, len(zones)),
        zones.revitalised_last_mu.copy(),
        land.new_quota_mu,
        land.link_base_share,
        land.link_ratio,
    )
    idx = np.flatnonzero(~zones.merged)
    supply = abatement.year_supply(firms, idx, len(zones), sectors.names, tiers, levers)
    snap = year_snapshot(
        year,
        firms,
        zones,
        sectors,
        levers,
        year_drivers(levers, sectors, 1),  # the first year after the base
        frontier_wan_per_mu=zone_frontier(firms, zones, sectors, levers),
        link_cap_mu=link,
        intensity_target=intensity_target,
        supply=supply,
    )
    try:
        prepare(snap, options)
    except (ValueError, OptimizeError) as exc:  # the first year meets it, and reports it
        log.debug("optimiser warm-up skipped: %s", exc)
        return
    gc.collect()


def book(zones: ZoneTable, alloc: Allocation, idx: np.ndarray) -> None:
    """Book the allocation in the zones `idx` (the snapshot's), in place.

    The year's flows of new land, ready land used and the land dual; the ready land
    used leaves the zones' ready pool.
    """
    zones.flows["land_new_mu"][idx] += alloc.new_land_mu
    zones.flows["land_ready_used_mu"][idx] += alloc.ready_used_mu
    zones.flows["shadow_price_land_wan_per_mu"][idx] += alloc.shadow_zone_land_wan_per_mu
    left = zones.ready_mu[idx] - alloc.ready_used_mu
    zones.ready_mu[idx] = np.where(left > 0.0, left, 0.0)


# --- issue 13: what the caps cost -------------------------------------------------------
def cap_cost(snapshot: Snapshot, alloc: Allocation, options: SolveOptions) -> dict[str, float]:
    """The year's cost of the carbon caps, against the same LP without them.

    When a carbon row binds (its dual > 0) the year is solved again without the total
    cap and the intensity target (the carbon price stays), and the difference is what
    the caps cost: new land not allocated (mu), its value added (万元/yr), and the
    abatement it buys. Zeros when no carbon row binds (then the caps cost nothing at
    the margin) or the year was solved in whole projects (no duals to tell).
    """
    out = {
        "cap_land_forgone_mu": 0.0,
        "cap_va_forgone_wan": 0.0,
        "cap_abated_extra_t": 0.0,
        "cap_abatement_cost_extra_wan": 0.0,
    }
    duals = (alloc.shadow_total_cap_wan_per_t or 0.0) + (
        alloc.shadow_intensity_cap_wan_per_t or 0.0
    )
    if duals <= 0 or alloc.mip_gap is not None or alloc.status.value not in ("optimal", "relaxed"):
        return out
    free = replace(snapshot, total_cap_t=None, intensity_cap_t_per_wan=None)
    base = allocate(free, replace(options, on_infeasible="relax"))
    out["cap_land_forgone_mu"] = max(0.0, float(base.land_mu.sum() - alloc.land_mu.sum()))
    out["cap_va_forgone_wan"] = max(0.0, base.va_added_wan - alloc.va_added_wan)
    out["cap_abated_extra_t"] = max(0.0, alloc.abated_t - base.abated_t)
    out["cap_abatement_cost_extra_wan"] = max(
        0.0, alloc.abatement_cost_wan - base.abatement_cost_wan
    )
    return out


def solve_options(optimizer: Any) -> SolveOptions:
    """The run's solver settings from the scenario's `optimizer` section (once per run).

    Solver, time limit per solve (s), what to do in a year whose caps cannot be met,
    and whether land comes in whole projects; the MIP gap keeps its default (1 %).
    """
    return SolveOptions(
        solver=optimizer.solver,
        time_limit_s=optimizer.time_limit_s,
        on_infeasible=optimizer.on_infeasible,
        projects=optimizer.projects,
    )


def allocate_land(snapshot: Snapshot, options: SolveOptions) -> Allocation:
    """Solve the year's allocation (raises optimize.InfeasibleError in stop mode)."""
    return allocate(snapshot, options)
