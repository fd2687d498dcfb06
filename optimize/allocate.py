"""`allocate(snapshot) -> Allocation`: the yearly land-quota allocation (DESIGN.md §5).

Infeasible years. With x = 0 every land row holds, so only the carbon caps can make a
year infeasible (the belt shares read 0 ≥ 0 with no land). Such a year is solved as
an elastic problem with one gap variable g ≥ 0 (t CO2) subtracted from both carbon
rows, lexicographically — the limit of an infinitely large penalty on g:

1. minimise g: the least CO2 that enforcement must remove so that, after it, every
   carbon row holds (a tonne removed from existing firms lowers both rows by a tonne);
2. fix g at that minimum and maximise the usual objective (should the solver's
   tolerances call that infeasible, again with g raised by 1e-9 of existing emissions).

`gaps` then holds each cap's excess at the final allocation (row activity minus its
right-hand side, t CO2), which equals g for the row(s) that set it.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from optimize import solvers
from optimize.model import BuiltModel, get_built
from optimize.solvers import RawSolution
from optimize.types import Allocation, FrozenMap, InfeasibleError, Snapshot, SolveStatus

logger = logging.getLogger(__name__)

_GAP_PAD_REL = 1e-9
_SLACK_REL = 1e-6
# A relaxed year reports every cap whose excess is above round-off: the solver found the
# year infeasible at its own (tighter) tolerance, so even a tiny gap is real.
_GAP_REPORT_REL = 1e-9
_LAND_ZERO_MU = 1e-9


def allocate(snapshot: Snapshot) -> Allocation:
    """Share the year's new construction land and ready land among zones and sectors.

    Maximise Σ (v − price·e)·x subject to the rows of `optimize.constraints`. A pure
    function of the snapshot. Raises InfeasibleError when the caps cannot be met and
    `on_infeasible` is "stop", SolverMissingError when the solver is not installed.
    """
    t0 = time.perf_counter()
    bm, built_now = get_built(snapshot)
    with bm.lock:
        try:
            bm.update(snapshot)
            timings = {"model": time.perf_counter() - t0}
            raw = _solve(bm, snapshot)
            _add(timings, raw.timings)
            relaxed_gap: float | None = None
            if _breaks_carbon_rows(bm, snapshot, raw):
                logger.warning("year %d: %s reported a solution that breaks a carbon cap; "
                               "solving the elastic problem", snapshot.year, snapshot.solver)
                raw.outcome = solvers.INFEASIBLE
            if raw.outcome == solvers.INFEASIBLE and bm.structure.has_carbon:
                raw, relaxed_gap = _solve_elastic(bm, snapshot, timings)
        finally:
            bm.set_phase("normal")
    if built_now:
        logger.debug("year %d: model built in %.3f s", snapshot.year, timings["model"])
    alloc = _allocation(snapshot, bm, raw, relaxed_gap, timings)
    if alloc.status is SolveStatus.RELAXED and snapshot.on_infeasible == "stop":
        raise InfeasibleError(
            f"{alloc.message} (optimizer.on_infeasible is 'stop'; 'relax' would continue "
            "with the elastic allocation)",
            year=snapshot.year,
            gaps=alloc.gaps,
        )
    level = logging.DEBUG if alloc.status is SolveStatus.OPTIMAL else logging.INFO
    logger.log(level, "%s", alloc.message)
    return alloc


def _solve(bm: BuiltModel, s: Snapshot) -> RawSolution:
    return solvers.solve(bm, s.solver, is_mip=s.projects, time_limit_s=s.time_limit_s,
                         mip_gap=s.mip_gap)


def _add(total: dict[str, float], part: dict[str, float]) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0.0) + value


def _pair_land(bm: BuiltModel, s: Snapshot, raw: RawSolution) -> np.ndarray:
    """Land per allowed pair (mu): x, or for a MIP size × the rounded project count.

    Rounding matters: GLPK accepts k within 1e-5 of an integer and x = size·k within its
    row tolerance, then reports k rounded but x as found (e.g. k = 0 with x = 4e-5 mu).
    """
    if s.projects and raw.k is not None and s.project_size_mu is not None:
        land = s.project_size_mu[bm.pair_index[1]] * np.round(raw.k)
    else:
        land = np.array(raw.x, dtype=np.float64)
    # Solver round-off (±1e-12 mu, −0.0) is not land.
    land[land <= _LAND_ZERO_MU] = 0.0
    return land


def _pair_excesses(bm: BuiltModel, s: Snapshot, land: np.ndarray) -> dict[str, float]:
    zi, si = bm.pair_index
    return _excesses(s, float(land @ s.co2_per_mu[zi, si]), float(land @ s.va_per_mu[zi, si]))


def _breaks_carbon_rows(bm: BuiltModel, s: Snapshot, raw: RawSolution) -> bool:
    """Whether a solution the solver calls feasible misses a carbon cap by more than 1e-6.

    A guard on the solver's tolerances, checked on the arrays (not on the solver's word).
    """
    if raw.outcome not in (solvers.OPTIMAL, solvers.FEASIBLE) or not bm.structure.has_carbon:
        return False
    tol = _SLACK_REL * max(1.0, s.existing_co2_t)
    return any(v > tol for v in _pair_excesses(bm, s, _pair_land(bm, s, raw)).values())


def _solve_elastic(bm: BuiltModel, s: Snapshot,
                   timings: dict[str, float]) -> tuple[RawSolution, float | None]:
    """Phase 1 (least gap) then phase 2 (best allocation at that gap)."""
    bm.set_phase("min_gap")
    first = _solve(bm, s)
    _add(timings, first.timings)
    if first.outcome not in (solvers.OPTIMAL, solvers.FEASIBLE):
        return first, None
    # The phase-1 allocation (rounded, for a MIP) is feasible at its own worst excess, so
    # phase 2 is feasible with g fixed there, whatever the solver's tolerances did.
    at_point = max(_pair_excesses(bm, s, _pair_land(bm, s, first)).values(), default=0.0)
    gap = max(0.0, first.carbon_gap_t, at_point)
    bm.set_phase("relaxed", gap)
    second = _solve(bm, s)
    _add(timings, second.timings)
    if second.outcome == solvers.INFEASIBLE:
        bm.set_phase("relaxed", gap + _GAP_PAD_REL * max(1.0, s.existing_co2_t, gap))
        second = _solve(bm, s)
        _add(timings, second.timings)
    return second, gap


def _fmt_t(t: float) -> str:
    """CO2 for a planner: Mt from 0.1 Mt up, else t (3 significant digits below 1 t)."""
    if abs(t) >= 1e5:
        return f"{t / 1e6:,.1f} Mt"
    if abs(t) >= 1 or t == 0:
        return f"{t:,.1f} t"
    return f"{t:.3g} t"


def _fmt_mu(mu: float) -> str:
    return f"{mu:,.1f} mu"


def _excesses(s: Snapshot, co2_added: float, va_added: float) -> dict[str, float]:
    """Each carbon row's activity minus its right-hand side at an allocation (t CO2)."""
    out: dict[str, float] = {}
    emissions = s.existing_co2_t + co2_added
    if s.total_cap_t is not None:
        out["total_cap"] = emissions - s.total_cap_t
    if s.intensity_cap_t_per_wan is not None:
        out["intensity_cap"] = emissions - s.intensity_cap_t_per_wan * (
            s.existing_va_wan + va_added)
    return out


