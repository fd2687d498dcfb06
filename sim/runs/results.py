"""Tidy result tables pulled from a finished model (pure functions; writers only read them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models import decompose
from models.carbon import CARBON_MEASURE_COLS, CARBON_MEASURES, PLAN_KINDS
from models.collect import NEW_PROJECT_COLUMNS, SUMMED, add_ratios
from models.firms import CLASS_NAMES, EXIT_REASONS, STATUS_NAMES
from models.province import ProvinceModel
from sim.scenario.paths import path_value
from sim.units import T_PER_MT

if TYPE_CHECKING:
    from sim.scenario import Scenario

# Summed zone columns that aggregate to province, city and belt rows.
ADDITIVE = (
    *SUMMED,
    *NEW_PROJECT_COLUMNS,
    "firms_active",
    *(f"firms_class_{c}" for c in CLASS_NAMES),
    "land_stock_mu",
    "land_idle_mu",
    "land_ready_mu",
    "land_undeveloped_mu",
    "boundary_mu",
    # the year's flows, but not the link caps (inf where none) nor the shadow prices
    *(
        k
        for k in ProvinceModel.FLOW_KEYS
        if k not in ("land_link_cap_mu", "shadow_price_land_wan_per_mu")
    ),
)


TIMING_COLUMNS = ("optimizer_build_s", "optimizer_solve_s")
"""Wall-clock seconds the model records per year: they go to the manifest
(RunResult.optimizer_years), never into a table, so equal runs give equal bytes."""
# Jiangsu's 14th FYP energy-intensity target, 2025 vs 2020 (the national one is −13.5 %):
# 国家下达的"十四五"累计下降14%, Jiangsu industry department 2025
# (m.justasklydia.com/news/2025/0630/229052.html; scenarios/data/jiangsu_history.csv).
ENERGY_INTENSITY_TARGET_2025 = 0.14

OPTIMIZER_COLUMNS = (
    "optimizer_status",
    "optimizer_message",
    "optimizer_objective_wan",
    "shadow_price_quota_wan_per_mu",
    "shadow_price_land_wan_per_mu",
    "shadow_price_carbon_wan_per_t",
    "shadow_price_intensity",
)


# Issue 13: abatement by measure and what the caps cost (models/carbon.plan_record).
ABATEMENT_ZERO_COLUMNS = (
    *(
        f"abatement_{x}{m}_{u}"
        for m in PLAN_KINDS
        for x, u in (("planned_", "t"), ("", "t"), ("cost_", "wan"))
    ),
    "abatement_total_t",
    "abatement_cost_wan",
    "abatement_by_carbon_price_t",
    "abatement_plan_shortfall_t",
    "cap_land_forgone_mu",
    "cap_va_forgone_wan",
    "cap_abated_extra_t",
    "cap_abatement_cost_extra_wan",
)
ABATEMENT_COST_COLUMNS = (
    "marginal_abatement_cost_yuan_per_t",
    "average_abatement_cost_yuan_per_t",
    "shadow_price_carbon_yuan_per_t",
    "shadow_price_intensity_yuan_per_t",
    "cap_va_forgone_yuan_per_t",
)


def zones_table(model: ProvinceModel) -> pd.DataFrame:
    """The zone table: one row per zone and year."""
    return pd.concat(model.zone_rows, ignore_index=True)


def sectors_table(model: ProvinceModel) -> pd.DataFrame:
    """The sector table: one row per sector and year."""
    return pd.concat(model.sector_rows, ignore_index=True)


def aggregate(zones: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Sum the additive zone measures by `by` and recompute the ratios."""
    out = zones.groupby(by, sort=True)[list(ADDITIVE)].sum().reset_index()
    return add_ratios(out)


