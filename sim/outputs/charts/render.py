"""Altair charts of a run's tidy frames, and a saver that writes offline HTML, PNG and SVG.

Every chart function is pure: it reads the run-folder frames of DESIGN.md §10
(``province``, ``zones``, ``sectors``) and returns an Altair chart whose titles,
axes, legends and tooltips are in one language (``"en"`` or ``"zh"``) and carry
units. Reporting units follow DESIGN.md §2: money in 亿元 (en: "CNY 100m") and
per-mu money in 万元 (en: "CNY 10k"), CO2 in Mt, land in 万亩 (10^4 mu) on
province charts and mu in zone tooltips, carbon intensity in t CO2 per 万元.

Each chart is returned *configured* (``chart.configure(font=...)``) with a font
family that covers Chinese, so it renders the same way through any saver; a
configured chart cannot be put inside another ``alt.concat``: embed it on its
own (the briefing does).

``save_chart`` writes ``stem.html`` (Vega, Vega-Lite and Vega-Embed inlined: no
CDN, works offline), ``stem.png`` (scale 2) and ``stem.svg`` through vl-convert.
Glyphs come from Noto Sans CJK (PyPI ``noto-cjk-sans-otc``), registered with
vl-convert once per process. Each file is written under a temporary name in the
target folder and renamed, so a half-written file never has the final name.

The first offline HTML of a process costs about 3-4 s (vl-convert bundles the
Vega JavaScript once and caches it); after that a chart saves in tens to a few
hundred milliseconds per format.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import itertools
import json
import logging
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeAlias

import altair as alt
import pandas as pd
import vl_convert as vlc

logger = logging.getLogger(__name__)

Lang: TypeAlias = Literal["en", "zh"]
AnyChart: TypeAlias = alt.TopLevelMixin

#: Font stack of every chart: Noto Sans CJK SC first (what vl-convert renders PNG/SVG
#: with), then fonts a browser on Windows or macOS has, for the HTML page.
FONT_FAMILY = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
#: The file stems a run writes under charts/ (keys of ``baseline_charts``).
BASELINE_STEMS = (
    "va_co2",
    "carbon_intensity",
    "land_flows",
    "output_per_mu_zones",
    "map_output_per_mu",
    "sector_mix",
)
SAVE_FORMATS = ("html", "png", "svg", "json")
PNG_SCALE = 2.0
#: Measures ``jiangsu_map`` can colour cities by.
MAP_MEASURES = (
    "output_per_mu_wan",
    "carbon_intensity_t_per_wan",
    "value_added_yi",
    "output_yi",
    "co2_t",
    "land_built_mu",
    "firms_active",
)
SECTOR_MEASURES = ("value_added_yi", "co2_t", "land_built_mu")

_YI_TO_WAN = 1e4  # 1 亿元 = 10^4 万元
_T_PER_MT = 1e6
_MU_PER_WANMU = 1e4
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_BLUE, _RED, _ORANGE, _GREY, _GREEN, _PURPLE = (
    "#4c78a8",
    "#e45756",
    "#f58518",
    "#9d9d9d",
    "#54a24b",
    "#b279a2",
)
_BELT_COLOURS = {"yangtze": _BLUE, "canal": _GREEN, "coastal": _ORANGE}

# One entry per label: key -> (English, Chinese). Units go in the label, in brackets.
_LABELS: dict[str, tuple[str, str]] = {
    "year": ("Year", "年份"),
    "va_yi": ("Value added (CNY 100m)", "增加值（亿元）"),
    "output_yi": ("Output (CNY 100m)", "营业收入（亿元）"),
    "co2_mt": ("CO2 (Mt)", "二氧化碳排放（百万吨）"),
    "va_co2_title": ("Value added and CO2 emissions", "增加值与二氧化碳排放"),
    "va": ("Value added", "增加值"),
    "co2": ("CO2 emissions", "二氧化碳排放"),
    "ci": ("Carbon intensity (t CO2 per CNY 10k)", "碳排放强度（吨二氧化碳/万元）"),
    "ci_title": ("Carbon intensity against the target path", "碳排放强度与目标路径"),
    "ci_sim": ("Simulated", "模拟值"),
    "ci_target": ("Target path", "目标路径"),
    "ci_base": ("Base-year level ({year})", "基准年水平（{year}年）"),
    "series": ("Series", "系列"),
    "change_pct": ("Change since {year} (%)", "较{year}年变化（%）"),
    "land_title": ("Land: stocks and flows", "土地：存量与流量"),
    "land_stocks": ("Land stocks at year end", "年末土地存量"),
    "land_flows": ("Land supplied in the year", "当年供地"),
    "land_wanmu": ("Land (10k mu)", "土地（万亩）"),
    "land_built": ("Built-up land", "已建成用地"),
    "land_stock": ("Stock pool (idle + recovered)", "存量用地池（闲置与收回）"),
    "land_ready": ("Ready land (revitalised)", "待供用地（已盘活）"),
    "land_new": ("New construction land", "新增建设用地"),
    "land_revitalised": ("Revitalised stock", "盘活存量用地"),
    "land_kind": ("Land", "用地类型"),
    "opm": ("Output per mu (CNY 10k/mu)", "亩均营业收入（万元/亩）"),
    "opm_name": ("Output per mu", "亩均营业收入"),
    "ci_name": ("Carbon intensity", "碳排放强度"),
    "output_name": ("Output", "营业收入"),
    "opm_zones_title": (
        "Output per mu by zone, {year} (top {n} of {total})",
        "各开发区亩均营业收入（{year}年，前{n}名，共{total}个）",
    ),
    "opm_all": ("All zones: {value:,.0f}", "全部开发区：{value:,.0f}"),
    "opm_all_tip": ("All zones' output per mu (CNY 10k/mu)", "全部开发区亩均营业收入（万元/亩）"),
    "zone": ("Zone", "开发区"),
    "zone_id": ("Zone id", "开发区编号"),
    "name_zh": ("Name (Chinese)", "中文名称"),
    "name_en": ("Name (English)", "英文名称"),
    "city": ("City", "设区市"),
    "belt": ("Belt", "区域带"),
    "level": ("Level", "级别"),
    "land_built_mu": ("Built-up land (mu)", "已建成用地（亩）"),
    "land_built_wanmu": ("Built-up land (10k mu)", "已建成用地（万亩）"),
    "ci_short": ("Carbon intensity (t CO2 per CNY 10k)", "碳排放强度（吨二氧化碳/万元）"),
    "firms_active": ("Active firms", "在营企业数"),
    "zones_n": ("Zones", "开发区数量"),
    "map_title": ("{measure} by city, {year}", "各设区市{measure}（{year}年）"),
    "sector": ("Sector", "行业"),
    "share_pct": ("Share of the year (%)", "占当年比重（%）"),
    "sector_title_value_added_yi": ("Value added by sector", "分行业增加值"),
    "sector_title_co2_t": ("CO2 emissions by sector", "分行业二氧化碳排放"),
    "sector_title_land_built_mu": ("Built-up land by sector", "分行业已建成用地"),
    "yangtze": ("Yangtze", "沿江"),
    "canal": ("Grand Canal", "沿运河"),
    "coastal": ("Coastal", "沿海"),
    "national_etdz": ("National ETDZ", "国家级经开区"),
    "national_hitech": ("National high-tech zone", "国家级高新区"),
    "national_other": ("Other national zone", "其他国家级开发区"),
    "provincial": ("Provincial zone", "省级开发区"),
}

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
_ZONE_COLUMNS = (
    "zone_id",
    "year",
    "name_zh",
    "name_en",
    "city",
    "belt",
    "level",
    "output_yi",
    "land_built_mu",
    "output_per_mu_wan",
)
_CITY_COLUMNS = ("year", "city", "value_added_yi", "output_yi", "co2_t", "land_built_mu")
_SUM_COLUMNS = ("value_added_yi", "output_yi", "co2_t", "land_built_mu", "firms_active")
_CITY_RATIOS = ("output_per_mu_wan", "carbon_intensity_t_per_wan")


# --------------------------------------------------------------------------- labels


def _check_lang(lang: str) -> Lang:
    if lang not in ("en", "zh"):
        raise ValueError(f"chart language {lang!r} is not supported: use 'en' or 'zh'")
    return lang  # type: ignore[return-value]


def label(key: str, lang: Lang, **fmt: Any) -> str:
    """The chart label ``key`` in ``lang``, formatted with ``fmt``; an unknown key is returned."""
    pair = _LABELS.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "en" else pair[1]
    return text.format(**fmt) if fmt else text


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the {what} frame lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, frame.columns))}"
        )
    if frame.empty:
        raise ValueError(f"the {what} frame has no rows: nothing to chart")


def _year_x(lang: Lang) -> alt.X:
    return alt.X(
        "year:O", title=label("year", lang), axis=alt.Axis(labelAngle=0, labelOverlap=True)
    )


def _year_tip(lang: Lang) -> alt.Tooltip:
    return alt.Tooltip("year:O", title=label("year", lang))


def _finish(chart: AnyChart, title: str | None = None) -> AnyChart:
    """Put the CJK-capable font and shared styling into the chart's top-level config."""
    if title is not None:
        chart = chart.properties(title=alt.TitleParams(title, anchor="start", fontSize=15))
    return (
        chart.configure(font=FONT_FAMILY)
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=11, titleFontSize=12)
        .configure_legend(labelFontSize=11, titleFontSize=12, labelLimit=260)
    )


