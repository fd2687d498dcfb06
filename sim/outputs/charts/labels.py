"""Chart labels in English and Chinese, colours, units and the helpers every chart shares.

The helpers: language check, column check, year axis and tooltip, year choice, the
CJK-capable font and shared styling.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
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
    # comparison charts
    "run": ("Scenario", "情景"),
    "kpi": ("Indicator", "指标"),
    "value": ("Value", "数值"),
    "unit": ("Unit", "单位"),
    "all_runs": ("All scenarios", "全部情景"),
    "pick_run": ("Scenario: ", "情景："),
    "diff_abs": ("Difference from {run}", "与{run}之差"),
    "diff_pct": ("Difference from {run} (%)", "与{run}之差（%）"),
    "target": ("Target", "目标"),
    "traj_title": ("Key indicators by scenario against targets", "各情景主要指标与目标"),
    "wedge_title": ("What each {what} contributed", "各{what}的贡献"),
    "lever": ("Lever", "政策杠杆"),
    "measure": ("Measure", "减排措施"),
    "contribution": ("Contribution", "贡献"),
    "interaction": ("Interaction", "交互作用"),
    "lmdi_title": ("Why CO2 changed: {what}", "二氧化碳排放变化的分解：{what}"),
    "lmdi_title_energy": ("Why energy use changed: {what}", "能源消费变化的分解：{what}"),
    "factor": ("Factor", "因素"),
    "total": ("Total change", "总变化"),
    "start": ("From", "起点"),
    "end": ("To", "终点"),
    "activity": ("Activity (scale)", "经济规模"),
    "structure": ("Structure (sector mix)", "产业结构"),
    "structure_zone": ("Structure (zone mix)", "开发区结构"),
    "energy_intensity": ("Energy intensity", "能耗强度"),
    "electricity_share": ("Electricity share", "电力占比"),
    "emission_factor": ("Emission factor (fuel, grid)", "排放因子（燃料、电网）"),
    "fuel": ("Fuel mix", "燃料结构"),
    "grid": ("Grid factor", "电网排放因子"),
    "retrofit": ("Retrofit", "节能改造"),
    "green_power": ("Green power", "绿色电力"),
    "curtailment": ("Curtailment", "限产"),
    "forced_exit": ("Forced exit", "强制退出"),
    "class": ("Class", "评价类别"),
    "class_T": ("Not rated (T)", "未评价（T类）"),
    "per_mu_class_title": ("Output per mu by evaluation class", "各评价类别亩均营业收入"),
    "firms": ("Firms", "企业数"),
    "heat_title": ("Land allocated by {by} and sector, {years}", "分{by}、分行业供地（{years}）"),
    "land_alloc": ("Land allocated (10k mu)", "供地（万亩）"),
    "va_added": ("Value added of the allocated land (CNY 100m)", "所供土地的增加值（亿元）"),
    "co2_added": ("CO2 of the allocated land (Mt)", "所供土地的二氧化碳排放（万吨）"),
    "shadow_title": ("Shadow prices of the allocation by year", "土地配置的影子价格（按年份）"),
    "shadow_price": ("Shadow price", "影子价格"),
    "sp_carbon": ("Carbon cap (CNY per t CO2)", "碳排放总量上限（元/吨）"),
    "sp_intensity": ("Carbon intensity cap (CNY per t CO2)", "碳排放强度上限（元/吨）"),
    "sp_land": ("Zone land (CNY 10k per mu per year)", "开发区用地（万元/亩·年）"),
    "sp_quota": ("Province land quota (CNY 10k per mu per year)", "全省用地指标（万元/亩·年）"),
    "sp_land_note": (
        "A year's VA one more mu would earn: not a land price",
        "每多一亩一年可增加的增加值，非地价",
    ),
    "sp_cap_note": ("Cost of one t CO2 less under the cap", "上限每收紧一吨的成本"),
    "traj_note": ("Black dashed: target", "黑色虚线：目标"),
    "sp_money_t": ("CNY per t CO2", "元/吨"),
    "sp_money_mu": ("CNY 10k per mu per year", "万元/亩·年"),
    "land_title_runs": ("Land supplied by scenario", "各情景供地"),
    "zone_point": ("Zone", "开发区"),
    "zone_dots": ("Zones (dots)", "开发区（圆点）"),
    "map_note": (
        "Colour from zero: equal colour steps are equal value steps. Dots: zones, sized by "
        "their value, placed schematically in their city",
        "色阶从零开始，颜色等差即数值等差；圆点为开发区，大小表示其数值，位置为示意",
    ),
    "province_mean": ("Province: {value}", "全省：{value}"),
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


def finish(chart: AnyChart, title: str | None = None, subtitle: str | None = None) -> AnyChart:
    """Put the CJK-capable font and shared styling into the chart's top-level config."""
    if title is not None:
        extra = {"subtitle": subtitle, "subtitleColor": "#555"} if subtitle else {}
        chart = chart.properties(title=alt.TitleParams(title, anchor="start", fontSize=15, **extra))
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


