"""The scenario schema: YAML in, one frozen, validated `Scenario` out.

A scenario file may `extends:` another (path relative to the file) and override
any key; `--set key.path=value` overrides are applied last. Every numeric lever
that can change over time is a `Path`: a single value, or `{year: value}`
interpolated linearly between the given years and held flat outside them.
"No limit" is `null` (None) and generates no constraint.
"""

from __future__ import annotations

import difflib
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from models.carbon import CARBON_MEASURES

log = logging.getLogger(__name__)

SCENARIO_DIR = FsPath(__file__).resolve().parent.parent / "scenarios"

def path_value(path: Any, year: int) -> float | None:
    """Value of a time path in `year`: a number, or {year: value} interpolated linearly
    between given years and held flat outside them. None means no limit: as the whole
    path, or as a year's value (no limit from that year until the next given year)."""
    # Moved here from models/drivers.py (the model reads only resolved levers); the
    # scenario package's paths.py takes it over.
    if path is None:
        return None
    if not isinstance(path, dict):
        return float(path)
    years = sorted(path)
    before = [y for y in years if y <= year]
    if not before:  # before the first given year: its value, flat
        first = path[years[0]]
        return None if first is None else float(first)
    y0 = before[-1]
    v0 = path[y0]
    if v0 is None:
        return None
    after = [y for y in years if y > year]
    if not after or path[after[0]] is None:
        return float(v0)
    y1 = after[0]
    w = (year - y0) / (y1 - y0)
    return float(v0 * (1 - w) + path[y1] * w)


TimePath = float | dict[int, float]
"""A number, or {year: number} interpolated linearly and held flat outside."""

LimitPath = float | dict[int, float | None]
"""A limit that may be absent in some years: {2022: null, 2023: 368} means no limit
up to 2022, then 368 (interpolated towards the next number, flat after the last)."""


def Lever(lo: float | None = None, hi: float | None = None, *, positive: bool = False) -> Any:
    """A numeric lever: a number or a {year: number} phase-in, every number in [lo, hi]
    (above lo, not equal, if `positive`)."""
    return Annotated[
        TimePath, AfterValidator(partial(_check_path, lo=lo, hi=hi, positive=positive))
    ]


def WholeLever(lo: int, hi: int) -> Any:
    """A lever counted in whole years: an integer or {year: integer}; a year between two
    given years takes the interpolated value rounded to the nearest whole year."""
    return Annotated[int | dict[int, int], AfterValidator(partial(_check_path, lo=lo, hi=hi))]