def _pick_year(frame: pd.DataFrame, year: int | None, what: str) -> int:
    years = sorted(pd.unique(frame["year"]))
    if year is None:
        return int(years[-1])
    if year not in set(years):
        raise ValueError(
            f"year {year} is not in the {what} frame; its years are {years[0]}-{years[-1]}"
        )
    return int(year)


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _nan_to_none(value.item())
    return value


# --------------------------------------------------------------------------- province charts


def value_added_and_co2(province: pd.DataFrame, lang: Lang) -> AnyChart:
    """Two panels by year: value added (亿元, bars) and CO2 emissions (Mt = co2_t / 10^6, line)."""
    lang = _check_lang(lang)
    _require(province, _PROVINCE_COLUMNS["va_co2"], "province")
    df = province[["year", "value_added_yi", "co2_t"]].copy()
    df["co2_mt"] = df["co2_t"] / _T_PER_MT
    base = alt.Chart(df).encode(x=_year_x(lang))
    va_title = label("va_yi", lang)
    co2_title = label("co2_mt", lang)
    va = (
        base.mark_bar(color=_BLUE)
        .encode(
            y=alt.Y("value_added_yi:Q", title=va_title, axis=alt.Axis(format=",.0f")),
            tooltip=[
                _year_tip(lang),
                alt.Tooltip("value_added_yi:Q", title=va_title, format=",.0f"),
            ],
        )
        .properties(title=label("va", lang), width=300, height=220)
    )
    co2 = (
        base.mark_line(point=True, color=_RED)
        .encode(
            y=alt.Y("co2_mt:Q", title=co2_title, scale=alt.Scale(zero=False)),
            tooltip=[_year_tip(lang), alt.Tooltip("co2_mt:Q", title=co2_title, format=",.2f")],
        )
        .properties(title=label("co2", lang), width=300, height=220)
    )
    return _finish(alt.hconcat(va, co2, spacing=30), label("va_co2_title", lang))


