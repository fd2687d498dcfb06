"""The scenario schema: one frozen, validated `Scenario` with every lever and its value.

Every numeric lever that can change over time is a time path (sim.scenario.paths): a
single value, or `{year: value}` interpolated linearly between the given years and held
flat outside them. "No limit" is `null` (None) and generates no constraint. Reading
files, `extends:` and `--set` live in sim.scenario.load; messages in .messages.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from sim.scenario import keys
from sim.scenario.library import LIBRARY_DIR
from sim.scenario.names import CARBON_MEASURES, EVAL_INDICATORS, Belt, CarbonMeasure, Flag
from sim.scenario.paths import LimitPath, TimePath, check_path, knot_years, resolve, value_at

_INPUTS: dict[tuple[Any, ...], Any] = {}
"""Model inputs prepared by `Scenario.model_inputs`, oldest first."""
_INPUTS_KEPT = 4


@dataclass(frozen=True)
class Range:
    """The allowed values of a numeric field: bounds, whole numbers only, null allowed.

    The allowed values of a number: [lo, hi] (above lo, not equal, if `positive`),
    finite; `whole`: whole numbers only. Every numeric field of the schema carries one
    (tests/test_reliability_yaml.py checks), so messages and the lever table say it.
    """

    lo: float
    hi: float
    positive: bool = False
    whole: bool = False
    limit: bool = False  # null (None) allowed: no limit

    def text(self) -> str:
        """The allowed values in words, e.g. "a number from 0 to 1, or null (no limit)"."""
        kind = "a whole number" if self.whole else "a number"
        low = f"above {_fmt(self.lo)} and at most" if self.positive else f"from {_fmt(self.lo)} to"
        tail = ", or null (no limit)" if self.limit else ""
        return f"{kind} {low} {_fmt(self.hi)}{tail}"


def _fmt(x: float) -> str:
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e15):
        return str(int(x))
    return f"{x:g}"


def _finite_number(value: Any, allowed: str, year: Any = None) -> None:
    """Refuse a boolean or a non-finite number (also as text: "nan", "1e999")."""
    at = "" if year is None else f"in {year}: "
    if isinstance(value, bool):
        raise ValueError(
            f"{at}{str(value).lower()} is a boolean, not a number (write the number); "
            f"allowed: {allowed}"
        )
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return  # pydantic says it is not a number
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(
            f"{at}{value} is not a finite number (.nan and .inf are not allowed); "
            f"allowed: {allowed}"
        )


def _numbers(rng: Range, value: Any) -> Any:
    """Refuse booleans and non-finite numbers in a lever's raw value; return it unchanged.

    Before validation: no booleans and no non-finite numbers anywhere in a number or
    a {year: number} path (pydantic would take true as 1 and .nan as a number).
    """
    if isinstance(value, dict):
        for year, v in value.items():
            if isinstance(year, bool):
                raise ValueError(f"{year} as a year key: a {{year: value}} path needs years")
            if v is not None or not rng.limit:
                _finite_number(v, rng.text(), year)
    elif value is not None or not rng.limit:
        _finite_number(value, rng.text())
    return value


def _in_range(rng: Range, value: Any) -> Any:
    return check_path(value, lo=rng.lo, hi=rng.hi, positive=rng.positive, allowed=rng.text())


def _checked(base: Any, rng: Range) -> Any:
    return Annotated[
        base, rng, BeforeValidator(partial(_numbers, rng)), AfterValidator(partial(_in_range, rng))
    ]


def Lever(lo: float, hi: float, *, positive: bool = False) -> Any:
    """The field type of a numeric lever that may phase in over the years.

    A numeric lever: a number or a {year: number} phase-in, every number finite and in
    [lo, hi] (above lo, not equal, if `positive`).
    """
    return _checked(TimePath, Range(lo, hi, positive))


def WholeLever(lo: int, hi: int) -> Any:
    """The field type of a lever counted in whole years (a lag, a deadline) that may phase in.

    A lever counted in whole years: an integer or {year: integer}; a year between two
    given years takes the interpolated value rounded to the nearest whole year.
    """
    return _checked(int | dict[int, int], Range(lo, hi, whole=True))


def Limit(lo: float, hi: float) -> Any:
    """A limit: a number or {year: number or null}; null (None) means no limit."""
    return _checked(LimitPath, Range(lo, hi, limit=True))


def Number(lo: float, hi: float, *, positive: bool = False) -> Any:
    """A plain number (no phase-in), finite and in [lo, hi]."""
    return _checked(float, Range(lo, hi, positive))


def Whole(lo: int, hi: int) -> Any:
    """A plain whole number (no phase-in) in [lo, hi]."""
    return _checked(int, Range(lo, hi, whole=True))


Share = Number(0.0, 1.0)

FiniteFloat = Annotated[
    float, BeforeValidator(lambda v: (_finite_number(v, "a finite number"), v)[1])
]
"""A number in a lever's units (a distribution's parameter): finite, not a boolean."""

NAME_RULE = "letters, digits, _ . - only, starting with a letter or digit, at most 80 characters"
_NAME = re.compile(r"^[^\W_][\w.\-]{0,79}$")


def safe_name(text: str) -> str:
    """A valid scenario name (it names the run folder) made from free text.

    `text` made a valid scenario name: every run of characters a name may not hold
    (spaces, slashes, brackets, ...) replaced by "_" ("my scenario (v2)" ->
    "my_scenario_v2"); "scenario" if nothing is left.
    """
    slug = re.sub(r"[^\w.\-]+", "_", text).strip("_.-")[:80]
    return slug if _NAME.match(slug) else "scenario"


def name_from_file(path: Path) -> str:
    """A scenario's default name: its file name without .yaml, made safe (`safe_name`)."""
    return safe_name(path.stem)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Years(_Frozen):
    """Base year (the calibrated state) and the last simulated year."""

    base: Whole(2000, 2060) = 2020
    end: Whole(2001, 2070) = 2025

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
    abatement_tiers: str = "data/abatement_tiers.csv"
    plants: str = "data/plants.csv"
    firms: str = "synthesize"
    firm_scale: Number(0.0, 20.0, positive=True) = 1.0
    calibrate: bool = True
    firm_size_sigma: Number(0.0, 3.0) = 1.0
    idle_share_2020: Share = 0.05
    ready_share_2020: Share = 0.01
    development_rate_2020: Number(0.0, 1.0, positive=True) = 0.90


