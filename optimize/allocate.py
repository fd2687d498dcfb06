"""`allocate(snapshot, options) -> Allocation`: the yearly land-quota allocation (DESIGN.md §5).

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

from optimize import glpk, highs
from optimize.messages import allocation_message
from optimize.model import BuiltModel, get_built
from optimize.result import Allocation
from optimize.rows import (
    SLACK_REL,
    MipPoint,
    binding_lp,
    binding_mip,
    carbon_excesses,
    shadows,
)
from optimize.snapshot import Snapshot, SolveOptions
from optimize.solution import RawSolution
from optimize.types import FrozenMap, InfeasibleError, SolverOutcome, SolveStatus

logger = logging.getLogger(__name__)

_GAP_PAD_REL = 1e-9
# A relaxed year reports every cap whose excess is above round-off: the solver found the
# year infeasible at its own (tighter) tolerance, so even a tiny gap is real.
_GAP_REPORT_REL = 1e-9
_LAND_ZERO_MU = 1e-9
_ABATED_ZERO_T = 1e-6


def allocate(snapshot: Snapshot, options: SolveOptions | None = None) -> Allocation:
    """Share the year's new and ready land among zones and sectors, and choose abatement.

    The abatement is the one the caps need, when the snapshot carries abatement columns.

    Maximise Σ (v − price·e)·x + Σ (price − c)·a subject to the rows of
    `optimize.constraints`. A pure function of the snapshot and the run's options
    (default `SolveOptions()`: GLPK, LP, "relax"). Raises InfeasibleError when the caps
    cannot be met and `on_infeasible` is "stop", SolverMissingError when the solver is
    not installed.
    """
    opts = SolveOptions() if options is None else options
    opts.check(snapshot)
    t0 = time.perf_counter()
    bm, built_now = get_built(snapshot, opts.projects)
    with bm.lock:
        try:
            bm.update(snapshot)
            timings = {"model": time.perf_counter() - t0}
            raw = _solve(bm, opts)
            _add(timings, raw.timings)
            relaxed_gap: float | None = None
            if _breaks_carbon_rows(bm, snapshot, raw):
                logger.warning(
                    "year %d: %s reported a solution that breaks a carbon cap; "
                    "solving the elastic problem",
                    snapshot.year,
                    opts.solver,
                )
                raw.outcome = SolverOutcome.INFEASIBLE
            if raw.outcome is SolverOutcome.INFEASIBLE and bm.structure.has_carbon:
                raw, relaxed_gap = _solve_elastic(bm, snapshot, opts, timings)
        finally:
            bm.set_phase("normal")
    if built_now:
        logger.debug("year %d: model built in %.3f s", snapshot.year, timings["model"])
    alloc = _allocation(snapshot, opts, bm, raw, relaxed_gap, timings)
    if alloc.status is SolveStatus.RELAXED and opts.on_infeasible == "stop":
        raise InfeasibleError(
            f"{alloc.message} (optimizer.on_infeasible is 'stop'; 'relax' would continue "
            "with the elastic allocation)",
            year=snapshot.year,
            gaps=alloc.gaps,
        )
    level = logging.DEBUG if alloc.status is SolveStatus.OPTIMAL else logging.INFO
    logger.log(level, "%s", alloc.message)
    return alloc


def prepare(snapshot: Snapshot, options: SolveOptions | None = None) -> None:
    """Build the model of the snapshot's structure and fill its caches, without solving.

    For a run's setup: the first `allocate` of the same structure then only updates
    numbers, as every later year does (with GLPK the LP text's row cache is filled and
    glpsol located too). Results do not depend on it: every solve writes all numbers
    from its own snapshot.
    """
    opts = SolveOptions() if options is None else options
    opts.check(snapshot)
    bm, _ = get_built(snapshot, opts.projects)
    with bm.lock:
        bm.update(snapshot)
        if opts.solver == "glpk":
            glpk.find_glpsol()
            glpk.compact_lp(bm)


def _solve(bm: BuiltModel, o: SolveOptions) -> RawSolution:
    """Solve the built model's active problem with the options' solver."""
    run = highs.solve_highs if o.solver == "highs" else glpk.solve_glpk
    return run(bm, is_mip=o.projects, time_limit_s=o.time_limit_s, mip_gap=o.mip_gap)


def _add(total: dict[str, float], part: dict[str, float]) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0.0) + value


def _pair_land(bm: BuiltModel, s: Snapshot, raw: RawSolution) -> np.ndarray:
    """Land per allowed pair (mu): x, or for a MIP size × the rounded project count.

    Rounding matters: GLPK accepts k within 1e-5 of an integer and x = size·k within its
    row tolerance, then reports k rounded but x as found (e.g. k = 0 with x = 4e-5 mu).
    """
    if bm.structure.projects and raw.k is not None and s.project_size_mu is not None:
        land = s.project_size_mu[bm.pair_index[1]] * np.round(raw.k)
    else:
        land = np.array(raw.x, dtype=np.float64)
    # Solver round-off (±1e-12 mu, −0.0) is not land.
    land[land <= _LAND_ZERO_MU] = 0.0
    return land


def _abatement(s: Snapshot, raw: RawSolution) -> np.ndarray:
    """(Z,J) abatement of a solution (t CO2), solver round-off cleared; (Z,0) without."""
    nz, nj = len(s.zone_ids), len(s.abatement_measures)
    if raw.a is None or nj == 0:
        return np.zeros((nz, nj))
    a = np.array(raw.a, dtype=np.float64).reshape(nz, nj)
    assert s.abatement_max_t is not None
    # Solver round-off (1e-7 t in an unused column) is not abatement.
    a[a <= np.maximum(_ABATED_ZERO_T, _LAND_ZERO_MU * s.abatement_max_t)] = 0.0
    return np.minimum(a, s.abatement_max_t)


def _pair_excesses(
    bm: BuiltModel, s: Snapshot, land: np.ndarray, abated: np.ndarray | None = None
) -> dict[str, float]:
    zi, si = bm.pair_index
    a_t, lost = 0.0, 0.0
    if abated is not None and abated.size:
        assert s.abatement_va_lost_wan_per_t is not None
        a_t, lost = float(abated.sum()), float((abated * s.abatement_va_lost_wan_per_t).sum())
    return carbon_excesses(
        s, float(land @ s.co2_per_mu[zi, si]), float(land @ s.va_per_mu[zi, si]), a_t, lost
    )


def _breaks_carbon_rows(bm: BuiltModel, s: Snapshot, raw: RawSolution) -> bool:
    """Whether a solution the solver calls feasible misses a carbon cap by more than 1e-6.

    A guard on the solver's tolerances, checked on the arrays (not on the solver's word).
    """
    if not raw.outcome.has_solution or not bm.structure.has_carbon:
        return False
    tol = SLACK_REL * max(1.0, s.existing_co2_t)
    excess = _pair_excesses(bm, s, _pair_land(bm, s, raw), _abatement(s, raw))
    return any(v > tol for v in excess.values())


def _solve_elastic(
    bm: BuiltModel, s: Snapshot, o: SolveOptions, timings: dict[str, float]
) -> tuple[RawSolution, float | None]:
    """Phase 1 (least gap) then phase 2 (best allocation at that gap)."""
    bm.set_phase("min_gap")
    first = _solve(bm, o)
    _add(timings, first.timings)
    if not first.outcome.has_solution:
        return first, None
    # The phase-1 allocation (rounded, for a MIP) is feasible at its own worst excess, so
    # phase 2 is feasible with g fixed there, whatever the solver's tolerances did.
    at_point = max(
        _pair_excesses(bm, s, _pair_land(bm, s, first), _abatement(s, first)).values(), default=0.0
    )
    gap = max(0.0, first.carbon_gap_t, at_point)
    bm.set_phase("relaxed", gap)
    second = _solve(bm, o)
    _add(timings, second.timings)
    if second.outcome is SolverOutcome.INFEASIBLE:
        bm.set_phase("relaxed", gap + _GAP_PAD_REL * max(1.0, s.existing_co2_t, gap))
        second = _solve(bm, o)
        _add(timings, second.timings)
    return second, gap


def _allocation(
    s: Snapshot,
    o: SolveOptions,
    bm: BuiltModel,
    raw: RawSolution,
    relaxed_gap: float | None,
    timings: dict[str, float],
) -> Allocation:
    nz, ns = len(s.zone_ids), len(s.sectors)
    zi, si = bm.pair_index
    land = np.zeros((nz, ns))
    ok = raw.outcome.has_solution
    if ok:
        land[zi, si] = _pair_land(bm, s, raw)
    zone_total = land.sum(axis=1)
    va_added = float((land * s.va_per_mu).sum())
    co2_added = float((land * s.co2_per_mu).sum())
    abated = _abatement(s, raw) if ok else np.zeros((nz, len(s.abatement_measures)))
    abated_t = float(abated.sum())
    cost = lost = 0.0
    if s.has_abatement:
        assert s.abatement_cost_wan_per_t is not None
        assert s.abatement_va_lost_wan_per_t is not None
        cost = float((abated * s.abatement_cost_wan_per_t).sum())
        lost = float((abated * s.abatement_va_lost_wan_per_t).sum())
    objective = float(
        (land * s.net_value_wan_per_mu).sum() + (abated * s.abatement_net_wan_per_t).sum()
    )

    belts = bm.structure.share_belts
    binding: list[str] = []
    duals: dict[str, np.ndarray] | None = None  # a MIP has none
    if ok and not o.projects:
        duals = {k: _clean(v) for k, v in raw.duals.items()}
        tol = 1e-9 * max(1.0, float(np.abs(s.net_value_wan_per_mu).max(initial=0.0)))
        binding = binding_lp(duals, s.zone_ids, belts, tol)
    elif ok:
        point = MipPoint(
            s,
            zone_total,
            raw.n,
            co2_added,
            va_added,
            raw.carbon_gap_t,
            bm.structure.belt_members,
            abated_t,
            lost,
            pair_land=land,
        )
        binding = binding_mip(point, belts)
    shadow = shadows(duals, nz)

    gaps: dict[str, float] = {}
    if raw.outcome is SolverOutcome.INFEASIBLE:
        status = SolveStatus.INFEASIBLE
    elif not ok:
        status = SolveStatus.ERROR
    elif relaxed_gap is not None:
        tol = _GAP_REPORT_REL * max(1.0, s.existing_co2_t)
        excess = carbon_excesses(s, co2_added, va_added, abated_t, lost)
        gaps = {k: v for k, v in excess.items() if v > tol}
        status = SolveStatus.RELAXED if gaps else SolveStatus.OPTIMAL
    elif raw.outcome is SolverOutcome.FEASIBLE:
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
    arrays = [v for v in shadow.values() if isinstance(v, np.ndarray)]
    for arr in (land, new_land, ready_used, allowed, abated, *arrays):
        arr.setflags(write=False)
    return Allocation(
        year=s.year,
        zone_ids=s.zone_ids,
        sectors=s.sectors,
        status=status,
        land_mu=land,
        new_land_mu=new_land,
        ready_used_mu=ready_used,
        objective_wan=objective,
        va_added_wan=va_added,
        co2_added_t=co2_added,
        **shadow,  # type: ignore[arg-type]
        binding=tuple(binding),
        gaps=FrozenMap(gaps),
        message=allocation_message(
            s,
            o,
            status,
            raw,
            land,
            new_land,
            ready_used,
            va_added,
            co2_added,
            binding,
            gaps,
            abated,
            cost,
        ),
        build_seconds=timings.get("model", 0.0) + timings.get("write", 0.0),
        solve_seconds=timings.get("solver", 0.0) + timings.get("read", 0.0),
        mip_gap=raw.mip_gap if o.projects and ok else None,
        allowed=allowed,
        va_per_mu=s.va_per_mu,
        co2_per_mu=s.co2_per_mu,
        solver=o.solver,
        timings=FrozenMap(timings),
        abatement_measures=s.abatement_measures,
        abatement_t=abated,
        abatement_cost_wan=cost,
        va_lost_wan=lost,
        carbon_price_wan_per_t=s.carbon_price_wan_per_t,
        abatement_unit_cost_wan_per_t=s.abatement_cost_wan_per_t,
    )


def _clean(values: np.ndarray) -> np.ndarray:
    """Set duals that are zero up to round-off to exactly 0."""
    out = np.array(values, dtype=np.float64)
    scale = max(1.0, float(np.abs(out).max(initial=0.0)))
    out[np.abs(out) <= 1e-12 * scale] = 0.0
    return out