def carbon_intensity_vs_target(
    province: pd.DataFrame, lang: Lang, base_year: int | None = None
) -> AnyChart:
    """Carbon intensity (t CO2 per 万元 VA) by year, with the target path and the base-year level.

    The base year is ``base_year`` or else the first year of the frame; the
    tooltip shows each value's change since it: 100 · (I_t / I_base − 1).
    """
    lang = _check_lang(lang)
    _require(province, _PROVINCE_COLUMNS["carbon_intensity"], "province")
    df = province.sort_values("year")
    base_year = int(df["year"].iloc[0]) if base_year is None else base_year
    base_year = _pick_year(df, base_year, "province")
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
    colours = {sim_name: _BLUE, target_name: _ORANGE, base_name: _GREY}
    dashes = {sim_name: [1, 0], target_name: [6, 3], base_name: [2, 2]}
    ci_title = label("ci", lang)
    series_title = label("series", lang)
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=_year_x(lang),
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
                _year_tip(lang),
                alt.Tooltip("series:N", title=series_title),
                alt.Tooltip("value:Q", title=ci_title, format=",.3f"),
                alt.Tooltip(
                    "change_pct:Q", title=label("change_pct", lang, year=base_year), format="+.1f"
                ),
            ],
        )
        .properties(width=520, height=280)
    )
    return _finish(chart, label("ci_title", lang))


