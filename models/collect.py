"""Step 12, collect: tidy rows of zone and sector measures for the year.

Sums run over live firms with bincount (one pass per measure); ratios are ratios of
sums. Money in 亿元 in reports (firm columns are 万元: 1 亿元 = 10^4 万元).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.firms import CLASS_NAMES, FirmTable

WAN_PER_YI = 1e4
SUMMED = {  # report column -> (firm column, divisor)
    "value_added_yi": ("va_wan", WAN_PER_YI),
    "output_yi": ("output_wan", WAN_PER_YI),
    "tax_yi": ("tax_wan", WAN_PER_YI),
    "rd_yi": ("rd_wan", WAN_PER_YI),
    "surcharge_yi": ("surcharge_wan", WAN_PER_YI),
    "energy_tce": ("energy_tce", 1.0),
    "electricity_mwh": ("elec_mwh", 1.0),
    "co2_t": ("co2_t", 1.0),
    "employees": ("employees", 1.0),
    "land_built_mu": ("land_mu", 1.0),
}


def _ratio(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.divide(a, b, out=np.full(a.shape, np.nan), where=b > 0)


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
    """Summed measures of live firms grouped by `key` (zone or sector index), plus
    counts of live firms and of each class."""
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
