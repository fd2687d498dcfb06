"""The optimiser's two inputs: the year's numbers and the run's settings.

`Snapshot` holds one year's numbers, `SolveOptions` how to solve (given once per
run). Both are frozen. A snapshot's arrays are float64 (bool for masks) copies made
read-only, so a snapshot cannot change under the optimiser. Every field is checked
against one table, `FIELD_RULES` (shape, "no constraint" allowed or not, range).

Units: land in mu (亩), money in 万元, CO2 in t, intensity in t CO2 per 万元 VA.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from optimize.types import BELTS, FrozenMap


@dataclass(frozen=True)
class FieldRule:
    """What one numeric field of `Snapshot` must hold.

    `shape` is "" for a number, else the array's axes: "Z" zones, "S" sectors, "ZS"
    both, "ZJ" zones × abatement measures (`Snapshot.abatement_measures`).
    `optional`: None is allowed (no constraint / not given). `lower` is the
    least value (">= 0" or "> 0"); `share`: at most 1; `inf`: +inf allowed (no bound).
    """

    shape: Literal["", "Z", "S", "ZS", "ZJ"] = ""
    optional: bool = False
    lower: Literal[">= 0", "> 0"] = ">= 0"
    share: bool = False
    inf: bool = False
    dtype: type = np.float64


FIELD_RULES: dict[str, FieldRule] = {
    "va_per_mu": FieldRule("ZS"),
    "co2_per_mu": FieldRule("ZS"),
    "allowed": FieldRule("ZS", dtype=np.bool_),
    "ready_mu": FieldRule("Z"),
    "link_cap_mu": FieldRule("Z", inf=True),
    "space_mu": FieldRule("Z"),
    "province_quota_mu": FieldRule(optional=True),
    "existing_co2_t": FieldRule(),
    "existing_va_wan": FieldRule(),
    "total_cap_t": FieldRule(optional=True),
    "intensity_cap_t_per_wan": FieldRule(optional=True, lower="> 0"),
    "carbon_price_wan_per_t": FieldRule(),
    "first_year_share": FieldRule(lower="> 0", share=True),
    "max_zone_share": FieldRule(optional=True, lower="> 0", share=True),
    "min_investment_wan_per_mu": FieldRule("S", optional=True),
    "investment_wan_per_mu": FieldRule("ZS", optional=True),
    "project_size_mu": FieldRule("S", optional=True, lower="> 0"),
    "max_land_mu": FieldRule("ZS", optional=True, inf=True),
    # Abatement supply (issue 13): one column per zone × measure-tier, all three or none.
    "abatement_max_t": FieldRule("ZJ", optional=True),
    "abatement_cost_wan_per_t": FieldRule("ZJ", optional=True),
    "abatement_va_lost_wan_per_t": FieldRule("ZJ", optional=True),
    # industrial-land floor (工业用地控制线): a share per zone (0: none), and which
    # sectors count as industrial land; the floor needs the mask
    "min_industrial_share": FieldRule("Z", optional=True, share=True),
    "industrial_sectors": FieldRule("S", optional=True, dtype=np.bool_),
}
"""Field → rule for every numeric field of `Snapshot` (ids, belts and the belt-share
mapping are checked by `Snapshot.__post_init__` itself)."""

ABATEMENT_FIELDS = ("abatement_max_t", "abatement_cost_wan_per_t", "abatement_va_lost_wan_per_t")
"""The (Z,J) abatement arrays: given together with `Snapshot.abatement_measures`, or none."""


def checked(name: str, value: object, rule: FieldRule, nz: int, ns: int, nj: int = 0) -> object:
    """`value` as the rule's number or read-only array, or raise ValueError naming the field.

    Arrays are copied as `rule.dtype` with the rule's shape (Z = `nz`, S = `ns`);
    numbers become float; None passes only where the rule is optional.
    """
    where = f"Snapshot.{name}"
    if value is None:
        if rule.optional:
            return None
        raise ValueError(f"{where}: a {'number' if not rule.shape else 'value'} is required")
    if not rule.shape:
        return _number(where, value, rule)
    if rule.dtype is np.bool_ and np.asarray(value).dtype != np.bool_:
        raise ValueError(f"{where}: dtype {np.asarray(value).dtype}, expected bool")
    try:
        arr = np.array(value, dtype=rule.dtype, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: cannot be read as {rule.dtype.__name__} ({exc})") from None
    shape = tuple({"Z": nz, "S": ns, "J": nj}[axis] for axis in rule.shape)
    if arr.shape != shape:
        raise ValueError(f"{where}: shape {arr.shape}, expected {shape}")
    if rule.dtype is np.float64:
        if np.isnan(arr).any():
            raise ValueError(f"{where}: contains NaN")
        if not rule.inf and np.isinf(arr).any():
            raise ValueError(f"{where}: contains inf (only link_cap_mu and max_land_mu may)")
        if (arr < 0).any():
            raise ValueError(f"{where}: contains negative values (min {arr.min()})")
        if rule.lower == "> 0" and (arr == 0).any():
            raise ValueError(f"{where}: every value must be > 0")
    arr.setflags(write=False)
    return arr


def _number(where: str, value: object, rule: FieldRule) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{where}: {v} is not finite (use None for no constraint)")
    if v < 0 or (rule.lower == "> 0" and v == 0):
        raise ValueError(f"{where}: {v} must be {rule.lower}")
    if rule.share and v > 1:
        raise ValueError(f"{where}: {v} is a share and must be <= 1")
    return v


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One year's land-quota problem; arrays are float64 and indexed [zone, sector].

    Maximise Σ (va_per_mu − carbon_price·co2_per_mu)·x over x[z,s] ≥ 0 (mu), for the
    allowed pairs only, subject to the constraints listed in `optimize.constraints`.
    "No constraint" is None (or np.inf for `link_cap_mu`, `max_land_mu`), never a large
    sentinel. The rules of each field are in `FIELD_RULES`; how to solve is `SolveOptions`.
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
    first_year_share: float = 1.0
    """Share (0, 1] of a new project's full output that it produces in the year its
    land is given (1 / economy.entry_ramp_years): the carbon rows count the year's
    CO2 and VA of new land at this share, the objective at full output (see
    `optimize.constraints.net_value_rule`)."""
    min_share_by_belt: Mapping[str, float] = field(default_factory=dict)
    max_zone_share: float | None = None
    min_investment_wan_per_mu: np.ndarray | None = None
    investment_wan_per_mu: np.ndarray | None = None
    project_size_mu: np.ndarray | None = None
    """(S,) mu per whole project; required when `SolveOptions.projects` is set."""
    max_land_mu: np.ndarray | None = None
    """(Z,S) most land the pair can take this year (project demand); inf = no bound."""
    abatement_measures: tuple[str, ...] = ()
    """Names of the abatement columns j (measure and cost tier: "retrofit_1", …,
    "green_power", "curtailment_1", …, "forced_exit_1", …); () = no abatement in the LP."""
    abatement_max_t: np.ndarray | None = None
    """(Z,J) t CO2 the zone's existing firms can abate by measure-tier j this year."""
    abatement_cost_wan_per_t: np.ndarray | None = None
    """(Z,J) cost of a tonne abated by j in zone z (万元/t): the retrofit or green-power
    cost, or for curtailment and forced exit the value added lost per tonne."""
    abatement_va_lost_wan_per_t: np.ndarray | None = None
    """(Z,J) value added a tonne abated by j removes from the existing VA (万元/t): 0 for
    retrofits and green power, VA/CO2 of the firms for curtailment and forced exit. It
    enters the intensity row: E − Σa + Σe·x ≤ I·(VA − Σλ·a + Σv·x)."""
    min_industrial_share: np.ndarray | None = None
    """(Z,) least share of a zone's allocated land (new and revitalised) that goes to
    industrial sectors (工业用地控制线); 0 or None = no floor."""
    industrial_sectors: np.ndarray | None = None
    """(S,) bool: the sectors whose land is industrial land (required with the floor)."""

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "year", int(self.year))
        zone_ids = tuple(str(z) for z in self.zone_ids)
        sectors = tuple(str(s) for s in self.sectors)
        for name, ids in (("zone_ids", zone_ids), ("sectors", sectors)):
            if len(set(ids)) != len(ids):
                raise ValueError(f"Snapshot.{name}: each must be unique")
            put(self, name, ids)
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

        measures = tuple(str(m) for m in self.abatement_measures)
        if len(set(measures)) != len(measures):
            raise ValueError("Snapshot.abatement_measures: each must be unique")
        put(self, "abatement_measures", measures)
        for name, rule in FIELD_RULES.items():
            put(self, name, checked(name, getattr(self, name), rule, nz, ns, len(measures)))
        given = [n for n in ABATEMENT_FIELDS if getattr(self, n) is not None]
        if (given or measures) and len(given) != len(ABATEMENT_FIELDS):
            raise ValueError(
                "Snapshot: abatement needs abatement_measures and all of "
                f"{', '.join(ABATEMENT_FIELDS)} (given: {', '.join(given) or 'none'})"
            )

        share_rule = FieldRule(share=True)
        shares: dict[str, float] = {}
        for belt, share in dict(self.min_share_by_belt).items():
            if belt not in BELTS:
                raise ValueError(
                    f"Snapshot.min_share_by_belt: unknown belt {belt!r}; allowed: {sorted(BELTS)}"
                )
            shares[belt] = _number(f"Snapshot.min_share_by_belt[{belt}]", share, share_rule)
        put(self, "min_share_by_belt", FrozenMap(dict(sorted(shares.items()))))

        if self.min_industrial_share is not None and self.industrial_sectors is None:
            raise ValueError(
                "Snapshot.min_industrial_share needs industrial_sectors "
                "(which sectors count as industrial land)"
            )

        if self.min_investment_wan_per_mu is not None and self.investment_wan_per_mu is None:
            raise ValueError(
                "Snapshot.min_investment_wan_per_mu needs investment_wan_per_mu "
                "(the zone-sector investment intensity to compare with)"
            )

    @property
    def floor_zones(self) -> np.ndarray:
        """(Z,) bool: zones with an industrial-land floor above 0."""
        if self.min_industrial_share is None:
            return np.zeros(len(self.zone_ids), dtype=bool)
        return self.min_industrial_share > 0

    @property
    def effective_allowed(self) -> np.ndarray:
        """(Z,S) bool: allowed and, where given, at or above the sector's minimum investment."""
        mask = self.allowed.copy()
        if self.min_investment_wan_per_mu is not None and self.investment_wan_per_mu is not None:
            mask &= self.investment_wan_per_mu >= self.min_investment_wan_per_mu[np.newaxis, :]
        mask.setflags(write=False)
        return mask

    @property
    def has_abatement(self) -> bool:
        """Whether the LP has abatement columns a[z,j] this year."""
        return bool(self.abatement_measures)

    @property
    def abatement_net_wan_per_t(self) -> np.ndarray:
        """(Z,J) objective coefficient of a[z,j]: carbon price − cost (万元 per t abated).

        A tonne abated costs c and saves the carbon price p on that tonne; empty (Z,0)
        without abatement.
        """
        if self.abatement_cost_wan_per_t is None:
            return np.zeros((len(self.zone_ids), 0))
        return self.carbon_price_wan_per_t - self.abatement_cost_wan_per_t

    @property
    def net_value_wan_per_mu(self) -> np.ndarray:
        """(Z,S) objective coefficient: va_per_mu − carbon_price × co2_per_mu (万元/mu/yr)."""
        return self.va_per_mu - self.carbon_price_wan_per_t * self.co2_per_mu


