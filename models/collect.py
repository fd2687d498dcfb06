"""Step 12, collect: tidy rows of zone, sector and province measures for the year.

Sums run over live firms with bincount (one pass per measure); ratios are ratios of
sums. Money in 亿元 in reports (firm columns are 万元: 1 亿元 = 10^4 万元). The frames
are pulled from the firm and zone tables by the functions here; the model only
appends them, and Mesa's DataCollector reads the named reporters below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.firms import CLASS_NAMES, FirmTable
from models.units import WAN_PER_YI, safe_div
from optimize import Allocation

if TYPE_CHECKING:
    from models.inputs import SectorArrays
    from models.province import ProvinceModel
    from models.zone import ZoneTable

SUMMED = {  # report column -> (firm column, divisor)
    "value_added_yi": ("va_wan", WAN_PER_YI),
    "output_yi": ("output_wan", WAN_PER_YI),
    "tax_yi": ("tax_wan", WAN_PER_YI),
    "rd_yi": ("rd_wan", WAN_PER_YI),
    "surcharge_yi": ("surcharge_wan", WAN_PER_YI),
    "energy_tce": ("energy_tce", 1.0),
    "electricity_mwh": ("elec_mwh", 1.0),
    "co2_t": ("co2_t", 1.0),
    "co2_green_power_t": ("green_co2_t", 1.0),  # already off co2_t
    "employees": ("employees", 1.0),
    "land_built_mu": ("land_mu", 1.0),
}
NEW_PROJECT_COLUMNS = (  # summed columns of the firms born after the base year
    "value_added_new_projects_yi",
    "output_new_projects_yi",
    "employees_new_projects",
)


def _ratio(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> np.ndarray:
    return safe_div(a, b, fill=np.nan)


def add_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """Per-mu and intensity columns from summed columns (in place, returns df)."""
    va_wan = df["value_added_yi"] * WAN_PER_YI
    df["output_per_mu_wan"] = _ratio(df["output_yi"] * WAN_PER_YI, df["land_built_mu"])
    df["va_per_mu_wan"] = _ratio(va_wan, df["land_built_mu"])
    df["tax_per_mu_wan"] = _ratio(df["tax_yi"] * WAN_PER_YI, df["land_built_mu"])
    df["carbon_intensity_t_per_wan"] = _ratio(df["co2_t"], va_wan)
    df["energy_intensity_tce_per_wan"] = _ratio(df["energy_tce"], va_wan)
    return df


def sums_by(firms: FirmTable, key: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Summed measures of live firms grouped by `key` (zone or sector index).

    The SUMMED columns (money in 亿元), plus counts of live firms and of each class.
    """
    live = firms.alive()
    k = key[live]
    cols = firms.columns()
    out = {
        name: np.bincount(k, cols[c][live], minlength=n) / div for name, (c, div) in SUMMED.items()
    }
    out["firms_active"] = np.bincount(k, minlength=n)
    cls = firms.cls[live]
    for i, name in enumerate(CLASS_NAMES):
        out[f"firms_class_{name}"] = np.bincount(k[cls == i], minlength=n)
    return out


def new_project_sums(
    firms: FirmTable, key: np.ndarray, n: int, base_year: int | None
) -> dict[str, np.ndarray]:
    """VA and output (亿元) and staff of live firms born after the base year, by `key`.

    New projects are the firms entered on land allocated since the base year (and
    relocated plants); the rest are the base year's incumbents. None: all zero.
    """
    live = firms.alive()
    if base_year is not None:
        live = live & (firms.birth_year > base_year)
    k = key[live]
    return {
        "value_added_new_projects_yi": np.bincount(k, firms.va_wan[live], minlength=n) / WAN_PER_YI,
        "output_new_projects_yi": np.bincount(k, firms.output_wan[live], minlength=n) / WAN_PER_YI,
        "employees_new_projects": np.bincount(k, firms.employees[live], minlength=n) * 1.0,
    }


