"""Chart labels in English and Chinese, colours, units and the helpers every chart shares.

The helpers: language check, column check, year axis and tooltip, year choice, the
CJK-capable font and shared styling.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

import altair as alt
import pandas as pd

Lang: TypeAlias = Literal["en", "zh"]
AnyChart: TypeAlias = alt.TopLevelMixin

#: Font stack of every chart: Noto Sans CJK SC first (what vl-convert renders PNG/SVG
#: with), then fonts a browser on Windows or macOS has, for the HTML page.
FONT_FAMILY = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
#: A CJK ideograph (basic block, extension A, compatibility): a spec with one needs the
#: CJK font to render as PNG/SVG.
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

BLUE, RED, ORANGE, GREY, GREEN, PURPLE = (
    "#4c78a8",
    "#e45756",
    "#f58518",
    "#9d9d9d",
    "#54a24b",
    "#b279a2",
)
BELT_COLOURS = {"yangtze": BLUE, "canal": GREEN, "coastal": ORANGE}

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


# --------------------------------------------------------------------------- labels


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if charts support it ("en" or "zh"); raise ValueError otherwise."""
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


def require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Check that ``frame`` has ``columns`` and at least one row.

    Raises ValueError naming the ``what`` frame, the missing columns and the columns it has.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the {what} frame lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, frame.columns))}"
        )
    if frame.empty:
        raise ValueError(f"the {what} frame has no rows: nothing to chart")


def year_x(lang: Lang) -> alt.X:
    """The shared x axis of charts by year: years as ordinal labels, horizontal."""
    return alt.X(
        "year:O", title=label("year", lang), axis=alt.Axis(labelAngle=0, labelOverlap=True)
    )


def year_tip(lang: Lang) -> alt.Tooltip:
    """The tooltip line of the year, titled in ``lang``."""
    return alt.Tooltip("year:O", title=label("year", lang))


def finish(chart: AnyChart, title: str | None = None) -> AnyChart:
    """Put the CJK-capable font and shared styling into the chart's top-level config."""
    if title is not None:
        chart = chart.properties(title=alt.TitleParams(title, anchor="start", fontSize=15))
    return (
        chart.configure(font=FONT_FAMILY)
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=11, titleFontSize=12)
        .configure_legend(labelFontSize=11, titleFontSize=12, labelLimit=260)
    )


def pick_year(frame: pd.DataFrame, year: int | None, what: str) -> int:
    """The year to chart: ``year`` if the frame has it, else its last year when ``year`` is None.

    Raises ValueError if ``year`` is given and not in the ``what`` frame.
    """
    years = sorted(pd.unique(frame["year"]))
    if year is None:
        return int(years[-1])
    if year not in set(years):
        raise ValueError(
            f"year {year} is not in the {what} frame; its years are {years[0]}-{years[-1]}"
        )
    return int(year)


def nan_to_none(value: Any) -> Any:
    """``value`` as a plain Python scalar that JSON accepts: NaN and ±inf become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return nan_to_none(value.item())
    return value


def localise(values: pd.Series, lang: Lang) -> pd.Series:
    """``values`` with each value that is a label key replaced by its label in ``lang``."""
    return values.map(lambda v: label(str(v), lang) if str(v) in _LABELS else v)