def Limit(lo: float | None = None, hi: float | None = None) -> Any:
    """A limit: a number or {year: number or null}; null (None) means no limit."""
    return Annotated[LimitPath, AfterValidator(partial(_check_path, lo=lo, hi=hi))]


Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Belt = Literal["yangtze", "canal", "coastal"]
EVAL_INDICATORS = (
    "tax_per_mu",
    "output_per_mu",
    "va_per_mu",
    "va_per_tce",
    "va_per_tco2",
    "rd_share",
    "va_per_worker",
    "tax_per_kwh",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_path(
    value: Any, *, lo: float | None = None, hi: float | None = None, positive: bool = False
) -> Any:
    """Range-check every number of a time path (a scalar or {year: value})."""
    values = value.values() if isinstance(value, dict) else [value]
    for v in values:
        if v is None:
            continue
        if positive and lo is not None and v <= lo:
            raise ValueError(f"{v} must be above {lo}")
        if lo is not None and v < lo:
            raise ValueError(f"{v} is below the allowed minimum {lo}")
        if hi is not None and v > hi:
            raise ValueError(f"{v} is above the allowed maximum {hi}")
    if isinstance(value, dict):
        if not value:
            raise ValueError("a {year: value} path needs at least one year")
        for y in value:
            if not 1990 <= y <= 2100:
                raise ValueError(f"year {y} is outside 1990-2100")
    return value


class Years(_Frozen):
    """Base year (the calibrated state) and the last simulated year."""

    base: int = Field(2020, ge=2000, le=2060)
    end: int = Field(2025, ge=2001, le=2070)

    @model_validator(mode="after")
    def _ordered(self) -> Years:
        if self.end <= self.base:
            raise ValueError(f"end year {self.end} must be after the base year {self.base}")
        return self


class DataConfig(_Frozen):
    """Where the zone, sector and firm data come from (paths relative to scenarios/)."""

    zones: str = "data/zones.csv"
    sectors: str = "data/sectors.csv"
    cities: str = "data/cities.csv"
    targets: str = "data/calibration_targets.csv"
    boundaries: str = "data/jiangsu_cities.geojson"
    firms: str = "synthesize"
    firm_scale: float = Field(1.0, gt=0.0, le=20.0)
    calibrate: bool = True
    firm_size_sigma: float = Field(1.0, ge=0.0, le=3.0)
    idle_share_2020: Share = 0.05
    ready_share_2020: Share = 0.01
    development_rate_2020: float = Field(0.90, gt=0.0, le=1.0)


class Economy(_Frozen):
    """Growth, efficiency and the grid: the drivers of step 1."""

    growth_multiplier: Lever(0.0, 10.0) = 1.0
    sector_growth: dict[str, Lever(-0.5, 1.0)] = Field(default_factory=dict)
    efficiency_gain_multiplier: Lever(0.0, 10.0) = 1.0
    grid_factor_t_per_mwh: Lever(0.0, 2.0) = Field(
        default_factory=lambda: {2020: 0.6451, 2021: 0.6451, 2022: 0.5978, 2025: 0.55, 2035: 0.42}
    )
    province_gdp_growth: Lever(-0.5, 0.5) = Field(
        default_factory=lambda: {2021: 0.086, 2022: 0.028, 2023: 0.058, 2024: 0.058, 2025: 0.055}
    )
    incumbent_growth_share: Lever(0.0, 1.0) = 0.6
    entry_ramp_years: WholeLever(1, 10) = 3
    firm_shock_sd: Lever(0.0, 0.5) = 0.05
    density_cap_factor: Lever(1.0, 10.0) = 1.5
    new_firm_efficiency: Lever(0.0, 2.0, positive=True) = 0.8
    frontier_zone_elasticity: Lever(0.0, 2.0) = 0.5


class Land(_Frozen):
    """New quota, stock revitalisation (盘活存量) and quota linking (增存挂钩)."""

    new_quota_mu: Limit(0.0) | None = 40000.0
    link_base_share: Lever(0.0, 1.0) = 0.5
    link_ratio: Lever(0.0, 10.0) = 1.0
    reclamation_rate: Lever(0.0, 1.0) = 0.25
    reclamation_budget_wan: Limit(0.0) | None = None
    reclamation_cost_wan_per_mu: Lever(0.0) = 8.0
    recovery_lag_years: WholeLever(0, 10) = 1
    recovery_instrument: Literal["free", "buyback"] = "buyback"
    buyback_cost_wan_per_mu: Lever(0.0) = 30.0
    a_class_land_priority: Lever(0.0) = 1.0
    idle_supply_share: Lever(0.0, 1.0) = 0.0
    development_deadline_years: WholeLever(1, 10) = 2
    demand_multiplier: Lever(0.0) | None = 1.5
    leading_entry_projects: Lever(0.0) = 1.0


def _knot_years(*paths: Any) -> list[int | None]:
    """The years at which a sum or order of several paths must be checked: every year
    any of them gives (between those years each path is linear, so a check at the
    knots covers every year); [None] if all are plain numbers."""
    years = sorted({y for p in paths if isinstance(p, dict) for y in p})
    return years or [None]


def _at(path: Any, year: int | None) -> float:
    return float(path_value(path, year if year is not None else 0))


class ClassShares(_Frozen):
    """Shares of evaluated firms in classes A/B/C/D, best first; they sum to 1 in every
    year."""

    A: Lever(0.0, 1.0) = 0.20
    B: Lever(0.0, 1.0) = 0.40
    C: Lever(0.0, 1.0) = 0.35
    D: Lever(0.0, 1.0) = 0.05

    @model_validator(mode="after")
    def _sum(self) -> ClassShares:
        for y in _knot_years(self.A, self.B, self.C, self.D):
            total = sum(_at(p, y) for p in (self.A, self.B, self.C, self.D))
            if abs(total - 1.0) > 1e-6:
                when = "" if y is None else f" in {y}"
                raise ValueError(f"class shares must sum to 1, they sum to {total:.4f}{when}")
        return self


class ClassCutoffs(_Frozen):
    """Absolute score cut-offs: score ≥ A is class A, ≥ B is B, ≥ C is C, else D."""

    A: Lever(0.0)
    B: Lever(0.0)
    C: Lever(0.0)

    @model_validator(mode="after")
    def _order(self) -> ClassCutoffs:
        for y in _knot_years(self.A, self.B, self.C):
            a, b, c = (_at(p, y) for p in (self.A, self.B, self.C))
            if not a >= b >= c:
                when = "" if y is None else f" in {y}"
                raise ValueError(f"cut-offs must descend A ≥ B ≥ C, got {a}, {b}, {c}{when}")
        return self


ClassTable = dict[Literal["A", "B", "C", "D"], Lever(0.0)]


class Evaluation(_Frozen):
    """Per-mu evaluation (亩均效益评价) and differentiated prices."""

    weights: dict[str, Lever(0.0)] = Field(
        default_factory=lambda: {
            "tax_per_mu": 30.0,
            "va_per_mu": 20.0,
            "va_per_tce": 20.0,
            "va_per_tco2": 10.0,
            "va_per_worker": 10.0,
            "rd_share": 10.0,
        }
    )
    benchmark: Literal["zone", "city", "province"] = "province"
    within_sector: bool = False
    score_cap: Lever(0.0, positive=True) = 3.0
    class_shares: ClassShares = Field(default_factory=ClassShares)
    class_cutoffs: ClassCutoffs | None = None
    small_firm_output_wan: Lever(0.0) = 2000.0
    small_firm_weights: dict[str, Lever(0.0)] = Field(
        default_factory=lambda: {"tax_per_mu": 50.0, "tax_per_kwh": 50.0}
    )
    exempt_age_years: WholeLever(0, 10) = 2
    exempt_sectors: tuple[str, ...] = ()
    surcharge_yuan_per_kwh: ClassTable = Field(
        default_factory=lambda: {"A": 0.0, "B": 0.0, "C": 0.05, "D": 0.3}
    )
    land_tax_surcharge_wan_per_mu: ClassTable = Field(
        default_factory=lambda: {"A": 0.0, "B": 0.0, "C": 0.0, "D": 0.0}
    )
    fossil_surcharge_yuan_per_tce: ClassTable = Field(
        default_factory=lambda: {"A": 0.0, "B": 0.0, "C": 0.0, "D": 0.0}
    )
    water_surcharge_yuan_per_m3: ClassTable = Field(
        default_factory=lambda: {"A": 0.0, "B": 0.0, "C": 0.0, "D": 0.0}
    )
    efficiency_response: Lever(0.0) = 0.5

    @field_validator("weights", "small_firm_weights")
    @classmethod
    def _weights(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if key not in EVAL_INDICATORS:
                raise ValueError(
                    f"unknown indicator {key!r}; allowed: {', '.join(EVAL_INDICATORS)}"
                )
        for y in _knot_years(*v.values()):
            if sum(_at(p, y) for p in v.values()) <= 0:
                when = "" if y is None else f" (in {y})"
                raise ValueError(f"at least one indicator needs a positive weight{when}")
        return v


class Exit(_Frozen):
    """Low-efficiency exit (低效退出)."""

    mode: Literal["mandatory", "market", "off"] = "mandatory"
    rectification_years: WholeLever(1, 20) = 3
    market_hazard_base: Lever(0.0, 1.0) = 0.01
    market_hazard_per_margin_loss: Lever(0.0) = 2.0


class Carbon(_Frozen):
    """Dual control of carbon (双控): total cap and intensity target of the province, and
    optionally of each belt or zone; enforcement when a cap binds."""

    total_cap_mt: Limit(0.0) | None = None
    intensity_reduction_vs_base: Limit(-1.0, 1.0) | None = Field(
        default_factory=lambda: {2020: 0.0, 2025: 0.18, 2030: 0.33, 2035: 0.45}
    )
    belt_caps_mt: dict[Belt, Limit(0.0) | None] = Field(default_factory=dict)
    belt_intensity_reduction_vs_base: dict[Belt, Limit(-1.0, 1.0) | None] = Field(
        default_factory=dict
    )
    zone_caps_mt: dict[str, Limit(0.0) | None] = Field(default_factory=dict)
    zone_intensity_reduction_vs_base: dict[str, Limit(-1.0, 1.0) | None] = Field(
        default_factory=dict
    )
    enforcement: tuple[Literal[CARBON_MEASURES], ...] = CARBON_MEASURES
    retrofit_cost_wan_per_t: Lever(0.0) = 0.03
    retrofit_max_share: Lever(0.0, 1.0) = 0.05
    curtailment_max_share: Lever(0.0, 1.0) = 0.10
    carbon_price_wan_per_t: Lever(0.0) = 0.0

    @field_validator("enforcement")
    @classmethod
    def _once_each(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        twice = sorted({m for m in v if v.count(m) > 1})
        if twice:
            raise ValueError(f"each measure at most once; listed twice: {', '.join(twice)}")
        return v


class Ban(_Frozen):
    """No new land for `sector` in zones of `belt` (or the listed zones), except flagged zones."""

    sector: str
    belt: Belt | None = None
    zones: tuple[str, ...] = ()
    except_flag: Literal["chemical_park", "eco_park", "intl_coop_park"] | None = None

    @model_validator(mode="after")
    def _target(self) -> Ban:
        if self.belt is None and not self.zones:
            raise ValueError("a ban needs a belt or a list of zones")
        return self


class Optimizer(_Frozen):
    """The yearly land-quota allocation (optimize/)."""

    solver: Literal["glpk", "highs"] = "glpk"
    on_infeasible: Literal["relax", "stop"] = "relax"
    bans: tuple[Ban, ...] = (Ban(sector="chemicals", belt="yangtze", except_flag="chemical_park"),)
    min_share_by_belt: dict[Belt, Lever(0.0, 1.0)] = Field(default_factory=dict)
    max_zone_share: Lever(0.0, 1.0, positive=True) | None = None
    projects: bool = False
    time_limit_s: float = Field(60.0, gt=0.0)


class Relocation(_Frozen):
    """Move `sector` out of `from_belt` into `to_belt` over `years` years from `start`."""

    sector: str
    from_belt: Belt
    to_belt: Belt
    start: int = Field(ge=2000, le=2070)
    years: int = Field(5, ge=1, le=30)
    to_flag: Literal["chemical_park", "eco_park", "intl_coop_park"] | None = "chemical_park"
    to_flag_only: bool = False
    keep_flag: Literal["chemical_park", "eco_park", "intl_coop_park"] | None = None

    @model_validator(mode="after")
    def _two_belts(self) -> Relocation:
        if self.from_belt == self.to_belt:
            raise ValueError(f"from_belt and to_belt are both {self.from_belt!r}; they must differ")
        if self.to_flag_only and self.to_flag is None:
            raise ValueError(
                "to_flag_only needs a to_flag (chemical_park, eco_park, intl_coop_park)"
            )
        return self


class SectorPolicy(_Frozen):
    """Sector policy beyond bans: relocations."""

    relocations: tuple[Relocation, ...] = ()


class Integration(_Frozen):
    """Zone integration (一区多园): merge small, weak provincial zones into a host."""

    year: int | None = None
    max_approved_area_mu: Lever(0.0) = 15000.0
    output_per_mu_quantile: Lever(0.0, 1.0) = 0.25
    max_class_a_share: Lever(0.0, 1.0) = 1.0


class Distribution(_Frozen):
    """An uncertain lever for ensembles: uniform(low, high), triangular(low, mode, high),
    normal(mean, sd) truncated to [low, high] where either is given, choice(values)."""

    dist: Literal["uniform", "normal", "triangular", "choice"]
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    values: tuple[float, ...] = ()

    @model_validator(mode="after")
    def _params(self) -> Distribution:
        need = {
            "uniform": ("low", "high"),
            "triangular": ("low", "mode", "high"),
            "normal": ("mean", "sd"),
            "choice": (),
        }[self.dist]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.dist} needs {', '.join(need)}; missing {', '.join(missing)}")
        if self.dist == "choice" and not self.values:
            raise ValueError("choice needs a non-empty list of values")
        if self.dist in ("uniform", "triangular") and not self.low <= self.high:
            raise ValueError(f"low {self.low} must not exceed high {self.high}")
        if self.dist == "triangular" and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode {self.mode} must lie in [{self.low}, {self.high}]")
        if self.dist == "normal" and self.sd < 0:
            raise ValueError(f"sd {self.sd} must be ≥ 0")
        if self.dist == "normal" and None not in (self.low, self.high) and self.low > self.high:
            raise ValueError(f"low {self.low} must not exceed high {self.high}")
        if self.dist == "normal" and self._normal_mass() < 1e-3:
            bounds = " and ".join(
                f"{k} {v}" for k, v in (("low", self.low), ("high", self.high)) if v is not None
            )
            raise ValueError(
                f"{bounds} keep less than 0.1 % of normal(mean {self.mean}, sd {self.sd}); "
                "put the mean inside the bounds or widen them"
            )
        return self

    def _normal_mass(self) -> float:
        """The share of the normal inside [low, high] (a missing bound is no bound)."""
        if self.sd == 0:
            inside = (self.low is None or self.low <= self.mean) and (
                self.high is None or self.mean <= self.high
            )
            return float(inside)

        def cdf(x: float | None, default: float) -> float:
            if x is None:
                return default
            return 0.5 * (1.0 + math.erf((x - self.mean) / (self.sd * math.sqrt(2.0))))

        return cdf(self.high, 1.0) - cdf(self.low, 0.0)

    def draw(self, rng: Any) -> float:
        """One value from a numpy Generator."""
        if self.dist == "uniform":
            return float(rng.uniform(self.low, self.high))
        if self.dist == "triangular":
            if self.low == self.high:
                return float(self.low)
            return float(rng.triangular(self.low, self.mode, self.high))
        if self.dist == "normal":  # truncated to [low, high] where given, by redrawing
            lo = -math.inf if self.low is None else self.low
            hi = math.inf if self.high is None else self.high
            while True:  # ≥ 0.1 % of the mass lies inside (validated): ends quickly
                x = float(rng.normal(self.mean, self.sd))
                if lo <= x <= hi:
                    return x
        return float(self.values[int(rng.integers(len(self.values)))])


class Report(_Frozen):
    """Language and charts of the run folder."""

    language: Literal["en", "zh"] = "en"
    charts: bool = True


class Scenario(_Frozen):
    """A fully resolved scenario: every lever with its value."""

    name: str = Field("baseline", pattern=r"^[A-Za-z0-9_.\-]+$", max_length=80)
    description: str = ""
    seed: int = Field(20210101, ge=0)
    years: Years = Field(default_factory=Years)
    data: DataConfig = Field(default_factory=DataConfig)
    economy: Economy = Field(default_factory=Economy)
    land: Land = Field(default_factory=Land)
    evaluation: Evaluation = Field(default_factory=Evaluation)
    exit: Exit = Field(default_factory=Exit)
    carbon: Carbon = Field(default_factory=Carbon)
    optimizer: Optimizer = Field(default_factory=Optimizer)
    integration: Integration = Field(default_factory=Integration)
    sector_policy: SectorPolicy = Field(default_factory=SectorPolicy)
    uncertainty: dict[str, Distribution] = Field(default_factory=dict)
    report: Report = Field(default_factory=Report)
    source_dir: str = Field(str(SCENARIO_DIR), exclude=True)
    source_file: str = Field("", exclude=True)  # the file it was read from, for messages

    @model_validator(mode="after")
    def _integration_year(self) -> Scenario:
        y = self.integration.year
        if y is not None and not self.years.base < y <= self.years.end:
            raise ValueError(
                f"integration.year {y} must lie in the simulated years "
                f"{self.years.base + 1}-{self.years.end} (years.base + 1 to years.end)"
            )
        return self

    @model_validator(mode="after")
    def _uncertain_levers(self) -> Scenario:
        from sim.levers import schema_keys

        keys = schema_keys()
        dumped = self.model_dump()
        for key in self.uncertainty:
            parts = key.split(".")
            if parts[0] in _FIXED_IN_ENSEMBLE:
                raise ValueError(f"uncertainty.{key}: {_FIXED_IN_ENSEMBLE[parts[0]]}")
            found, node = _lever_default(dumped, key)
            if not found:
                near = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
                hint = f"; did you mean {near[0]}?" if near else ""
                raise ValueError(f"uncertainty.{key}: not a lever{hint}")
            names = _entry_names(parts[:-1])
            if names is not None and parts[-1] not in names:
                raise ValueError(
                    f"uncertainty.{key}: {parts[-1]!r} is not an entry of "
                    f"{'.'.join(parts[:-1])}; allowed: {', '.join(names)}"
                )
            if isinstance(node, bool) or not isinstance(node, int | float | dict | type(None)):
                raise ValueError(f"uncertainty.{key}: not a numeric lever (default {node!r})")
            if isinstance(node, dict) and not (node and all(isinstance(y, int) for y in node)):
                first = next(iter(node), "NAME")
                raise ValueError(
                    f"uncertainty.{key}: a group of levers; draw one of its entries, "
                    f"e.g. {key}.{first}"
                )
        return self

    def at(self, year: int) -> Scenario:
        """The scenario as it stands in `year`: every phased-in lever replaced by its
        value that year (levers in whole years rounded to the nearest year). The model
        reads its levers from this view each year."""
        return _resolve(self, year)

    def sample(self, rng: Any) -> dict[str, float]:
        """One draw of every uncertain lever, as --set style overrides (keys sorted, so
        the same generator gives the same draw whatever the file's key order). A lever
        counted in whole years gets its draw rounded to the nearest year."""
        out: dict[str, float] = {}
        for key in sorted(self.uncertainty):
            value = self.uncertainty[key].draw(rng)
            out[key] = math.floor(value + 0.5) if _counts_whole(key.split(".")) else value
        return out

    @property
    def sim_years(self) -> range:
        """The simulated years (base year excluded)."""
        return range(self.years.base + 1, self.years.end + 1)

    def data_path(self, rel: str) -> FsPath:
        """Resolve a data path: absolute, else relative to the scenario's folder, else to
        the shipped scenarios/ folder (so a scenario copied elsewhere still finds the
        default data)."""
        p = FsPath(rel)
        if p.is_absolute():
            return p
        local = FsPath(self.source_dir) / p
        return local if local.exists() else SCENARIO_DIR / p

    def to_yaml(self) -> str:
        """The resolved scenario as YAML (what a run folder's scenario.yaml holds)."""
        return yaml.safe_dump(self.model_dump(mode="json"), allow_unicode=True, sort_keys=False)


def _lever_default(dumped: dict[str, Any], key: str) -> tuple[bool, Any]:
    """(is `key` a lever, its default). An entry of a mapping lever counts even when the
    default lacks it (economy.sector_growth.chemicals, evaluation.weights.rd_share)."""
    node: Any = dumped
    parts = key.split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, dict):
            return False, None
        if part not in node:
            return i == len(parts) - 1 and i > 0 and _is_mapping_lever(parts[:i]), None
        node = node[part]
    return True, node


_FIXED_IN_ENSEMBLE = {
    "seed": "the seed is not a lever: the ensemble gives member i the i-th child of the "
    "scenario's seed",
    "years": "the simulated years must be the same in every member; set them in years:",
    "data": "the data a run starts from is the same in every member; set it in data:",
    "report": "report settings are not levers",
}
"""Top-level keys that an uncertainty block may not draw, with the reason."""


def _entry_names(parts: list[str]) -> tuple[str, ...] | None:
    """The names the mapping lever at `parts` may hold, when the schema fixes them
    (belts, classes, indicators); None when they are data names or `parts` is no
    mapping lever (sectors and zones are checked against the data: sim.data.check_names)."""
    if not parts or not _is_mapping_lever(parts):
        return None
    if parts[-1] in ("weights", "small_firm_weights"):
        return tuple(EVAL_INDICATORS)
    key_type = _annotation(parts).__args__[0]
    return tuple(get_args(key_type)) if get_origin(key_type) is Literal else None


def _annotation(parts: list[str]) -> Any:
    """The schema type at a dotted key (through sub-models and name-keyed mappings)."""
    ann: Any = Scenario
    for part in parts:
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            info = ann.model_fields.get(part)
            if info is None:
                return None
            ann = info.annotation
        elif getattr(ann, "__origin__", None) is dict:
            ann = ann.__args__[1]
        else:
            return None
    return ann


def _counts_whole(parts: list[str]) -> bool:
    """Is the lever at `parts` counted in whole numbers (years, a year, a seed)?"""

    def leaves(t: Any) -> set[Any]:  # the plain types a value may take ({year: v}: v's)
        if getattr(t, "__origin__", None) is dict:
            return leaves(t.__args__[1])
        args = getattr(t, "__args__", ())  # a union, or Annotated[X, ...] (args (X,))
        return set().union(*(leaves(a) for a in args)) if args else {t}

    found = leaves(_annotation(parts))
    return int in found and float not in found


def _is_mapping_lever(parts: list[str]) -> bool:
    """Is the schema field at `parts` a dict of levers keyed by name (not a sub-model)?"""
    model: Any = Scenario
    for part in parts:
        info = model.model_fields.get(part) if isinstance(model, type) else None
        if info is None:
            return False
        model = info.annotation
    if getattr(model, "__origin__", None) is not dict:
        return False
    value_type = model.__args__[1]
    return not (isinstance(value_type, type) and issubclass(value_type, BaseModel))


def _resolve(node: Any, year: int) -> Any:
    """`node` with every {year: value} path replaced by its value in `year`."""
    if isinstance(node, BaseModel):
        values = {name: _resolve(getattr(node, name), year) for name in type(node).model_fields}
        return type(node).model_construct(**values)
    if isinstance(node, dict):
        if node and all(isinstance(k, int) for k in node):
            v = path_value(node, year)
            whole = all(isinstance(x, int) for x in node.values() if x is not None)
            return v if v is None or not whole else math.floor(v + 0.5)
        return {k: _resolve(v, year) for k, v in node.items()}
    if isinstance(node, tuple):
        return tuple(_resolve(v, year) for v in node)
    return node


class ScenarioError(ValueError):
    """A scenario that cannot be read or validated; the message lists every problem."""

    def __init__(self, file: str, problems: list[str]):
        self.file = file
        self.problems = problems
        body = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{file}: {len(problems)} problem(s)\n{body}")


def _deep_merge(
    base: dict[str, Any], over: Mapping[str, Any], path: tuple[str, ...] = ()
) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        here = (*path, str(k))
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            # A {year: value} path replaces, never merges: a new path is a new path. An
            # empty mapping replaces too (`belt_caps_mt: {}` removes the parent's caps),
            # except an empty section (`carbon: {}`), which changes nothing.
            if not v:
                replace = not _is_section(list(here))
            else:
                replace = all(isinstance(x, int) for x in v) or all(
                    isinstance(x, int) for x in out[k]
                )
            if replace:
                out[k] = dict(v)
            else:
                out[k] = _deep_merge(dict(out[k]), v, here)
        else:
            out[k] = v
    return out


def _is_section(parts: list[str]) -> bool:
    """Is the schema field at `parts` a section of the scenario (a sub-model such as
    `carbon`), rather than a value or a mapping keyed by name or year?"""
    ann = _annotation(parts)
    return isinstance(ann, type) and issubclass(ann, BaseModel)


Lines = dict[str, str]
"""key path ("land.link_ratio") -> where it was written ("file.yaml:12")."""


def _key_lines(node: yaml.Node, path: FsPath, prefix: str, out: Lines) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        name = f"{prefix}{key.value}"
        out[name] = f"{path}:{key.start_mark.line + 1}"
        _key_lines(value, path, f"{name}.", out)


def _read_yaml(
    path: FsPath, chain: tuple[FsPath, ...], lines: Lines | None = None
) -> dict[str, Any]:
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ScenarioError(str(chain[0]), [f"extends: cycle {cycle}"])
    if not path.is_file():
        who = f"extends: in {chain[-1]} names" if chain else "scenario file"
        raise ScenarioError(str(chain[0] if chain else path), [f"{who} {path}: no such file"])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ScenarioError(str(path), [f"not valid YAML: {exc}"]) from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), ["not UTF-8 text"]) from None
    if not isinstance(raw, dict):
        raise ScenarioError(str(path), ["the top level must be a mapping of keys"])
    parent = raw.pop("extends", None)
    own: Lines = {}
    _key_lines(yaml.compose(path.read_text(encoding="utf-8")), path, "", own)
    if parent is None:
        base: dict[str, Any] = {}
    else:
        base = _read_yaml((path.parent / str(parent)).resolve(), (*chain, path), lines)
    if lines is not None:
        lines.update(own)  # the child's lines win over its parent's
    return _deep_merge(base, raw)


