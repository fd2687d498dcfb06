"""The optimiser's result: one year's `Allocation` (DESIGN.md §5).

Frozen: its numpy arrays are read-only, so an allocation cannot be edited after the
fact. Units: land in mu (亩), money in 万元, CO2 in t.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimize.rows import SHADOW_FAMILIES
from optimize.types import SolveStatus


@dataclass(frozen=True, eq=False)
class Allocation:
    """One year's allocation: land by zone and sector, duals, status and timings.

    Sign convention of every `shadow_*` value: the constraints are ≤ rows of a
    maximisation, so each shadow price is ≥ 0 and means "万元 of objective per year per
    extra unit of the right-hand side" (per mu of land, per t of CO2 cap). A MIP has no
    duals: its shadow arrays are NaN and its shadow scalars None. A province-level
    shadow is None where its constraint does not exist this year; the link-cap array is
    0 for zones without a cap. `shadow_intensity_cap_wan_per_t` is in 万元 per t of
    headroom under the intensity row E_exist + Σe·x ≤ I·(VA_exist + Σv·x), i.e. per t of
    emissions the target would allow at unchanged VA; the value of raising the target I
    itself by one t/万元 is that × (existing_va_wan + va_added_wan). Each shadow field
    is named like its `frame()` column (`optimize.rows.SHADOW_FAMILIES`).

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
    shadow_intensity_cap_wan_per_t: float | None
    shadow_industrial_floor_wan_per_mu: np.ndarray
    """(Z,) dual of the industrial-land floor (≤ 0; 0 where none or not binding)."""
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

        columns: dict[str, np.ndarray] = {
            "zone_id": np.repeat(np.array(self.zone_ids, dtype=object), ns),
            "sector": np.tile(np.array(self.sectors, dtype=object), nz),
            "year": np.full(nz * ns, self.year, dtype=np.int64),
            "allowed": self.allowed.ravel(),
            "land_mu": self.land_mu.ravel(),
            "va_per_mu": self.va_per_mu.ravel(),
            "co2_per_mu": self.co2_per_mu.ravel(),
            "va_added_wan": (self.land_mu * self.va_per_mu).ravel(),
            "co2_added_t": (self.land_mu * self.co2_per_mu).ravel(),
        }
        for family in SHADOW_FAMILIES:
            assert family.shadow is not None
            value = getattr(self, family.shadow)
            columns[family.shadow] = per_zone(value) if family.index == "zone" else scalar(value)
        columns["status"] = np.full(nz * ns, self.status.value, dtype=object)
        return pd.DataFrame(columns)
