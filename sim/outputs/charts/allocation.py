"""Charts of the land allocation and of the firms it serves.

``allocation_heatmap``: land the optimiser allocated by city (or zone) and sector.
``shadow_prices``: the allocation's dual prices by year, each with its unit.
``per_mu_by_class``: output per mu of the firms by evaluation class (A/B/C/D, T).
``land_by_run``: new and revitalised land by year for several runs.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from sim.outputs.charts.labels import (
    GREEN,
    GREY,
    PURPLE,
    AnyChart,
    Lang,
    check_lang,
    finish,
    label,
    name_of,
    names,
    require,
    year_tip,
    year_x,
)
from sim.units import MU_PER_WANMU, T_PER_MT, WAN_PER_YI

_ALLOC_COLUMNS = ("zone_id", "sector", "year", "land_mu", "va_added_wan", "co2_added_t")

# --------------------------------------------------------------------------- heatmap


def allocation_heatmap(
    allocations: pd.DataFrame,
    zones: pd.DataFrame,
    lang: Lang,
    by: str = "city",
    years: tuple[int, int] | None = None,
    sector_names: Mapping[str, str] | None = None,
    top_n: int = 25,
) -> AnyChart:
    """Land allocated (万亩) by ``by`` ("city" or "zone") × sector, summed over ``years``.

    ``allocations`` is allocations.parquet (zone_id, sector, year, land_mu, va_added_wan,
    co2_added_t); ``zones`` maps each zone_id to its city and names (zones.parquet).
    ``years`` is an inclusive (first, last) range, default every year of the frame. With
    by="zone" only the ``top_n`` zones by allocated land are drawn. Sector names come from
    ``sector_names`` or the shipped sectors.csv. The colour scale starts at zero.
    """
    lang = check_lang(lang)
    if by not in ("city", "zone"):
        raise ValueError(f"allocation heatmap by {by!r}: use 'city' or 'zone'")
    require(allocations, _ALLOC_COLUMNS, "allocations")
    require(zones, ("zone_id", "city"), "zones")
    df = allocations
    if years is not None:
        df = df[(df["year"] >= years[0]) & (df["year"] <= years[1])]
        if df.empty:
            raise ValueError(f"the allocations frame has no rows in {years[0]}-{years[1]}")
    first, last = int(df["year"].min()), int(df["year"].max())
    zone_info = zones.drop_duplicates("zone_id").set_index("zone_id")
    if by == "city":
        city = zone_info["city"].astype(str)
        key = df["zone_id"].map(city)
        if key.isna().any():
            missing = sorted(set(df.loc[key.isna(), "zone_id"]))[:5]
            raise ValueError(
                f"allocations name zone(s) {', '.join(missing)} not in the zones frame"
            )
        shown = names("city", lang, zones if "city_zh" in zones.columns else None)
    else:
        key = df["zone_id"].astype(str)
        shown = names("zone", lang, zones if "name_zh" in zones.columns else None)
    grouped = (
        df.assign(key=key)
        .groupby(["key", "sector"], as_index=False)[["land_mu", "va_added_wan", "co2_added_t"]]
        .sum()
    )
    grouped = grouped[grouped["land_mu"] > 0]
    if grouped.empty:
        raise ValueError("the allocations frame allocates no land in those years")
    totals = grouped.groupby("key")["land_mu"].sum().sort_values(ascending=False)
    if by == "zone":
        totals = totals.head(top_n)
        grouped = grouped[grouped["key"].isin(totals.index)]
    sectors = sector_names or names("sector", lang)
    grouped["row_label"] = grouped["key"].map(lambda k: name_of(shown, k))
    grouped["sector_label"] = grouped["sector"].map(lambda s: name_of(sectors, s))
    grouped["land_wanmu"] = grouped["land_mu"] / MU_PER_WANMU
    grouped["va_yi"] = grouped["va_added_wan"] / WAN_PER_YI
    zh = lang == "zh"
    grouped["co2_shown"] = grouped["co2_added_t"] / (1e4 if zh else T_PER_MT)
    row_order = [name_of(shown, k) for k in totals.index]
    sector_order = (
        grouped.groupby("sector_label")["land_mu"].sum().sort_values(ascending=False).index
    )
    by_title = label("city" if by == "city" else "zone", lang)
    land_title = label("land_alloc", lang)
    co2_title = label("co2_added", lang) if zh else "CO2 of the allocated land (Mt)"
    chart = (
        alt.Chart(grouped)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X(
                "row_label:N",
                title=None,
                sort=row_order,
                axis=alt.Axis(labelAngle=-45, labelLimit=200, orient="top"),
            ),
            y=alt.Y(
                "sector_label:N", title=None, sort=list(sector_order), axis=alt.Axis(labelLimit=260)
            ),
            color=alt.Color(
                "land_wanmu:Q",
                title=land_title,
                scale=alt.Scale(scheme="blues", domainMin=0),
                legend=alt.Legend(orient="right", gradientLength=200),
            ),
            tooltip=[
                alt.Tooltip("row_label:N", title=by_title),
                alt.Tooltip("sector_label:N", title=label("sector", lang)),
                alt.Tooltip("land_wanmu:Q", title=land_title, format=",.3f"),
                alt.Tooltip("va_yi:Q", title=label("va_added", lang), format=",.1f"),
                alt.Tooltip("co2_shown:Q", title=co2_title, format=",.2f"),
            ],
        )
        .properties(width=alt.Step(26), height=alt.Step(18))
    )
    span = f"{first}-{last}" if first != last else str(first)
    if zh:
        span = f"{first}–{last}年" if first != last else f"{first}年"
    return finish(
        chart, label("heat_title", lang, by=by_title if zh else by_title.lower(), years=span)
    )


# --------------------------------------------------------------------------- shadow prices

#: Shadow-price columns of province.parquet: column -> (title key, note key, axis unit key).
SHADOW_PRICES = {
    "shadow_price_carbon_yuan_per_t": ("sp_carbon", "sp_cap_note", "sp_money_t"),
    "shadow_price_intensity_yuan_per_t": ("sp_intensity", "sp_cap_note", "sp_money_t"),
    "shadow_price_land_wan_per_mu": ("sp_land", "sp_land_note", "sp_money_mu"),
    "shadow_price_quota_wan_per_mu": ("sp_quota", "sp_land_note", "sp_money_mu"),
}


def shadow_prices(province: pd.DataFrame, lang: Lang) -> AnyChart:
    """The optimiser's shadow prices by year, one panel per price, each titled with its unit.

    Carbon and intensity caps in 元 per t CO2; zone land and the province quota in 万元
    per mu: the value added one more mu would earn in a year, not a land price. A
    ``run`` column (several runs stacked) draws a line per run. Years without a price
    (no such constraint, NaN) are left out; a price never set is not drawn.
    """
    lang = check_lang(lang)
    require(province, ("year",), "province")
    present = [c for c in SHADOW_PRICES if c in province.columns and province[c].notna().any()]
    if not present:
        raise ValueError(
            "the province frame has no shadow price with a value "
            f"(columns looked for: {', '.join(SHADOW_PRICES)})"
        )
    has_run = "run" in province.columns
    runs = list(dict.fromkeys(province["run"].astype(str))) if has_run else []
    panels = []
    for col in present:
        key, note_key, unit_key = SHADOW_PRICES[col]
        df = province[["year", col] + (["run"] if has_run else [])].dropna(subset=[col])
        df = df.rename(columns={col: "value"})
        if has_run:
            df["run"] = df["run"].astype(str)
        unit = label(unit_key, lang)
        name = label(key, lang)
        tips = [year_tip(lang), alt.Tooltip("value:Q", title=name, format=",.2f")]
        enc = {
            "x": year_x(lang),
            "y": alt.Y("value:Q", title=unit, scale=alt.Scale(zero=True)),
        }
        if has_run:
            enc["color"] = alt.Color(
                "run:N",
                title=label("run", lang),
                sort=runs,
                legend=alt.Legend(orient="bottom", labelLimit=400),
            )
            tips.insert(0, alt.Tooltip("run:N", title=label("run", lang)))
        line = alt.Chart(df).mark_line(point=True).encode(**enc, tooltip=tips)
        panels.append(
            line.properties(
                title=alt.TitleParams(
                    name,
                    subtitle=label(note_key, lang),
                    fontSize=12,
                    subtitleFontSize=11,
                    subtitleColor="#555",
                    anchor="start",
                ),
                width=300,
                height=150,
            )
        )
    chart = alt.concat(*panels, columns=2, spacing=30).resolve_scale(y="independent")
    return finish(chart, label("shadow_title", lang))


# --------------------------------------------------------------------------- classes

CLASS_ORDER = ("A", "B", "C", "D", "T")
_CLASS_COLOURS = ("#1a9850", "#91cf60", "#fdae61", "#d73027", GREY)


def per_mu_by_class(firms: pd.DataFrame, lang: Lang) -> AnyChart:
    """Output per mu (万元/亩) of the live firms by evaluation class: Σ output / Σ land.

    ``firms`` is firms_final.parquet (class, output_wan, land_mu, and status: exited
    firms are left out); an optional ``run`` column draws one bar per run in each class.
    Class T (not rated: young firms, utilities, small firms) is drawn grey.
    """
    lang = check_lang(lang)
    require(firms, ("class", "output_wan", "land_mu"), "firms")
    df = firms
    if "status" in df.columns:
        df = df[df["status"] != "exited"]
    keys = ["run", "class"] if "run" in df.columns else ["class"]
    grouped = df.groupby(keys, as_index=False).agg(
        output_wan=("output_wan", "sum"), land_mu=("land_mu", "sum"), firms=("output_wan", "size")
    )
    grouped = grouped[grouped["land_mu"] > 0]
    if grouped.empty:
        raise ValueError("the firms frame has no live firm with land")
    grouped["per_mu"] = grouped["output_wan"] / grouped["land_mu"]
    grouped["output_yi"] = grouped["output_wan"] / WAN_PER_YI
    grouped["land_wanmu"] = grouped["land_mu"] / MU_PER_WANMU
    grouped["class_label"] = grouped["class"].map(
        lambda c: label("class_T", lang) if c == "T" else str(c)
    )
    order = [label("class_T", lang) if c == "T" else c for c in CLASS_ORDER]
    present = [c for c in order if c in set(grouped["class_label"])]
    colours = [_CLASS_COLOURS[order.index(c)] for c in present]
    opm = label("opm", lang)
    tips = [
        alt.Tooltip("class_label:N", title=label("class", lang)),
        alt.Tooltip("per_mu:Q", title=opm, format=",.1f"),
        alt.Tooltip("firms:Q", title=label("firms", lang), format=",d"),
        alt.Tooltip("output_yi:Q", title=label("output_yi", lang), format=",.1f"),
        alt.Tooltip("land_wanmu:Q", title=label("land_built_wanmu", lang), format=",.2f"),
    ]
    enc = {
        "x": alt.X("class_label:N", title=None, sort=present, axis=alt.Axis(labelAngle=0)),
        "y": alt.Y("per_mu:Q", title=opm, axis=alt.Axis(format=",.0f")),
        "color": alt.Color(
            "class_label:N",
            title=label("class", lang),
            sort=present,
            scale=alt.Scale(domain=present, range=colours),
            legend=None,
        ),
    }
    if "run" in grouped.columns:
        runs = list(dict.fromkeys(grouped["run"].astype(str)))
        enc["xOffset"] = alt.XOffset("run:N", sort=runs)
        enc["opacity"] = alt.Opacity(
            "run:N",
            sort=runs,
            title=label("run", lang),
            scale=alt.Scale(range=[1.0, 0.45] if len(runs) == 2 else [1.0, 0.35]),
            legend=alt.Legend(orient="bottom", labelLimit=400),
        )
        tips.insert(0, alt.Tooltip("run:N", title=label("run", lang)))
    chart = (
        alt.Chart(grouped)
        .mark_bar()
        .encode(**enc, tooltip=tips)
        .properties(width=alt.Step(70 if "run" not in grouped.columns else 30), height=240)
    )
    return finish(chart, label("per_mu_class_title", lang))


# --------------------------------------------------------------------------- land by run


def land_by_run(province: pd.DataFrame, lang: Lang) -> AnyChart:
    """New construction land and revitalised stock by year (万亩), a bar per run.

    ``province`` holds several runs' province frames stacked with a ``run`` column.
    """
    lang = check_lang(lang)
    require(province, ("run", "year", "land_new_mu", "land_revitalised_mu"), "province")
    runs = list(dict.fromkeys(province["run"].astype(str)))
    kinds = [
        ("land_new_mu", label("land_new", lang)),
        ("land_revitalised_mu", label("land_revitalised", lang)),
    ]
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "run": province["run"].astype(str),
                    "year": province["year"].astype(int),
                    "kind": name,
                    "value": province[col].astype(float) / MU_PER_WANMU,
                }
            )
            for col, name in kinds
        ],
        ignore_index=True,
    )
    unit = label("land_wanmu", lang)
    kind_title = label("land_kind", lang)
    panels = []
    for (_, name), colour in zip(kinds, (PURPLE, GREEN), strict=True):
        mine = long[long["kind"] == name]
        panels.append(
            alt.Chart(mine)
            .mark_bar(color=colour)
            .encode(
                x=year_x(lang),
                xOffset=alt.XOffset("run:N", sort=runs),
                y=alt.Y("value:Q", title=unit),
                opacity=alt.Opacity(
                    "run:N",
                    sort=runs,
                    title=label("run", lang),
                    scale=alt.Scale(range=[1.0, 0.3]),
                    legend=alt.Legend(orient="bottom", labelLimit=400),
                ),
                tooltip=[
                    alt.Tooltip("run:N", title=label("run", lang)),
                    year_tip(lang),
                    alt.Tooltip("kind:N", title=kind_title),
                    alt.Tooltip("value:Q", title=unit, format=",.2f"),
                ],
            )
            .properties(title=alt.TitleParams(name, fontSize=12), width=300, height=200)
        )
    return finish(alt.hconcat(*panels, spacing=30), label("land_title_runs", lang))
