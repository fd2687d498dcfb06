"""The province model: Jiangsu's zones and their firms, one Mesa step per year.

`step()` is the yearly schedule of DESIGN §3, one line per process; each process is a
pure function in its own module, and the methods here only apply its result.
"""

from __future__ import annotations

import logging
from typing import Any

import mesa
import numpy as np
import pandas as pd

from models import (
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
from models.allocation import (
    allocate_land,
    allowed_pairs,
    build_snapshot,
    frontier_output_per_mu,
    project_demand,
    solve_options,
)
from models.carbon import CARBON_MEASURES
from models.drivers import Drivers, year_drivers
from models.firms import (
    ACTIVE,
    CLASS_A,
    CLASS_D,
    CLASS_T,
    EXIT_CARBON,
    EXIT_DEADLINE,
    EXIT_MANDATORY,
    EXIT_MARKET,
    EXIT_RELOCATED,
    EXITED,
    RECTIFYING,
    FirmTable,
)
from models.inputs import ModelInputs, SectorArrays
from models.zone import Zone
from optimize import Allocation

log = logging.getLogger(__name__)

NEW_FIRM_BASE_MARGIN = 0.08  # estimate: new projects start with a healthy margin


# Named module-level reporters (lambdas do not pickle: mesa#175).
def report_year(m: ProvinceModel) -> int:
    return m.year


def report_value_added_yi(m: ProvinceModel) -> float:
    return float(m.firms.va_wan[m.firms.alive()].sum() / collect.WAN_PER_YI)


def report_co2_t(m: ProvinceModel) -> float:
    return float(m.firms.co2_t[m.firms.alive()].sum())


def report_firms_active(m: ProvinceModel) -> int:
    return int(m.firms.alive().sum())


def report_land_built_mu(m: ProvinceModel) -> float:
    return float(m.firms.land_mu[m.firms.alive()].sum())


class ProvinceModel(mesa.Model):
    """Jiangsu's development zones (Zone agents) and their firm population (a column store).

    Build it from a validated scenario and its inputs (sim.prepare_inputs), or let
    `mesa.batch_run` do so: `batch_run(ProvinceModel, {"scenario": [sc], "inputs": [inp]})`.
    """

    def __init__(
        self,
        scenario: Any,
        inputs: ModelInputs,
        rng: np.random.Generator | int | None = None,
    ):
        if rng is None:
            rng = model_rng(scenario.seed)
        super().__init__(rng=rng)
        self.scenario = scenario
        self.levers = scenario.at(scenario.years.base)  # the levers as they stand this year
        self.solve_options = solve_options(scenario.optimizer)
        self.sectors = SectorArrays.from_frame(inputs.sectors)
        self.firms: FirmTable = inputs.firms.copy()
        self.facts = dict(inputs.facts)
        self.zones: list[Zone] = [
            Zone(self, i, row) for i, row in enumerate(inputs.zones.to_dict("records"))
        ]
        self.zone_index = {z.zone_id: z.idx for z in self.zones}
        self.year = scenario.years.base
        self.running = True
        self.allocations: list[Allocation] = []
        self.carbon_log: list[dict[str, Any]] = []
        self.zone_rows: list[pd.DataFrame] = []
        self.sector_rows: list[pd.DataFrame] = []
        self.province_extra: list[dict[str, Any]] = []
        self._curtailed: tuple[np.ndarray, np.ndarray] = (np.zeros(0, dtype=np.int64), np.zeros(0))
        n_z = len(self.zones)
        self._flows = {k: np.zeros(n_z) for k in self.FLOW_KEYS}
        sc = self.levers
        self.drivers: Drivers = year_drivers(sc, self.sectors, self.year)
        production.apply_accounts(self.firms, self.sectors, self.drivers.grid_factor_t_per_mwh)
        self._evaluate()
        self._price()
        live = self.firms.alive()
        self.base_intensity_t_per_wan = float(
            self.firms.co2_t[live].sum() / self.firms.va_wan[live].sum()
        )
        zone = self.firms.zone[live]
        self.base_zone_co2_t = np.bincount(zone, self.firms.co2_t[live], minlength=n_z)
        self.base_zone_va_wan = np.bincount(zone, self.firms.va_wan[live], minlength=n_z)
        for z in self.zones:
            # 增存挂钩 needs last year's revitalisation: the base year's is its rate × stock.
            z.revitalised_last_mu = sc.land.reclamation_rate * z.stock_recovered_mu
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "year": report_year,
                "value_added_yi": report_value_added_yi,
                "co2_t": report_co2_t,
                "firms_active": report_firms_active,
                "land_built_mu": report_land_built_mu,
            }
        )
        self._collect(None)

    FLOW_KEYS = (
        "firms_entered",
        "firms_exited",
        "firms_exited_low_efficiency",
        "firms_exited_carbon",
        "land_new_mu",
        "land_relocated_mu",
        "relocation_lost_output_wan",
        "firms_merged_in",
        "firms_merged_out",
        "land_merged_in_mu",
        "land_merged_out_mu",
        "land_ready_used_mu",
        "land_revitalised_mu",
        "land_recovered_mu",
        "land_exited_mu",
        "land_link_cap_mu",
        "spent_reclamation_wan",
        "spent_buyback_wan",
        "spent_carbon_wan",
        "carbon_gap_zone_t",
        "shadow_price_land_wan_per_mu",
    )

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One year, in the order of DESIGN §3."""
        self.year += 1
        for v in self._flows.values():
            v[:] = 0.0
        self.levers = self.scenario.at(self.year)
        self.drivers = year_drivers(self.levers, self.sectors, self.year)  # 1
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
        d, eco = self.drivers, self.levers.economy
        still = self.firms.status != EXITED  # a curtailed firm may have been closed since
        self.firms.output_wan[still] = self._uncurtailed_output()[still]
        # Firms that paid surcharges last year invest in efficiency (differentiated prices).
        f = self.firms
        live = np.flatnonzero(f.alive())
        extra = pricing.efficiency_investment(
            f.surcharge_wan[live],
            f.output_wan[live],
            self.levers.evaluation.efficiency_response,
        )
        f.energy_intensity_tce_per_wan[live] *= 1.0 - extra
        production.produce(
            self.firms,
            self.sectors,
            d.incumbent_growth,
            d.efficiency_gain,
            d.grid_factor_t_per_mwh,
            eco.firm_shock_sd,
            eco.density_cap_factor,
            self.rng,
            eco.entry_ramp_years,
        )

    def _evaluate(self) -> None:
        ev = self.levers.evaluation
        group, n_groups = self._benchmark_groups(ev.benchmark)
        n_sectors = len(self.sectors.names) if ev.within_sector else 1
        shares = np.array(
            [ev.class_shares.A, ev.class_shares.B, ev.class_shares.C, ev.class_shares.D]
        )
        rows, score, cls = evaluation.evaluate_firms(
            self.firms,
            ev.weights,
            group,
            n_groups,
            shares,
            ev.score_cap,
            self.year,
            ev.exempt_age_years,
            None
            if ev.class_cutoffs is None
            else np.array([ev.class_cutoffs.A, ev.class_cutoffs.B, ev.class_cutoffs.C]),
            # a synthetic firm stands for 1/firm_scale real ones: compare per real firm
            ev.small_firm_output_wan / self.scenario.data.firm_scale,
            ev.small_firm_weights,
            np.isin(np.array(self.sectors.names), ev.exempt_sectors),
            n_sectors,
        )
        self.firms.score[rows] = score
        self.firms.cls[rows] = cls
        self.firms.years_in_d[rows] = exit.years_in_d(self.firms.years_in_d[rows], cls)
        self.firms.status[rows] = np.where(cls == CLASS_D, RECTIFYING, ACTIVE)

    def _price(self) -> None:
        table = self.levers.evaluation.surcharge_yuan_per_kwh
        rates = np.array([table.get(c, 0.0) for c in "ABCD"])
        live = np.flatnonzero(self.firms.alive())
        f = self.firms
        ev = self.levers.evaluation
        f.surcharge_wan[live] = pricing.surcharges_wan(
            f.elec_mwh[live], f.cls[live], rates
        ) + pricing.other_surcharges_wan(
            f.land_mu[live],
            f.energy_tce[live] * (1.0 - f.elec_share[live]),
            f.va_wan[live] * self.sectors.water_m3_per_wan[f.sector[live]],
            f.cls[live],
            np.array([ev.land_tax_surcharge_wan_per_mu.get(c, 0.0) for c in "ABCD"]),
            np.array([ev.fossil_surcharge_yuan_per_tce.get(c, 0.0) for c in "ABCD"]),
            np.array([ev.water_surcharge_yuan_per_m3.get(c, 0.0) for c in "ABCD"]),
        )
        f.margin[live] = pricing.margins(
            f.base_margin[live], f.surcharge_wan[live], f.output_wan[live]
        )

    def _exit(self) -> None:
        ex = self.levers.exit
        f = self.firms
        # 限期开发: land left idle past the development deadline is recovered, free.
        due = np.flatnonzero(f.alive() & (f.idle_until > 0) & (f.idle_until <= self.year))
        self._close_firms(due, EXIT_DEADLINE, free=True)
        live = np.flatnonzero(f.alive())
        # One draw per row whatever the mode, so switching modes does not shift the stream.
        draws = self.rng.random(len(f))[live]
        if ex.mode == "off":
            return
        if ex.mode == "mandatory":
            leave = exit.mandatory_exits(f.years_in_d[live], ex.rectification_years)
            reason = EXIT_MANDATORY
        else:
            leave = exit.market_exits(
                f.cls[live],
                f.margin[live],
                f.surcharge_wan[live],
                f.output_wan[live],
                ex.market_hazard_base,
                ex.market_hazard_per_margin_loss,
                draws,
            )
            reason = EXIT_MARKET
        self._close_firms(live[leave], reason)
        self._flows["firms_exited_low_efficiency"] += np.bincount(
            f.zone[live[leave]], minlength=len(self.zones)
        )

    def _relocate(self) -> None:
        f = self.firms
        n_z = len(self.zones)
        for rel in self.levers.sector_policy.relocations:
            s = self.sectors.index(rel.sector)
            origin = np.array(
                [
                    rel.from_belt in z.belts
                    and not z.merged
                    and not (rel.keep_flag and z.flags.get(rel.keep_flag))
                    for z in self.zones
                ]
            )
            # Destinations: zones of the destination belt that are not also in the origin
            # belt, unless the destination is their own belt (zones.csv `belt`; a Nantong
            # zone is in both the Yangtze and the coastal belt, its own belt is the
            # Yangtze), and where the sector is not banned.
            allowed = allowed_pairs(self.zones, self.sectors, self.levers.optimizer.bans)[:, s]
            dest = (
                np.array(
                    [
                        rel.to_belt in z.belts
                        and (rel.from_belt not in z.belts or z.belt == rel.to_belt)
                        and not z.merged
                        and not origin[z.idx]
                        for z in self.zones
                    ]
                )
                & allowed
            )
            # Idle projects are not relocated: the deadline recovers their land.
            cand = np.flatnonzero(
                f.alive() & (f.sector == s) & origin[f.zone] & (f.idle_until == 0)
            )
            rows = relocation.relocating_rows(cand, f.score[cand], self.year, rel.start, rel.years)
            if len(rows) == 0:
                continue
            # A project still ramping up moves with its full capacity.
            full = np.where(
                f.capacity_output_wan[rows] > 0, f.capacity_output_wan[rows], f.output_wan[rows]
            )
            capacity = float(full.sum())
            by_origin = np.bincount(f.zone[rows], full, minlength=n_z)
            self._close_firms(rows, EXIT_RELOCATED)
            land_zs, output_zs = self._cells()
            opm = frontier_output_per_mu(
                land_zs,
                output_zs,
                self.sectors,
                np.array([z.management_efficiency for z in self.zones]),
                self.levers.economy.frontier_zone_elasticity,
            )
            # flagged destination zones (e.g. chemical parks) first, then, unless only
            # flagged zones may take the firms (化工企业入园), the rest of the belt
            free = np.where(dest, self.undeveloped_mu(), 0.0)
            flagged = self._flag(rel.to_flag) if rel.to_flag else np.ones(n_z, bool)
            land = relocation.destination_land(capacity, np.where(flagged, free, 0.0), opm[:, s])
            if not rel.to_flag_only:
                rest = capacity - float((land * opm[:, s]).sum())
                land += relocation.destination_land(rest, np.where(flagged, 0.0, free), opm[:, s])
            lost = max(capacity - float((land * opm[:, s]).sum()), 0.0)
            if lost > 1e-6 * capacity:
                log.info(
                    "%d: relocating %s lost %.0f 万元 of output: no space at destination",
                    self.year,
                    rel.sector,
                    lost,
                )
            if capacity > 0:
                self._flows["relocation_lost_output_wan"] += by_origin * (lost / capacity)
            alloc = np.zeros((n_z, len(self.sectors.names)))
            alloc[:, s] = land
            cols = entry.new_firms(
                alloc,
                np.arange(n_z),
                opm,
                self.sectors,
                self.new_firm_intensity(),
                NEW_FIRM_BASE_MARGIN,
                self.year,
                self.levers.economy.entry_ramp_years,
                self.scenario.data.firm_scale,
            )
            new = self.firms.append(**cols)
            self._account_rows(new)
            self._flows["firms_entered"] += np.bincount(f.zone[new], minlength=n_z)
            self._flows["land_new_mu"] += land
            self._flows["land_relocated_mu"] += land

    def _uncurtailed_output(self) -> np.ndarray:
        """Every firm's output before this year's curtailment (有序用电 is for the year
        only); where a firm was curtailed in several passes, its first output."""
        out = self.firms.output_wan.copy()
        rows, before = self._curtailed
        rows, first = np.unique(rows, return_index=True)
        out[rows] = before[first]
        return out

    def _class_a_share(self) -> np.ndarray:
        """(Z,) share of each zone's rated (non-T) live firms in class A."""
        f, live = self.firms, self.firms.alive()
        rated = live & (f.cls != CLASS_T)
        n_z = len(self.zones)
        a = np.bincount(f.zone[rated & (f.cls == CLASS_A)], minlength=n_z)
        n = np.bincount(f.zone[rated], minlength=n_z)
        return np.divide(a, n, out=np.zeros(n_z), where=n > 0)

    def _flag(self, flag: str) -> np.ndarray:
        return np.array([bool(z.flags.get(flag)) for z in self.zones])

    def _close_firms(self, rows: np.ndarray, reason: int, free: bool = False) -> None:
        """Firms exit; their land enters the zone's stock pool after the recovery lag
        (bought back at a cost per mu, unless the instrument or `free` says otherwise)."""
        if len(rows) == 0:
            return
        f, land_cfg = self.firms, self.levers.land
        f.status[rows] = EXITED
        f.exit_year[rows] = self.year
        f.exit_reason[rows] = reason
        n_z = len(self.zones)
        land = np.bincount(f.zone[rows], f.land_mu[rows], minlength=n_z)
        self._flows["firms_exited"] += np.bincount(f.zone[rows], minlength=n_z)
        self._flows["land_exited_mu"] += land
        cost = (
            land_cfg.buyback_cost_wan_per_mu
            if land_cfg.recovery_instrument == "buyback" and not free
            else 0.0
        )
        for zi in np.flatnonzero(land):
            z = self.zones[zi]
            z.receive_idle(self.year + land_cfg.recovery_lag_years, float(land[zi]))
            z.spent_buyback_wan += cost * land[zi]
            self._flows["spent_buyback_wan"][zi] += cost * land[zi]

    def _reclaim(self) -> None:
        d, land_cfg = self.drivers, self.levers.land
        for z in self.zones:
            self._flows["land_recovered_mu"][z.idx] += z.recover_due(self.year)
        stock = np.array([z.stock_recovered_mu for z in self.zones])
        r = reclamation.revitalise(
            stock,
            d.reclamation_rate,
            d.reclamation_budget_wan,
            land_cfg.reclamation_cost_wan_per_mu,
        )
        for z in self.zones:
            mu = float(r[z.idx])
            z.stock_recovered_mu -= mu
            z.ready_mu += mu
            z.spent_reclamation_wan += mu * land_cfg.reclamation_cost_wan_per_mu
        self._flows["land_revitalised_mu"] += r
        self._flows["spent_reclamation_wan"] += r * land_cfg.reclamation_cost_wan_per_mu

    def _link_quota(self) -> np.ndarray:
        built = np.bincount(
            self.firms.zone[self.firms.alive()],
            self.firms.land_mu[self.firms.alive()],
            minlength=len(self.zones),
        )
        last = np.array([z.revitalised_last_mu for z in self.zones])
        caps = quota.link_caps(
            built,
            last,
            self.drivers.new_quota_mu,
            self.levers.land.link_base_share,
            self.drivers.link_ratio,
        )
        for z in self.zones:
            z.revitalised_last_mu = float(self._flows["land_revitalised_mu"][z.idx])
        self._flows["land_link_cap_mu"] += np.where(np.isfinite(caps), caps, np.nan)
        return caps

    def _allocate(self, link_cap: np.ndarray) -> Allocation:
        d = self.drivers
        land_zs, output_zs = self._cells()
        self._frontier = frontier_output_per_mu(
            land_zs,
            output_zs,
            self.sectors,
            np.array([z.management_efficiency for z in self.zones]),
            self.levers.economy.frontier_zone_elasticity,
        )
        active = [z for z in self.zones if not z.merged]
        idx = np.array([z.idx for z in active])
        live = self.firms.alive()
        E = float(self.firms.co2_t[live].sum())
        VA = float(self.firms.va_wan[live].sum())
        snap = build_snapshot(
            self.year,
            active,
            self.sectors,
            output_per_mu_wan=self._frontier[idx],
            ei_new=self.new_firm_intensity(),
            grid_t_per_mwh=d.grid_factor_t_per_mwh,
            link_cap_mu=link_cap[idx],
            space_mu=self.undeveloped_mu()[idx],
            province_quota_mu=d.new_quota_mu,
            existing_co2_t=E,
            existing_va_wan=VA,
            total_cap_t=d.total_cap_t,
            intensity_cap_t_per_wan=self.intensity_target(),
            carbon_price_wan_per_t=d.carbon_price_wan_per_t,
            max_land_mu=None if (demand := self._demand()) is None else demand[idx],
            optimizer=self.levers.optimizer,
        )
        self.last_snapshot = snap
        alloc = allocate_land(snap, self.solve_options)
        self.allocations.append(alloc)
        self._flows["land_new_mu"][idx] += alloc.new_land_mu
        self._flows["land_ready_used_mu"][idx] += alloc.ready_used_mu
        self._flows["shadow_price_land_wan_per_mu"][idx] += alloc.shadow_zone_land_wan_per_mu
        for z, used in zip(active, alloc.ready_used_mu, strict=True):
            z.ready_mu = max(0.0, z.ready_mu - float(used))
        return alloc

    def _enter(self, alloc: Allocation) -> None:
        active = [z for z in self.zones if not z.merged]
        cols = entry.new_firms(
            alloc.land_mu,
            np.array([z.idx for z in active]),
            self._frontier[[z.idx for z in active]],
            self.sectors,
            self.new_firm_intensity(),
            NEW_FIRM_BASE_MARGIN,
            self.year,
            self.levers.economy.entry_ramp_years,
            self.scenario.data.firm_scale,
        )
        rows = self.firms.append(**cols)
        land_cfg = self.levers.land
        idle = rows[entry.idle_projects(rows, land_cfg.idle_supply_share)]
        self.firms.output_wan[idle] = 0.0
        self.firms.idle_until[idle] = self.year + land_cfg.development_deadline_years
        self._account_rows(rows)
        self._flows["firms_entered"] += np.bincount(
            self.firms.zone[rows], minlength=len(self.zones)
        )

    def _account_rows(self, rows: np.ndarray) -> None:
        """Recompute accounts of the given rows only (new or changed firms)."""
        production.apply_accounts(
            self.firms, self.sectors, self.drivers.grid_factor_t_per_mwh, rows
        )

    def _control_carbon(self) -> None:
        """The province's cap and intensity target, then each belt's, then each zone's
        (where the scenario sets them), each on the firms of its zones, each firm within
        its yearly retrofit and curtailment limits over all passes. The gaps left: the
        province's (carbon_gap_t), a belt's (carbon_gap_<belt>_t, province table), a
        zone's (carbon_gap_zone_t, zone table)."""
        self._curtailed = (np.zeros(0, dtype=np.int64), np.zeros(0))
        self._retrofit_used = np.zeros(len(self.firms))
        self._curtail_used = np.zeros(len(self.firms))
        groups = [
            ("province", "", np.ones(len(self.zones), bool), self.drivers.total_cap_t, None),
            *self._group_limits(),
        ]
        targets = [
            self.intensity_target()
            if kind == "province"
            else (None if red is None else self._base_intensity(zones) * (1.0 - red))
            for kind, _, zones, _, red in groups
        ]
        # Every measure's columns in every year, 0 where it did not run, so that runs of
        # different scenarios have the same columns.
        entry: dict[str, Any] = {"year": self.year}
        for m in CARBON_MEASURES:
            entry[f"carbon_cut_{m}_t"] = entry[f"carbon_cost_{m}_wan"] = 0.0
        for (kind, _name, zones, cap_t, _), target in zip(groups, targets, strict=True):
            b = self._enforce(self.firms.alive() & zones[self.firms.zone], cap_t, target)
            if kind == "province":
                entry["carbon_gap_before_t"] = b.gap_before_t
            for k, v in b.removed_t.items():
                entry[f"carbon_cut_{k}_t"] += v
            for k, v in b.cost_wan.items():
                entry[f"carbon_cost_{k}_wan"] += v
        # The gaps left once every pass is done (a later pass may have closed part of an
        # earlier one's): the province's, each belt's, each zone's, never summed twice.
        f = self.firms
        for (kind, name, zones, cap_t, _), target in zip(groups, targets, strict=True):
            live = f.alive() & zones[f.zone]
            gap = max(carbon.gaps(f.co2_t[live].sum(), f.va_wan[live].sum(), cap_t, target))
            if kind == "province":
                entry["carbon_gap_t"] = gap
            elif kind == "belt":
                entry[f"carbon_gap_{name}_t"] = gap
            else:
                self._flows["carbon_gap_zone_t"][self.zone_index[name]] = gap
        self.carbon_log.append(entry)

    def _group_limits(self) -> list[tuple[str, str, np.ndarray, float | None, float | None]]:
        """(kind, name, zone mask, cap t, intensity reduction) of every belt and zone with
        a cap or an intensity target this year, belts first, each in name order. A zone
        merged into a host has no firms left; the host's limits cover its parks."""
        c = self.levers.carbon
        out = []
        for kind, caps, reds in (
            ("belt", c.belt_caps_mt, c.belt_intensity_reduction_vs_base),
            ("zone", c.zone_caps_mt, c.zone_intensity_reduction_vs_base),
        ):
            for name in sorted(set(caps) | set(reds)):
                cap_mt, red = caps.get(name), reds.get(name)
                if cap_mt is None and red is None:
                    continue
                if kind == "belt":
                    zones = np.array([name in z.belts for z in self.zones])
                else:
                    zones = np.array([z.zone_id == name for z in self.zones])
                out.append((kind, name, zones, None if cap_mt is None else cap_mt * 1e6, red))
        return out

    def _base_intensity(self, zones: np.ndarray) -> float:
        """Base-year carbon intensity (t per 万元 VA) of the given zones and of the zones
        merged into them since."""
        hosts = {self.zones[i].zone_id for i in np.flatnonzero(zones)}
        parks = np.array([z.host_zone_id in hosts for z in self.zones])
        group = zones | parks
        va = float(self.base_zone_va_wan[group].sum())
        return float(self.base_zone_co2_t[group].sum()) / va if va > 0 else 0.0

    def _enforce(
        self, mask: np.ndarray, cap_t: float | None, intensity: float | None
    ) -> carbon.CarbonActions:
        """Plan and apply enforcement on the firms in `mask` (see models/carbon.py)."""
        c = self.levers.carbon
        f = self.firms
        rows = np.flatnonzero(mask)
        cost_per_t = c.retrofit_cost_wan_per_t
        # A firm cut in an earlier pass this year (province, belt, zone) has only the rest
        # of its yearly limit left: cuts compound, u' = 1 − (1 − u)(1 − s) ≤ max.
        r_used, c_used = self._retrofit_used[rows], self._curtail_used[rows]
        acts = carbon.enforce(
            rows,
            f.co2_t[rows],
            f.va_wan[rows],
            f.cls[rows],
            cap_t,
            intensity,
            c.enforcement,
            _left_of(c.retrofit_max_share, r_used),
            cost_per_t,
            _left_of(c.curtailment_max_share, c_used),
        )
        rr, cr = acts.retrofit_rows, acts.curtail_rows
        self._retrofit_used[rr] = 1.0 - (1.0 - self._retrofit_used[rr]) * (1 - acts.retrofit_share)
        self._curtail_used[cr] = 1.0 - (1.0 - self._curtail_used[cr]) * (1 - acts.curtail_share)
        n_z = len(self.zones)
        # Retrofit lowers intensity for good; curtailment lowers this year's output only
        # (production next year starts from the output before the first curtailment).
        removed = f.co2_t[acts.retrofit_rows] * acts.retrofit_share
        spent = np.bincount(f.zone[acts.retrofit_rows], removed * cost_per_t, minlength=n_z)
        self._flows["spent_carbon_wan"] += spent
        for zi in np.flatnonzero(spent):
            self.zones[zi].spent_carbon_wan += float(spent[zi])
        f.energy_intensity_tce_per_wan[acts.retrofit_rows] *= 1.0 - acts.retrofit_share
        prev_rows, prev_before = self._curtailed
        self._curtailed = (
            np.concatenate([prev_rows, acts.curtail_rows]),
            np.concatenate([prev_before, f.output_wan[acts.curtail_rows]]),
        )
        f.output_wan[acts.curtail_rows] *= 1.0 - acts.curtail_share
        self._account_rows(np.concatenate([acts.retrofit_rows, acts.curtail_rows]))
        self._close_firms(acts.exit_rows, EXIT_CARBON)
        self._flows["firms_exited_carbon"] += np.bincount(f.zone[acts.exit_rows], minlength=n_z)
        return acts

    def _integrate(self) -> None:
        cfg = self.levers.integration
        if cfg.year != self.year:
            return
        f = self.firms
        live = f.alive()
        n_z = len(self.zones)
        # judged on output and VA before this year's curtailment, which is temporary
        full = self._uncurtailed_output()[live]
        out = np.bincount(f.zone[live], full, minlength=n_z)
        land = np.bincount(f.zone[live], f.land_mu[live], minlength=n_z)
        va = np.bincount(f.zone[live], full * f.va_ratio[live], minlength=n_z)
        per_mu = np.divide(out, land, out=np.zeros(n_z), where=land > 0)
        merges = integration.select_merges(
            np.array([z.city for z in self.zones]),
            np.array([z.level != "provincial" for z in self.zones]),
            np.array([z.approved_area_mu for z in self.zones]),
            per_mu,
            va,
            np.array([not z.merged for z in self.zones]),
            cfg.max_approved_area_mu,
            cfg.output_per_mu_quantile,
            self._class_a_share(),
            cfg.max_class_a_share,
        )
        live = f.alive()
        for zi, hi in merges.items():
            z, host = self.zones[zi], self.zones[hi]
            moving = live & (f.zone == zi)  # exited firms keep the zone they left from
            n_moved = int(moving.sum())
            self._flows["firms_merged_out"][zi] += n_moved
            self._flows["firms_merged_in"][hi] += n_moved
            self._flows["land_merged_out_mu"][zi] += z.boundary_mu
            self._flows["land_merged_in_mu"][hi] += z.boundary_mu
            f.zone[moving] = hi
            host.revitalised_last_mu += z.revitalised_last_mu
            z.revitalised_last_mu = 0.0
            host.boundary_mu += z.boundary_mu
            host.stock_recovered_mu += z.stock_recovered_mu
            host.idle_pending.extend(z.idle_pending)
            host.ready_mu += z.ready_mu
            z.boundary_mu = z.stock_recovered_mu = z.ready_mu = 0.0
            z.idle_pending.clear()
            z.host_zone_id = host.zone_id
        log.info("%d: %d zones merged into hosts", self.year, len(merges))

    def _collect(self, alloc: Allocation | None) -> None:
        """Record the year. The base year (alloc None) goes into the tidy tables only:
        Mesa's batch_run reads datacollector rows 0..steps-1, one per step."""
        n_z = len(self.zones)
        sums = collect.sums_by(self.firms, self.firms.zone, n_z)
        zdf = pd.DataFrame(
            {
                "zone_id": [z.zone_id for z in self.zones],
                "year": self.year,
                "name_zh": [z.name_zh for z in self.zones],
                "name_en": [z.name_en for z in self.zones],
                "city": [z.city for z in self.zones],
                "city_zh": [z.city_zh for z in self.zones],
                "belt": [z.belt for z in self.zones],
                "level": [z.level for z in self.zones],
                **sums,
                "land_stock_mu": [z.stock_mu for z in self.zones],
                "land_idle_mu": [z.idle_mu for z in self.zones],
                "land_ready_mu": [z.ready_mu for z in self.zones],
                "boundary_mu": [z.boundary_mu for z in self.zones],
                **{k: v.copy() for k, v in self._flows.items()},
                "host_zone_id": [z.host_zone_id for z in self.zones],
            }
        )
        zdf["land_undeveloped_mu"] = (
            zdf["boundary_mu"] - zdf["land_built_mu"] - zdf["land_stock_mu"] - zdf["land_ready_mu"]
        )
        self.zone_rows.append(collect.add_ratios(zdf))
        n_s = len(self.sectors.names)
        sdf = pd.DataFrame(
            {
                "sector": list(self.sectors.names),
                "year": self.year,
                **collect.sums_by(self.firms, self.firms.sector, n_s),
            }
        )
        if alloc is not None:
            sdf["land_allocated_mu"] = alloc.land_mu.sum(axis=0)
        self.sector_rows.append(collect.add_ratios(sdf))
        extra: dict[str, Any] = {
            "year": self.year,
            "carbon_intensity_target_t_per_wan": self.intensity_target(),
            "carbon_cap_t": self.drivers.total_cap_t,
            "grid_factor_t_per_mwh": self.drivers.grid_factor_t_per_mwh,
        }
        if alloc is not None:
            extra.update(
                optimizer_status=alloc.status.name.lower(),
                optimizer_message=alloc.message,
                optimizer_objective_wan=alloc.objective_wan,
                optimizer_build_s=alloc.build_seconds,
                optimizer_solve_s=alloc.solve_seconds,
                shadow_price_quota_wan_per_mu=alloc.shadow_province_quota_wan_per_mu,
                shadow_price_land_wan_per_mu=land_shadow_price(alloc),
                shadow_price_carbon_wan_per_t=alloc.shadow_total_cap_wan_per_t,
                shadow_price_intensity=alloc.shadow_intensity_cap,
            )
            extra.update(self.carbon_log[-1])
        self.province_extra.append(extra)
        if alloc is not None:
            self.datacollector.collect(self)

    # ------------------------------------------------------------------ helpers
    def _cells(self) -> tuple[np.ndarray, np.ndarray]:
        """(Z,S) land (mu) and output (万元) of live firms by zone and sector."""
        f, live = self.firms, self.firms.alive()
        n_z, n_s = len(self.zones), len(self.sectors.names)
        cell = f.zone[live].astype(np.int64) * n_s + f.sector[live]
        land = np.bincount(cell, f.land_mu[live], minlength=n_z * n_s).reshape(n_z, n_s)
        output = np.bincount(cell, f.output_wan[live], minlength=n_z * n_s).reshape(n_z, n_s)
        return land, output

    def _demand(self) -> np.ndarray | None:
        """(Z,S) investors' demand for land this year (see allocation.project_demand)."""
        n_z, n_s = len(self.zones), len(self.sectors.names)
        land, _ = self._cells()
        # A firms get priority: their land counts (1 + priority) times in the demand.
        a = self.firms.alive() & (self.firms.cls == CLASS_A)
        cell = self.firms.zone[a].astype(np.int64) * n_s + self.firms.sector[a]
        land_a = np.bincount(cell, self.firms.land_mu[a], minlength=n_z * n_s).reshape(n_z, n_s)
        land = land + self.levers.land.a_class_land_priority * land_a
        leading = np.zeros((n_z, n_s))
        for z in self.zones:
            for name in z.leading_sectors:
                leading[z.idx, self.sectors.index(name)] = 1.0
        cfg = self.levers.land
        return project_demand(
            land,
            self.drivers.growth,
            leading,
            self.sectors.project_size_mu,
            cfg.demand_multiplier,
            cfg.leading_entry_projects,
        )

    def _benchmark_groups(self, unit: str) -> tuple[np.ndarray, int]:
        """Map zone index -> benchmark group index for the evaluation unit."""
        if unit == "province":
            return np.zeros(len(self.zones), dtype=np.int64), 1
        key = [z.city if unit == "city" else z.zone_id for z in self.zones]
        _, inv = np.unique(np.array(key), return_inverse=True)
        return inv.astype(np.int64), int(inv.max()) + 1

    def intensity_target(self) -> float | None:
        """This year's carbon intensity target (t CO2 per 万元 VA), None without one."""
        red = self.drivers.intensity_reduction
        return None if red is None else self.base_intensity_t_per_wan * (1.0 - red)

    def new_firm_intensity(self) -> np.ndarray:
        """Energy intensity of new projects by sector: the sector's current VA-weighted
        intensity times the new-firm efficiency factor (tce per 万元 VA)."""
        f, live = self.firms, self.firms.alive()
        n_s = len(self.sectors.names)
        energy = np.bincount(f.sector[live], f.energy_tce[live], minlength=n_s)
        va = np.bincount(f.sector[live], f.va_wan[live], minlength=n_s)
        current = np.where(
            va > 0, energy / np.where(va > 0, va, 1.0), self.sectors.energy_intensity_tce_per_wan
        )
        return current * self.levers.economy.new_firm_efficiency

    def undeveloped_mu(self) -> np.ndarray:
        """Space left inside each zone's boundary (mu)."""
        f, live = self.firms, self.firms.alive()
        built = np.bincount(f.zone[live], f.land_mu[live], minlength=len(self.zones))
        pools = np.array([z.stock_mu + z.ready_mu for z in self.zones])
        bound = np.array([z.boundary_mu for z in self.zones])
        return np.maximum(bound - built - pools, 0.0)

    def firm(self, i: int) -> Any:
        """A readable view of firm i."""
        return self.firms.view(i)


def land_shadow_price(alloc: Allocation) -> float:
    """The province's marginal value of land (万元 VA per mu): the zones' land duals
    weighted by the land each zone received (the plain mean where none was given)."""
    duals = np.asarray(alloc.shadow_zone_land_wan_per_mu, dtype=float)
    land = alloc.land_mu.sum(axis=1)
    if not np.isfinite(duals).any():
        return float("nan")
    if land.sum() <= 0:
        return float(np.nanmean(duals))
    return float(np.nansum(duals * land) / land.sum())


def _left_of(most: float, used: np.ndarray) -> np.ndarray:
    """The share of a firm's current level a measure may still cut this year, when
    earlier passes already cut `used` of its starting level and the year's limit is
    `most`: (most − used) / (1 − used), 0 once the limit is reached."""
    left = np.zeros_like(used)
    np.divide(most - used, 1.0 - used, out=left, where=used < 1.0)
    return np.clip(left, 0.0, 1.0)


def model_rng(seed: int) -> np.random.Generator:
    """The model's generator: the second child of the scenario seed (the first
    synthesises firms), so the two streams never overlap."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