def _cap_clauses(s: Snapshot) -> list[str]:
    """Why the caps fail: existing emissions against each cap that x = 0 already breaks."""
    clauses = []
    e0 = s.existing_co2_t
    if s.total_cap_t is not None and e0 > s.total_cap_t:
        clauses.append(f"existing firms emit {_fmt_t(e0)}, {_fmt_t(e0 - s.total_cap_t)} above "
                       f"the total cap of {_fmt_t(s.total_cap_t)}")
    i_cap = s.intensity_cap_t_per_wan
    if i_cap is not None and e0 > i_cap * s.existing_va_wan:
        allowed = i_cap * s.existing_va_wan
        intensity = e0 / s.existing_va_wan if s.existing_va_wan > 0 else float("inf")
        digits = 4  # enough significant digits that the two intensities read differently
        while digits < 12 and f"{intensity:.{digits}g}" == f"{i_cap:.{digits}g}":
            digits += 1
        clauses.append(
            f"existing firms emit {_fmt_t(e0)} at {intensity:.{digits}g} t/万元, "
            f"{_fmt_t(e0 - allowed)} above the intensity target of {i_cap:.{digits}g} t/万元 "
            f"({_fmt_t(allowed)} on their value added)")
    return clauses or ["the carbon caps cannot be met together with the land constraints"]


def _binding_lp(bm: BuiltModel, s: Snapshot, duals: dict[str, np.ndarray]) -> list[str]:
    """Rows with a non-zero shadow price (≥ rows: the min belt shares, dual ≤ 0)."""
    tol = 1e-9 * max(1.0, float(np.abs(s.net_value_wan_per_mu).max(initial=0.0)))
    out: list[str] = []
    zones = s.zone_ids
    for short, name in (("zl", "zone_land"), ("lk", "link_cap"), ("sp", "space")):
        if short in duals:
            out += [f"{name}[{zones[i]}]" for i in np.flatnonzero(duals[short] > tol)]
    for short, name in (("pq", "province_quota"), ("tc", "total_cap"),
                        ("ic", "intensity_cap")):
        if short in duals and duals[short][0] > tol:
            out.append(name)
    if "ms" in duals:
        belts = bm.structure.share_belts
        out += [f"min_belt_share[{belts[i]}]" for i in np.flatnonzero(duals["ms"] < -tol)]
    if "mz" in duals:
        out += [f"max_zone_share[{zones[i]}]" for i in np.flatnonzero(duals["mz"] > tol)]
    return out


