"""The back-cast: a scenario run over Jiangsu's history years, held against the actuals.

`backcast(scenario)` runs the scenario up to the last year of the history file
(scenarios/data/jiangsu_history.csv, sim/runs/history.py) and returns one row per
indicator and year: the model's value, the actual, the error (in points for growth
rates and shares, relative for levels), whether the year is inside the calibration
window (2021-2022: the only years the growth elasticities and efficiency trends were
fitted to; 2023 onward is out of sample), a tolerance and the reason for it. Indicators
marked `tested` are the calibration targets (tests/test_backcast.py holds their
in-window rows to the tolerance); the others are diagnostics whose gap is explained.

The zones are compared with the province: zone value added with real GDP, zone
manufacturing with above-scale industry (the zones hold 60 % of industrial VA, mostly
above-scale firms), zone services with the tertiary sector, zone energy intensity with
the province's, zone VA per worker with the province's labour productivity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.runs.history import actual, load_history

CALIBRATION_YEARS = (2021, 2022)

Series = Callable[[pd.DataFrame, pd.DataFrame], pd.Series]  # (province, sectors) -> by year


@dataclass(frozen=True)
class Indicator:
    """One comparison: a model series against a history indicator."""

    name: str
    actual: str  # indicator in the history file
    model: Series
    error: str  # "points" (model − actual, × 100) or "relative" (model / actual − 1)
    tolerance: float  # in points, or relative
    reason: str
    tested: bool = True


def _kinds(sectors: pd.DataFrame) -> pd.DataFrame:
    from sim.scenario.library import LIBRARY_DIR

    table = pd.read_csv(LIBRARY_DIR / "data" / "sectors.csv", usecols=["sector", "kind"])
    s = sectors.merge(table, on="sector", how="left")
    s["group"] = np.where(s["kind"] == "services", "services", "manufacturing")
    return (
        s.groupby(["year", "group"])[["value_added_yi", "output_yi", "output_new_projects_yi"]]
        .sum()
        .reset_index()
    )


def _by_year(p: pd.DataFrame, col: str) -> pd.Series:
    return p.set_index("year")[col]


def zone_va_growth(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Growth of the zones' value added over the previous year, by year (a fraction)."""
    return _by_year(p, "value_added_yi").pct_change()


def _group(s: pd.DataFrame, group: str, col: str = "value_added_yi") -> pd.Series:
    g = _kinds(s)
    return g[g["group"] == group].set_index("year")[col]