# --------------------------------------------------------------------------- names and units

#: Name kinds ``names`` knows: the id column, the data file, the zh and en name columns.
_NAME_KINDS: dict[str, tuple[str, str, str, str]] = {
    "sector": ("sector", "sectors.csv", "name_zh", "name_en"),
    "zone": ("zone_id", "zones.csv", "name_zh", "name_en"),
    "city": ("city", "cities.csv", "city_zh", "city"),
}


def default_data_dir() -> Path:
    """The shipped data folder (scenarios/data in a checkout, sim/library/data in a wheel)."""
    from sim.scenario.library import LIBRARY_DIR

    return LIBRARY_DIR / "data"


@functools.lru_cache(maxsize=32)
def _read_names(path: str, mtime_ns: int, kind: str) -> tuple[tuple[str, str, str], ...]:
    """(id, zh, en) rows of one data file (cached by path and modification time)."""
    del mtime_ns  # part of the cache key only
    id_col, _, zh_col, en_col = _NAME_KINDS[kind]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in dict.fromkeys((id_col, zh_col, en_col)) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: no column(s) {', '.join(missing)} for {kind} names")
    return tuple(
        zip(
            frame[id_col].astype(str),
            frame[zh_col].astype(str),
            frame[en_col].astype(str),
            strict=True,
        )
    )


def names(
    kind: str,
    lang: Lang,
    data: pd.DataFrame | str | os.PathLike[str] | None = None,
) -> dict[str, str]:
    """Display names of sectors, zones or cities by id, in ``lang``.

    ``kind`` is "sector" (ids as in sectors.csv), "zone" (zone_id) or "city" (the
    English city name, which is the id). ``data`` is a frame with the id column and
    ``name_zh``/``name_en`` (cities: ``city_zh``), a data folder holding sectors.csv,
    zones.csv and cities.csv, one of those files, or None for the shipped data. zh names
    come from ``name_zh`` (cities: ``city_zh``); an empty name falls back to the English
    one, then to the id.
    """
    lang = check_lang(lang)
    if kind not in _NAME_KINDS:
        raise ValueError(f"name kind {kind!r} is not one of {', '.join(_NAME_KINDS)}")
    id_col, file_name, zh_col, en_col = _NAME_KINDS[kind]
    if isinstance(data, pd.DataFrame):
        cols = [c for c in dict.fromkeys((id_col, zh_col, en_col)) if c in data.columns]
        if id_col not in cols:
            raise ValueError(f"the {kind} frame lacks its id column {id_col}")
        sub = data[cols].drop_duplicates(id_col)
        blank = pd.Series("", index=sub.index)
        rows = list(
            zip(
                sub[id_col].astype(str),
                sub[zh_col].fillna("").astype(str) if zh_col in cols else blank,
                sub[en_col].fillna("").astype(str) if en_col in cols else blank,
                strict=True,
            )
        )
    else:
        path = Path(data) if data is not None else default_data_dir()
        if path.is_dir():
            path = path / file_name
        if not path.is_file():
            raise FileNotFoundError(f"{kind} names: no file {path}")
        rows = list(_read_names(str(path.resolve()), path.stat().st_mtime_ns, kind))
    out = {}
    for ident, zh, en in rows:
        out[ident] = (zh or en or ident) if lang == "zh" else (en or ident)
    return out


def name_of(mapping: Mapping[str, str], ident: Any) -> str:
    """``mapping[ident]``, or the id itself (as text) when the mapping lacks it."""
    return mapping.get(str(ident), str(ident))


# unit (as the frames write it) -> ((en label, en factor), (zh label, zh factor)): a value
# in the frame's unit times the factor is the value in the label's unit.
_UNITS: dict[str, tuple[tuple[str, float], tuple[str, float]]] = {
    "亿元": (("CNY 100m", 1.0), ("亿元", 1.0)),
    "Mt": (("Mt", 1.0), ("万吨", 100.0)),
    "Mtce": (("Mtce", 1.0), ("万吨标准煤", 100.0)),
    "t": (("Mt", 1e-6), ("万吨", 1e-4)),
    "t/万元": (("t per CNY 10k", 1.0), ("吨/万元", 1.0)),
    "tce/万元": (("tce per CNY 10k", 1.0), ("吨标准煤/万元", 1.0)),
    "万元/亩": (("CNY 10k per mu", 1.0), ("万元/亩", 1.0)),
    "mu": (("10k mu", 1e-4), ("万亩", 1e-4)),
    "万亩": (("10k mu", 1.0), ("万亩", 1.0)),
    "firms": (("firms", 1.0), ("家", 1.0)),
    "元/t": (("CNY/t", 1.0), ("元/吨", 1.0)),
    "%": (("%", 1.0), ("%", 1.0)),
    "pp": (("percentage points", 1.0), ("个百分点", 1.0)),
}