def _binding_mip(bm: BuiltModel, s: Snapshot, land: np.ndarray, n: np.ndarray,
                 gap: float) -> list[str]:
    """Rows that hold with equality at a MIP solution and are not empty (0 ≤ 0)."""
    zones = s.zone_ids
    zone_land = land.sum(axis=1)
    total = float(zone_land.sum())

    def tight(slack: np.ndarray | float, scale: np.ndarray | float) -> np.ndarray:
        return np.asarray(slack) <= _SLACK_REL * np.maximum(1.0, np.abs(scale))

    out: list[str] = []
    mask = tight(s.ready_mu + n - zone_land, s.ready_mu + n) & (zone_land > 0)
    out += [f"zone_land[{zones[i]}]" for i in np.flatnonzero(mask)]
    finite = np.isfinite(s.link_cap_mu)
    cap = np.where(finite, s.link_cap_mu, 0.0)
    mask = finite & tight(cap - n, cap) & (n > 0)
    out += [f"link_cap[{zones[i]}]" for i in np.flatnonzero(mask)]
    mask = tight(s.space_mu - n, s.space_mu) & (n > 0)
    out += [f"space[{zones[i]}]" for i in np.flatnonzero(mask)]
    if s.province_quota_mu is not None and n.sum() > 0 and tight(
            s.province_quota_mu - n.sum(), s.province_quota_mu):
        out.append("province_quota")
    co2 = float((land * s.co2_per_mu).sum())
    va = float((land * s.va_per_mu).sum())
    for name, excess in _excesses(s, co2, va).items():
        if tight(gap - excess, s.existing_co2_t):
            out.append(name)
    new_total = float(n.sum())
    if new_total > 0:
        for b, members in zip(bm.structure.share_belts, bm.structure.belt_members, strict=True):
            in_belt = np.isin(np.array(zones), np.array(members))
            if tight(n[in_belt].sum() - s.min_share_by_belt[b] * new_total, new_total):
                out.append(f"min_belt_share[{b}]")
    if total > 0 and s.max_zone_share is not None:
        mask = tight(s.max_zone_share * total - zone_land, total) & (zone_land > 0)
        out += [f"max_zone_share[{zones[i]}]" for i in np.flatnonzero(mask)]
    return out


def _allocation(s: Snapshot, bm: BuiltModel, raw: RawSolution, relaxed_gap: float | None,
                timings: dict[str, float]) -> Allocation:
    nz, ns = len(s.zone_ids), len(s.sectors)
    zi, si = bm.pair_index
    land = np.zeros((nz, ns))
    ok = raw.outcome in (solvers.OPTIMAL, solvers.FEASIBLE)
    if ok:
        land[zi, si] = _pair_land(bm, s, raw)
    zone_total = land.sum(axis=1)
    va_added = float((land * s.va_per_mu).sum())
    co2_added = float((land * s.co2_per_mu).sum())
    objective = float((land * s.net_value_wan_per_mu).sum())

    # A MIP has no duals: NaN per zone, None for the province-level rows.
    shadow_zone, shadow_link, shadow_space = (np.full(nz, np.nan) for _ in range(3))
    shadow_quota = shadow_cap = shadow_int = None
    binding: list[str] = []
    if ok and not s.projects:
        duals = {k: _clean(v) for k, v in raw.duals.items()}
        shadow_zone = duals["zl"]
        shadow_space = duals["sp"]
        shadow_link = duals.get("lk", np.zeros(nz))
        shadow_quota = float(duals["pq"][0]) if "pq" in duals else None
        shadow_cap = float(duals["tc"][0]) if "tc" in duals else None
        shadow_int = float(duals["ic"][0]) if "ic" in duals else None
        binding = _binding_lp(bm, s, duals)
    elif ok:
        binding = _binding_mip(bm, s, land, raw.n, raw.carbon_gap_t)

    gaps: dict[str, float] = {}
    if raw.outcome == solvers.INFEASIBLE:
        status = SolveStatus.INFEASIBLE
    elif not ok:
        status = SolveStatus.ERROR
    elif relaxed_gap is not None:
        tol = _GAP_REPORT_REL * max(1.0, s.existing_co2_t)
        gaps = {k: v for k, v in _excesses(s, co2_added, va_added).items() if v > tol}
        status = SolveStatus.RELAXED if gaps else SolveStatus.OPTIMAL
    elif raw.outcome == solvers.FEASIBLE:
        status = SolveStatus.FEASIBLE
    else:
        status = SolveStatus.OPTIMAL

    if s.min_share_by_belt and ok:
        # Belt shares count the LP's new land, which may stand where ready land of the
        # zone stays free (the share is met with it); report the LP's split.
        new_land = np.clip(raw.n, 0.0, zone_total)
        ready_used = zone_total - new_land
    else:  # ready land first, new land for the rest
        new_land = np.maximum(0.0, zone_total - s.ready_mu)
        ready_used = np.minimum(zone_total, s.ready_mu)
    allowed = np.array(bm.allowed)
    for arr in (land, shadow_zone, shadow_link, shadow_space, new_land, ready_used, allowed):
        arr.setflags(write=False)
    return Allocation(
        year=s.year, zone_ids=s.zone_ids, sectors=s.sectors, status=status, land_mu=land,
        new_land_mu=new_land, ready_used_mu=ready_used, objective_wan=objective,
        va_added_wan=va_added, co2_added_t=co2_added,
        shadow_zone_land_wan_per_mu=shadow_zone, shadow_link_cap_wan_per_mu=shadow_link,
        shadow_space_wan_per_mu=shadow_space, shadow_province_quota_wan_per_mu=shadow_quota,
        shadow_total_cap_wan_per_t=shadow_cap, shadow_intensity_cap=shadow_int,
        binding=tuple(binding), gaps=FrozenMap(gaps),
        message=_message(s, status, raw, land, new_land, ready_used, va_added, co2_added,
                         binding, gaps),
        build_seconds=timings.get("model", 0.0) + timings.get("write", 0.0),
        solve_seconds=timings.get("solver", 0.0) + timings.get("read", 0.0),
        mip_gap=raw.mip_gap if s.projects and ok else None,
        allowed=allowed, va_per_mu=s.va_per_mu, co2_per_mu=s.co2_per_mu, solver=s.solver,
        timings=FrozenMap(timings),
    )