def parse_override(item: str) -> tuple[str, Any]:
    """Split `key.path=value` and parse the value as YAML (numbers, lists, null)."""
    if "=" not in item:
        raise ScenarioError("--set", [f"{item!r}: expected key.path=value"])
    key, _, text = item.partition("=")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = text
    return key.strip(), value


def apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys in a raw scenario dict (copying along the path)."""
    out = dict(raw)
    for dotted, value in overrides.items():
        node = out
        parts = dotted.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            child = dict(child) if isinstance(child, Mapping) else {}
            node[part] = child
            node = child
        node[parts[-1]] = value
    return out


def _valid_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        full = f"{prefix}{name}"
        keys.append(full)
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys.extend(_valid_keys(ann, f"{full}."))
    return keys


_OVERRIDES = ("--set", "uncertainty draw")

_BRANCHES = {
    "float",
    "int",
    "dict[int,float]",
    "dict[int,int]",
    "dict[int,nullable[float]]",
    "function-after[_ordered(), Years]",
}


def _where(loc: str, lines: Lines) -> str:
    """The file:line of the longest prefix of `loc` that a file wrote, else ''. An
    override (--set, an ensemble draw) of `loc` or of a key below it is named instead:
    it changed the value that failed."""
    below = [v for k, v in lines.items() if k.startswith(f"{loc}.") and v in _OVERRIDES]
    if below and lines.get(loc) not in _OVERRIDES:
        return f" ({below[0]})"
    parts = loc.split(".")
    for n in range(len(parts), 0, -1):
        hit = lines.get(".".join(parts[:n]))
        if hit:
            return f" ({hit})"
    return ""


def _describe(err: Mapping[str, Any], lines: Lines) -> str | None:
    """The problem in one line; None for a number-or-path lever given a mapping, where
    the scalar branch's complaint says nothing (the mapping's own errors say it)."""
    raw_loc = [str(p) for p in err["loc"]]
    in_union = any(p in _BRANCHES for p in raw_loc)
    kind = err["type"]
    given = err.get("input")
    branch = next((p for p in reversed(raw_loc) if p in _BRANCHES), "")
    if branch in ("float", "int") and raw_loc[-1] == branch and isinstance(given, Mapping):
        return None
    in_path = branch.startswith("dict[int,")
    if in_path and raw_loc[-1] == "[key]":
        raw_loc.pop()
        kind, err = "year_key", {**err, "msg": "expected a year (such as 2025) as the key"}
    loc = ".".join(p for p in raw_loc if p not in _BRANCHES and not p.startswith("function-"))
    if kind == "extra_forbidden":
        keys = _valid_keys(Scenario)
        if loc.startswith("uncertainty.") and len(raw_loc) == 3:  # a distribution's key
            keys = list(Distribution.model_fields)
            near = difflib.get_close_matches(raw_loc[-1], keys, n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]}?" if near else f"; allowed: {', '.join(keys)}"
            return f"{loc}: unknown key of a distribution{hint}{_where(loc, lines)}"
        near = difflib.get_close_matches(loc, keys, n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]}?" if near else ""
        return f"{loc}: unknown key{hint}{_where(loc, lines)}"
    msg = err["msg"].removeprefix("Value error, ")
    if in_union and kind in ("float_type", "float_parsing", "dict_type", "int_parsing", "int_type"):
        msg = "expected a number" if in_path else "expected a number or a {year: number} mapping"
    if in_union and kind == "int_from_float":
        msg = (
            "expected a whole number"
            if in_path
            else "expected a whole number of years, or a {year: whole number} mapping"
        )
    if not loc:  # a check across sections: name who set each key its message names
        keys = dict.fromkeys(re.findall(r"\b[a-z_]+(?:\.[\w]+)+", msg))
        found = [(k, _where(k, lines)) for k in keys]
        found = [(k, w) for k, w in found if w]
        if len(found) == 1:
            return f"{msg}{found[0][1]}"
        named = "; ".join(f"{k}: {w[2:-1]}" for k, w in found)
        return f"{msg} ({named})" if found else msg
    shown = repr(given)
    if len(shown) > 80:
        shown = shown[:76] + " …" + shown[-1]
    return f"{loc}: {msg} (given: {shown}){_where(loc, lines)}"


def load_scenario(path: str | FsPath, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, merge (`extends:`), override and validate a scenario file.

    Raises ScenarioError listing every problem with its key path, the value given, what
    is allowed, and the file and line that wrote it.
    """
    return read_scenario(path).validate(overrides)


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario file read and merged with its parents, not yet validated: validate it
    with many sets of overrides (an ensemble's members) without reading it again."""

    path: FsPath
    raw: dict[str, Any]
    lines: Lines

    def validate(
        self, overrides: Mapping[str, Any] | None = None, drawn: Mapping[str, Any] | None = None
    ) -> Scenario:
        """The scenario with `overrides` (dotted keys, from --set) and then an ensemble
        member's `drawn` levers applied, validated; messages name which one set a key."""
        raw = apply_overrides(apply_overrides(self.raw, overrides or {}), drawn or {})
        lines = {
            **self.lines,
            **{k: "--set" for k in (overrides or {})},
            **{k: "uncertainty draw" for k in (drawn or {})},
        }
        raw.setdefault("name", self.path.stem)
        raw["source_dir"] = str(self.path.parent)
        raw["source_file"] = str(self.path)
        try:
            return Scenario.model_validate(raw)
        except ValidationError as exc:
            raise ScenarioError(str(self.path), _problems(exc, lines)) from None


def read_scenario(path: str | FsPath) -> ScenarioFile:
    """Read a scenario file and the files it extends (ScenarioError if unreadable)."""
    path = FsPath(path).resolve()
    lines: Lines = {}
    raw = _read_yaml(path, (), lines)
    return ScenarioFile(path, raw, lines)


def _problems(exc: ValidationError, lines: Lines) -> list[str]:
    """One line per problem, a value no branch of "number or {year: number}" takes
    reported once."""
    problems = []
    seen = set()
    for err in exc.errors():
        text = _describe(err, lines)
        if text is None:
            continue
        branches = [str(p) for p in err["loc"] if str(p) in _BRANCHES]
        key = text.split(":", 1)[0] if branches else text
        if key not in seen:
            seen.add(key)
            problems.append(text)
    return problems
