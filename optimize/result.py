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

YUAN_PER_WAN = 1e4


def measure_of(name: str) -> str:
    """The measure of a measure-tier column name: "retrofit_2" → "retrofit"."""
    head, _, tail = name.rpartition("_")
    return head if head and tail.isdigit() else name


@dataclass(frozen=True, eq=False)
class Allocation:
    """One year's allocation: land by zone and sector, duals, status and timings.

    Sign convention of every `shadow_*` value: the constraints are ≤ rows of a
    maximisation, so each shadow price is ≥ 0 and means "万元 of objective per year per
    extra unit of the right-hand side" (per mu of land, per t of CO2 cap). A MIP has no
    duals: its shadow arrays are NaN and its shadow scalars None. A province-level
    shadow is None where its constraint does not exist this year; the link-cap array is
    0 for zones without a cap. `shadow_intensity_cap_wan_per_t` is in 万元 per t of
    headroom under the intensity row E_exist + r·Σe·x ≤ I·(VA_exist + r·Σv·x) (r the
    first year's share of full output, `Snapshot.first_year_share`), i.e. per t of
    emissions the target would allow at unchanged VA; the value of raising the target I
    itself by one t/万元 is that × (existing_va_wan + r·va_added_wan). `va_added_wan`
    and `co2_added_t` are the new land's at full output. Each shadow field
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
    abatement_measures: tuple[str, ...] = ()
    """The measure-tiers j of `abatement_t` (the snapshot's); () without abatement."""
    abatement_t: np.ndarray | None = None
    """(Z,J) t CO2 the allocation abates in zone z by measure-tier j (None: no columns)."""
    abatement_cost_wan: float = 0.0
    """Σ c·a: the cost of the abatement chosen (万元/yr; for curtailment and forced exit
    the value added lost)."""
    va_lost_wan: float = 0.0
    """Σ λ·a: existing value added lost to curtailment and forced exit (万元/yr)."""
    carbon_price_wan_per_t: float = 0.0
    """The snapshot's carbon price (万元/t), kept for the marginal abatement cost."""
    abatement_unit_cost_wan_per_t: np.ndarray | None = None
    """(Z,J) the snapshot's cost per t of each measure-tier (万元/t)."""

    @property
    def abated_t(self) -> float:
        """Σ a: t CO2 abated by the allocation (0 without abatement)."""
        return 0.0 if self.abatement_t is None else float(self.abatement_t.sum())

    def abated_by_measure_t(self) -> dict[str, float]:
        """Tonnes of CO2 abated by measure (t), tiers summed: "retrofit_2" counts as "retrofit"."""
        out: dict[str, float] = {}
        if self.abatement_t is None:
            return out
        for j, name in enumerate(self.abatement_measures):
            key = measure_of(name)
            out[key] = out.get(key, 0.0) + float(self.abatement_t[:, j].sum())
        return out

    def cost_by_measure_wan(self) -> dict[str, float]:
        """Cost of the abatement by measure (万元/yr), tiers summed."""
        out: dict[str, float] = {}
        if self.abatement_t is None or self.abatement_unit_cost_wan_per_t is None:
            return out
        spend = self.abatement_t * self.abatement_unit_cost_wan_per_t
        for j, name in enumerate(self.abatement_measures):
            key = measure_of(name)
            out[key] = out.get(key, 0.0) + float(spend[:, j].sum())
        return out

    @property
    def marginal_abatement_cost_yuan_per_t(self) -> float | None:
        """What the last tonne of CO2 costs (元/t); None for a MIP (no duals).

            MAC = (carbon price + total-cap dual + intensity dual) × 10^4   (万元/t → 元/t)

        For a retrofit tier in use but not full, c = p + dual_cap + dual_intensity (its
        reduced cost is 0), so this is the marginal abatement cost; when land is marginal
        it is the VA per t of the project given up. Without cap or price it is 0.
        """
        if self.mip_gap is not None:  # a MIP (whole projects) has no duals
            return None
        tc = self.shadow_total_cap_wan_per_t or 0.0
        ic = self.shadow_intensity_cap_wan_per_t or 0.0
        return (self.carbon_price_wan_per_t + tc + ic) * YUAN_PER_WAN

    @property
    def average_abatement_cost_yuan_per_t(self) -> float:
        """Cost of the abatement chosen per t abated (元/t); NaN when nothing is abated."""
        t = self.abated_t
        return self.abatement_cost_wan / t * YUAN_PER_WAN if t > 0 else float("nan")

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