def zone_frame(
    firms: FirmTable, zones: ZoneTable, year: int, base_year: int | None = None
) -> pd.DataFrame:
    """Tidy zone rows for the year, one per zone.

    Identity, summed measures of its live firms (and of those born after `base_year`:
    new projects), land pools (mu), this year's flows, host and the ratio columns.
    """
    sums = sums_by(firms, firms.zone, len(zones))
    sums.update(new_project_sums(firms, firms.zone, len(zones), base_year))
    zdf = pd.DataFrame(
        {
            "zone_id": list(zones.zone_id),
            "year": year,
            "name_zh": list(zones.name_zh),
            "name_en": list(zones.name_en),
            "city": list(zones.city),
            "city_zh": list(zones.city_zh),
            "belt": list(zones.belt),
            "level": list(zones.level),
            **sums,
            "land_stock_mu": zones.stock_mu(),
            "land_idle_mu": zones.idle_mu(),
            "land_ready_mu": zones.ready_mu.copy(),
            "boundary_mu": zones.boundary_mu.copy(),
            **{k: v.copy() for k, v in zones.flows.items()},
            "host_zone_id": zones.host_zone_id,
        }
    )
    zdf["land_undeveloped_mu"] = (
        zdf["boundary_mu"] - zdf["land_built_mu"] - zdf["land_stock_mu"] - zdf["land_ready_mu"]
    )
    return add_ratios(zdf)


def sector_frame(
    firms: FirmTable,
    sectors: SectorArrays,
    year: int,
    alloc: Allocation | None,
    base_year: int | None = None,
) -> pd.DataFrame:
    """Tidy sector rows for the year, one per sector.

    Summed measures of its live firms, the land it was allocated this year (mu; not in
    the base year) and the ratio columns.
    """
    n_s = len(sectors.names)
    sdf = pd.DataFrame(
        {
            "sector": list(sectors.names),
            "year": year,
            **sums_by(firms, firms.sector, n_s),
            **new_project_sums(firms, firms.sector, n_s, base_year),
        }
    )
    if alloc is not None:
        sdf["land_allocated_mu"] = alloc.land_mu.sum(axis=0)
    return add_ratios(sdf)


def province_row(
    year: int,
    intensity_target_t_per_wan: float | None,
    cap_t: float | None,
    grid_t_per_mwh: float,
    alloc: Allocation | None,
    carbon_record: dict[str, Any] | None,
) -> dict[str, Any]:
    """The province's extra columns for the year.

    Targets, optimiser outcome and duals, carbon enforcement; the base year (alloc None)
    has the targets only.
    """
    row: dict[str, Any] = {
        "year": year,
        "carbon_intensity_target_t_per_wan": intensity_target_t_per_wan,
        "carbon_cap_t": cap_t,
        "grid_factor_t_per_mwh": grid_t_per_mwh,
    }
    if alloc is not None:
        row.update(
            optimizer_status=alloc.status.name.lower(),
            optimizer_message=alloc.message,
            optimizer_objective_wan=alloc.objective_wan,
            optimizer_build_s=alloc.build_seconds,
            optimizer_solve_s=alloc.solve_seconds,
            shadow_price_quota_wan_per_mu=alloc.shadow_province_quota_wan_per_mu,
            shadow_price_land_wan_per_mu=land_shadow_price(alloc),
            shadow_price_carbon_wan_per_t=alloc.shadow_total_cap_wan_per_t,
            shadow_price_intensity=alloc.shadow_intensity_cap_wan_per_t,
        )
        row.update(carbon_record or {})
    return row


def land_shadow_price(alloc: Allocation) -> float:
    """The province's marginal value of land (万元 VA per mu).

    The zones' land duals weighted by the land each zone received (the plain mean where
    none was given); NaN when no dual is known.
    """
    duals = np.asarray(alloc.shadow_zone_land_wan_per_mu, dtype=float)
    land = alloc.land_mu.sum(axis=1)
    if not np.isfinite(duals).any():
        return float("nan")
    if land.sum() <= 0:
        return float(np.nanmean(duals))
    return float(np.nansum(duals * land) / land.sum())


# Named module-level reporters for Mesa's DataCollector (lambdas do not pickle: mesa#175).
def report_year(m: ProvinceModel) -> int:
    """The model's year."""
    return m.year


def report_value_added_yi(m: ProvinceModel) -> float:
    """Value added of live firms (亿元)."""
    return float(m.firms.va_wan[m.firms.alive()].sum() / WAN_PER_YI)


def report_co2_t(m: ProvinceModel) -> float:
    """CO2 of live firms (t)."""
    return float(m.firms.co2_t[m.firms.alive()].sum())


def report_firms_active(m: ProvinceModel) -> int:
    """Number of live firms."""
    return int(m.firms.alive().sum())


def report_land_built_mu(m: ProvinceModel) -> float:
    """Land of live firms (mu)."""
    return float(m.firms.land_mu[m.firms.alive()].sum())


MODEL_REPORTERS = {
    "year": report_year,
    "value_added_yi": report_value_added_yi,
    "co2_t": report_co2_t,
    "firms_active": report_firms_active,
    "land_built_mu": report_land_built_mu,
}