def province_table(model: ProvinceModel, zones: pd.DataFrame) -> pd.DataFrame:
    """The province table: one row per year.

    Sums over zones, ratios, the province's GDP path (亿元), optimiser and carbon-control
    results, change since the base year, and the LMDI drivers of carbon intensity.
    """
    prov = aggregate(zones, ["year"])
    extra = pd.DataFrame(model.province_extra).drop(columns=list(TIMING_COLUMNS), errors="ignore")
    prov = prov.merge(extra, on="year", how="left")
    base_year = model.scenario.years.base
    gdp0 = model.facts.get("jiangsu_gdp_2020_yi", np.nan)
    gdp = {base_year: gdp0}
    for y in range(base_year + 1, int(prov["year"].max()) + 1):
        gdp[y] = gdp[y - 1] * (1.0 + path_value(model.scenario.economy.province_gdp_growth, y))
    prov["province_gdp_yi"] = prov["year"].map(gdp)
    prov["va_share_of_province"] = prov["value_added_yi"] / prov["province_gdp_yi"]
    b = prov.iloc[0]
    for col in ("carbon_intensity_t_per_wan", "energy_intensity_tce_per_wan", "output_per_mu_wan"):
        prov[f"{col}_change_vs_base"] = prov[col] / b[col] - 1.0
    for col in OPTIMIZER_COLUMNS:  # absent when the run stopped before its first allocation
        if col not in prov:
            prov[col] = np.nan
    measures = [f"carbon_{x}_{m}_{u}" for m in CARBON_MEASURES for x, u in CARBON_MEASURE_COLS]
    for col in ("carbon_gap_t", "carbon_gap_before_t", *measures, *ABATEMENT_ZERO_COLUMNS):
        prov[col] = prov[col].fillna(0.0) if col in prov else 0.0  # the base year: none
    for col in ABATEMENT_COST_COLUMNS:  # 元/t: NaN where undefined (the base year)
        if col not in prov:
            prov[col] = np.nan
    prov["land_new_mu"] = prov["land_new_mu"].astype(float)
    # why carbon intensity changed: structure, energy intensity, electricity share and
    # the emission factor (grid), additive LMDI against the base year (models/decompose.py)
    grid = prov.set_index("year")["grid_factor_t_per_mwh"]
    parts = decompose.decompose(decompose.sector_frame_for(sectors_table(model), grid))
    prov = prov.merge(decompose.province_columns(parts), on="year", how="left")
    return prov


def allocations_table(model: ProvinceModel) -> pd.DataFrame:
    """The allocation table: land allocated (mu) by zone, sector and year, with its duals."""
    frames = [a.frame() for a in model.allocations]
    if not frames:
        return pd.DataFrame(columns=["zone_id", "sector", "year", "land_mu"])
    return pd.concat(frames, ignore_index=True)


def firms_table(model: ProvinceModel) -> pd.DataFrame:
    """The end state of every firm that ever lived (exited ones with their exit year)."""
    f = model.firms
    cols = f.columns()
    df = pd.DataFrame({k: v.copy() for k, v in cols.items() if k not in ("zone", "sector", "cls")})
    df.insert(0, "firm_id", np.arange(len(f)))
    df.insert(1, "zone_id", np.array([z.zone_id for z in model.zones])[cols["zone"]])
    df.insert(2, "sector", np.array(model.sectors.names)[cols["sector"]])
    df["class"] = np.array(CLASS_NAMES)[cols["cls"]]
    df["status"] = np.array(STATUS_NAMES)[cols["status"]]
    df["exit_reason"] = np.array(EXIT_REASONS)[cols["exit_reason"]]
    df["value_added_wan"] = df.pop("va_wan")
    return df


SUMMARY_COLUMNS = (
    # (province column, summary.csv column with its unit, scale, decimals)
    ("year", "year", 1.0, None),
    ("value_added_yi", "VA (亿元)", 1.0, 1),
    ("va_share_of_province", "VA share of GDP (%)", 100.0, 2),
    ("co2_t", "CO2 (Mt)", 1 / T_PER_MT, 3),
    ("energy_tce", "energy (Mtce)", 1 / T_PER_MT, 3),
    ("carbon_intensity_t_per_wan", "carbon intensity (t CO2/万元)", 1.0, 4),
    ("energy_intensity_tce_per_wan", "energy intensity (tce/万元)", 1.0, 4),
    ("output_per_mu_wan", "output per mu (万元/mu)", 1.0, 1),
    ("land_new_mu", "new land (mu)", 1.0, 1),
    ("land_revitalised_mu", "revitalised land (mu)", 1.0, 1),
    ("firms_active", "firms", 1.0, 0),
    ("firms_entered", "firms entered", 1.0, 0),
    ("firms_exited", "firms exited", 1.0, 0),
    ("carbon_gap_t", "carbon gap (Mt)", 1 / T_PER_MT, 3),
    ("abatement_total_t", "abated (Mt)", 1 / T_PER_MT, 3),
    ("marginal_abatement_cost_yuan_per_t", "marginal cap cost (元/t)", 1.0, 1),
)
"""summary.csv: each column's unit in its name; rounded to what the numbers can tell
(VA to 0.1 亿元, Mt to 1000 t, intensities to 4 decimals). Energy in tce counts
electricity at 0.1229 tce/MWh (当量值, the equivalent-value convention of China's energy
statistics). Money in constant 2020 prices."""