def land_flows(province: pd.DataFrame, lang: Lang) -> AnyChart:
    """Land by year in 万亩 (= mu / 10^4): the three stocks (built, stock pool, ready), one panel
    each with its own scale, and the two flows (new quota land, revitalised stock) as bars."""
    lang = _check_lang(lang)
    _require(province, _PROVINCE_COLUMNS["land_flows"], "province")
    unit = label("land_wanmu", lang)
    stock_specs = (
        ("land_built_mu", "land_built", _BLUE),
        ("land_stock_mu", "land_stock", _ORANGE),
        ("land_ready_mu", "land_ready", _GREEN),
    )
    panels = []
    for i, (column, key, colour) in enumerate(stock_specs):
        df = pd.DataFrame({"year": province["year"], "value": province[column] / _MU_PER_WANMU})
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
                    _year_tip(lang),
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
                    "value": province[column] / _MU_PER_WANMU,
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
            x=_year_x(lang),
            xOffset=alt.XOffset("kind:N", sort=flow_names),
            y=alt.Y("value:Q", title=unit),
            color=alt.Color(
                "kind:N",
                title=kind_title,
                sort=flow_names,
                scale=alt.Scale(domain=flow_names, range=[_PURPLE, _GREEN]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                _year_tip(lang),
                alt.Tooltip("kind:N", title=kind_title),
                alt.Tooltip("value:Q", title=unit, format=",.2f"),
            ],
        )
        .properties(title=label("land_flows", lang), width=320, height=318)
    )
    return _finish(alt.hconcat(stocks, flows, spacing=40), label("land_title", lang))


# --------------------------------------------------------------------------- zone charts


def _localise(values: pd.Series, lang: Lang) -> pd.Series:
    return values.map(lambda v: label(str(v), lang) if str(v) in _LABELS else v)


def output_per_mu_by_zone(
    zones: pd.DataFrame, year: int | None, lang: Lang, top_n: int = 20
) -> AnyChart:
    """Output per mu (万元/mu) of the ``top_n`` zones in ``year`` (default: last), bars by belt,
    against the all-zones level Σ output_yi · 10^4 / Σ land_built_mu (dashed rule)."""
    lang = _check_lang(lang)
    _require(zones, _ZONE_COLUMNS, "zones")
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    year = _pick_year(zones, year, "zones")
    df = zones.loc[zones["year"] == year].copy()
    land = float(df["land_built_mu"].sum())
    overall = float(df["output_yi"].sum()) * _YI_TO_WAN / land if land > 0 else math.nan
    total = len(df)
    df = df.sort_values("output_per_mu_wan", ascending=False).head(top_n)
    name_col = "name_zh" if lang == "zh" else "name_en"
    df["zone_label"] = df[name_col].fillna(df["zone_id"].astype(str)).astype(str)
    dupes = df["zone_label"].duplicated(keep=False)
    df.loc[dupes, "zone_label"] = df["zone_label"] + " (" + df["zone_id"].astype(str) + ")"
    df["belt_label"] = _localise(df["belt"], lang)
    df["level_label"] = _localise(df["level"], lang)
    df["city_label"] = df["city_zh"] if lang == "zh" and "city_zh" in df.columns else df["city"]
    keep = [
        "zone_id",
        "zone_label",
        "name_zh",
        "name_en",
        "city_label",
        "belt_label",
        "level_label",
        "output_per_mu_wan",
        "output_yi",
        "land_built_mu",
    ]
    df = df[keep]
    belts = [b for b in ("yangtze", "canal", "coastal")]
    belt_domain = [label(b, lang) for b in belts]
    extra = sorted(set(df["belt_label"]) - set(belt_domain))
    opm = label("opm", lang)
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("output_per_mu_wan:Q", title=opm, axis=alt.Axis(format=",.0f")),
            y=alt.Y(
                "zone_label:N",
                title=label("zone", lang),
                sort="-x",
                axis=alt.Axis(labelLimit=300),
            ),
            color=alt.Color(
                "belt_label:N",
                title=label("belt", lang),
                scale=alt.Scale(
                    domain=belt_domain + extra,
                    range=[_BELT_COLOURS[b] for b in belts] + [_GREY] * len(extra),
                ),
            ),
            tooltip=[
                alt.Tooltip("name_zh:N", title=label("name_zh", lang)),
                alt.Tooltip("name_en:N", title=label("name_en", lang)),
                alt.Tooltip("zone_id:N", title=label("zone_id", lang)),
                alt.Tooltip("city_label:N", title=label("city", lang)),
                alt.Tooltip("belt_label:N", title=label("belt", lang)),
                alt.Tooltip("level_label:N", title=label("level", lang)),
                alt.Tooltip("output_per_mu_wan:Q", title=opm, format=",.1f"),
                alt.Tooltip("output_yi:Q", title=label("output_yi", lang), format=",.1f"),
                alt.Tooltip("land_built_mu:Q", title=label("land_built_mu", lang), format=",.0f"),
            ],
        )
    )
    layers: list[alt.Chart] = [bars]
    if math.isfinite(overall):
        ref = pd.DataFrame({"value": [overall], "text": [label("opm_all", lang, value=overall)]})
        rule = (
            alt.Chart(ref)
            .mark_rule(color="#333", strokeDash=[4, 3])
            .encode(
                x="value:Q",
                tooltip=[alt.Tooltip("value:Q", title=label("opm_all_tip", lang), format=",.1f")],
            )
        )
        text = (
            alt.Chart(ref)
            .mark_text(align="left", dx=4, dy=-4, baseline="bottom", color="#333", fontSize=10)
            .encode(x="value:Q", y=alt.value(0), text="text:N")
        )
        layers += [rule, text]
    chart = alt.layer(*layers).properties(width=460, height=alt.Step(16))
    title = label("opm_zones_title", lang, year=year, n=len(df), total=total)
    return _finish(chart, title)


