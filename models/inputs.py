"""What the model is built from: the zone table, the sector table and the firm population.

sim/ prepares a `ModelInputs` from a scenario (loading CSVs, synthesising firms);
models/ never reads files, so a test can build a model from a hand-made case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NewType

import numpy as np
import pandas as pd

from models.firms import FirmTable

ZoneId = NewType("ZoneId", str)
Sector = NewType("Sector", str)

ZONE_FLAGS = ("chemical_park", "eco_park", "intl_coop_park")  # 0/1 columns of zones.csv

ZONE_COLUMNS = (
    "zone_id",
    "name_zh",
    "name_en",
    "city",
    "city_zh",
    "belt",
    "belts",
    "level",
    "approved_area_mu",
    "boundary_mu",
    "stock_mu",
    "ready_mu",
    "management_efficiency",
    *ZONE_FLAGS,
    "leading_sectors",
)

SECTOR_COLUMNS = (
    "sector",
    "name_zh",
    "name_en",
    "va_ratio",
    "frontier_output_per_mu_wan",
    "energy_intensity_tce_per_wan",
    "elec_share",
    "fuel_co2_t_per_tce",
    "tax_rate",
    "rd_share",
    "va_per_worker_wan",
    "growth",
    "efficiency_gain",
    "project_size_mu",
    "investment_wan_per_mu",
    "min_investment_wan_per_mu",
    "water_m3_per_wan",
)


@dataclass(frozen=True)
class SectorArrays:
    """The sector table as arrays indexed by sector number (firms' `sector` column)."""

    names: tuple[str, ...]
    va_ratio: np.ndarray
    frontier_output_per_mu_wan: np.ndarray
    energy_intensity_tce_per_wan: np.ndarray
    elec_share: np.ndarray
    fuel_co2_t_per_tce: np.ndarray
    tax_rate: np.ndarray
    rd_share: np.ndarray
    va_per_worker_wan: np.ndarray
    growth: np.ndarray
    efficiency_gain: np.ndarray
    project_size_mu: np.ndarray
    investment_wan_per_mu: np.ndarray
    min_investment_wan_per_mu: np.ndarray
    water_m3_per_wan: np.ndarray  # water withdrawn per 万元 VA (m³)
    # the sector group (sectors.csv kind: cluster, heavy, other, services) and the
    # sector's share of zone VA in the base year, which weighs its trend in its group
    kind: tuple[str, ...] = ()
    va_share: np.ndarray | None = None

    @classmethod
    def from_frame(cls, sectors: pd.DataFrame) -> SectorArrays:
        """Build the arrays from the sector table (SECTOR_COLUMNS), in its row order.

        `kind` and `zone_va_share_2020` are read where the table has them; without them
        every sector is its own group ("sector") with weight 1.
        """
        kw = {
            c: sectors[c].to_numpy(dtype=np.float64)
            for c in SECTOR_COLUMNS
            if c not in ("sector", "name_zh", "name_en")
        }
        names = tuple(sectors["sector"])
        kind = tuple(sectors["kind"]) if "kind" in sectors else ()
        share = (
            sectors["zone_va_share_2020"].to_numpy(dtype=np.float64)
            if "zone_va_share_2020" in sectors
            else None
        )
        return cls(names=names, **kw, kind=kind, va_share=share)

    def index(self, name: str) -> int:
        """The sector number of sector `name` (ValueError if unknown)."""
        return self.names.index(name)


@dataclass(frozen=True)
class ModelInputs:
    """The base-year state: zones (one row each, ZONE_COLUMNS), sectors, firms, facts."""

    zones: pd.DataFrame
    sectors: pd.DataFrame
    firms: FirmTable
    facts: dict[str, float] = field(default_factory=dict)
    boundaries_path: str | None = None
    abatement_tiers: pd.DataFrame | None = None
    """Retrofit cost tiers by sector (sim/runs/abatement_data.py); None: no retrofit
    columns in the allocation (green power, curtailment and exit still are)."""

    def __post_init__(self) -> None:
        missing = [c for c in ZONE_COLUMNS if c not in self.zones.columns]
        if missing:
            raise ValueError(f"zone table lacks columns {missing}")
        missing = [c for c in SECTOR_COLUMNS if c not in self.sectors.columns]
        if missing:
            raise ValueError(f"sector table lacks columns {missing}")