class GrowthElasticity(_Frozen):
    """Elasticities of zone growth to the province's GDP growth, one per sector group.

    Zone growth per unit of the province's real GDP growth, by sector group (kind in
    sectors.csv): a group's VA-weighted trend growth is this × economy.province_gdp_growth.

    Calibrated on 2021-2022 only (scenarios/data/jiangsu_history.csv): manufacturing on
    above-scale industrial VA growth (12.8 % and 5.1 % against GDP 8.6 % and 2.8 %: 1.55
    in logs over the two years), clusters above heavy industry (estimate of the split),
    services on tertiary growth (7.7 % in 2021, 1.7 % in Q1-Q3 2022: 0.83).
    """

    cluster: Lever(0.0, 5.0) = 1.8
    heavy: Lever(0.0, 5.0) = 0.8
    other: Lever(0.0, 5.0) = 1.2
    services: Lever(0.0, 5.0) = 0.85


class Economy(_Frozen):
    """Growth, efficiency and the grid: the drivers of step 1."""

    growth_multiplier: Lever(0.0, 10.0) = 1.0
    growth_elasticity: GrowthElasticity = Field(default_factory=GrowthElasticity)
    sector_growth: dict[str, Lever(-0.5, 1.0)] = Field(default_factory=dict)
    efficiency_gain_multiplier: Lever(0.0, 10.0) = 1.0
    grid_factor_t_per_mwh: Lever(0.0, 2.0) = Field(
        default_factory=lambda: {2020: 0.6451, 2021: 0.6451, 2022: 0.5978, 2025: 0.55, 2035: 0.42}
    )
    province_gdp_growth: Lever(-0.5, 0.5) = Field(
        default_factory=lambda: {2021: 0.086, 2022: 0.028, 2023: 0.058, 2024: 0.058, 2025: 0.055}
    )
    incumbent_growth_share: Lever(0.0, 1.0) = 0.7
    labour_productivity_growth: Lever(-0.2, 0.5) = Field(
        default_factory=lambda: {2021: 0.091, 2022: 0.033, 2023: 0.063, 2024: 0.063, 2025: 0.06}
    )
    entry_ramp_years: WholeLever(1, 10) = 3
    firm_shock_sd: Lever(0.0, 0.5) = 0.05
    density_cap_factor: Lever(1.0, 10.0) = 1.5
    new_firm_efficiency: Lever(0.0, 2.0, positive=True) = 0.8
    frontier_zone_elasticity: Lever(0.0, 2.0) = 0.5
    # firms' persistent productivity (ratings move as results move: issue 12 item 4)
    productivity_persistence: Lever(0.0, 0.99) = 0.7
    productivity_shock_sd: Lever(0.0, 1.0) = 0.15