def _clean(values: np.ndarray) -> np.ndarray:
    """Set duals that are zero up to round-off to exactly 0."""
    out = np.array(values, dtype=np.float64)
    scale = max(1.0, float(np.abs(out).max(initial=0.0)))
    out[np.abs(out) <= 1e-12 * scale] = 0.0
    return out


def _message(s: Snapshot, status: SolveStatus, raw: RawSolution, land: np.ndarray,
             new_land: np.ndarray, ready_used: np.ndarray, va_added: float, co2_added: float,
             binding: list[str], gaps: dict[str, float]) -> str:
    """The planner-readable one-liner of `Allocation.message`."""
    total = float(land.sum())
    stopped = ""
    if raw.outcome == solvers.FEASIBLE:
        gap = "unknown" if raw.mip_gap is None else f"{raw.mip_gap:.2%}"
        stopped = (f"; the MIP stopped at the time limit of {s.time_limit_s:g} s with an "
                   f"incumbent (gap {gap})")
    if status is SolveStatus.ERROR and raw.outcome == solvers.NO_SOLUTION:
        what = "whole-project allocation" if s.projects else "allocation"
        advice = ("raise time_limit_s or mip_gap, or use the HiGHS solver (pip install highspy)"
                  if s.projects and s.solver == "glpk" else "raise time_limit_s")
        return (f"{s.year}: the {s.solver} solver found no {what} within the time limit of "
                f"{s.time_limit_s:g} s; no land was allocated; {advice}")
    if status in (SolveStatus.ERROR, SolveStatus.INFEASIBLE):
        what = "no feasible allocation" if status is SolveStatus.INFEASIBLE else "no allocation"
        return (f"{s.year}: the {s.solver} solver found {what} ({raw.detail or raw.outcome}); "
                "no land was allocated")
    if status is SolveStatus.RELAXED:
        parts = _cap_clauses(s)
        if total <= 0:
            parts.append("no new land was allocated")
        else:
            parts.append(f"{_fmt_mu(total)} allocated, adding {_fmt_t(co2_added)} of CO2")
        parts.append(f"{_fmt_t(max(gaps.values()))} must come from enforcement")
        return f"{s.year}: " + "; ".join(parts) + stopped
    if total > 0:
        text = (f"{s.year}: {_fmt_mu(total)} allocated ({_fmt_mu(float(new_land.sum()))} new "
                f"quota, {_fmt_mu(float(ready_used.sum()))} ready land), adding "
                f"{va_added:,.0f} 万元 VA and {_fmt_t(co2_added)} of CO2")
    else:
        text = f"{s.year}: no land was allocated"
    text += stopped
    if binding:
        shown = ", ".join(binding[:4]) + (f" and {len(binding) - 4} more"
                                          if len(binding) > 4 else "")
        text += f"; binding: {shown}"
    if s.projects:
        text += "; whole projects (MIP), so no shadow prices"
    return text
