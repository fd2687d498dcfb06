"""The province model: Jiangsu's zones and their firms, one Mesa step per year.

`step()` is the yearly schedule of DESIGN §3, one line per process. Each process is a
set of functions in its own module of models/ working on the firm table (FirmTable)
and the zone table (ZoneTable); the methods here only call them in order with the
year's levers, which come from `scenario.at(year)` alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from models import (
    abatement,
    allocation,
    carbon,
    collect,
    entry,
    evaluation,
    exit,
    integration,
    pricing,
    production,
    quota,
    reclamation,
    relocation,
)
from models.carbon import FirmActions
from models.drivers import Drivers, year_drivers
from models.firms import (
    EXIT_CARBON,
    EXIT_DEADLINE,
    EXIT_MARKET,
    EXIT_RELOCATED,
    FirmTable,
    FirmView,
)
from models.inputs import ModelInputs, SectorArrays
from models.seeds import model_rng
from models.zone import FLOW_KEYS, ZoneTable

if TYPE_CHECKING:
    from optimize import Allocation, Snapshot, SolveOptions
    from sim.scenario import Scenario

log = logging.getLogger(__name__)


class ProvinceModel(mesa.Model):
    """The Mesa model of Jiangsu's development zones and their firms, stepped yearly.

    The zones are a ZoneTable (rows viewed as Zone agents), the firm population a
    FirmTable.

    Build it from a validated scenario; its inputs (sim.prepare_inputs) are prepared by
    `scenario.model_inputs()` unless given. `mesa.batch_run(ProvinceModel,
    {"scenario": [sc]})` therefore needs nothing else; passing prepared inputs saves
    their preparation: `batch_run(ProvinceModel, {"scenario": [sc], "inputs": [inp]})`.
    """

    FLOW_KEYS = FLOW_KEYS

    def __init__(
        self,
        scenario: Scenario,
        inputs: ModelInputs | None = None,
        rng: np.random.Generator | int | None = None,
    ):
        if inputs is None:
            inputs = scenario.model_inputs()
        if rng is None:
            rng = model_rng(scenario.seed)
        super().__init__(rng=rng)
        self.scenario = scenario
        self.year: int = scenario.years.base
        self.levers: Scenario = scenario.at(self.year)  # the levers as they stand this year
        self.solve_options: SolveOptions = allocation.solve_options(scenario.optimizer)
        self.sectors = SectorArrays.from_frame(inputs.sectors)
        self.abatement_tiers = inputs.abatement_tiers
        self.supply: abatement.Supply | None = None  # this year's abatement columns
        self.firms: FirmTable = inputs.firms.copy()
        self.facts = dict(inputs.facts)
        self.zones = ZoneTable(inputs.zones)
        self.zones.add_agents(self)
        self.running = True
        n_z, n_s = len(self.zones), len(self.sectors.names)
        self.drivers: Drivers = year_drivers(self.levers, self.sectors)
        self.frontier_wan_per_mu = np.zeros((n_z, n_s))  # new projects' output per mu
        self.project_claims = np.zeros((n_z, n_s))  # zones' claims on new projects (entry)
        self.cuts = carbon.YearCuts.start(0)  # this year's carbon cuts
        self.cap_cost: dict[str, float] = {}  # the year's cost of the caps (allocation)
        self.last_snapshot: Snapshot | None = None
        self.allocations: list[Allocation] = []
        self.carbon_log: list[dict[str, Any]] = []
        self.zone_rows: list[pd.DataFrame] = []
        self.sector_rows: list[pd.DataFrame] = []
        self.province_extra: list[dict[str, Any]] = []
        grid = self.levers.economy.grid_factor_t_per_mwh
        production.apply_accounts(self.firms, self.sectors, grid)
        scale = scenario.data.firm_scale
        evaluation.burn_in(
            self.firms, self.zones, self.sectors, self.levers, self.year, scale, self.rng
        )
        self._evaluate()
        self._price()
        evaluation.rectify_base_year(self.firms, self.levers, self.rng)
        f, live = self.firms, self.firms.alive()
        self.base_intensity_t_per_wan = float(f.co2_t[live].sum() / f.va_wan[live].sum())
        self.base_zone_co2_t = np.bincount(f.zone[live], f.co2_t[live], minlength=n_z)
        self.base_zone_va_wan = np.bincount(f.zone[live], f.va_wan[live], minlength=n_z)
        # 增存挂钩 needs last year's revitalisation: the base year's is its rate × stock.
        self.zones.revitalised_last_mu[:] = (
            self.levers.land.reclamation_rate * self.zones.stock_recovered_mu
        )
        self.datacollector = mesa.DataCollector(model_reporters=collect.MODEL_REPORTERS)
        self._collect(None)
        if scenario.years.end > self.year:  # the first year's optimiser model, built now
            first = scenario.at(self.year + 1)
            args = (self.firms, self.zones, self.sectors, first, self.year + 1)
            target = self.intensity_target(first)
            allocation.warm_up(*args, target, self.abatement_tiers, self.solve_options)

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One year, in the order of DESIGN §3."""
        self.year += 1
        self.zones.reset_flows()
        self.levers = self.scenario.at(self.year)
        base = self.scenario.years.base
        self.drivers = year_drivers(self.levers, self.sectors, self.year - base)  # 1
        self._produce()  # 2
        self._evaluate()  # 3
        self._price()  # 4
        self._exit()  # 5
        self._relocate()  # 5b sector policy: relocation
        self._reclaim()  # 6
        link_cap = self._link_quota()  # 7
        alloc = self._allocate(link_cap)  # 8
        self._enter(alloc)  # 9
        self._control_carbon()  # 10
        self._integrate()  # 11
        self._collect(alloc)  # 12
        if self.year >= self.scenario.years.end:
            self.running = False

    # ------------------------------------------------------------------ processes
    def _produce(self) -> None:
        f, eco = self.firms, self.levers.economy
        alive = f.alive()  # a firm curtailed last year may have been closed since
        f.output_wan[alive] = self.cuts.uncurtailed(f.output_wan)[alive]
        pricing.invest_in_efficiency(f, self.levers.evaluation.efficiency_response)
        # a shock moves output between firms up to the density ceiling less this year's
        # growth (production.produce), so neither cuts the province's output
        g = np.maximum(self.drivers.incumbent_growth, 0.0)[f.sector]
        ceiling = (
            f.land_mu
            * self.sectors.frontier_output_per_mu_wan[f.sector]
            * eco.density_cap_factor
            / (1.0 + g)
        )
        evaluation.advance_productivity(
            f, eco.productivity_persistence, eco.productivity_shock_sd, self.rng, ceiling
        )
        production.produce(
            f,
            self.sectors,
            self.drivers.incumbent_growth,
            self.drivers.efficiency_gain,
            eco.grid_factor_t_per_mwh,
            eco.firm_shock_sd,
            eco.density_cap_factor,
            self.rng,
            eco.entry_ramp_years,
            self.drivers.labour_productivity_growth,
        )

    def _evaluate(self) -> None:
        scale = self.scenario.data.firm_scale
        evaluation.rate(self.firms, self.zones, self.sectors, self.levers, self.year, scale)

    def _price(self) -> None:
        pricing.price(self.firms, self.sectors, self.levers)

    def _exit(self) -> None:
        f = self.firms
        # 限期开发: land left idle past the development deadline is recovered, free.
        self._close(exit.deadline_rows(f.alive(), f.idle_until, self.year), EXIT_DEADLINE, True)
        # One draw per row whatever the mode, so switching modes does not shift the stream.
        draws = self.rng.random(len(f))
        rows, reason = exit.low_efficiency_rows(f, self.levers, draws)
        capacity = self.levers.exit.capacity_share_of_built * quota.built_mu(f, len(self.zones))
        rows = exit.within_capacity(rows, f.zone, f.land_mu, f.score, capacity)
        self._close(rows, reason)
        self._book_firms("firms_exited_low_efficiency", rows)
        # Surcharges and the carbon price act on margins in every exit mode (issue 13).
        pushed = pricing.margin_exit_rows(f, self.levers, draws)
        self._close(pushed, EXIT_MARKET)
        self._book_firms("firms_exited_margin", pushed)
        # D firms that rectify give part of their land back (issue 12 item 4).
        fixed, freed = exit.rectify(f, self.levers, self.rng.random(len(f)))
        given_back = np.bincount(f.zone[fixed], freed, minlength=len(self.zones))
        self.zones.receive_idle(given_back, self.year + self.levers.land.recovery_lag_years)

    def _relocate(self) -> None:
        f, zones, n_z = self.firms, self.zones, len(self.zones)
        allowed = allocation.allowed_pairs(zones, self.sectors, self.levers.optimizer.bans)
        for rel in self.levers.sector_policy.relocations:
            s = self.sectors.index(rel.sector)
            origin = relocation.origin_zones(zones, rel.from_belt, rel.keep_flag)
            dest = relocation.destination_zones(
                zones, rel.from_belt, rel.to_belt, origin, allowed[:, s]
            )
            rows = relocation.movers(f, s, origin, self.year, rel.start, rel.years)
            if len(rows) == 0:
                continue
            capacity, by_origin = relocation.moved_capacity(f, rows, n_z)
            self._close(rows, EXIT_RELOCATED)
            opm = self._frontier()
            flagged = zones.flag(rel.to_flag) if rel.to_flag else np.ones(n_z, bool)
            free = np.where(dest, allocation.undeveloped_mu(f, zones), 0.0)
            land, lost = relocation.place(capacity, free, flagged, opm[:, s], rel.to_flag_only)
            if lost > 1e-6 * capacity:
                msg = "%d: relocating %s lost %.0f 万元 of output: no space at destination"
                log.info(msg, self.year, rel.sector, lost)
            if capacity > 0:
                self._book("relocation_lost_output_wan", by_origin * (lost / capacity))
            cell_land = np.zeros((n_z, len(self.sectors.names)))
            cell_land[:, s] = land
            new = self._open(cell_land, np.arange(n_z), opm)
            self._account(new)
            self._book("land_new_mu", land)
            self._book("land_relocated_mu", land)

    def _reclaim(self) -> None:
        reclamation.reclaim(self.zones, self.year, self.levers)

    def _link_quota(self) -> np.ndarray:
        return quota.link_quota(self.firms, self.zones, self.levers)

    def _allocate(self, link_cap: np.ndarray) -> Allocation:
        f, zones, lv = self.firms, self.zones, self.levers
        self.frontier_wan_per_mu = self._frontier()
        idx = np.flatnonzero(~zones.merged)
        names, tiers = self.sectors.names, self.abatement_tiers
        self.supply = abatement.year_supply(f, idx, len(zones), names, tiers, lv)
        snap = allocation.year_snapshot(
            self.year,
            f,
            zones,
            self.sectors,
            lv,
            self.drivers,
            frontier_wan_per_mu=self.frontier_wan_per_mu,
            link_cap_mu=link_cap,
            intensity_target=self.intensity_target(),
            supply=self.supply,
            claims=self.project_claims,
        )
        self.last_snapshot = snap
        alloc = allocation.allocate_land(snap, self.solve_options)
        size = self.sectors.project_size_mu
        entry.keep_refused(self.project_claims, idx, snap.max_land_mu, alloc.land_mu, size)
        self.allocations.append(alloc)
        self.cap_cost = allocation.cap_cost(snap, alloc, self.solve_options)
        allocation.book(zones, alloc, idx)
        return alloc

    def _enter(self, alloc: Allocation) -> None:
        idx = np.flatnonzero(~self.zones.merged)
        rows = self._open(alloc.land_mu, idx, self.frontier_wan_per_mu[idx])
        land = self.levers.land
        deadline = self.year + land.development_deadline_years
        entry.leave_idle(self.firms, rows, land.idle_supply_share, deadline)
        self._account(rows)

    def _control_carbon(self) -> None:
        """Step 10: the allocation's abatement, then the caps and targets, pass by pass.

        The plan is applied to firms (models/abatement.py); then the province's cap and
        intensity target, each belt's and each zone's (where the scenario sets them) are
        enforced, each on the firms of its zones, each firm within its yearly retrofit
        and curtailment limits over all passes (models/carbon.py).
        """
        f, lv, alloc = self.firms, self.levers, self.allocations[-1]
        self.cuts = carbon.YearCuts.start(len(f))
        f.green_co2_t[:] = 0.0  # green power is bought year by year
        plan = abatement.apply_plan(f, self.zones, self.supply, alloc, lv, self.cuts)
        green_t = abatement.green_tonnes(plan, len(f))
        if plan is not None:
            self._settle(plan, green_t, np.arange(len(f)))
        target, cap = self.intensity_target(), self.drivers.total_cap_t
        base_co2, base_va = self.base_zone_co2_t, self.base_zone_va_wan
        limits = carbon.limits(self.zones, lv, cap, target, base_co2, base_va)
        passes = carbon.enforce_limits(
            f, self.zones, limits, lv, self.cuts, lambda acts: self._settle(acts, green_t)
        )
        record = carbon.record(self.year, passes, plan, alloc, self.cap_cost, f, self.zones)
        self.carbon_log.append(record)

    def _settle(
        self, acts: FirmActions, green_t: np.ndarray, ungreen: np.ndarray | None = None
    ) -> None:
        """Book what a carbon measure did to firms.

        The changed rows' accounts are recomputed, this year's green-power tonnes taken
        off the CO2 of `ungreen` (default: the changed rows) and the exit rows closed.
        """
        changed = acts.changed_rows
        self._account(changed)
        rows = changed if ungreen is None else ungreen
        abatement.take_off_green(self.firms, green_t, rows)
        self._close(acts.exit_rows, EXIT_CARBON)
        self._book_firms("firms_exited_carbon", acts.exit_rows)

    def _integrate(self) -> None:
        cfg, zones = self.levers.integration, self.zones
        if cfg.year != self.year:
            return
        # judged on output and VA before this year's curtailment, which is temporary
        output = self.cuts.uncurtailed(self.firms.output_wan)
        per_mu, va = integration.zone_output(self.firms, output, len(zones))
        merges = integration.select_merges(
            np.array(zones.city),
            zones.national,
            zones.approved_area_mu,
            per_mu,
            va,
            ~zones.merged,
            cfg.max_approved_area_mu,
            cfg.output_per_mu_quantile,
            integration.class_a_share(self.firms, len(zones)),
            cfg.max_class_a_share,
        )
        integration.merge(self.firms, zones, merges)
        log.info("%d: %d zones merged into hosts", self.year, len(merges))

    def _collect(self, alloc: Allocation | None) -> None:
        """Record the year.

        The base year (alloc None) goes into the tidy tables only: Mesa's batch_run
        reads datacollector rows 0..steps-1, one per step.
        """
        base = self.scenario.years.base
        self.zone_rows.append(collect.zone_frame(self.firms, self.zones, self.year, base))
        self.sector_rows.append(
            collect.sector_frame(self.firms, self.sectors, self.year, alloc, base)
        )
        self.province_extra.append(
            collect.province_row(
                self.year,
                self.intensity_target(),
                self.drivers.total_cap_t,
                self.levers.economy.grid_factor_t_per_mwh,
                alloc,
                self.carbon_log[-1] if alloc is not None else None,
            )
        )
        if alloc is not None:
            self.datacollector.collect(self)

    # ------------------------------------------------------------------ helpers
    def _close(self, rows: np.ndarray, reason: int, free: bool = False) -> None:
        """Close firms `rows` for `reason` (exit.close_firms).

        Their land is bought back at the year's cost (万元 per mu), unless the recovery
        instrument or `free` says it is recovered free.
        """
        land = self.levers.land
        buyback = land.recovery_instrument == "buyback" and not free
        exit.close_firms(
            self.firms,
            self.zones,
            rows,
            reason,
            self.year,
            land.recovery_lag_years,
            land.buyback_cost_wan_per_mu if buyback else 0.0,
        )

    def _open(self, land_mu: np.ndarray, zone_index: np.ndarray, opm: np.ndarray) -> np.ndarray:
        """New projects on a (Z,S) allocation of land (entry.open_projects); returns rows."""
        rows = entry.open_projects(
            self.firms,
            land_mu,
            zone_index,
            opm,
            self.sectors,
            self._new_firm_intensity(),
            self.year,
            self.levers.economy.entry_ramp_years,
            self.scenario.data.firm_scale,
        )
        self._book_firms("firms_entered", rows)
        return rows

    def _account(self, rows: np.ndarray) -> None:
        """Recompute accounts of the given rows only (new or changed firms)."""
        grid = self.levers.economy.grid_factor_t_per_mwh
        production.apply_accounts(self.firms, self.sectors, grid, rows)

    def _book(self, flow: str, values: np.ndarray, zones: np.ndarray | None = None) -> None:
        """Add (Z,) values, or values of the zones `zones`, to this year's zone flow."""
        if zones is None:
            self.zones.flows[flow] += values
        else:
            self.zones.flows[flow][zones] += values

    def _book_firms(self, flow: str, rows: np.ndarray) -> None:
        """Add the number of firms `rows` in each zone to this year's zone flow."""
        self.zones.flows[flow] += np.bincount(self.firms.zone[rows], minlength=len(self.zones))

    def _frontier(self) -> np.ndarray:
        """(Z,S) output per mu of a new project (allocation.zone_frontier)."""
        return allocation.zone_frontier(self.firms, self.zones, self.sectors, self.levers)

    def _new_firm_intensity(self) -> np.ndarray:
        factor = self.levers.economy.new_firm_efficiency
        return allocation.new_firm_intensity(self.firms, self.sectors, factor)

    def intensity_target(self, levers: Scenario | None = None) -> float | None:
        """This year's carbon intensity target (t CO2 per 万元 VA), None without one.

        `levers`: another year's (default this year's).
        """
        red = (levers or self.levers).carbon.intensity_reduction_vs_base
        return None if red is None else self.base_intensity_t_per_wan * (1.0 - red)

    def firm(self, i: int) -> FirmView:
        """A readable view of firm i."""
        return self.firms.view(i)
