"""Step 1, drivers: the year's sector growth, efficiency gain and carbon cap in tonnes.

The model reads every lever from `scenario.at(year)`, where each time path already
stands at its value for the year; the drivers are what the year's levers and the
sector table give together. Zone growth follows the province's real GDP growth G_t
(economy.province_gdp_growth: the actual path for 2021-2024, then the plan's) through
an elasticity by sector group k (economy.growth_elasticity: cluster, heavy, other,
services); within a group each sector keeps its trend (sectors.csv growth) relative to
the group's VA-weighted trend:
    g_s   = ε_k · G_t · trend_s / trend_k · growth_multiplier
            (or economy.sector_growth[s] where given)
    g_s^i = g_s · incumbent_growth_share   (the part existing firms grow by themselves;
                                            new projects supply the rest, entry.py)
    p_t   = labour_productivity_growth     (VA per worker; employment follows VA / p)
    e_s   = efficiency_gain_s · efficiency_gain_multiplier
    Cap_t = total_cap_mt · 10^6            (t CO2; None: no cap)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from models.inputs import SectorArrays
from models.units import T_PER_MT

if TYPE_CHECKING:
    from sim.scenario import Scenario

GROUPS = ("cluster", "heavy", "other", "services")  # sectors.csv kind = elasticity keys


@dataclass(frozen=True)
class Drivers:
    """The year's growth and efficiency by sector, and the province's cap in tonnes."""

    growth: np.ndarray  # (S,) sector growth of real output (incumbents + new projects)
    incumbent_growth: np.ndarray  # (S,) the part existing firms grow by themselves
    efficiency_gain: np.ndarray  # (S,) yearly fall of energy intensity
    total_cap_t: float | None  # the province's total CO2 cap (t), None: no cap
    labour_productivity_growth: float = 0.0  # yearly growth of VA per worker


def relative_trend(sectors: SectorArrays) -> np.ndarray:
    """(S,) each sector's trend growth over its group's VA-weighted trend (1 on average).

    Groups are sectors.csv `kind`; a table without kinds makes each sector its own group
    (every ratio 1). A group whose trend is 0 gives 1 to each of its sectors.
    """
    n = len(sectors.names)
    kind = sectors.kind or sectors.names
    w = np.ones(n) if sectors.va_share is None else np.asarray(sectors.va_share, float)
    out = np.ones(n)
    kinds = np.array(kind)
    for k in set(kind):
        m = kinds == k
        mean = float(np.sum(w[m] * sectors.growth[m]) / max(np.sum(w[m]), 1e-12))
        if mean > 0:
            out[m] = sectors.growth[m] / mean
    return out


def elasticities(levers: Scenario, sectors: SectorArrays) -> np.ndarray | None:
    """(S,) growth elasticity of each sector to province GDP, None without sector kinds."""
    if not sectors.kind:
        return None
    table = levers.economy.growth_elasticity
    return np.array([float(getattr(table, k)) if k in GROUPS else 1.0 for k in sectors.kind])


def sector_growth(levers: Scenario, sectors: SectorArrays) -> np.ndarray:
    """(S,) the year's sector growth: elasticity × province GDP growth × relative trend.

    A sector table without kinds keeps its trend growth (sectors.csv growth).
    """
    eco = levers.economy
    eps = elasticities(levers, sectors)
    if eps is None:
        growth = sectors.growth.astype(float).copy()
    else:
        growth = eps * float(eco.province_gdp_growth) * relative_trend(sectors)
    growth = growth * eco.growth_multiplier
    for name, g in eco.sector_growth.items():
        growth[sectors.index(name)] = g
    return growth


def pipeline_share(years_since_base: int | None, ramp_years: int) -> float:
    """Share of the new-project growth still delivered by projects started before the base.

    In year base + k: (ramp − k) / ramp for k < ramp, then 0.

    The base year's firms include projects still ramping up (land given in 2019-2020);
    the model does not list them, so their output increments go to the incumbents'
    growth until the model's own cohorts have taken over (a steady pipeline at the
    year's growth). None (no year given): 0.
    """
    if years_since_base is None or ramp_years <= 1:
        return 0.0
    return max(ramp_years - years_since_base, 0) / ramp_years


def year_drivers(
    levers: Scenario, sectors: SectorArrays, years_since_base: int | None = None
) -> Drivers:
    """The drivers of the year whose levers are `levers` (a `scenario.at(year)`).

    `years_since_base` (year − base year) adds the base year's ramping projects to the
    incumbents' growth in the first years (pipeline_share):
        g_s^i = g_s · (share + (1 − share) · pipeline)
    """
    eco = levers.economy
    growth = sector_growth(levers, sectors)
    cap_mt = levers.carbon.total_cap_mt
    share = float(eco.incumbent_growth_share)
    pipe = pipeline_share(years_since_base, int(eco.entry_ramp_years))
    return Drivers(
        growth=growth,
        incumbent_growth=growth * (share + (1.0 - share) * pipe),
        efficiency_gain=sectors.efficiency_gain * eco.efficiency_gain_multiplier,
        total_cap_t=None if cap_mt is None else cap_mt * T_PER_MT,
        labour_productivity_growth=float(eco.labour_productivity_growth),
    )
