"""The optimiser's small shared types: belts, a frozen map, outcome enums, errors.

DESIGN.md §5.
The inputs are in `optimize.snapshot` (`Snapshot`, `SolveOptions`), the result in
`optimize.result` (`Allocation`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any

BELTS: frozenset[str] = frozenset({"yangtze", "canal", "coastal"})
"""The three development belts of the plan (沿江 / 沿运河 / 沿海)."""


class FrozenMap(Mapping[str, float]):
    """A read-only str -> float mapping that pickles (unlike types.MappingProxyType).

    So snapshots, allocations and errors cross process and Dask boundaries.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, float] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> float:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


class SolveStatus(Enum):
    """Outcome of one yearly allocation, mapped explicitly from the solver's report."""

    OPTIMAL = "optimal"
    """Optimal (for MIP: optimal within `SolveOptions.mip_gap`)."""
    RELAXED = "relaxed"
    """The carbon caps cannot be met by any allocation: elastic solution; see `gaps`."""
    FEASIBLE = "feasible"
    """MIP stopped at the time limit with an incumbent; see `mip_gap`."""
    INFEASIBLE = "infeasible"
    """No solution, even of the elastic problem (structurally impossible; kept for mapping)."""
    ERROR = "error"
    """The solver failed or found no solution in time; land is all zero; see `message`."""


class SolverOutcome(Enum):
    """What a solver reported about one solve, before `allocate` decides the `SolveStatus`.

    A year whose caps cannot be met is solved again as the elastic problem.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    """A MIP incumbent at the time limit."""
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"
    """The time limit was reached without any feasible point."""
    UNBOUNDED = "unbounded"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        """Whether the solve returned a feasible point (OPTIMAL or FEASIBLE)."""
        return self in (SolverOutcome.OPTIMAL, SolverOutcome.FEASIBLE)


class OptimizeError(Exception):
    """Base class of the optimiser's own errors."""


class InfeasibleError(OptimizeError):
    """The carbon caps cannot be met this year and `on_infeasible` is "stop".

    `year` is the year, `gaps` maps each cap that cannot be met ("total_cap",
    "intensity_cap") to its gap in t CO2; `str(error)` is the planner-readable message.
    """

    def __init__(self, message: str, *, year: int, gaps: Mapping[str, float]) -> None:
        super().__init__(message)
        self.message = message
        self.year = year
        self.gaps: Mapping[str, float] = FrozenMap(gaps)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_infeasible, (self.message, self.year, dict(self.gaps)))


class SolverMissingError(OptimizeError):
    """The requested solver is not installed; the message gives the install command."""

    def __init__(self, message: str, *, solver: str, install_command: str) -> None:
        super().__init__(message)
        self.solver = solver
        self.install_command = install_command

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_missing, (str(self), self.solver, self.install_command))


def _rebuild_infeasible(message: str, year: int, gaps: dict[str, float]) -> InfeasibleError:
    return InfeasibleError(message, year=year, gaps=gaps)


def _rebuild_missing(message: str, solver: str, install_command: str) -> SolverMissingError:
    return SolverMissingError(message, solver=solver, install_command=install_command)
