"""Province charts by year.

Value added and CO2, carbon intensity against the target path, land stocks and flows.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from sim.outputs.charts.labels import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    RED,
    AnyChart,
    Lang,
    check_lang,
    finish,
    label,
    pick_year,
    require,
    year_tip,
    year_x,
)
from sim.units import MU_PER_WANMU, T_PER_MT

_PROVINCE_COLUMNS = {
    "va_co2": ("year", "value_added_yi", "co2_t"),
    "carbon_intensity": ("year", "carbon_intensity_t_per_wan"),
    "land_flows": (
        "year",
        "land_built_mu",
        "land_stock_mu",
        "land_ready_mu",
        "land_new_mu",
        "land_revitalised_mu",
    ),
}

# --------------------------------------------------------------------------- province charts


def value_added_and_co2(province: pd.DataFrame, lang: Lang) -> AnyChart:
    """Two panels by year: value added (亿元, bars) and CO2 emissions (Mt = co2_t / 10^6, line)."""
    lang = check_lang(lang)
    require(province, _PROVINCE_COLUMNS["va_co2"], "province")
    df = province[["year", "value_added_yi", "co2_t"]].copy()
    df["co2_mt"] = df["co2_t"] / T_PER_MT
    base = alt.Chart(df).encode(x=year_x(lang))
    va_title = label("va_yi", lang)
    co2_title = label("co2_mt", lang)
    va = (
        base.mark_bar(color=BLUE)
        .encode(
            y=alt.Y("value_added_yi:Q", title=va_title, axis=alt.Axis(format=",.0f")),
            tooltip=[
                year_tip(lang),
                alt.Tooltip("value_added_yi:Q", title=va_title, format=",.0f"),
            ],
        )
        .properties(title=label("va", lang), width=300, height=220)
    )
    co2 = (
        base.mark_line(point=True, color=RED)
        .encode(
            y=alt.Y("co2_mt:Q", title=co2_title, scale=alt.Scale(zero=False)),
            tooltip=[year_tip(lang), alt.Tooltip("co2_mt:Q", title=co2_title, format=",.2f")],
        )
        .properties(title=label("co2", lang), width=300, height=220)
    )
    return finish(alt.hconcat(va, co2, spacing=30), label("va_co2_title", lang))


def carbon_intensity_vs_target(
    province: pd.DataFrame, lang: Lang, base_year: int | None = None
) -> AnyChart:
    """Carbon intensity (t CO2 per 万元 VA) by year, with the target path and the base-year level.

    The base year is ``base_year`` or else the first year of the frame; the
    tooltip shows each value's change since it: 100 · (I_t / I_base − 1).
    """
    lang = check_lang(lang)
    require(province, _PROVINCE_COLUMNS["carbon_intensity"], "province")
    df = province.sort_values("year")
    base_year = int(df["year"].iloc[0]) if base_year is None else base_year
    base_year = pick_year(df, base_year, "province")
    base_level = float(df.loc[df["year"] == base_year, "carbon_intensity_t_per_wan"].iloc[0])
    sim_name = label("ci_sim", lang)
    target_name = label("ci_target", lang)
    base_name = label("ci_base", lang, year=base_year)
    parts = [
        pd.DataFrame(
            {"year": df["year"], "series": sim_name, "value": df["carbon_intensity_t_per_wan"]}
        ),
        pd.DataFrame({"year": df["year"], "series": base_name, "value": base_level}),
    ]
    if "carbon_intensity_target_t_per_wan" in df.columns:
        target = df[["year", "carbon_intensity_target_t_per_wan"]].dropna()
        if not target.empty:
            parts.insert(
                1,
                pd.DataFrame(
                    {
                        "year": target["year"],
                        "series": target_name,
                        "value": target["carbon_intensity_target_t_per_wan"],
                    }
                ),
            )
    long = pd.concat(parts, ignore_index=True)
    long["change_pct"] = 100.0 * (long["value"] / base_level - 1.0) if base_level else math.nan
    domain = [s for s in (sim_name, target_name, base_name) if s in set(long["series"])]
    colours = {sim_name: BLUE, target_name: ORANGE, base_name: GREY}
    dashes = {sim_name: [1, 0], target_name: [6, 3], base_name: [2, 2]}
    ci_title = label("ci", lang)
    series_title = label("series", lang)
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=year_x(lang),
            y=alt.Y("value:Q", title=ci_title, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "series:N",
                title=series_title,
                scale=alt.Scale(domain=domain, range=[colours[s] for s in domain]),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                title=series_title,
                scale=alt.Scale(domain=domain, range=[dashes[s] for s in domain]),
                legend=None,
            ),
            tooltip=[
                year_tip(lang),
                alt.Tooltip("series:N", title=series_title),
                alt.Tooltip("value:Q", title=ci_title, format=",.3f"),
                alt.Tooltip(
                    "change_pct:Q", title=label("change_pct", lang, year=base_year), format="+.1f"
                ),
            ],
        )
        .properties(width=520, height=280)
    )
    return finish(chart, label("ci_title", lang))


def land_flows(province: pd.DataFrame, lang: Lang) -> AnyChart:
    """Land stocks and flows by year, in 万亩 (= mu / 10^4).

    The three stocks (built, stock pool, ready), one panel each with its own scale, and the
    two flows (new quota land, revitalised stock) as bars.
    """
    lang = check_lang(lang)
    require(province, _PROVINCE_COLUMNS["land_flows"], "province")
    unit = label("land_wanmu", lang)
    stock_specs = (
        ("land_built_mu", "land_built", BLUE),
        ("land_stock_mu", "land_stock", ORANGE),
        ("land_ready_mu", "land_ready", GREEN),
    )
    panels = []
    for i, (column, key, colour) in enumerate(stock_specs):
        df = pd.DataFrame({"year": province["year"], "value": province[column] / MU_PER_WANMU})
        name = label(key, lang)
        last = i == len(stock_specs) - 1
        x = alt.X(
            "year:O",
            title=label("year", lang) if last else None,
            axis=alt.Axis(labelAngle=0, labels=last, ticks=last, labelOverlap=True),
        )
        panels.append(
            alt.Chart(df)
            .mark_line(point=alt.OverlayMarkDef(color=colour), color=colour)
            .encode(
                x=x,
                y=alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False)),
                tooltip=[
                    year_tip(lang),
                    alt.Tooltip("value:Q", title=f"{name} · {unit}", format=",.2f"),
                ],
            )
            .properties(title=alt.TitleParams(name, fontSize=12), width=300, height=90)
        )
    stocks = alt.vconcat(*panels, spacing=12, title=label("land_stocks", lang))

    flow_names = [label("land_new", lang), label("land_revitalised", lang)]
    flows_long = pd.concat(
        [
            pd.DataFrame(
                {
                    "year": province["year"],
                    "kind": name,
                    "value": province[column] / MU_PER_WANMU,
                }
            )
            for column, name in zip(("land_new_mu", "land_revitalised_mu"), flow_names, strict=True)
        ],
        ignore_index=True,
    )
    kind_title = label("land_kind", lang)
    flows = (
        alt.Chart(flows_long)
        .mark_bar()
        .encode(
            x=year_x(lang),
            xOffset=alt.XOffset("kind:N", sort=flow_names),
            y=alt.Y("value:Q", title=unit),
            color=alt.Color(
                "kind:N",
                title=kind_title,
                sort=flow_names,
                scale=alt.Scale(domain=flow_names, range=[PURPLE, GREEN]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                year_tip(lang),
                alt.Tooltip("kind:N", title=kind_title),
                alt.Tooltip("value:Q", title=unit, format=",.2f"),
            ],
        )
        .properties(title=label("land_flows", lang), width=320, height=318)
    )
    return finish(alt.hconcat(stocks, flows, spacing=40), label("land_title", lang))
