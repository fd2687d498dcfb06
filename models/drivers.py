"""Step 1, drivers: the year's sector growth, efficiency gain and carbon cap in tonnes.

The model reads every lever from `scenario.at(year)`, where each time path already
stands at its value for the year; the drivers are what the year's levers and the
sector table give together:
    g_s   = growth_s · growth_multiplier   (or economy.sector_growth[s] where given)
    g_s^i = g_s · incumbent_growth_share   (the part existing firms grow by themselves)
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


@dataclass(frozen=True)
class Drivers:
    """The year's growth and efficiency by sector, and the province's cap in tonnes."""

    growth: np.ndarray  # (S,) sector trend growth of real output (incumbents + new projects)
    incumbent_growth: np.ndarray  # (S,) the part existing firms grow by themselves
    efficiency_gain: np.ndarray  # (S,) yearly fall of energy intensity
    total_cap_t: float | None  # the province's total CO2 cap (t), None: no cap


def year_drivers(levers: Scenario, sectors: SectorArrays) -> Drivers:
    """The drivers of the year whose levers are `levers` (a `scenario.at(year)`)."""
    eco = levers.economy
    growth = sectors.growth * eco.growth_multiplier
    for name, g in eco.sector_growth.items():
        growth[sectors.index(name)] = g
    cap_mt = levers.carbon.total_cap_mt
    return Drivers(
        growth=growth,
        incumbent_growth=growth * eco.incumbent_growth_share,
        efficiency_gain=sectors.efficiency_gain * eco.efficiency_gain_multiplier,
        total_cap_t=None if cap_mt is None else cap_mt * T_PER_MT,
    )
