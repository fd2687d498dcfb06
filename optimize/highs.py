"""Solve a built model with HiGHS through Pyomo's persistent interface.

The interface (`pyomo.contrib.solver` "highs") is kept on the built model, so a new
year only pushes changed parameters. HiGHS is optional: ``pip install highspy``.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from optimize.model import BuiltModel
from optimize.solution import RawSolution, empty_solution, relative_gap
from optimize.types import SolverMissingError, SolverOutcome

logger = logging.getLogger(__name__)

HIGHS_INSTALL = "pip install highspy"


def highs_available() -> bool:
    """Whether highspy can be imported (HiGHS is optional: pip install highspy)."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def solve_highs(
    bm: BuiltModel, *, is_mip: bool, time_limit_s: float, mip_gap: float
) -> RawSolution:
    """Solve with HiGHS through Pyomo's persistent interface kept on the built model."""
    if not highs_available():
        raise SolverMissingError(
            f"the HiGHS solver (highspy) is not installed; install it with: {HIGHS_INSTALL}",
            solver="highs",
            install_command=HIGHS_INSTALL,
        )
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
    from pyomo.contrib.solver.solvers.highs import Highs

    t0 = time.perf_counter()
    if bm.highs is None:
        bm.highs = Highs()
    opt = bm.highs
    options: dict[str, Any] = {"time_limit": time_limit_s}
    if is_mip:
        options["rel_gap"] = mip_gap
    try:
        res = opt.solve(
            bm.model, load_solutions=False, raise_exception_on_nonoptimal_result=False, **options
        )
    except Exception as exc:  # a solver crash must not escape as a raw traceback
        bm.highs = None
        logger.warning("HiGHS failed: %s", exc)
        return empty_solution(
            bm, SolverOutcome.ERROR, f"HiGHS failed: {exc}", {"solver": time.perf_counter() - t0}
        )
    t1 = time.perf_counter()
    tc, ss = res.termination_condition, res.solution_status
    has_solution = ss in (SolutionStatus.optimal, SolutionStatus.feasible)
    if tc == TerminationCondition.convergenceCriteriaSatisfied and has_solution:
        outcome = SolverOutcome.OPTIMAL
    elif tc in (
        TerminationCondition.provenInfeasible,
        TerminationCondition.infeasibleOrUnbounded,
        TerminationCondition.locallyInfeasible,
    ):
        # Land is bounded by each zone's space, so "infeasible or unbounded" is infeasible.
        outcome = SolverOutcome.INFEASIBLE
    elif tc == TerminationCondition.unbounded:
        outcome = SolverOutcome.UNBOUNDED
    elif tc == TerminationCondition.maxTimeLimit:
        outcome = SolverOutcome.FEASIBLE if has_solution and is_mip else SolverOutcome.NO_SOLUTION
    else:
        outcome = SolverOutcome.ERROR
    timings = {"solver": t1 - t0}
    sol = empty_solution(bm, outcome, f"HiGHS: {tc.name}, {ss.name}", timings)
    if not outcome.has_solution:
        return sol
    loader = res.solution_loader
    m = bm.model
    wanted = list(bm.var_datas["x"]) + list(bm.var_datas["n"])
    if bm.structure.projects:
        wanted += list(bm.var_datas["k"])
    if bm.structure.abatement:
        wanted += list(bm.var_datas["a"])
    if not m.carbon_gap.fixed:
        wanted.append(m.carbon_gap)
    values = loader.get_vars(wanted)
    sol.x = np.array([values[v] for v in bm.var_datas["x"]], dtype=np.float64)
    sol.n = np.array([values[v] for v in bm.var_datas["n"]], dtype=np.float64)
    if bm.structure.projects:
        sol.k = np.array([values[v] for v in bm.var_datas["k"]], dtype=np.float64)
    if bm.structure.abatement:
        sol.a = np.array([values[v] for v in bm.var_datas["a"]], dtype=np.float64)
    gap_var = m.carbon_gap
    sol.carbon_gap_t = float(gap_var.value if gap_var.fixed else values[gap_var])
    if not is_mip:
        duals = {short: np.zeros(bm.family_size(short)) for short in bm.row_datas}
        for con, dual in loader.get_duals().items():
            label = bm.compact_names.get(id(con))
            entry = bm.decode.get(label) if label else None
            if entry is not None:
                duals[entry[0]][entry[1]] = float(dual)
        sol.duals = duals
    else:
        bound, best = res.objective_bound, res.incumbent_objective
        if bound is not None and best is not None and math.isfinite(bound):
            sol.mip_gap = relative_gap(best, bound)
        elif outcome == SolverOutcome.OPTIMAL:
            sol.mip_gap = 0.0
    sol.timings = {**timings, "read": time.perf_counter() - t1}
    return sol