class Land(_Frozen):
    """New quota, stock revitalisation (盘活存量) and quota linking (增存挂钩)."""

    new_quota_mu: Limit(0.0, 1e7) | None = 40000.0
    link_base_share: Lever(0.0, 1.0) = 0.5
    link_ratio: Lever(0.0, 10.0) = 1.0
    reclamation_rate: Lever(0.0, 1.0) = 0.25
    reclamation_budget_wan: Limit(0.0, 1e9) | None = None
    reclamation_cost_wan_per_mu: Lever(0.0, 1e4) = 8.0
    recovery_lag_years: WholeLever(0, 10) = 1
    recovery_instrument: Literal["free", "buyback"] = "buyback"
    buyback_cost_wan_per_mu: Lever(0.0, 1e4) = 30.0
    a_class_land_priority: Lever(0.0, 100.0) = 1.0
    idle_supply_share: Lever(0.0, 1.0) = 0.0
    development_deadline_years: WholeLever(1, 10) = 2
    demand_multiplier: Lever(0.0, 1000.0) | None = 1.5
    leading_entry_projects: Lever(0.0, 1000.0) = 1.0
    exit_replacement_share: Lever(0.0, 1.0) = 0.5


class ClassShares(_Frozen):
    """How many evaluated firms each class takes when there are no absolute cut-offs.

    Shares of evaluated firms in classes A/B/C/D, best first; they sum to 1 in every
    year.
    """

    A: Lever(0.0, 1.0) = 0.20
    B: Lever(0.0, 1.0) = 0.40
    C: Lever(0.0, 1.0) = 0.35
    D: Lever(0.0, 1.0) = 0.05

    @model_validator(mode="after")
    def _sum(self) -> ClassShares:
        for y in knot_years(self.A, self.B, self.C, self.D):
            total = sum(value_at(p, y) for p in (self.A, self.B, self.C, self.D))
            if abs(total - 1.0) > 1e-6:
                when = "" if y is None else f" in {y}"
                raise ValueError(f"class shares must sum to 1, they sum to {total:.4f}{when}")
        return self


class ClassCutoffs(_Frozen):
    """Absolute score cut-offs: score ≥ A is class A, ≥ B is B, ≥ C is C, else D."""

    A: Lever(0.0, 1e6)
    B: Lever(0.0, 1e6)
    C: Lever(0.0, 1e6)

    @model_validator(mode="after")
    def _order(self) -> ClassCutoffs:
        for y in knot_years(self.A, self.B, self.C):
            a, b, c = (value_at(p, y) for p in (self.A, self.B, self.C))
            if not a >= b >= c:
                when = "" if y is None else f" in {y}"
                raise ValueError(f"cut-offs must descend A ≥ B ≥ C, got {a}, {b}, {c}{when}")
        return self


ClassTable = dict[Literal["A", "B", "C", "D"], Lever(0.0, 1e4)]


