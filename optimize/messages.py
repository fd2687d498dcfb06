"""The planner-readable message of each allocation (`Allocation.message`)."""

from __future__ import annotations

import numpy as np

from optimize.snapshot import Snapshot, SolveOptions
from optimize.solution import RawSolution
from optimize.types import SolverOutcome, SolveStatus

T_PER_MT = 1e6


def _fmt_t(t: float) -> str:
    """CO2 for a planner: Mt from 0.1 Mt up, else t (3 significant digits below 1 t)."""
    if abs(t) >= 0.1 * T_PER_MT:
        return f"{t / T_PER_MT:,.1f} Mt"
    if abs(t) >= 1 or t == 0:
        return f"{t:,.1f} t"
    return f"{t:.3g} t"


def _fmt_mu(mu: float) -> str:
    return f"{mu:,.1f} mu"


def _cap_clauses(s: Snapshot) -> list[str]:
    """Why the caps fail: existing emissions against each cap that x = 0 already breaks."""
    clauses = []
    e0 = s.existing_co2_t
    if s.total_cap_t is not None and e0 > s.total_cap_t:
        clauses.append(
            f"existing firms emit {_fmt_t(e0)}, {_fmt_t(e0 - s.total_cap_t)} above "
            f"the total cap of {_fmt_t(s.total_cap_t)}"
        )
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
            f"({_fmt_t(allowed)} on their value added)"
        )
    return clauses or ["the carbon caps cannot be met together with the land constraints"]


def _abatement_clause(s: Snapshot, abated: np.ndarray | None, cost_wan: float) -> str:
    """Describe the abatement chosen, e.g. "abating 9.1 Mt (retrofit 6.0 Mt, …) at ≤ 420 元/t"."""
    if abated is None or abated.size == 0 or float(abated.sum()) <= 0:
        return ""
    from optimize.result import measure_of  # no cycle at import time

    by: dict[str, float] = {}
    for j, name in enumerate(s.abatement_measures):
        by[measure_of(name)] = by.get(measure_of(name), 0.0) + float(abated[:, j].sum())
    parts = ", ".join(f"{m} {_fmt_t(t)}" for m, t in by.items() if t > 0)
    assert s.abatement_cost_wan_per_t is not None
    dearest = float(s.abatement_cost_wan_per_t[abated > 0].max(initial=0.0)) * 1e4
    return (
        f"abating {_fmt_t(float(abated.sum()))} ({parts}) at ≤ {dearest:,.0f} 元/t, "
        f"{cost_wan / 1e4:,.2f} 亿元"
    )


def allocation_message(
    s: Snapshot,
    o: SolveOptions,
    status: SolveStatus,
    raw: RawSolution,
    land: np.ndarray,
    new_land: np.ndarray,
    ready_used: np.ndarray,
    va_added: float,
    co2_added: float,
    binding: list[str],
    gaps: dict[str, float],
    abated: np.ndarray | None = None,
    abatement_cost_wan: float = 0.0,
) -> str:
    """The planner-readable one-liner of `Allocation.message`.

    Land in mu, VA in 万元, CO2 in t (Mt from 0.1 Mt up); names the binding rows
    (`optimize.rows`) or, in a RELAXED year, the caps that fail and the carbon gap.
    """
    total = float(land.sum())
    stopped = ""
    if raw.outcome is SolverOutcome.FEASIBLE:
        gap = "unknown" if raw.mip_gap is None else f"{raw.mip_gap:.2%}"
        stopped = (
            f"; the MIP stopped at the time limit of {o.time_limit_s:g} s with an "
            f"incumbent (gap {gap})"
        )
    if status is SolveStatus.ERROR and raw.outcome is SolverOutcome.NO_SOLUTION:
        what = "whole-project allocation" if o.projects else "allocation"
        advice = (
            "raise time_limit_s or mip_gap, or use the HiGHS solver (pip install highspy)"
            if o.projects and o.solver == "glpk"
            else "raise time_limit_s"
        )
        return (
            f"{s.year}: the {o.solver} solver found no {what} within the time limit of "
            f"{o.time_limit_s:g} s; no land was allocated; {advice}"
        )
    if status in (SolveStatus.ERROR, SolveStatus.INFEASIBLE):
        what = "no feasible allocation" if status is SolveStatus.INFEASIBLE else "no allocation"
        why = raw.detail or raw.outcome.value
        return f"{s.year}: the {o.solver} solver found {what} ({why}); no land was allocated"
    abating = _abatement_clause(s, abated, abatement_cost_wan)
    if status is SolveStatus.RELAXED:
        parts = _cap_clauses(s)
        if abating:
            parts.append(abating)
        if total <= 0:
            parts.append("no new land was allocated")
        else:
            parts.append(f"{_fmt_mu(total)} allocated, adding {_fmt_t(co2_added)} of CO2")
        parts.append(f"{_fmt_t(max(gaps.values()))} must come from enforcement")
        return f"{s.year}: " + "; ".join(parts) + stopped
    if total > 0:
        text = (
            f"{s.year}: {_fmt_mu(total)} allocated ({_fmt_mu(float(new_land.sum()))} new "
            f"quota, {_fmt_mu(float(ready_used.sum()))} ready land), adding "
            f"{va_added:,.0f} 万元 VA and {_fmt_t(co2_added)} of CO2"
        )
    else:
        text = f"{s.year}: no land was allocated"
    if abating:
        text += f"; {abating}"
    text += stopped
    if binding:
        shown = ", ".join(binding[:4]) + (
            f" and {len(binding) - 4} more" if len(binding) > 4 else ""
        )
        text += f"; binding: {shown}"
    if o.projects:
        text += "; whole projects (MIP), so no shadow prices"
    return text
