"""The sector chart: the mix of value added, CO2 or land by sector over the years."""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from sim.outputs.charts.labels import (
    AnyChart,
    Lang,
    check_lang,
    finish,
    label,
    require,
    year_tip,
    year_x,
)
from sim.units import MU_PER_WANMU, T_PER_MT

SECTOR_MEASURES = ("value_added_yi", "co2_t", "land_built_mu")

# --------------------------------------------------------------------------- sector chart


def sector_mix(
    sectors: pd.DataFrame,
    lang: Lang,
    measure: str = "value_added_yi",
    sector_names: Mapping[str, str] | None = None,
) -> AnyChart:
    """Stacked bars by year of ``measure`` by sector, each with its share of the year.

    value_added_yi is drawn in 亿元, co2_t in Mt (= t / 10^6), land_built_mu in 万亩
    (= mu / 10^4); the tooltip's share is 100 · value / Σ value of the year (%). Sector
    names come from ``sector_names``, else a ``name_zh`` / ``name_en`` column of the
    frame, else the sector id.
    """
    lang = check_lang(lang)
    if measure not in SECTOR_MEASURES:
        raise ValueError(f"sector measure {measure!r} is not one of {', '.join(SECTOR_MEASURES)}")
    require(sectors, ("sector", "year", measure), "sectors")
    df = sectors[["sector", "year", measure]].copy()
    name_col = f"name_{lang}"
    if sector_names is not None:
        df["sector_label"] = df["sector"].map(lambda s: sector_names.get(s, s))
    elif name_col in sectors.columns:
        df["sector_label"] = sectors[name_col].fillna(sectors["sector"]).astype(str)
    else:
        df["sector_label"] = df["sector"].astype(str)
    key, scale = {
        "value_added_yi": ("va_yi", 1.0),
        "co2_t": ("co2_mt", 1 / T_PER_MT),
        "land_built_mu": ("land_built_wanmu", 1 / MU_PER_WANMU),
    }[measure]
    df["value"] = df[measure] * scale
    year_total = df.groupby("year")["value"].transform("sum")
    df["share_pct"] = 100.0 * df["value"] / year_total.where(year_total != 0)
    last = df.loc[df["year"] == df["year"].max()]
    order = last.sort_values("value", ascending=False)["sector_label"].tolist()
    order += sorted(set(df["sector_label"]) - set(order))
    df["stack_order"] = df["sector_label"].map({s: i for i, s in enumerate(order)})
    value_title = label(key, lang)
    sector_title = label("sector", lang)
    chart = (
        alt.Chart(df[["year", "sector_label", "value", "share_pct", "stack_order"]])
        .mark_bar()
        .encode(
            x=year_x(lang),
            y=alt.Y("value:Q", title=value_title, stack="zero", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "sector_label:N",
                title=sector_title,
                sort=order,
                scale=alt.Scale(scheme="tableau20"),
                legend=alt.Legend(symbolLimit=0),
            ),
            order=alt.Order("stack_order:Q", sort="ascending"),
            tooltip=[
                year_tip(lang),
                alt.Tooltip("sector_label:N", title=sector_title),
                alt.Tooltip("value:Q", title=value_title, format=",.2f"),
                alt.Tooltip("share_pct:Q", title=label("share_pct", lang), format=".1f"),
            ],
        )
        .properties(width=520, height=300)
    )
    return finish(chart, label(f"sector_title_{measure}", lang))