def city_totals(zones: pd.DataFrame, year: int) -> pd.DataFrame:
    """Zones of ``year`` summed by city: one row per city with zones_n, Σ value_added_yi,
    Σ output_yi, Σ co2_t, Σ land_built_mu (and Σ firms_active if present), then
    output_per_mu_wan = Σ output_yi · 10^4 / Σ land_built_mu and
    carbon_intensity_t_per_wan = Σ co2_t / (Σ value_added_yi · 10^4), NaN where a
    denominator is zero. Rows of zones merged into a host (host_zone_id) are summed
    as they are: the model reports their moved land and firms under the host.
    """
    _require(zones, _CITY_COLUMNS, "zones")
    df = zones.loc[zones["year"] == year]
    if df.empty:
        raise ValueError(f"the zones frame has no rows for year {year}")
    sums = [c for c in _SUM_COLUMNS if c in df.columns]
    grouped = df.groupby("city", sort=True)
    out = grouped[sums].sum()
    out.insert(0, "zones_n", grouped.size())
    if "city_zh" in df.columns:
        out.insert(0, "city_zh", grouped["city_zh"].first())
    land = out["land_built_mu"].where(out["land_built_mu"] > 0)
    va_wan = (out["value_added_yi"] * _YI_TO_WAN).where(out["value_added_yi"] > 0)
    out["output_per_mu_wan"] = out["output_yi"] * _YI_TO_WAN / land
    out["carbon_intensity_t_per_wan"] = out["co2_t"] / va_wan
    return out.reset_index()


