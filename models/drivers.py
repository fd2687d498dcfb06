"""Step 1, drivers: the year's growth, efficiency gain, grid factor and policy paths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models.inputs import SectorArrays


def path_value(path: Any, year: int) -> float | None:
    """Value of a time path in `year`: a number, or {year: value} interpolated linearly
    between given years and held flat outside them. None means no limit: as the whole
    path, or as a year's value (no limit from that year until the next given year)."""
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


@dataclass(frozen=True)
class Drivers:
    """Everything that changes by year and is given by the scenario."""

    year: int
    growth: np.ndarray  # (S,) sector trend growth of real output (incumbents + new projects)
    incumbent_growth: np.ndarray  # (S,) the part existing firms grow by themselves
    efficiency_gain: np.ndarray  # (S,) yearly fall of energy intensity
    grid_factor_t_per_mwh: float
    province_gdp_growth: float
    new_quota_mu: float | None
    link_ratio: float
    reclamation_rate: float
    reclamation_budget_wan: float | None
    total_cap_t: float | None
    intensity_reduction: float | None  # vs the base year's intensity
    carbon_price_wan_per_t: float


def year_drivers(scenario: Any, sectors: SectorArrays, year: int) -> Drivers:
    """Evaluate every time path of the scenario for `year`."""
    eco, land, carbon = scenario.economy, scenario.land, scenario.carbon
    growth = sectors.growth * path_value(eco.growth_multiplier, year)
    for name, p in eco.sector_growth.items():
        growth[sectors.index(name)] = path_value(p, year)
    cap_mt = path_value(carbon.total_cap_mt, year)
    return Drivers(
        year=year,
        growth=growth,
        incumbent_growth=growth * eco.incumbent_growth_share,
        efficiency_gain=sectors.efficiency_gain * path_value(eco.efficiency_gain_multiplier, year),
        grid_factor_t_per_mwh=path_value(eco.grid_factor_t_per_mwh, year),
        province_gdp_growth=path_value(eco.province_gdp_growth, year),
        new_quota_mu=path_value(land.new_quota_mu, year),
        link_ratio=path_value(land.link_ratio, year),
        reclamation_rate=path_value(land.reclamation_rate, year),
        reclamation_budget_wan=path_value(land.reclamation_budget_wan, year),
        total_cap_t=None if cap_mt is None else cap_mt * 1e6,
        intensity_reduction=path_value(carbon.intensity_reduction_vs_base, year),
        carbon_price_wan_per_t=path_value(carbon.carbon_price_wan_per_t, year),
    )
