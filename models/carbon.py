"""Step 10, dual carbon control (双控): the allocation's abatement, then caps and targets.

First the abatement the allocation chose (step 8, issue 13) is applied to firms
(`models.abatement.apply_plan`: within each zone retrofits, green power,
curtailment and forced exit, each cheapest first). What that leaves over (whole
firms, new projects' emissions, belt and zone limits the LP does not see, a year whose
caps no allocation meets) is enforced as below and reported.

With E the zones' CO2 and VA their value added this year, the gaps are
    gap_total = max(0, E − Cap_t),   gap_intensity = max(0, E − I_t · VA).
Measures, in the configured order, each taking firms from the most carbon-intensive
(t CO2 per 万元 VA) down until both gaps close:
    retrofit     cut a firm's energy intensity by up to `retrofit_max_share` (cost per t);
    curtailment  有序用电: cut this year's output of C/D firms by up to `curtailment_max_share`;
    forced_exit  close the most carbon-intensive D firms.
A firm cut by a fraction f lowers E by f·co2 and, when it loses output, VA by f·va, so it
closes the intensity gap by f·(co2 − I·va). What no measure can close is the carbon gap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from models.firms import CLASS_C, CLASS_D, FirmTable
from models.units import T_PER_MT, YUAN_PER_WAN, safe_div

if TYPE_CHECKING:
    from models.abatement import Applied
    from models.zone import ZoneTable
    from optimize import Allocation
    from sim.scenario import Scenario

# The enforcement measures, in their default order; each has a column of the tonnes it
# removed and one of what it cost in province.parquet (carbon_<x>_<measure>_<unit>).
CARBON_MEASURES = ("retrofit", "curtailment", "forced_exit")
CARBON_MEASURE_COLS = (("cut", "t"), ("cost", "wan"))


def gaps(
    co2_t: float, va_wan: float, cap_t: float | None, intensity_t_per_wan: float | None
) -> tuple[float, float]:
    """Gaps to the total cap and to the intensity target (t CO2).

        gap_total = co2 − cap,   gap_intensity = co2 − I · VA
    Each is 0 when met or absent, or when below 10^-9 of the emissions (the rounding
    left by the measures' sums).
    """
    tol = 1e-9 * max(abs(co2_t), 1.0)
    g_total = 0.0 if cap_t is None else co2_t - cap_t
    g_int = 0.0 if intensity_t_per_wan is None else co2_t - intensity_t_per_wan * va_wan
    return (g_total if g_total > tol else 0.0), (g_int if g_int > tol else 0.0)


def take_prefix(
    gain_total: np.ndarray, gain_int: np.ndarray, need_total: float, need_int: float, whole: bool
) -> np.ndarray:
    """Fraction (0..1) of each candidate's full measure to apply.

    Candidates come in priority order; the cumulative gains reach both needs with the
    shortest prefix. `whole` rounds the last one up (a firm closes or it does not).
    """
    take = np.zeros(len(gain_total))
    if len(take) == 0 or (need_total <= 0 and need_int <= 0):
        return take
    cum_t, cum_i = np.cumsum(gain_total), np.cumsum(gain_int)
    k_t = np.searchsorted(cum_t, need_total) if need_total > 0 else -1
    k_i = np.searchsorted(cum_i, need_int) if need_int > 0 else -1
    k = max(k_t, k_i)
    if k >= len(take):  # every candidate in full is not enough
        take[:] = 1.0
        return take
    take[:k] = 1.0
    prev_t = cum_t[k - 1] if k > 0 else 0.0
    prev_i = cum_i[k - 1] if k > 0 else 0.0
    part = 0.0
    if need_total > prev_t and gain_total[k] > 0:
        part = max(part, (need_total - prev_t) / gain_total[k])
    if need_int > prev_i and gain_int[k] > 0:
        part = max(part, (need_int - prev_i) / gain_int[k])
    take[k] = 1.0 if whole else min(1.0, part)
    return take


def _rows() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def _shares() -> np.ndarray:
    return np.zeros(0)


@dataclass
class FirmActions:
    """What a carbon measure does to firms: rows of the firm table and their shares.

    Shared by the allocation's plan as applied (`models.abatement.Applied`) and by
    enforcement (`CarbonActions`): retrofits lower a firm's energy intensity by its
    share, curtailment this year's output by its share, exits close whole firms.
    """

    retrofit_rows: np.ndarray = field(default_factory=_rows)
    retrofit_share: np.ndarray = field(default_factory=_shares)
    curtail_rows: np.ndarray = field(default_factory=_rows)
    curtail_share: np.ndarray = field(default_factory=_shares)
    exit_rows: np.ndarray = field(default_factory=_rows)

    @property
    def changed_rows(self) -> np.ndarray:
        """Rows whose accounts change (retrofitted, then curtailed; exits aside)."""
        return np.concatenate([self.retrofit_rows, self.curtail_rows])


@dataclass
class CarbonActions(FirmActions):
    """What enforcement does to firms and what it achieved (t CO2, 万元)."""

    gap_before_t: float = 0.0
    removed_t: dict[str, float] = field(default_factory=dict)
    cost_wan: dict[str, float] = field(default_factory=dict)
    gap_after_t: float = 0.0


def enforce(
    rows: np.ndarray,
    co2_t: np.ndarray,
    va_wan: np.ndarray,
    cls: np.ndarray,
    cap_t: float | None,
    intensity_t_per_wan: float | None,
    order: tuple[str, ...],
    retrofit_max_share: float | np.ndarray,
    retrofit_cost_wan_per_t: float,
    curtailment_max_share: float | np.ndarray,
) -> CarbonActions:
    """Plan enforcement for the live firms `rows` (arrays aligned with rows).

    The most shares may be one number or one per row (what a firm has left of its yearly
    limit after earlier passes). Each measure is listed at most once in `order`. CO2 in
    t, VA in 万元, the intensity target in t CO2 per 万元 VA, retrofit cost in 万元 per t.
    """
    co2_t, va_wan = co2_t.astype(np.float64), va_wan.astype(np.float64)  # copies we update
    r_max = np.broadcast_to(np.asarray(retrofit_max_share, dtype=np.float64), co2_t.shape)
    c_max = np.broadcast_to(np.asarray(curtailment_max_share, dtype=np.float64), co2_t.shape)
    E, VA = float(co2_t.sum()), float(va_wan.sum())
    g_t, g_i = gaps(E, VA, cap_t, intensity_t_per_wan)
    acts = CarbonActions(gap_before_t=max(g_t, g_i))
    target = intensity_t_per_wan or 0.0
    for measure in order:
        if g_t <= 0 and g_i <= 0:
            break
        # intensities as they stand after the measures before this one
        inten = safe_div(co2_t, va_wan)
        by_intensity = np.argsort(-inten, kind="stable")
        if measure == "retrofit":
            cand = by_intensity
            gain = co2_t[cand] * r_max[cand]
            take = take_prefix(gain, gain, g_t, g_i, whole=False)
            used = take * r_max[cand] > 0
            acts.retrofit_rows = rows[cand[used]]
            acts.retrofit_share = take[used] * r_max[cand[used]]
            cut = float((gain * take).sum())
            co2_t[cand] -= gain * take
            acts.removed_t[measure] = cut
            acts.cost_wan[measure] = cut * retrofit_cost_wan_per_t
            E -= cut
        else:
            allowed = (
                (cls == CLASS_D)
                if measure == "forced_exit"
                else (cls == CLASS_C) | (cls == CLASS_D)
            )
            allowed &= co2_t > 0  # a firm that emits nothing closes no gap
            if g_i > 0:
                allowed &= inten > target
            cand = by_intensity[allowed[by_intensity]]
            share = 1.0 if measure == "forced_exit" else c_max[cand]
            gain_t = co2_t[cand] * share
            gain_i = (co2_t[cand] - target * va_wan[cand]) * share
            take = take_prefix(gain_t, gain_i, g_t, g_i, whole=measure == "forced_exit")
            used = take * share > 0
            cut = float((gain_t * take).sum())
            lost_va = float((va_wan[cand] * share * take).sum())
            co2_t[cand] *= 1.0 - share * take
            va_wan[cand] *= 1.0 - share * take
            if measure == "forced_exit":
                acts.exit_rows = rows[cand[used]]
            else:
                acts.curtail_rows = rows[cand[used]]
                acts.curtail_share = (take * share)[used]
            acts.removed_t[measure] = cut
            acts.cost_wan[measure] = lost_va
            E -= cut
            VA -= lost_va
        g_t, g_i = gaps(E, VA, cap_t, intensity_t_per_wan)
    acts.gap_after_t = max(g_t, g_i)
    return acts


def left_of(most: float, used: np.ndarray) -> np.ndarray:
    """The share of a firm's current level a measure may still cut this year.

    Earlier passes already cut `used` of its starting level and the year's limit is
    `most`: (most − used) / (1 − used), 0 once the limit is reached.
    """
    left = np.zeros_like(used)
    np.divide(most - used, 1.0 - used, out=left, where=used < 1.0)
    return np.clip(left, 0.0, 1.0)


class Limit(NamedTuple):
    """One pass of carbon control: whose firms, and the cap and intensity target they face.

    kind is "province", "belt" or "zone"; zones is the (Z,) mask of the zones whose
    firms count; cap_t in t CO2 (None: no cap); intensity_t_per_wan the target in t CO2
    per 万元 VA (None: no target).
    """

    kind: str
    name: str
    zones: np.ndarray
    cap_t: float | None
    intensity_t_per_wan: float | None


def limits(
    zones: ZoneTable,
    levers: Scenario,
    total_cap_t: float | None,
    intensity_target_t_per_wan: float | None,
    base_zone_co2_t: np.ndarray,
    base_zone_va_wan: np.ndarray,
) -> list[Limit]:
    """List this year's passes of carbon control, province first.

    The province's, then every belt's and then every zone's with a cap or an intensity
    target, each in name order. A belt's or zone's target is its base-year intensity
    × (1 − reduction), the base counting the zones merged into it since. A zone merged
    into a host has no firms left; the host's limits cover its parks.
    """
    c = levers.carbon
    out = [
        Limit("province", "", np.ones(len(zones), bool), total_cap_t, intensity_target_t_per_wan)
    ]
    for kind, caps, reds in (
        ("belt", c.belt_caps_mt, c.belt_intensity_reduction_vs_base),
        ("zone", c.zone_caps_mt, c.zone_intensity_reduction_vs_base),
    ):
        for name in sorted(set(caps) | set(reds)):
            cap_mt, red = caps.get(name), reds.get(name)
            if cap_mt is None and red is None:
                continue
            if kind == "belt":
                mask = zones.in_belt(name)
            else:
                mask = np.array([z == name for z in zones.zone_id])
            target = (
                None
                if red is None
                else base_intensity(mask, zones.host, base_zone_co2_t, base_zone_va_wan)
                * (1.0 - red)
            )
            cap_t = None if cap_mt is None else cap_mt * T_PER_MT
            out.append(Limit(kind, name, mask, cap_t, target))
    return out


def base_intensity(
    zones: np.ndarray, host: np.ndarray, base_co2_t: np.ndarray, base_va_wan: np.ndarray
) -> float:
    """Base-year carbon intensity of a group of zones (t CO2 per 万元 VA).

    The group is the zones in the mask `zones` and the zones merged into them since
    (`host`: index of each zone's host, −1 if none): Σ co2 / Σ VA, 0 without VA.
    """
    group = zones | np.isin(host, np.flatnonzero(zones))
    va = float(base_va_wan[group].sum())
    return float(base_co2_t[group].sum()) / va if va > 0 else 0.0


@dataclass
class YearCuts:
    """Enforcement's running record over one year's passes.

    What each firm has used of its yearly retrofit and curtailment limits (shares of its
    level at the start of the year), and the output of each curtailed firm before its
    first curtailment (有序用电 is for the year only: production next year and the
    judging of merges start from it).
    """

    retrofit_used: np.ndarray
    curtail_used: np.ndarray
    curtailed_rows: np.ndarray
    curtailed_before: np.ndarray

    @classmethod
    def start(cls, n_firms: int) -> YearCuts:
        """No cut yet, for a firm table of `n_firms` rows."""
        return cls(np.zeros(n_firms), np.zeros(n_firms), np.zeros(0, dtype=np.int64), np.zeros(0))

    def uncurtailed(self, output_wan: np.ndarray) -> np.ndarray:
        """Every firm's output before this year's curtailment (万元).

        Where a firm was curtailed in several passes, its output before the first.
        """
        out = output_wan.copy()
        rows, first = np.unique(self.curtailed_rows, return_index=True)
        out[rows] = self.curtailed_before[first]
        return out


def apply_pass(
    firms: FirmTable,
    zones: ZoneTable,
    limit: Limit,
    levers: Scenario,
    cuts: YearCuts,
) -> CarbonActions:
    """Plan and apply one pass of enforcement on the live firms of `limit.zones`.

    Changes the firm table in place (retrofit lowers energy intensity for good,
    curtailment this year's output), the zone table (spent_carbon_wan and its flow) and
    `cuts`. A firm cut in an earlier pass this year (province, belt, zone) has only the
    rest of its yearly limit left: cuts compound, u' = 1 − (1 − u)(1 − s) ≤ max. The
    caller books the accounts of the changed rows and closes `exit_rows`.
    """
    c = levers.carbon
    f = firms
    rows = np.flatnonzero(f.alive() & limit.zones[f.zone])
    cost_per_t = c.retrofit_cost_wan_per_t
    acts = enforce(
        rows,
        f.co2_t[rows],
        f.va_wan[rows],
        f.cls[rows],
        limit.cap_t,
        limit.intensity_t_per_wan,
        c.enforcement,
        left_of(c.retrofit_max_share, cuts.retrofit_used[rows]),
        cost_per_t,
        left_of(c.curtailment_max_share, cuts.curtail_used[rows]),
    )
    rr, cr = acts.retrofit_rows, acts.curtail_rows
    cuts.retrofit_used[rr] = 1.0 - (1.0 - cuts.retrofit_used[rr]) * (1 - acts.retrofit_share)
    cuts.curtail_used[cr] = 1.0 - (1.0 - cuts.curtail_used[cr]) * (1 - acts.curtail_share)
    removed = f.co2_t[rr] * acts.retrofit_share
    spent = np.bincount(f.zone[rr], removed * cost_per_t, minlength=len(zones))
    zones.flows["spent_carbon_wan"] += spent
    hit = np.flatnonzero(spent)
    zones.spent_carbon_wan[hit] += spent[hit]
    f.energy_intensity_tce_per_wan[rr] *= 1.0 - acts.retrofit_share
    cuts.curtailed_rows = np.concatenate([cuts.curtailed_rows, cr])
    cuts.curtailed_before = np.concatenate([cuts.curtailed_before, f.output_wan[cr]])
    f.output_wan[cr] *= 1.0 - acts.curtail_share
    return acts


def enforce_limits(
    firms: FirmTable,
    zones: ZoneTable,
    limits: list[Limit],
    levers: Scenario,
    cuts: YearCuts,
    settle: Callable[[FirmActions], None],
) -> list[tuple[Limit, CarbonActions]]:
    """Run the passes of `limits` in order (`apply_pass`); `settle` books each pass.

    `settle` (the model's) recomputes the accounts of the rows a pass changed and
    closes its exit rows before the next pass sees the firms.
    """
    passes = []
    for limit in limits:
        acts = apply_pass(firms, zones, limit, levers, cuts)
        settle(acts)
        passes.append((limit, acts))
    return passes


def record(
    year: int,
    passes: list[tuple[Limit, CarbonActions]],
    plan: Applied | None,
    alloc: Allocation,
    cap_cost: dict[str, float],
    firms: FirmTable,
    zones: ZoneTable,
) -> dict[str, Any]:
    """The year's carbon columns of province.parquet: `year_record` and `plan_record`."""
    out = year_record(year, passes, firms, zones)
    out.update(plan_record(plan, alloc, cap_cost, out))
    return out


def year_record(
    year: int,
    passes: list[tuple[Limit, CarbonActions]],
    firms: FirmTable,
    zones: ZoneTable,
) -> dict[str, Any]:
    """The year's row of carbon columns for province.parquet, after every pass.

    Every measure's cut (t) and cost (万元) summed over passes, 0 where it did not run
    (so runs of different scenarios have the same columns); the province's gap before
    enforcement; the gaps left once every pass is done (a later pass may have closed
    part of an earlier one's): the province's (carbon_gap_t), each belt's
    (carbon_gap_<belt>_t), each zone's (written to the zones' carbon_gap_zone_t flow).
    """
    entry: dict[str, Any] = {"year": year}
    for m in CARBON_MEASURES:
        entry[f"carbon_cut_{m}_t"] = entry[f"carbon_cost_{m}_wan"] = 0.0
    for limit, acts in passes:
        if limit.kind == "province":
            entry["carbon_gap_before_t"] = acts.gap_before_t
        for k, v in acts.removed_t.items():
            entry[f"carbon_cut_{k}_t"] += v
        for k, v in acts.cost_wan.items():
            entry[f"carbon_cost_{k}_wan"] += v
    f = firms
    for limit, _ in passes:
        live = f.alive() & limit.zones[f.zone]
        gap = max(
            gaps(f.co2_t[live].sum(), f.va_wan[live].sum(), limit.cap_t, limit.intensity_t_per_wan)
        )
        if limit.kind == "province":
            entry["carbon_gap_t"] = gap
        elif limit.kind == "belt":
            entry[f"carbon_gap_{limit.name}_t"] = gap
        else:
            zones.flows["carbon_gap_zone_t"][zones.zone_id.index(limit.name)] = gap
    return entry


# --- issue 13: the allocation's abatement, applied ---------------------------------------
PLAN_KINDS = ("retrofit", "green_power", "curtailment", "forced_exit")


def plan_record(
    plan: Applied | None,
    alloc: Allocation,
    cap_cost: dict[str, float],
    record: dict[str, Any],
) -> dict[str, Any]:
    """The year's abatement columns of province.parquet (issue 13).

    By measure m (retrofit, green_power, curtailment, forced_exit): abatement_planned_m_t
    (the allocation's choice), abatement_m_t (done: the plan as applied to firms plus
    enforcement's cuts of the measure) and abatement_cost_m_wan (retrofit and green
    power: money; curtailment and exit: value added lost); abatement_total_t and
    abatement_cost_wan; the marginal abatement cost (元/t: carbon price + the carbon
    rows' duals, × 10^4), the average cost of what was done (元/t), the duals alone in
    元/t (shadow_price_carbon_yuan_per_t, shadow_price_intensity_yuan_per_t), the cost
    of the caps against the LP without them (cap_*), the tonnes planned but not done
    (granularity: whole firms) and a one-line status.
    """
    out: dict[str, Any] = {}
    done = dict.fromkeys(PLAN_KINDS, 0.0)
    cost = dict.fromkeys(PLAN_KINDS, 0.0)
    planned = dict.fromkeys(PLAN_KINDS, 0.0)
    if plan is not None:
        for k in PLAN_KINDS:
            planned[k] = plan.planned_t.get(k, 0.0)
            done[k] = plan.done_t.get(k, 0.0)
            cost[k] = plan.cost_wan.get(k, 0.0)
    enforced = {m: float(record.get(f"carbon_cut_{m}_t", 0.0)) for m in CARBON_MEASURES}
    enforced_cost = {m: float(record.get(f"carbon_cost_{m}_wan", 0.0)) for m in CARBON_MEASURES}
    for k in PLAN_KINDS:
        out[f"abatement_planned_{k}_t"] = planned[k]
        out[f"abatement_{k}_t"] = done[k] + enforced.get(k, 0.0)
        out[f"abatement_cost_{k}_wan"] = cost[k] + enforced_cost.get(k, 0.0)
    total_t = sum(out[f"abatement_{k}_t"] for k in PLAN_KINDS)
    total_cost = sum(out[f"abatement_cost_{k}_wan"] for k in PLAN_KINDS)
    out["abatement_total_t"] = total_t
    out["abatement_cost_wan"] = total_cost
    out["abatement_by_carbon_price_t"] = plan.price_t if plan is not None else 0.0
    mac = alloc.marginal_abatement_cost_yuan_per_t
    out["marginal_abatement_cost_yuan_per_t"] = np.nan if mac is None else mac
    out["average_abatement_cost_yuan_per_t"] = (
        total_cost / total_t * YUAN_PER_WAN if total_t >= 1.0 else np.nan
    )
    tc, ic = alloc.shadow_total_cap_wan_per_t, alloc.shadow_intensity_cap_wan_per_t
    out["shadow_price_carbon_yuan_per_t"] = np.nan if tc is None else tc * YUAN_PER_WAN
    out["shadow_price_intensity_yuan_per_t"] = np.nan if ic is None else ic * YUAN_PER_WAN
    out.update(cap_cost)
    out["cap_va_forgone_yuan_per_t"] = (
        cap_cost.get("cap_va_forgone_wan", 0.0) * YUAN_PER_WAN / cap_cost["cap_abated_extra_t"]
        if cap_cost.get("cap_abated_extra_t", 0.0) > 0
        else np.nan
    )
    out["abatement_plan_shortfall_t"] = max(0.0, sum(planned.values()) - sum(done.values()))
    out["carbon_status"] = status_line(alloc, out, record, cap_cost)
    return out


def status_line(
    alloc: Allocation, out: dict[str, Any], record: dict[str, Any], cap_cost: dict[str, float]
) -> str:
    """What step 8 and 10 did about the caps this year, in one line.

    "cap met by retrofit 9.1 Mt, green_power 1.2 Mt at ≤ 420 元/t and 3,100 mu less new
    land"; "cap not met: 2.3 Mt left (…)"; "no carbon row binds"; never "relaxed" when
    the cap was met after enforcement.
    """
    parts = [
        f"{k} {out[f'abatement_{k}_t'] / T_PER_MT:,.1f} Mt"
        for k in PLAN_KINDS
        if out[f"abatement_{k}_t"] >= 0.05 * T_PER_MT
    ]
    mac = out["marginal_abatement_cost_yuan_per_t"]
    gap = float(record.get("carbon_gap_t", 0.0))
    land = cap_cost.get("cap_land_forgone_mu", 0.0)
    how = ", ".join(parts) if parts else "no abatement"
    if np.isfinite(mac) and mac > 0:
        how += f" at ≤ {mac:,.0f} 元/t"
    if land >= 0.5:
        how += f" and {land:,.0f} mu less new land"
    if gap > 0:
        why = (
            "no allocation could meet it (the LP relaxed)"
            if alloc.status.value == "relaxed"
            else "firm-level granularity"
        )
        return f"cap not met: {gap / T_PER_MT:,.2f} Mt left ({why}); {how}"
    if alloc.status.value == "relaxed":
        return f"cap met after enforcement (the allocation alone could not); {how}"
    binding = (alloc.shadow_total_cap_wan_per_t or 0.0) + (
        alloc.shadow_intensity_cap_wan_per_t or 0.0
    ) > 0
    if not binding and not parts:
        return "caps not binding"
    return f"cap met by {how}"
