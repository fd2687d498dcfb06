"""Additive LMDI-I decomposition of the change in CO2 and in carbon intensity.

Carbon intensity (t CO2 per 万元 VA) is a sum over sectors s and energy carriers k
(electricity, fuel) of four factors,
    CI = Σ_s,k  S_s · I_s · M_sk · F_sk
    S_s  = VA_s / VA            structure (sector mix of value added)
    I_s  = E_s / VA_s           energy intensity of the sector
    M_sk = E_sk / E_s           carrier mix (electricity's share of energy)
    F_sk = C_sk / E_sk          emission factor (electricity: the grid factor; fuel: the
                                sector's fuel factor, constant in the model)
and CO2 = VA · CI adds the activity factor VA. With V the cell's term and
L(a, b) = (a − b) / (ln a − ln b) the logarithmic mean, each factor x contributes
    ΔV_x = Σ_s,k L(V_s,k^T, V_s,k^0) · ln(x^T / x^0)
and the contributions sum exactly to the total change (Ang 2005, LMDI-I). Zero cells are
replaced by 1e-30 (the small-value strategy, Ang & Liu 2007), which leaves the sums exact
to rounding. Tidy frames in, tidy frames out: the run's sector table (sectors.parquet)
or any frame with the columns below; issue 14's comparison reuses `decompose`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TINY = 1e-30
INTENSITY_FACTORS = ("structure", "energy_intensity", "electricity_share", "emission_factor")
CO2_FACTORS = ("activity", *INTENSITY_FACTORS)
COLUMNS = ("year", "sector", "value_added", "energy", "energy_elec", "co2", "co2_elec")


def logmean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Logarithmic mean L(a, b) = (a − b) / (ln a − ln b), a where a = b (a, b > 0)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    same = np.isclose(a, b, rtol=1e-12, atol=0.0)
    d = np.where(same, 1.0, np.log(a) - np.log(np.where(same, 1.0, b)))
    return np.where(same, a, (a - b) / np.where(d == 0, 1.0, d))


def _factors(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """(S, 2) factor arrays of one year (carriers: electricity, fuel) and its VA."""
    va_s = frame["value_added"].to_numpy(float)
    e = frame["energy"].to_numpy(float)
    e_el = frame["energy_elec"].to_numpy(float)
    e_k = np.stack([e_el, e - e_el], 1)
    c = frame["co2"].to_numpy(float)
    c_el = frame["co2_elec"].to_numpy(float)
    c_k = np.stack([c_el, c - c_el], 1)
    va = va_s.sum()
    pos = lambda x: np.maximum(x, TINY)  # noqa: E731
    s = pos(va_s / va)[:, None] * np.ones((1, 2))
    i = pos(e / pos(va_s))[:, None] * np.ones((1, 2))
    m = pos(e_k / pos(e)[:, None])
    f = pos(c_k / pos(e_k))
    return {
        "va": np.array(va),
        "structure": s,
        "energy_intensity": i,
        "electricity_share": m,
        "emission_factor": f,
    }


def decompose(frame: pd.DataFrame, base_year: int | None = None) -> pd.DataFrame:
    """Each year's change in carbon intensity and CO2 against the base year, by factor.

    `frame` has one row per year and sector with COLUMNS (VA in any money unit, energy
    and CO2 in any units, consistent across years); every year must list the same
    sectors. Returns one row per year: `ci`, `ci_change`, the intensity factors
    `ci_<factor>` (same unit as ci, summing to ci_change), `co2_change` and `co2_<factor>`
    (summing to co2_change), and `ci_share_<factor>` (the factor's share of ci_change).
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"decompose: the frame lacks columns {missing}")
    df = frame.sort_values(["year", "sector"])
    years = sorted(df["year"].unique())
    base = years[0] if base_year is None else base_year
    by_year = {y: g for y, g in df.groupby("year")}
    f0 = _factors(by_year[base])
    ci0_cells = np.prod([f0[k] for k in INTENSITY_FACTORS], axis=0)
    co2_0 = by_year[base]["co2"].sum()
    ci0 = co2_0 / float(f0["va"])
    rows = []
    for y in years:
        ft = _factors(by_year[y])
        cit_cells = np.prod([ft[k] for k in INTENSITY_FACTORS], axis=0)
        w = logmean(cit_cells, ci0_cells)
        co2_t = by_year[y]["co2"].sum()
        ci_t = co2_t / float(ft["va"])
        row = {"year": int(y), "ci": ci_t, "ci_change": ci_t - ci0, "co2_change": co2_t - co2_0}
        # the CO2 cells are VA × the intensity cells; activity is VA's own change
        wc = logmean(float(ft["va"]) * cit_cells, float(f0["va"]) * ci0_cells)
        row["co2_activity"] = float(np.sum(wc) * np.log(float(ft["va"]) / float(f0["va"])))
        for k in INTENSITY_FACTORS:
            ln = np.log(ft[k] / f0[k])
            row[f"ci_{k}"] = float(np.sum(w * ln))
            row[f"co2_{k}"] = float(np.sum(wc * ln))
        for k in INTENSITY_FACTORS:
            row[f"ci_share_{k}"] = row[f"ci_{k}"] / row["ci_change"] if row["ci_change"] else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def province_columns(decomposition: pd.DataFrame) -> pd.DataFrame:
    """The columns province.parquet gains from the decomposition, one row per year.

    ci_change_<factor>_t_per_wan (t CO2 per 万元 VA, summing to the change in carbon
    intensity since the base year), ci_share_<factor> (each factor's share of that change),
    and co2_change_<factor>_t with co2_change_activity_t (t CO2, summing to the change in
    CO2 since the base year).
    """
    out = pd.DataFrame({"year": decomposition["year"]})
    for k in INTENSITY_FACTORS:
        out[f"ci_change_{k}_t_per_wan"] = decomposition[f"ci_{k}"]
        out[f"ci_share_{k}"] = decomposition[f"ci_share_{k}"]
        out[f"co2_change_{k}_t"] = decomposition[f"co2_{k}"]
    out["co2_change_activity_t"] = decomposition["co2_activity"]
    return out


def sector_frame_for(sectors: pd.DataFrame, grid_by_year: pd.Series) -> pd.DataFrame:
    """The decomposition's input from a run's sector table and its grid factor by year.

    Electricity in tce at 0.1229 tce/MWh (当量值); its CO2 at the year's grid factor.
    """
    from models.firms import TCE_PER_MWH
    from models.units import WAN_PER_YI

    grid = sectors["year"].map(grid_by_year).to_numpy(float)
    return pd.DataFrame(
        {
            "year": sectors["year"],
            "sector": sectors["sector"],
            "value_added": sectors["value_added_yi"] * WAN_PER_YI,  # 万元: CI in t/万元
            "energy": sectors["energy_tce"],
            "energy_elec": sectors["electricity_mwh"] * TCE_PER_MWH,
            "co2": sectors["co2_t"],
            "co2_elec": sectors["electricity_mwh"] * grid,
        }
    )