def _ring_centroid(ring: Sequence[Sequence[float]]) -> tuple[float, float, float]:
    """(lon, lat, |area|) of a closed lon/lat ring by the shoelace formula (planar; fine
    for label placement inside one province)."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if a == 0:
        xs = [p[0] for p in ring]
        ys = [p[1] for p in ring]
        return sum(xs) / len(xs), sum(ys) / len(ys), 0.0
    return cx / (3 * a), cy / (3 * a), abs(a) / 2


def _label_point(geometry: Mapping[str, Any]) -> tuple[float, float]:
    """Centroid of the largest polygon's outer ring: where a city's name is written."""
    if geometry["type"] == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        raise ValueError(f"city boundary of type {geometry['type']} is not a (Multi)Polygon")
    best = max((_ring_centroid(p[0]) for p in polygons), key=lambda c: c[2])
    return best[0], best[1]


def _read_features(geojson_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    path = Path(geojson_path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"city boundaries not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not features:
        raise ValueError(f"{path} is not a GeoJSON FeatureCollection with features")
    for i, feat in enumerate(features):
        props = feat.get("properties") or {}
        if "name_en" not in props or "name_zh" not in props:
            raise ValueError(f"{path}: feature {i} lacks properties name_en / name_zh")
    return features


# measure -> (legend label, title name, number format, colour scheme)
_MAP_FORMAT = {
    "output_per_mu_wan": ("opm", "opm_name", ",.1f", "yellowgreenblue"),
    "carbon_intensity_t_per_wan": ("ci_short", "ci_name", ",.3f", "orangered"),
    "value_added_yi": ("va_yi", "va", ",.0f", "blues"),
    "output_yi": ("output_yi", "output_name", ",.0f", "blues"),
    "co2_t": ("co2_mt", "co2", ",.2f", "reds"),
    "land_built_mu": ("land_built_wanmu", "land_built", ",.2f", "greens"),
    "firms_active": ("firms_active", "firms_active", ",.0f", "purples"),
}


def jiangsu_map(
    zones: pd.DataFrame,
    geojson_path: str | os.PathLike[str],
    year: int | None,
    lang: Lang,
    measure: str = "output_per_mu_wan",
) -> AnyChart:
    """Choropleth of the 13 cities by ``measure`` of their zones in ``year`` (default: last).

    Zones are summed by city (``city_totals``); each GeoJSON feature gets the sums
    in its ``properties`` and the features are embedded inline, so the chart needs
    no file or network. CO2 is drawn in Mt and land in 万亩; the properties keep
    t and mu. Cities with no zone are drawn grey. A zone whose ``city`` is not a
    ``name_en`` of the GeoJSON is an error.
    """
    lang = _check_lang(lang)
    if measure not in MAP_MEASURES:
        raise ValueError(f"map measure {measure!r} is not one of {', '.join(MAP_MEASURES)}")
    _require(zones, _CITY_COLUMNS, "zones")
    if measure not in ("output_per_mu_wan", "carbon_intensity_t_per_wan"):
        _require(zones, [measure], "zones")
    year = _pick_year(zones, year, "zones")
    totals = city_totals(zones, year).set_index("city")
    features = _read_features(geojson_path)
    known = {f["properties"]["name_en"] for f in features}
    unknown = sorted(set(totals.index) - known)
    if unknown:
        raise ValueError(
            f"zones name city {', '.join(map(str, unknown))}, not in {geojson_path}; "
            f"cities there: {', '.join(sorted(known))}"
        )
    scale = {"co2_t": 1 / _T_PER_MT, "land_built_mu": 1 / _MU_PER_WANMU}.get(measure, 1.0)
    values: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    for feat in features:
        props = dict(feat["properties"])
        city = props["name_en"]
        props["city_label"] = props["name_zh"] if lang == "zh" else city
        if city in totals.index:
            row = totals.loc[city]
            for col in (*_SUM_COLUMNS, *_CITY_RATIOS):
                if col in row.index:
                    props[col] = _nan_to_none(row[col])
            props["zones_n"] = int(row["zones_n"])
            props["co2_mt"] = _nan_to_none(row["co2_t"] / _T_PER_MT)
            props["map_value"] = _nan_to_none(row[measure] * scale)
        else:
            props["zones_n"] = 0
            props["map_value"] = None
        values.append({"type": "Feature", "geometry": feat["geometry"], "properties": props})
        lon, lat = _label_point(feat["geometry"])
        labels.append({"lon": lon, "lat": lat, "text": props["city_label"]})

    key, name_key, fmt, scheme = _MAP_FORMAT[measure]
    measure_title = label(key, lang)
    tooltip = [
        alt.Tooltip("properties.city_label:N", title=label("city", lang)),
        alt.Tooltip("properties.map_value:Q", title=measure_title, format=fmt),
        alt.Tooltip("properties.zones_n:Q", title=label("zones_n", lang)),
        alt.Tooltip("properties.value_added_yi:Q", title=label("va_yi", lang), format=",.0f"),
        alt.Tooltip("properties.co2_mt:Q", title=label("co2_mt", lang), format=",.2f"),
        alt.Tooltip(
            "properties.land_built_mu:Q", title=label("land_built_mu", lang), format=",.0f"
        ),
    ]
    # The features go in once, at the top of the layer; the two shape layers inherit them.
    base = (
        alt.Chart()
        .mark_geoshape(fill="#e6e6e6", stroke="white", strokeWidth=0.8)
        .encode(tooltip=tooltip)
    )
    filled = (
        alt.Chart()
        .mark_geoshape(stroke="white", strokeWidth=0.8)
        .encode(
            color=alt.Color(
                "properties.map_value:Q",
                title=measure_title,
                scale=alt.Scale(scheme=scheme),
                legend=alt.Legend(format=fmt, orient="right", gradientLength=220),
            ),
            tooltip=tooltip,
        )
        .transform_filter("isValid(datum.properties.map_value)")
    )
    names = alt.Chart(pd.DataFrame(labels)).encode(
        longitude="lon:Q", latitude="lat:Q", text="text:N"
    )
    halo = names.mark_text(fontSize=11, stroke="white", strokeWidth=3, strokeOpacity=0.85)
    text = names.mark_text(fontSize=11, color="#222")
    chart = (
        alt.layer(base, filled, halo, text, data=alt.Data(values=values))
        .project(type="mercator")
        .properties(width=460, height=440)
    )
    return _finish(chart, label("map_title", lang, measure=label(name_key, lang), year=year))


# --------------------------------------------------------------------------- sector chart


def sector_mix(
    sectors: pd.DataFrame,
    lang: Lang,
    measure: str = "value_added_yi",
    sector_names: Mapping[str, str] | None = None,
) -> AnyChart:
    """Stacked bars by year of ``measure`` (value_added_yi in 亿元, co2_t in Mt, land in 万亩)
    by sector. Sector names come from ``sector_names``, else a ``name_zh`` / ``name_en``
    column of the frame, else the sector id."""
    lang = _check_lang(lang)
    if measure not in SECTOR_MEASURES:
        raise ValueError(f"sector measure {measure!r} is not one of {', '.join(SECTOR_MEASURES)}")
    _require(sectors, ("sector", "year", measure), "sectors")
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
        "co2_t": ("co2_mt", 1 / _T_PER_MT),
        "land_built_mu": ("land_built_wanmu", 1 / _MU_PER_WANMU),
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
            x=_year_x(lang),
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
                _year_tip(lang),
                alt.Tooltip("sector_label:N", title=sector_title),
                alt.Tooltip("value:Q", title=value_title, format=",.2f"),
                alt.Tooltip("share_pct:Q", title=label("share_pct", lang), format=".1f"),
            ],
        )
        .properties(width=520, height=300)
    )
    return _finish(chart, label(f"sector_title_{measure}", lang))


# --------------------------------------------------------------------------- the set


def baseline_charts(
    province: pd.DataFrame,
    zones: pd.DataFrame,
    sectors: pd.DataFrame,
    geojson_path: str | os.PathLike[str],
    lang: Lang,
) -> dict[str, AnyChart]:
    """The charts a run writes under charts/, keyed by file stem (``BASELINE_STEMS``);
    zone charts show the last year of the zones frame."""
    lang = _check_lang(lang)
    return {
        "va_co2": value_added_and_co2(province, lang),
        "carbon_intensity": carbon_intensity_vs_target(province, lang),
        "land_flows": land_flows(province, lang),
        "output_per_mu_zones": output_per_mu_by_zone(zones, None, lang),
        "map_output_per_mu": jiangsu_map(zones, geojson_path, None, lang),
        "sector_mix": sector_mix(sectors, lang),
    }


# --------------------------------------------------------------------------- saving

_font_lock = threading.Lock()
_font_dir: Path | None = None
_font_tried = False


def ensure_cjk_font() -> Path | None:
    """Register Noto Sans CJK's folder with vl-convert once per process; its path, or None
    when the package ``noto-cjk-sans-otc`` is not installed."""
    global _font_dir, _font_tried
    with _font_lock:
        if _font_tried:
            return _font_dir
        _font_tried = True
        try:
            import noto_cjk_sans_otc  # the font ships as package data
        except ImportError:
            logger.warning(
                "noto-cjk-sans-otc is not installed: Chinese text cannot be drawn in PNG/SVG "
                "(install: pip install noto-cjk-sans-otc)"
            )
            return None
        font_file = Path(str(noto_cjk_sans_otc.FONT_PATH))
        if not font_file.is_file():
            logger.warning("Noto Sans CJK font file missing at %s", font_file)
            return None
        vlc.register_font_directory(str(font_file.parent))
        _font_dir = font_file.parent
        logger.debug("registered CJK font directory %s", _font_dir)
        return _font_dir


def _vl_version() -> str | None:
    """The vl-convert Vega-Lite version matching altair's schema, e.g. 'v6.4.1' -> '6.4'."""
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _chart_title(spec: Mapping[str, Any], default: str) -> str:
    title = spec.get("title")
    if isinstance(title, Mapping):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title) if title else default