class Evaluation(_Frozen):
    """Per-mu evaluation (亩均效益评价) and differentiated prices."""

    weights: dict[str, Lever(0.0, 1000.0)] = Field(
        default_factory=lambda: {
            "tax_per_mu": 30.0,
            "va_per_mu": 20.0,
            "va_per_tce": 20.0,
            "va_per_tco2": 10.0,
            "va_per_worker": 10.0,
            "rd_share": 10.0,
        }
    )
    benchmark: Literal["zone", "city", "province"] = "city"
    within_sector: bool = False
    score_cap: Lever(0.0, 100.0, positive=True) = 3.0
    class_shares: ClassShares = Field(default_factory=ClassShares)
    class_cutoffs: ClassCutoffs | None = None
    small_firm_output_wan: Lever(0.0, 1e7) = 2000.0
    small_firm_weights: dict[str, Lever(0.0, 1000.0)] = Field(
        default_factory=lambda: {"tax_per_mu": 50.0, "tax_per_kwh": 50.0}
    )
    exempt_age_years: WholeLever(0, 10) = 2
    exempt_sectors: tuple[str, ...] = ("services",)  # rated: industrial firms (baseline.yaml)
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
    efficiency_response: Lever(0.0, 100.0) = 0.5
    history_years: WholeLever(0, 10) = 3

    @field_validator("weights", "small_firm_weights")
    @classmethod
    def _weights(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if key not in EVAL_INDICATORS:
                raise ValueError(
                    f"unknown indicator {key!r}; allowed: {', '.join(EVAL_INDICATORS)}"
                )
        for y in knot_years(*v.values()):
            if sum(value_at(p, y) for p in v.values()) <= 0:
                when = "" if y is None else f" (in {y})"
                raise ValueError(f"at least one indicator needs a positive weight{when}")
        return v


class Exit(_Frozen):
    """Low-efficiency exit (低效退出)."""

    mode: Literal["mandatory", "market", "off"] = "mandatory"
    rectification_years: WholeLever(1, 20) = 3
    market_hazard_base: Lever(0.0, 1.0) = 0.01
    market_hazard_per_margin_loss: Lever(0.0, 100.0) = 2.0
    capacity_share_of_built: Lever(0.0, 1.0) = 0.01
    rectification_success_base: Lever(0.0, 1.0) = 0.5
    rectification_success_per_surcharge: Lever(0.0, 1000.0) = 10.0
    rectification_success_per_margin: Lever(0.0, 100.0) = 1.0
    rectification_gain: Lever(0.0, 2.0) = 0.25


class Carbon(_Frozen):
    """Carbon levers: caps, intensity targets, their enforcement and the abatement costs.

    Dual control of carbon (双控): total cap and intensity target of the province, and
    optionally of each belt or zone; enforcement when a cap binds. Caps are in Mt CO2
    (`*_mt`), intensity reductions are fractions of the base-year intensity (t CO2 per
    万元 VA), costs and prices in 万元 per t CO2, the green-power premium in 元/kWh.
    """

    total_cap_mt: Limit(0.0, 1e4) | None = None
    intensity_reduction_vs_base: Limit(-1.0, 1.0) | None = Field(
        default_factory=lambda: {2020: 0.0, 2025: 0.18, 2030: 0.33, 2035: 0.45}
    )
    belt_caps_mt: dict[Belt, Limit(0.0, 1e4) | None] = Field(default_factory=dict)
    belt_intensity_reduction_vs_base: dict[Belt, Limit(-1.0, 1.0) | None] = Field(
        default_factory=dict
    )
    zone_caps_mt: dict[str, Limit(0.0, 1e4) | None] = Field(default_factory=dict)
    zone_intensity_reduction_vs_base: dict[str, Limit(-1.0, 1.0) | None] = Field(
        default_factory=dict
    )
    enforcement: tuple[CarbonMeasure, ...] = CARBON_MEASURES
    retrofit_cost_wan_per_t: Lever(0.0, 100.0) = 0.03
    retrofit_max_share: Lever(0.0, 1.0) = 0.05
    curtailment_max_share: Lever(0.0, 1.0) = 0.10
    carbon_price_wan_per_t: Lever(0.0, 100.0) = 0.0
    # issue 13: abatement chosen by the allocation together with new land
    abatement_in_allocation: bool = True
    green_power_premium_yuan_per_kwh: Lever(0.0, 1.0) = 0.04  # 元/kWh over coal contracts
    green_power_max_share: Lever(0.0, 1.0) = Field(
        default_factory=lambda: {2020: 0.0, 2021: 0.005, 2023: 0.01, 2024: 0.015, 2025: 0.03}
    )
    carbon_price_on_margins: bool = True

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
    except_flag: Flag | None = None

    @model_validator(mode="after")
    def _target(self) -> Ban:
        if self.belt is None and not self.zones:
            raise ValueError("a ban needs a belt or a list of zones")
        return self


class Optimizer(_Frozen):
    """The yearly land-quota allocation (optimize/)."""

    solver: Literal["glpk", "highs"] = "glpk"
    on_infeasible: Literal["relax", "stop"] = "relax"
    on_failure: Literal["degrade", "continue", "stop"] = "degrade"
    bans: tuple[Ban, ...] = (Ban(sector="chemicals", belt="yangtze", except_flag="chemical_park"),)
    min_share_by_belt: dict[Belt, Lever(0.0, 1.0)] = Field(default_factory=dict)
    max_zone_share: Lever(0.0, 1.0, positive=True) | None = None
    min_industrial_share: dict[Literal["national", "provincial"], Lever(0.0, 1.0)] = Field(
        default_factory=lambda: {"national": 0.6, "provincial": 0.6}
    )
    projects: bool = False
    time_limit_s: Number(0.0, 86400.0, positive=True) = 60.0


class Relocation(_Frozen):
    """Move `sector` out of `from_belt` into `to_belt` over `years` years from `start`."""

    sector: str
    from_belt: Belt
    to_belt: Belt
    start: Whole(2000, 2070)
    years: Whole(1, 30) = 5
    to_flag: Flag | None = "chemical_park"
    to_flag_only: bool = False
    keep_flag: Flag | None = None

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

    year: Whole(2000, 2070) | None = None
    max_approved_area_mu: Lever(0.0, 1e7) = 15000.0
    output_per_mu_quantile: Lever(0.0, 1.0) = 0.25
    max_class_a_share: Lever(0.0, 1.0) = 1.0


class Distribution(_Frozen):
    """The distribution an ensemble draws an uncertain lever from, in the lever's units.

    An uncertain lever for ensembles: uniform(low, high), triangular(low, mode, high),
    normal(mean, sd) truncated to [low, high] where either is given, choice(values).
    """

    dist: Literal["uniform", "normal", "triangular", "choice"]
    low: FiniteFloat | None = None
    high: FiniteFloat | None = None
    mode: FiniteFloat | None = None
    mean: FiniteFloat | None = None
    sd: FiniteFloat | None = None
    values: tuple[FiniteFloat, ...] = ()

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

    name: str = "baseline"
    description: str = ""
    seed: Whole(0, 2**63 - 1) = 20210101
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
    source_dir: str = Field(str(LIBRARY_DIR), exclude=True)
    source_file: str = Field("", exclude=True)  # the file it was read from, for messages

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            slug = safe_name(v)
            raise ValueError(f"a name names the run folder: {NAME_RULE}, e.g. {slug!r}")
        return v

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
        root = type(self)
        levers = keys.schema_keys(root)
        dumped = self.model_dump()
        for key in self.uncertainty:
            parts = key.split(".")
            if parts[0] in _FIXED_IN_ENSEMBLE:
                raise ValueError(f"uncertainty.{key}: {_FIXED_IN_ENSEMBLE[parts[0]]}")
            found, node = keys.lever_default(root, dumped, key)
            if not found:
                near = difflib.get_close_matches(key, levers, n=1, cutoff=0.6)
                hint = f"; did you mean {near[0]}?" if near else ""
                raise ValueError(f"uncertainty.{key}: not a lever{hint}")
            names = keys.entry_names(root, parts[:-1])
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
            self._support_in_range(key)
        return self

    def _support_in_range(self, key: str) -> None:
        """Check that the distribution of `key` names only values of its lever (ValueError).

        The values a distribution names (choice values; the bounds of uniform and
        triangular; a normal's mean and its bounds where given) must be values of the
        lever: in its range, whole for a lever in whole numbers (draws are rounded).
        """
        d = self.uncertainty[key]
        rng = keys.number_range(type(self), key.split("."))
        if rng is None:
            return
        named = {
            "choice": [("value", v) for v in d.values],
            "normal": [("mean", d.mean), ("low", d.low), ("high", d.high)],
        }.get(d.dist, [("low", d.low), ("high", d.high)])
        for what, v in named:
            if v is None:
                continue
            try:
                check_path(v, lo=rng.lo, hi=rng.hi, positive=rng.positive)
            except ValueError as exc:
                raise ValueError(
                    f"uncertainty.{key}: {d.dist} {what} {v:g} is not a value of the lever "
                    f"({exc}); allowed: {rng.text()}"
                ) from None

    def at(self, year: int) -> Scenario:
        """A copy of the scenario with a plain value for every lever: its value in `year`.

        The scenario as it stands in `year`: every phased-in lever replaced by its
        value that year (levers in whole years rounded to the nearest year). The model
        reads its levers from this view each year. The copy is not validated again (its
        paths were).
        """
        return resolve(self, year)

    def sample(self, rng: Any) -> dict[str, float]:
        """Draw every uncertain lever once from `rng` (a numpy Generator): {key: value}.

        One draw of every uncertain lever, as --set style overrides (keys sorted, so
        the same generator gives the same draw whatever the file's key order). A lever
        counted in whole years gets its draw rounded to the nearest year.
        """
        out: dict[str, float] = {}
        for key in sorted(self.uncertainty):
            value = self.uncertainty[key].draw(rng)
            whole = keys.counts_whole(type(self), key.split("."))
            out[key] = math.floor(value + 0.5) if whole else value
        return out

    @property
    def sim_years(self) -> range:
        """The simulated years (base year excluded)."""
        return range(self.years.base + 1, self.years.end + 1)

    def data_path(self, rel: str) -> Path:
        """The file a data path of the scenario (`rel`, as written in data:) names.

        Resolve a data path: absolute, else relative to the scenario's folder, else to
        the shipped scenarios/ folder (so a scenario copied elsewhere still finds the
        default data).
        """
        p = Path(rel)
        if p.is_absolute():
            return p
        local = Path(self.source_dir) / p
        return local if local.exists() else LIBRARY_DIR / p

    def model_inputs(self) -> Any:
        """The base-year inputs (a models.inputs.ModelInputs) the scenario's model starts from.

        Prepared by sim.runs.data.prepare_inputs on first use and kept for the next
        scenario with the same data section, seed, base year and folder (an ensemble's
        members, `mesa.batch_run`'s iterations): the model copies what it changes.
        """
        from sim.runs.data import prepare_inputs  # the data layer sits above the schema

        base = self.at(self.years.base)
        key = (
            self.data.model_dump_json(),
            self.seed,
            self.years.base,
            base.economy.density_cap_factor,
            self.source_dir,
        )
        if key not in _INPUTS:
            while len(_INPUTS) >= _INPUTS_KEPT:
                _INPUTS.pop(next(iter(_INPUTS)))
            _INPUTS[key] = prepare_inputs(self)
        return _INPUTS[key]

    def to_yaml(self) -> str:
        """The resolved scenario as YAML (what a run folder's scenario.yaml holds)."""
        return yaml.safe_dump(self.model_dump(mode="json"), allow_unicode=True, sort_keys=False)


_FIXED_IN_ENSEMBLE = {
    "seed": "the seed is not a lever: the ensemble gives member i the i-th child of the "
    "scenario's seed",
    "years": "the simulated years must be the same in every member; set them in years:",
    "data": "the data a run starts from is the same in every member; set it in data:",
    "report": "report settings are not levers",
}
"""Top-level keys that an uncertainty block may not draw, with the reason."""