def manufacturing_growth(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Growth of the zones' manufacturing value added over the previous year (a fraction).

    Manufacturing is every sector whose kind in sectors.csv is not services.
    """
    return _group(s, "manufacturing").pct_change()


def services_growth(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Growth of the zones' services value added over the previous year (a fraction)."""
    return _group(s, "services").pct_change()


def manufacturing_share_change(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Change of manufacturing's share of zone value added since 2021 (a fraction).

        change_t = VA_manufacturing,t / VA_t − the same share in 2021

    NaN in every year when 2021 is not in the run.
    """
    share = _group(s, "manufacturing") / _by_year(p, "value_added_yi")
    return share - share.get(2021, np.nan)


def energy_intensity_change(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Zone energy intensity (tce per 万元 VA) relative to the base year, minus 1."""
    return _by_year(p, "energy_intensity_tce_per_wan_change_vs_base")


def energy_use_index(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Zone energy use (tce) as an index of the first year of the run (the base year = 1)."""
    e = _by_year(p, "energy_tce")
    return e / e.iloc[0]


def electricity_growth(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Growth of the zones' electricity use (MWh) over the previous year (a fraction)."""
    return _by_year(p, "electricity_mwh").pct_change()


def tax_growth(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Growth of the zones' tax (亿元) over the previous year (a fraction)."""
    return _by_year(p, "tax_yi").pct_change()


def productivity_growth(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Growth of the zones' value added per employee over the previous year (a fraction)."""
    return (_by_year(p, "value_added_yi") / _by_year(p, "employees")).pct_change()


def employment_growth(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Growth of the zones' employees over the previous year (a fraction)."""
    return _by_year(p, "employees").pct_change()


def new_project_share(p: pd.DataFrame, s: pd.DataFrame) -> pd.Series:
    """Share of the year's growth of manufacturing output made by new projects.

    New projects are firms born after the base year: an upper bound of the bulletins'
    'newly commissioned'. The share is Δ output of new projects / Δ output (both 亿元).
    """
    out = _group(s, "manufacturing", "output_yi").diff()
    new = _group(s, "manufacturing", "output_new_projects_yi").diff()
    return new / out


INDICATORS = (
    Indicator(
        "zone VA growth vs GDP growth",
        "gdp_real_growth",
        zone_va_growth,
        "points",
        2.0,
        "zones may outgrow the province (the plan intends it) by up to 2 points a year, "
        "which moves their share of GDP by about one point a year",
    ),
    Indicator(
        "zone manufacturing VA growth vs above-scale industry",
        "industrial_va_above_scale_real_growth",
        manufacturing_growth,
        "points",
        2.0,
        "zones hold 60 % of industrial VA, mostly above-scale firms; the published index "
        "also covers mining and utilities",
    ),
    Indicator(
        "zone services VA growth vs tertiary sector",
        "tertiary_va_real_growth",
        services_growth,
        "points",
        2.0,
        "zone services include construction; the 2022 actual is Q1-Q3 only",
    ),
    Indicator(
        "zone manufacturing share of VA, change since 2021 vs province",
        "manufacturing_share_of_gdp",
        manufacturing_share_change,
        "points",
        2.0,
        "zone and province shares have different bases: only the change is compared",
    ),
    Indicator(
        "zone energy intensity change vs 2020",
        "energy_intensity_change_vs_2020",
        energy_intensity_change,
        "points",
        2.5,
        "the province's 2021-2023 yearly path is an estimate spread evenly from the "
        "published 2021-24 cumulative (-13 %)",
    ),
    Indicator(
        "zone energy use vs 2020 (index)",
        "energy_use_index_vs_2020",
        energy_use_index,
        "relative",
        0.05,
        "the actual is derived from GDP and intensity (estimate, about ±1 point)",
    ),
    Indicator(
        "zone VA per worker growth vs labour productivity",
        "labour_productivity_real_growth",
        productivity_growth,
        "points",
        2.5,
        "new projects are staffed for full capacity while they ramp up; the actual is "
        "GDP growth + 0.5 pp (estimate)",
    ),
    Indicator(
        "zone employment growth vs province",
        "employment_growth",
        employment_growth,
        "points",
        3.0,
        "zones outgrow the province, so their staff may grow where the province's falls",
    ),
    Indicator(
        "zone electricity growth vs province",
        "electricity_use_growth",
        electricity_growth,
        "points",
        4.0,
        "diagnostic: the model keeps each firm's electricity share (no electrification "
        "trend) and the zones exclude households",
        tested=False,
    ),
    Indicator(
        "zone tax growth vs budget revenue growth",
        "budget_revenue",
        tax_growth,
        "points",
        5.0,
        "diagnostic: tax_yi is real local budget revenue of the zone firms; the actual is "
        "nominal and 2022 carries VAT refunds",
        tested=False,
    ),
    Indicator(
        "new projects' share of manufacturing output growth",
        "new_plants_share_of_industrial_output_growth",
        new_project_share,
        "points",
        15.0,
        "diagnostic: firms born after 2020, ramping cohorts included (the bulletin counts "
        "plants commissioned that year); incumbent_growth_share was set from this figure",
        tested=False,
    ),
)


def _actual_series(history: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    a = actual(history, ind.actual)
    if ind.actual == "budget_revenue":  # levels → growth
        a = a.sort_values("year")
        a["value"] = a["value"].pct_change()
        a = a.dropna(subset=["value"])
    if ind.actual == "manufacturing_share_of_gdp":
        base = a.loc[a["year"] == 2021, "value"]
        a = a.assign(value=a["value"] - (base.iloc[0] if len(base) else np.nan))
        a = a[a["year"] > 2021]
    return a


def table(province: pd.DataFrame, sectors: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """The back-cast table of a run's province and sector frames against the history."""
    rows = []
    base = int(province["year"].min())
    for ind in INDICATORS:
        model = ind.model(province, sectors)
        for _, a in _actual_series(history, ind).iterrows():
            y = int(a["year"])
            if y <= base or y not in model.index:
                continue
            m, v = float(model[y]), float(a["value"])
            err = (m - v) * 100.0 if ind.error == "points" else m / v - 1.0
            rows.append(
                {
                    "indicator": ind.name,
                    "year": y,
                    "model": m,
                    "actual": v,
                    "error": err,
                    "error_unit": "points" if ind.error == "points" else "relative",
                    "window": "in" if y in CALIBRATION_YEARS else "out",
                    "tolerance": ind.tolerance,
                    "within": bool(abs(err) <= ind.tolerance + 1e-12),
                    "tested": ind.tested,
                    "tolerance_reason": ind.reason,
                    "actual_grade": a["grade"],
                    "actual_indicator": ind.actual,
                    "actual_source": a["source"],
                }
            )
    return pd.DataFrame(rows)


def history_end(history: pd.DataFrame, base: int) -> int:
    """The last year the back-cast runs to: the last year of a compared indicator."""
    names = {ind.actual for ind in INDICATORS}
    years = history.loc[history["indicator"].isin(names), "year"]
    return int(max(years.max(), base + 1))


def backcast(
    scenario_name: str = "baseline",
    overrides: dict | None = None,
    history_path: str | Path | None = None,
) -> tuple[pd.DataFrame, object]:
    """Run the scenario over the history years; return (table, run result)."""
    from sim.runs.runner import run
    from sim.scenario import load_scenario

    history = load_history(history_path)
    sc = load_scenario(scenario_name, dict(overrides or {}))
    end = history_end(history, sc.years.base)
    if sc.years.end != end:
        sc = load_scenario(scenario_name, {**(overrides or {}), "years.end": end})
    result = run(sc)
    return table(result.province, result.sectors, history), result


def chart(tab: pd.DataFrame):
    """Model (line) against actual (points) per indicator, the calibration window shaded."""
    import altair as alt

    long = pd.concat(
        [
            tab.assign(series="model", value=tab["model"]),
            tab.assign(series="actual", value=tab["actual"]),
        ]
    )
    base = alt.Chart(long).encode(
        x=alt.X("year:O", title="year"),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("series:N", title=None),
    )
    layer = base.mark_line(point=True).encode(strokeDash="series:N") + base.mark_point(size=60)
    return (
        layer.properties(width=220, height=140)
        .facet(facet=alt.Facet("indicator:N", title=None), columns=3)
        .resolve_scale(y="independent")
        .properties(title="Back-cast: model against Jiangsu's actuals (calibrated on 2021-2022)")
    )


def write(tab: pd.DataFrame, folder: Path, charts: bool = True) -> list[Path]:
    """Write backcast.csv, backcast.parquet and (charts) backcast.html/png into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "backcast.csv", folder / "backcast.parquet"]
    tab.to_csv(paths[0], index=False, lineterminator="\n")
    tab.to_parquet(paths[1], index=False)
    if charts and len(tab):
        from sim.outputs.charts.render import save_chart

        paths += save_chart(chart(tab), folder, "backcast", formats=("html", "png"))
    return paths


def printable(tab: pd.DataFrame) -> pd.DataFrame:
    """The table as the CLI prints it (percent values, short columns)."""
    out = tab[
        [
            "indicator",
            "year",
            "window",
            "model",
            "actual",
            "error",
            "error_unit",
            "tolerance",
            "within",
            "tested",
        ]
    ].copy()
    pts = out["error_unit"] == "points"
    for c in ("model", "actual"):
        out[c] = np.where(pts, out[c] * 100.0, out[c])
    out["tolerance"] = np.where(pts, out["tolerance"], out["tolerance"] * 100.0)
    out["error"] = np.where(pts, out["error"], out["error"] * 100.0)
    out["error_unit"] = np.where(pts, "pts", "%")
    return out


def backcast_command(args) -> int:
    """`zonesim backcast [SCENARIO] [--set K=V] [--out DIR] [--no-charts]`: print and write."""
    import sys

    from sim.runs.store import new_run_dir
    from sim.scenario import parse_override

    overrides = dict(parse_override(s) for s in (args.set or []))
    overrides.setdefault("report.charts", False)
    tab, result = backcast(args.scenario, overrides)
    name = result.scenario.name
    folder = Path(args.out) if args.out else new_run_dir(f"{name}-backcast")
    write(tab, folder, charts=not args.no_charts)
    with pd.option_context(
        "display.width", 220, "display.max_colwidth", 60, "display.float_format", "{:,.2f}".format
    ):
        print(printable(tab).to_string(index=False))
    inside = tab[(tab["window"] == "in") & tab["tested"]]
    print(
        f"\ncalibration window {CALIBRATION_YEARS[0]}-{CALIBRATION_YEARS[-1]}: "
        f"{int(inside['within'].sum())}/{len(inside)} tested rows within tolerance; "
        f"2023 onward is out of sample",
        file=sys.stderr,
    )
    print(folder)
    return 0