def unit_label(unit: str, lang: Lang) -> tuple[str, float]:
    """The display label of a frame's ``unit`` in ``lang`` and the factor to multiply values by.

    zh uses 亿元, 万吨 (Mt × 100), 万元/亩, 元/吨 and 万亩 (mu / 10^4); en the same
    quantities in CNY 100m, Mt, CNY 10k per mu, CNY/t and 10k mu. An unknown unit is
    shown as given, factor 1.
    """
    pair = _UNITS.get(str(unit))
    if pair is None:
        return str(unit), 1.0
    return pair[0] if lang == "en" else pair[1]


#: KPI names of the comparison frame (sim.experiments.compare) -> (English, Chinese).
KPI_NAMES: dict[str, tuple[str, str]] = {
    "value_added": ("Value added", "增加值"),
    "va_share": ("Share of province GDP", "占全省GDP比重"),
    "co2": ("CO2 emissions", "二氧化碳排放"),
    "energy": ("Energy use", "能源消费"),
    "carbon_intensity": ("Carbon intensity", "碳排放强度"),
    "carbon_intensity_change": ("Carbon intensity change vs base year", "碳排放强度较基准年变化"),
    "energy_intensity": ("Energy intensity", "能耗强度"),
    "energy_intensity_change": ("Energy intensity change vs base year", "能耗强度较基准年变化"),
    "output_per_mu": ("Output per mu", "亩均营业收入"),
    "output_per_mu_change": ("Output per mu change vs base year", "亩均营业收入较基准年变化"),
    "land_new": ("New construction land", "新增建设用地"),
    "land_new_cumulative": ("New land since base year", "累计新增建设用地"),
    "land_revitalised": ("Revitalised stock land", "盘活存量用地"),
    "land_revitalised_cumulative": ("Revitalised land since base year", "累计盘活存量用地"),
    "firms_exited": ("Firms exited", "退出企业"),
    "firms_exited_cumulative": ("Firms exited since base year", "累计退出企业"),
    "carbon_gap": ("Carbon gap (above the caps)", "碳排放缺口（超出上限）"),
    "abatement": ("CO2 abated", "减排量"),
    "marginal_abatement_cost": ("Marginal cost of the caps", "碳约束边际成本"),
    "average_abatement_cost": ("Average abatement cost", "平均减排成本"),
    "cap_va_forgone": ("VA forgone to the caps", "因碳约束损失的增加值"),
}


def kpi_name(kpi: str, lang: Lang) -> str:
    """The KPI's name in ``lang``; an unknown KPI becomes its id with spaces for underscores."""
    pair = KPI_NAMES.get(kpi) or _LABELS.get(kpi)
    if pair is None:
        return kpi.replace("_", " ")
    return pair[0] if lang == "en" else pair[1]


def with_unit(text: str, unit: str, lang: Lang) -> str:
    """``text (unit)`` in en, ``text（unit）`` in zh; the unit is left out when empty."""
    if not unit:
        return text
    return f"{text} ({unit})" if lang == "en" else f"{text}（{unit}）"


def format_for(unit: str) -> str:
    """A d3 number format that suits values in a display ``unit`` (as unit_label gives)."""
    if unit in ("t per CNY 10k", "吨/万元", "tce per CNY 10k", "吨标准煤/万元"):
        return ",.3f"
    if unit in ("Mt", "Mtce", "%", "10k mu", "万亩", "percentage points", "个百分点"):
        return ",.2f"
    return ",.1f"


#: Scenario sections in Chinese: a lever key is shown in zh as 「section：key」, so the
#: planner sees what it is about and the exact key to --set.
_SECTIONS_ZH = {
    "economy": "经济",
    "land": "土地",
    "evaluation": "亩均评价",
    "exit": "企业退出",
    "carbon": "碳排放",
    "optimizer": "优化",
    "integration": "园区整合",
    "data": "数据",
    "years": "年份",
    "seed": "随机种子",
}


def lever_name(key: str, lang: Lang) -> str:
    """A lever's display name: the key in en; 「section in Chinese：key」 in zh.

    ``interaction`` (the Shapley interaction share) is labelled as such.
    """
    if key == "interaction":
        return label("interaction", lang)
    if lang == "en":
        return key
    section = key.split(".", 1)[0]
    return f"{_SECTIONS_ZH[section]}：{key}" if section in _SECTIONS_ZH else key