@dataclass(frozen=True)
class SolveOptions:
    """How to solve every year of a run: set once, from the scenario's `optimizer` section.

    `solver` "glpk" (default) or "highs"; `time_limit_s` per solve (s, > 0); `mip_gap`
    the relative gap at which a whole-project MIP stops (≥ 0); `on_infeasible` "relax"
    (report the carbon gap and go on) or "stop" (raise `InfeasibleError`); `projects`
    allocates land in whole projects of `Snapshot.project_size_mu` (a MIP, no duals).
    """

    solver: Literal["glpk", "highs"] = "glpk"
    time_limit_s: float = 60.0
    mip_gap: float = 0.01
    on_infeasible: Literal["relax", "stop"] = "relax"
    projects: bool = False

    def __post_init__(self) -> None:
        if self.solver not in ("glpk", "highs"):
            raise ValueError(f"SolveOptions.solver: {self.solver!r}; allowed: 'glpk', 'highs'")
        if self.on_infeasible not in ("relax", "stop"):
            raise ValueError(
                f"SolveOptions.on_infeasible: {self.on_infeasible!r}; allowed: 'relax', 'stop'"
            )
        put = object.__setattr__
        put(
            self,
            "time_limit_s",
            _number("SolveOptions.time_limit_s", self.time_limit_s, FieldRule(lower="> 0")),
        )
        put(self, "mip_gap", _number("SolveOptions.mip_gap", self.mip_gap, FieldRule()))
        put(self, "projects", bool(self.projects))

    def check(self, snapshot: Snapshot) -> None:
        """Raise ValueError if the snapshot lacks what these options need (project sizes)."""
        if self.projects and snapshot.project_size_mu is None:
            raise ValueError("Snapshot.project_size_mu is required when SolveOptions.projects")