def render_chart(
    chart: AnyChart | Mapping[str, Any], formats: Sequence[str] = ("html", "png", "svg")
) -> dict[str, bytes]:
    """A chart (or its Vega-Lite dict) rendered in each of ``formats``: html, png, svg, json.

    The Vega-Lite spec is compiled to Vega once; the PNG (scale ``PNG_SCALE``) is
    rasterised from the SVG, which is what vl-convert would do anyway, so asking for
    both costs one layout, not two.
    """
    bad = [f for f in formats if f not in SAVE_FORMATS]
    if bad:
        raise ValueError(f"chart format(s) {', '.join(bad)} not one of {', '.join(SAVE_FORMATS)}")
    spec = chart if isinstance(chart, Mapping) else chart.to_dict()
    wanted = list(dict.fromkeys(formats))
    version = _vl_version()
    out: dict[str, bytes] = {}
    if "json" in wanted:
        out["json"] = json.dumps(spec, ensure_ascii=False, indent=2).encode("utf-8")
    if "html" in wanted:
        page = vlc.vegalite_to_html(spec, vl_version=version, bundle=True)
        page = page.replace(
            "<title>Chart</title>",
            f"<title>{html_lib.escape(_chart_title(spec, 'zonesim'))}</title>",
            1,
        )
        out["html"] = page.encode("utf-8")
    if "svg" in wanted or "png" in wanted:
        if ensure_cjk_font() is None and _CJK.search(json.dumps(spec, ensure_ascii=False)):
            raise RuntimeError(
                "this chart has Chinese text but the Noto Sans CJK font is not installed, so "
                "PNG/SVG would show empty boxes: pip install noto-cjk-sans-otc"
            )
        svg = vlc.vega_to_svg(vlc.vegalite_to_vega(spec, vl_version=version))
        if "svg" in wanted:
            out["svg"] = svg.encode("utf-8")
        if "png" in wanted:
            out["png"] = vlc.svg_to_png(svg, scale=PNG_SCALE)
    return {fmt: out[fmt] for fmt in wanted}


def save_chart(
    chart: AnyChart,
    out_dir: str | os.PathLike[str],
    stem: str,
    formats: Sequence[str] = ("html", "png", "svg"),
) -> list[Path]:
    """Write ``out_dir/stem.<fmt>`` for each format and return the paths in that order.

    html is offline (JavaScript inlined), png is at scale 2, svg keeps text as
    text in the Noto Sans CJK font stack, json is the Vega-Lite spec. All formats
    are rendered before any file is written; each file goes to a temporary name in
    ``out_dir`` and is renamed into place.
    """
    if not stem or Path(stem).name != stem or stem.startswith("."):
        raise ValueError(f"chart stem {stem!r} must be a plain file name")
    start = time.perf_counter()
    rendered = render_chart(chart, formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, data in rendered.items():
        path = out / f"{stem}.{fmt}"
        _write_atomic(path, data)
        paths.append(path)
    logger.debug("saved %s (%s) in %.3f s", stem, ", ".join(rendered), time.perf_counter() - start)
    return paths