def summary_table(province: pd.DataFrame) -> pd.DataFrame:
    """The short table the CLI prints and summary.csv holds: headline KPIs by year.

    Columns and rounding: SUMMARY_COLUMNS (units in the names, one unit per quantity:
    CO2 and energy in Mt and Mtce throughout).
    """
    out = pd.DataFrame(index=province.index)
    for col, name, scale, decimals in SUMMARY_COLUMNS:
        v = province[col] if col in province else pd.Series(np.nan, index=province.index)
        if not decimals:  # the year and firm counts
            out[name] = v.astype("int64")
        else:
            # + 0.0 turns a rounded -0.0 into 0.0, so the CSV never shows "-0.0"
            out[name] = (v.astype(float) * scale).round(decimals) + 0.0
    return out.reset_index(drop=True)


def scorecard(
    province: pd.DataFrame,
    scenario: Scenario,
    zones: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The plan's targets and the scenario's own caps, met or missed by how much (DESIGN §6).

    The plan's targets (kind "plan"):
    - zones grow faster than the province: zone VA CAGR ≥ province GDP CAGR;
    - carbon intensity falls ≥ 18 % (China's national 14th FYP target; Jiangsu's own
      allocation was not published; the scenario's own path where it sets one) and
      energy intensity ≥ 14 % (Jiangsu's own 14th FYP target, ENERGY_INTENSITY_TARGET_2025)
      by 2025 vs 2020, or by the last year if the run ends earlier;
    - output per mu rises over the run.
    The scenario's caps (kind "cap"), one row per cap that is set, each judged in its
    tightest year (the year with the least room, or the largest excess): the total CO2
    cap (Mt), the intensity target in every year (t CO2/万元), each zone's CO2 cap (Mt,
    from the zone table when given), and the largest yearly gap left
    above the belts' and zones' caps and intensity targets after enforcement (t).
    Columns: target, year, required, achieved, direction, margin (> 0: met with room;
    < 0: missed by that much, in the row's unit), met, unit, kind.
    """
    first, last = province.iloc[0], province.iloc[-1]
    n = last["year"] - first["year"]
    y25 = province[province["year"] == min(2025, int(last["year"]))].iloc[0]
    years = max(n, 1)
    zone_cagr = (last["value_added_yi"] / first["value_added_yi"]) ** (1 / years) - 1
    prov_cagr = (last["province_gdp_yi"] / first["province_gdp_yi"]) ** (1 / years) - 1
    # the scenario's own intensity path where it sets one, else the national −18 % by 2025
    red = path_value(scenario.carbon.intensity_reduction_vs_base, int(y25["year"]))
    ci_target = 0.18 if red is None else red
    ci = "carbon_intensity_t_per_wan_change_vs_base"
    ei = "energy_intensity_tce_per_wan_change_vs_base"
    # (target, year, required, achieved, direction: ">=" or "<=", unit, kind)
    rows: list[tuple[str, int, float, float, str, str, str]] = [
        (
            "zone VA grows faster than province GDP (CAGR)",
            int(last["year"]),
            prov_cagr,
            zone_cagr,
            ">=",
            "share per year",
            "plan",
        ),
        (
            "carbon intensity change vs base",
            int(y25["year"]),
            -ci_target,
            y25[ci],
            "<=",
            "share",
            "plan",
        ),
        (
            "energy intensity change vs base",
            int(y25["year"]),
            -ENERGY_INTENSITY_TARGET_2025,
            y25[ei],
            "<=",
            "share",
            "plan",
        ),
        (
            "output per mu change vs base",
            int(last["year"]),
            0.0,
            last["output_per_mu_wan_change_vs_base"],
            ">=",
            "share",
            "plan",
        ),
    ]
    c = scenario.carbon
    sim_years = province[province["year"] > first["year"]]

    def tightest(label: str, yrs: pd.Series, limit: np.ndarray, value: np.ndarray, unit: str):
        """The cap's row in its tightest year (least room = limit − value)."""
        ok = np.isfinite(limit)
        if not ok.any():
            return None
        room = np.where(ok, limit - value, np.inf)
        i = int(np.argmin(room))
        return (label, int(yrs.iloc[i]), float(limit[i]), float(value[i]), "<=", unit, "cap")

    def cap_path(path: Any, yrs: pd.Series) -> np.ndarray:
        vals = [path_value(path, int(y)) for y in yrs]
        return np.array([np.nan if v is None else v for v in vals], float)

    if n > 0:
        yrs = sim_years["year"]
        total = cap_path(c.total_cap_mt, yrs)
        row = tightest(
            "CO2 total cap (Mt)", yrs, total, sim_years["co2_t"].to_numpy() / T_PER_MT, "Mt"
        )
        if row:
            rows.append(row)
        if "carbon_intensity_target_t_per_wan" in sim_years:
            target = sim_years["carbon_intensity_target_t_per_wan"].astype(float).to_numpy()
            achieved = sim_years["carbon_intensity_t_per_wan"].to_numpy(float)
            row = tightest(
                "carbon intensity target, every year (t CO2/万元)", yrs, target, achieved, "t/万元"
            )
            if row:
                rows.append(row)
        # a belt's cap covers every zone listed in it (zones.csv `belts`), which the belt
        # table (by each zone's first belt) does not: belts are judged by their gap below
        for kind, table, key, caps in (("zone", zones, "zone_id", c.zone_caps_mt),):
            if table is None or table.empty or key not in table:
                continue
            for name in sorted(k for k, v in caps.items() if v is not None):
                mine = table[(table[key] == name) & (table["year"] > first["year"])].sort_values(
                    "year"
                )
                if mine.empty:
                    continue
                limit = cap_path(caps[name], mine["year"])
                row = tightest(
                    f"CO2 cap, {kind} {name} (Mt)",
                    mine["year"],
                    limit,
                    mine["co2_t"].to_numpy() / T_PER_MT,
                    "Mt",
                )
                if row:
                    rows.append(row)

    # the gap left above the belts' and zones' caps and targets after enforcement
    def named(table: dict[str, Any]) -> set[str]:
        return {k for k, v in table.items() if v is not None}

    belt_names = sorted(named(c.belt_caps_mt) | named(c.belt_intensity_reduction_vs_base))
    groups = [(f"carbon_gap_{b}_t", f"largest yearly carbon gap, {b} belt (t)") for b in belt_names]
    if named(c.zone_caps_mt) | named(c.zone_intensity_reduction_vs_base):
        groups.append(("carbon_gap_zone_t", "largest yearly carbon gap, capped zones (t)"))
    for col, label in groups:
        gaps = province[col].fillna(0.0) if col in province else province["year"] * 0.0
        rows.append(
            (
                label,
                int(province.loc[gaps.idxmax(), "year"]),
                0.0,
                float(gaps.max()),
                "<=",
                "t",
                "cap",
            )
        )
    cols = ["target", "year", "required", "achieved", "direction", "unit", "kind"]
    df = pd.DataFrame(rows, columns=cols)
    sign = np.where(df["direction"] == ">=", 1.0, -1.0)
    df["margin"] = sign * (df["achieved"] - df["required"])
    df["met"] = (df["margin"] >= -1e-9).astype("boolean")
    if n == 0:  # stopped before its first simulated year: nothing to judge
        df.loc[:, ["achieved", "margin"]] = np.nan
        df["met"] = pd.array([pd.NA] * len(df), dtype="boolean")
    return df[
        ["target", "year", "required", "achieved", "direction", "margin", "met", "unit", "kind"]
    ]
