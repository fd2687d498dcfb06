"""Typed input and output of the yearly land-quota allocation (DESIGN.md §5).

`Snapshot` is one year's problem, `Allocation` its solution. Both are frozen; their
numpy arrays are float64 (bool for masks) copies made read-only, so a snapshot cannot
change under the optimiser and an allocation cannot be edited after the fact.

Units: land in mu (亩), money in 万元, CO2 in t, intensity in t CO2 per 万元 VA.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

BELTS: frozenset[str] = frozenset({"yangtze", "canal", "coastal"})
"""The three development belts of the plan (沿江 / 沿运河 / 沿海)."""


class FrozenMap(Mapping[str, float]):
    """A read-only str -> float mapping that pickles (unlike types.MappingProxyType), so
    snapshots, allocations and errors cross process and Dask boundaries."""

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
    """Optimal (for MIP: optimal within `Snapshot.mip_gap`)."""
    RELAXED = "relaxed"
    """The carbon caps cannot be met by any allocation: elastic solution; see `gaps`."""
    FEASIBLE = "feasible"
    """MIP stopped at the time limit with an incumbent; see `mip_gap`."""
    INFEASIBLE = "infeasible"
    """No solution, even of the elastic problem (structurally impossible; kept for mapping)."""
    ERROR = "error"
    """The solver failed or found no solution in time; land is all zero; see `message`."""


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


def _frozen_array(name: str, value: object, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Return a read-only copy of `value` as `dtype` with `shape`, or raise ValueError."""
    try:
        arr = np.array(value, dtype=dtype, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Snapshot.{name}: cannot be read as {dtype.__name__} ({exc})") from None
    if arr.shape != shape:
        raise ValueError(f"Snapshot.{name}: shape {arr.shape}, expected {shape}")
    arr.setflags(write=False)
    return arr


def _check_nonnegative(name: str, arr: np.ndarray, *, allow_inf: bool = False) -> None:
    if np.isnan(arr).any():
        raise ValueError(f"Snapshot.{name}: contains NaN")
    if not allow_inf and np.isinf(arr).any():
        raise ValueError(f"Snapshot.{name}: contains inf (only link_cap_mu may be inf)")
    if (arr < 0).any():
        raise ValueError(f"Snapshot.{name}: contains negative values (min {arr.min()})")


def _check_scalar(
    name: str,
    value: float | None,
    *,
    positive: bool = False,
    at_most_one: bool = False,
    required: bool = False,
) -> float | None:
    if value is None:
        if required:
            raise ValueError(f"Snapshot.{name}: a number is required")
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Snapshot.{name}: {value!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"Snapshot.{name}: {v} is not finite (use None for no constraint)")
    if v < 0 or (positive and v == 0):
        raise ValueError(f"Snapshot.{name}: {v} must be {'> 0' if positive else '>= 0'}")
    if at_most_one and v > 1:
        raise ValueError(f"Snapshot.{name}: {v} is a share and must be <= 1")
    return v


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One year's land-quota problem; arrays are float64 and indexed [zone, sector].

    Maximise Σ (va_per_mu − carbon_price·co2_per_mu)·x over x[z,s] ≥ 0 (mu), for the
    allowed pairs only, subject to the constraints listed in `optimize.constraints`.
    "No constraint" is None (or np.inf for `link_cap_mu`), never a large sentinel.
    """

    year: int
    zone_ids: tuple[str, ...]
    sectors: tuple[str, ...]
    zone_belts: tuple[frozenset[str], ...]
    va_per_mu: np.ndarray
    co2_per_mu: np.ndarray
    allowed: np.ndarray
    ready_mu: np.ndarray
    link_cap_mu: np.ndarray
    space_mu: np.ndarray
    province_quota_mu: float | None
    existing_co2_t: float
    existing_va_wan: float
    total_cap_t: float | None = None
    intensity_cap_t_per_wan: float | None = None
    carbon_price_wan_per_t: float = 0.0
    min_share_by_belt: Mapping[str, float] = field(default_factory=dict)
    max_zone_share: float | None = None
    min_investment_wan_per_mu: np.ndarray | None = None
    investment_wan_per_mu: np.ndarray | None = None
    projects: bool = False
    project_size_mu: np.ndarray | None = None
    max_land_mu: np.ndarray | None = None
    """(Z,S) most land the pair can take this year (project demand); inf = no bound."""
    on_infeasible: Literal["relax", "stop"] = "relax"
    solver: Literal["glpk", "highs"] = "glpk"
    time_limit_s: float = 60.0
    mip_gap: float = 0.01

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "year", int(self.year))
        zone_ids = tuple(str(z) for z in self.zone_ids)
        sectors = tuple(str(s) for s in self.sectors)
        if len(set(zone_ids)) != len(zone_ids):
            raise ValueError("Snapshot.zone_ids: ids must be unique")
        if len(set(sectors)) != len(sectors):
            raise ValueError("Snapshot.sectors: names must be unique")
        put(self, "zone_ids", zone_ids)
        put(self, "sectors", sectors)
        nz, ns = len(zone_ids), len(sectors)

        belts = tuple(frozenset(str(b) for b in bs) for bs in self.zone_belts)
        if len(belts) != nz:
            raise ValueError(f"Snapshot.zone_belts: {len(belts)} entries for {nz} zones")
        for zid, bs in zip(zone_ids, belts, strict=True):
            if not bs <= BELTS:
                raise ValueError(
                    f"Snapshot.zone_belts: zone {zid} has unknown belt(s) "
                    f"{sorted(bs - BELTS)}; allowed: {sorted(BELTS)}"
                )
        put(self, "zone_belts", belts)

        for name in ("va_per_mu", "co2_per_mu"):
            arr = _frozen_array(name, getattr(self, name), (nz, ns), np.float64)
            _check_nonnegative(name, arr)
            put(self, name, arr)
        allowed = np.asarray(self.allowed)
        if allowed.dtype != np.bool_:
            raise ValueError(f"Snapshot.allowed: dtype {allowed.dtype}, expected bool")
        put(self, "allowed", _frozen_array("allowed", allowed, (nz, ns), np.bool_))
        for name in ("ready_mu", "link_cap_mu", "space_mu"):
            arr = _frozen_array(name, getattr(self, name), (nz,), np.float64)
            _check_nonnegative(name, arr, allow_inf=name == "link_cap_mu")
            put(self, name, arr)

        put(self, "province_quota_mu", _check_scalar("province_quota_mu", self.province_quota_mu))
        for name in ("existing_co2_t", "existing_va_wan", "carbon_price_wan_per_t"):
            put(self, name, _check_scalar(name, getattr(self, name), required=True))
        put(self, "total_cap_t", _check_scalar("total_cap_t", self.total_cap_t))
        put(
            self,
            "intensity_cap_t_per_wan",
            _check_scalar("intensity_cap_t_per_wan", self.intensity_cap_t_per_wan, positive=True),
        )

        shares: dict[str, float] = {}
        for belt, share in dict(self.min_share_by_belt).items():
            if belt not in BELTS:
                raise ValueError(
                    f"Snapshot.min_share_by_belt: unknown belt {belt!r}; allowed: {sorted(BELTS)}"
                )
            value = _check_scalar(f"min_share_by_belt[{belt}]", share, at_most_one=True)
            assert value is not None
            shares[belt] = value
        put(self, "min_share_by_belt", FrozenMap(dict(sorted(shares.items()))))
        put(
            self,
            "max_zone_share",
            _check_scalar("max_zone_share", self.max_zone_share, positive=True, at_most_one=True),
        )

        if self.min_investment_wan_per_mu is not None:
            if self.investment_wan_per_mu is None:
                raise ValueError(
                    "Snapshot.min_investment_wan_per_mu needs investment_wan_per_mu "
                    "(the zone-sector investment intensity to compare with)"
                )
            arr = _frozen_array("min_investment_wan_per_mu", self.min_investment_wan_per_mu,
                                (ns,), np.float64)
            _check_nonnegative("min_investment_wan_per_mu", arr)
            put(self, "min_investment_wan_per_mu", arr)
        if self.investment_wan_per_mu is not None:
            arr = _frozen_array("investment_wan_per_mu", self.investment_wan_per_mu, (nz, ns),
                                np.float64)
            _check_nonnegative("investment_wan_per_mu", arr)
            put(self, "investment_wan_per_mu", arr)

        if self.max_land_mu is not None:
            arr = _frozen_array("max_land_mu", self.max_land_mu, (nz, ns), np.float64)
            _check_nonnegative("max_land_mu", arr, allow_inf=True)
            put(self, "max_land_mu", arr)

        put(self, "projects", bool(self.projects))
        if self.projects:
            if self.project_size_mu is None:
                raise ValueError("Snapshot.project_size_mu is required when projects=True")
            arr = _frozen_array("project_size_mu", self.project_size_mu, (ns,), np.float64)
            _check_nonnegative("project_size_mu", arr)
            if (arr <= 0).any():
                raise ValueError("Snapshot.project_size_mu: every project size must be > 0 mu")
            put(self, "project_size_mu", arr)
        elif self.project_size_mu is not None:
            arr = _frozen_array("project_size_mu", self.project_size_mu, (ns,), np.float64)
            put(self, "project_size_mu", arr)

        if self.on_infeasible not in ("relax", "stop"):
            raise ValueError(
                f"Snapshot.on_infeasible: {self.on_infeasible!r}; allowed: 'relax', 'stop'"
            )
        if self.solver not in ("glpk", "highs"):
            raise ValueError(f"Snapshot.solver: {self.solver!r}; allowed: 'glpk', 'highs'")
        put(
            self,
            "time_limit_s",
            _check_scalar("time_limit_s", self.time_limit_s, positive=True, required=True),
        )
        put(self, "mip_gap", _check_scalar("mip_gap", self.mip_gap, required=True))

    @property
    def effective_allowed(self) -> np.ndarray:
        """(Z,S) bool: allowed and, where given, at or above the sector's minimum investment."""
        mask = self.allowed.copy()
        if self.min_investment_wan_per_mu is not None and self.investment_wan_per_mu is not None:
            mask &= self.investment_wan_per_mu >= self.min_investment_wan_per_mu[np.newaxis, :]
        mask.setflags(write=False)
        return mask

    @property
    def net_value_wan_per_mu(self) -> np.ndarray:
        """(Z,S) objective coefficient: va_per_mu − carbon_price × co2_per_mu (万元/mu/yr)."""
        return self.va_per_mu - self.carbon_price_wan_per_t * self.co2_per_mu


@dataclass(frozen=True, eq=False)
class Allocation:
    """One year's allocation: land by zone and sector, duals, status and timings.

    Sign convention of every `shadow_*` value: the constraints are ≤ rows of a
    maximisation, so each shadow price is ≥ 0 and means "万元 of objective per year per
    extra unit of the right-hand side" (per mu of land, per t of CO2 cap). A MIP has no
    duals: its shadow arrays are NaN and its shadow scalars None. A province-level
    shadow is None where its constraint does not exist this year; the link-cap array is
    0 for zones without a cap. `shadow_intensity_cap` is in 万元 per t of headroom under
    the intensity row E_exist + Σe·x ≤ I·(VA_exist + Σv·x), i.e. per t of emissions
    the target would allow at unchanged VA; the value of raising the target I itself by
    one t/万元 is `shadow_intensity_cap × (existing_va_wan + va_added_wan)`.

    In a RELAXED year the duals are those of the elastic problem with the caps raised by
    the gap (the tonnes enforcement must remove): the value of cap beyond that.
    """

    year: int
    zone_ids: tuple[str, ...]
    sectors: tuple[str, ...]
    status: SolveStatus
    land_mu: np.ndarray
    new_land_mu: np.ndarray
    ready_used_mu: np.ndarray
    objective_wan: float
    va_added_wan: float
    co2_added_t: float
    shadow_zone_land_wan_per_mu: np.ndarray
    shadow_link_cap_wan_per_mu: np.ndarray
    shadow_space_wan_per_mu: np.ndarray
    shadow_province_quota_wan_per_mu: float | None
    shadow_total_cap_wan_per_t: float | None
    shadow_intensity_cap: float | None
    binding: tuple[str, ...]
    gaps: Mapping[str, float]
    message: str
    build_seconds: float
    solve_seconds: float
    mip_gap: float | None
    allowed: np.ndarray
    """(Z,S) bool: the pairs that had a variable (allowed and above the investment floor)."""
    va_per_mu: np.ndarray
    """(Z,S) the snapshot's value added per mu, kept for `frame()`."""
    co2_per_mu: np.ndarray
    """(Z,S) the snapshot's CO2 per mu, kept for `frame()`."""
    solver: str = "glpk"
    timings: Mapping[str, float] = field(default_factory=dict)
    """Seconds by stage: model (build or update), write (LP file), solver, read; summed
    over phases in a RELAXED year."""

    @property
    def carbon_gap_t(self) -> float:
        """Tonnes of CO2 that enforcement must remove this year (0 unless RELAXED)."""
        return max(self.gaps.values(), default=0.0)

    def frame(self) -> pd.DataFrame:
        """Tidy rows, one per zone × sector (ALL pairs; banned pairs have allowed=False, land 0).

        Columns: zone_id, sector, year, allowed, land_mu, va_per_mu, co2_per_mu,
        va_added_wan, co2_added_t, then the shadow prices of the zone's constraints and
        of the province-level ones, repeated on each row. Every shadow column is always
        present (a stable schema across years); it is NaN where the constraint does not
        exist this year or the problem was a MIP. Units are in the column names.
        """
        nz, ns = len(self.zone_ids), len(self.sectors)

        def scalar(value: float | None) -> np.ndarray:
            return np.full(nz * ns, np.nan if value is None else float(value))

        def per_zone(values: np.ndarray) -> np.ndarray:
            return np.repeat(np.asarray(values, dtype=np.float64), ns)

        return pd.DataFrame(
            {
                "zone_id": np.repeat(np.array(self.zone_ids, dtype=object), ns),
                "sector": np.tile(np.array(self.sectors, dtype=object), nz),
                "year": np.full(nz * ns, self.year, dtype=np.int64),
                "allowed": self.allowed.ravel(),
                "land_mu": self.land_mu.ravel(),
                "va_per_mu": self.va_per_mu.ravel(),
                "co2_per_mu": self.co2_per_mu.ravel(),
                "va_added_wan": (self.land_mu * self.va_per_mu).ravel(),
                "co2_added_t": (self.land_mu * self.co2_per_mu).ravel(),
                "shadow_zone_land_wan_per_mu": per_zone(self.shadow_zone_land_wan_per_mu),
                "shadow_link_cap_wan_per_mu": per_zone(self.shadow_link_cap_wan_per_mu),
                "shadow_space_wan_per_mu": per_zone(self.shadow_space_wan_per_mu),
                "shadow_province_quota_wan_per_mu": scalar(self.shadow_province_quota_wan_per_mu),
                "shadow_total_cap_wan_per_t": scalar(self.shadow_total_cap_wan_per_t),
                "shadow_intensity_cap_wan_per_t": scalar(self.shadow_intensity_cap),
                "status": np.full(nz * ns, self.status.value, dtype=object),
            }
        )
