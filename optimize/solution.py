"""The part common to both solvers: the raw solution they return.

`optimize.glpk` runs glpsol on an LP file, `optimize.highs` HiGHS through Pyomo's
persistent interface. Both fill a `RawSolution`, arrays in the built model's
positions, with duals as "objective per unit of right-hand side": for this
maximisation a binding ≤ row has a dual ≥ 0 (checked on hand cases in
tests/test_optimize.py). `optimize.allocate` picks the solver and turns the raw
solution into an `Allocation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimize.model import BuiltModel
from optimize.types import SolverOutcome


@dataclass
class RawSolution:
    """A solver's answer as arrays in the built model's positions."""

    outcome: SolverOutcome
    x: np.ndarray
    n: np.ndarray
    k: np.ndarray | None = None
    a: np.ndarray | None = None
    """Abatement a[z,j] in the model's (zone-major) column order, t CO2; None without."""
    carbon_gap_t: float = 0.0
    duals: dict[str, np.ndarray] = field(default_factory=dict)
    """Row-family short label ("zl", "tc", …; `optimize.rows`) -> duals by position;
    empty for a MIP."""
    mip_gap: float | None = None
    detail: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def relative_gap(best: float, bound: float) -> float:
    """The relative MIP gap |bound − best| / (|best| + eps), as both solvers report it."""
    return abs(bound - best) / (abs(best) + np.finfo(float).eps)


def empty_solution(
    bm: BuiltModel, outcome: SolverOutcome, detail: str, timings: dict[str, float]
) -> RawSolution:
    """A solution with no land, for outcomes without a feasible point."""
    nz = len(bm.structure.zone_ids)
    a = np.zeros(nz * len(bm.structure.abatement)) if bm.structure.abatement else None
    return RawSolution(
        outcome=outcome, x=np.zeros(bm.n_pairs), n=np.zeros(nz), a=a, detail=detail, timings=timings
    )
