"""Words as well as charts: a short generated paragraph per scenario, in Chinese or English.

`summarize(run, base, comparison, lang)` says, for the comparison's last year, what
changed against the baseline run (value added, CO2, intensity, land, exits), which of
the plan's targets and the scenario's caps are met (and by how much they are missed),
what the caps cost (元/吨), and the three largest drivers of the difference in CO2 from
the LMDI decomposition (models/decompose.py), naming the sector that moved most.
Numbers are rounded as a briefing rounds them: 亿元 to the unit (English: CNY billion
to one decimal), Mt to one decimal (Chinese: 万吨 to the unit), shares to one decimal
of a percent; money in constant 2020 prices. Sector, zone and city names come from the
data's `name_zh` / `name_en` columns (scenarios/data/*.csv, zones.parquet).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias

import pandas as pd

from models import decompose

if TYPE_CHECKING:
    from sim.experiments.compare import Comparison, RunView

Lang: TypeAlias = Literal["en", "zh"]

FACTOR_LABELS = {
    "activity": ("growth of value added (activity)", "经济规模扩大（规模效应）"),
    "structure": ("the sector mix (structure)", "产业结构变化（结构效应）"),
    "energy_intensity": ("energy use per unit of output (energy intensity)", "能耗强度变化"),
    "electricity_share": ("the shift between electricity and fuel", "用能结构（电力占比）变化"),
    "emission_factor": ("the grid and fuel emission factors", "电网及燃料排放因子变化"),
}
"""Each LMDI factor's name in a sentence: (English, Chinese)."""

PLAN_TARGETS = {
    "zone VA grows faster than province GDP (CAGR)": (
        "zone value added growing faster than provincial GDP",
        "开发区增加值增速高于全省GDP增速",
    ),
    "carbon intensity change vs base": ("the carbon-intensity fall", "碳排放强度下降目标"),
    "energy intensity change vs base": ("the energy-intensity fall", "能耗强度下降目标"),
    "output per mu change vs base": ("rising output per mu", "亩均营业收入提高"),
    "CO2 total cap (Mt)": ("the total CO2 cap", "二氧化碳排放总量上限"),
    "carbon intensity target, every year (t CO2/万元)": (
        "the yearly carbon-intensity path",
        "逐年碳排放强度目标",
    ),
}
"""The scorecard's targets in a sentence: (English, Chinese)."""


def _sector_names(run: RunView) -> dict[str, tuple[str, str]]:
    """{sector id: (English, Chinese)} from the run's sectors.csv (the shipped one by default)."""
    from sim.scenario.library import LIBRARY_DIR

    rel = str((run.scenario.get("data") or {}).get("sectors", "data/sectors.csv"))
    path = Path(rel)
    if not path.is_absolute():
        path = LIBRARY_DIR / path
    try:
        table = pd.read_csv(path, usecols=["sector", "name_zh", "name_en"])
    except (OSError, ValueError):
        return {}
    return {r.sector: (r.name_en, r.name_zh) for r in table.itertuples()}


def _zone_names(run: RunView) -> dict[str, tuple[str, str]]:
    """{zone id: ("English name (city", "中文名（城市")} from the run's zone table."""
    z = run.zones
    if not {"zone_id", "name_zh", "name_en", "city", "city_zh"} <= set(z.columns):
        return {}
    first = z.drop_duplicates("zone_id")
    return {
        r.zone_id: (f"{r.name_en} ({r.city}", f"{r.name_zh}（{r.city_zh}")
        for r in first.itertuples()
    }


def _zone_sentence(run: RunView, base: RunView, year: int, lang: Lang) -> str:
    """The zone whose CO2 moved most (against the baseline, or since the base year)."""
    z = run.zones
    mine = z[z["year"] == year].set_index("zone_id")["co2_t"]
    ref = (
        z[z["year"] == run.base_year] if run is base else base.zones[base.zones["year"] == year]
    ).set_index("zone_id")["co2_t"]
    ids = mine.index.union(ref.index)
    change = (mine.reindex(ids, fill_value=0.0) - ref.reindex(ids, fill_value=0.0)) / 1e6
    if change.empty or change.abs().max() == 0:
        return ""
    top = str(change.abs().idxmax())
    name = _name(_zone_names(run) or _zone_names(base), top, lang)
    value = tonnes(float(change[top]), lang, True)
    if lang == "zh":
        return f"排放变化最大的开发区是{name}，{value}）。"
    return f"The zone whose CO2 moved most is {name}, {value})."


def _name(names: dict[str, tuple[str, str]], key: str, lang: Lang) -> str:
    en, zh = names.get(key, (key, key))
    return zh if lang == "zh" else en


def money(yi: float, lang: Lang, signed: bool = False) -> str:
    """An amount in 亿元 as a briefing writes it (zh: 亿元 to the unit; en: CNY bn)."""
    s = "+" if signed else ""
    if lang == "zh":
        return f"{yi:{s},.0f}亿元"
    bn = yi / 10.0
    return f"CNY {bn:{s},.1f} bn" if abs(bn) < 100 else f"CNY {bn:{s},.0f} bn"


def tonnes(mt: float, lang: Lang, signed: bool = False) -> str:
    """An amount in Mt CO2 (zh: 万吨 to the unit; en: Mt to one decimal)."""
    s = "+" if signed else ""
    return f"{mt * 100:{s},.0f}万吨" if lang == "zh" else f"{mt:{s},.1f} Mt"


def pct(share: float, signed: bool = True) -> str:
    """A share (0.05) as a percentage with one decimal (+5.0 %)."""
    return f"{share * 100:{'+' if signed else ''}.1f}%"


def _value(cmp: Comparison, name: str, kpi: str, year: int, col: str = "value") -> float:
    k = cmp.kpis
    hit = k[(k["run"] == name) & (k["kpi"] == kpi) & (k["year"] == year)]
    return float(hit[col].iloc[0]) if len(hit) else math.nan


def _drivers(
    run: RunView, base: RunView, year: int, lang: Lang
) -> list[tuple[str, float, str | None]]:
    """The three largest LMDI parts of the CO2 change (Mt), each with its leading sector.

    Against the baseline in `year`, or for the baseline itself since its base year.
    """
    from sim.experiments.compare import unit_frames

    frames_to = unit_frames(run, "factor")
    if run is base:
        start, end = frames_to[run.base_year], frames_to[year]
    else:
        start, end = unit_frames(base, "factor")[year], frames_to[year]
    parts = decompose.change(start, end, "co2", unit="unit")
    totals = parts.sum()
    names = _sector_names(run)
    out = []
    for factor in totals.abs().sort_values(ascending=False).index[:3]:
        value = float(totals[factor])
        lead = None
        if factor in ("structure", "energy_intensity") and value != 0:
            col = parts[factor] * (1 if value > 0 else -1)
            lead = _name(names, str(col.idxmax()), lang)
        out.append((str(factor), value, lead))
    return out


def _targets(cmp: Comparison, name: str, lang: Lang) -> str:
    card = cmp.scorecards
    card = card[card["run"] == name] if "run" in card else card.iloc[0:0]
    if card.empty:
        return ""
    met, missed = [], []
    for r in card.itertuples():
        en, zh = PLAN_TARGETS.get(r.target, (r.target, r.target))
        label = zh if lang == "zh" else en
        if r.met is True or r.met == True:  # noqa: E712 (pandas boolean)
            met.append(label)
        elif not pd.isna(r.met):
            unit = getattr(r, "unit", "")
            gap = abs(float(r.margin))
            pp = f"{gap * 100:.{1 if gap >= 0.0005 else 2}f}"
            by = f"{pp}个百分点" if lang == "zh" else f"{pp} percentage points"
            if unit == "Mt":
                by = tonnes(gap, lang)
            elif unit == "t":
                by = tonnes(gap / 1e6, lang)
            elif unit == "t/万元":
                by = f"{gap:.3f}吨/万元" if lang == "zh" else f"{gap:.3f} t per CNY 10k"
            missed.append(
                f"{label}（{r.year}年差{by}）" if lang == "zh" else f"{label} ({r.year}, by {by})"
            )
    if lang == "zh":
        text = f"达成{len(met)}项目标：{'、'.join(met)}" if met else "未达成任何目标"
        if missed:
            text += f"；未达成：{'；'.join(missed)}"
        return text + "。"
    n = len(met) + len(missed)
    share = f"all {n}" if not missed else f"{len(met)} of {n}"
    text = f"It meets {share} targets ({', '.join(met)})"
    if missed:
        text += f" and misses {'; '.join(missed)}"
    return text + "."


def _cap_cost(cmp: Comparison, name: str, year: int, lang: Lang) -> str:
    marginal = _value(cmp, name, "marginal_abatement_cost", year)
    average = _value(cmp, name, "average_abatement_cost", year)
    abated = _value(cmp, name, "abatement", year)
    forgone = _value(cmp, name, "cap_va_forgone", year)
    if not (marginal > 0 or abated > 0):
        return (
            "碳约束当年不产生成本。" if lang == "zh" else "The carbon caps cost nothing that year."
        )
    if lang == "zh":
        text = f"碳约束的边际成本为{marginal:,.0f}元/吨"
        if average == average:
            text += f"（平均{average:,.0f}元/吨）"
        text += f"，减排{tonnes(abated, lang)}"
        if forgone == forgone:
            text += f"，损失增加值{money(forgone, lang)}"
        return text + "。"
    text = f"The caps cost {marginal:,.0f} yuan/t at the margin"
    if average == average:
        text += f" ({average:,.0f} yuan/t on average)"
    text += f", abating {tonnes(abated, lang)}"
    if forgone == forgone:
        text += f" and forgoing {money(forgone, lang)} of value added"
    return text + "."


def summarize(run: RunView, base: RunView, comparison: Comparison, lang: Lang = "zh") -> str:
    """A short paragraph on `run` against `base` in the comparison's last year (zh or en).

    What changed against the baseline, which targets are met, what the caps cost, and
    the three largest drivers of the CO2 difference (for the baseline itself: of its
    change since the base year). Rounded as a briefing rounds; constant 2020 prices.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"summarize: lang {lang!r}; allowed: en, zh")
    cmp = comparison
    year = max(cmp.years)
    name, bname = run.name, base.name
    va = _value(cmp, name, "value_added", year)
    co2 = _value(cmp, name, "co2", year)
    ci = _value(cmp, name, "carbon_intensity_change", year) / 100
    b0 = run.base_year
    sentences = []
    if run is base or name == bname:
        if lang == "zh":
            sentences.append(
                f"{name}情景下，{year}年开发区增加值{money(va, lang)}（2020年不变价），"
                f"二氧化碳排放{tonnes(co2, lang)}，碳排放强度较{b0}年{_cn_change(ci)}。"
            )
        else:
            sentences.append(
                f"In {name}, the zones' value added reaches {money(va, lang)} in {year} "
                f"(constant 2020 prices) with {tonnes(co2, lang)} of CO2; carbon intensity "
                f"changes by {pct(ci)} against {b0}."
            )
        what = f"{b0}—{year}年排放变化" if lang == "zh" else f"CO2 change {b0}-{year}"
    else:
        d_va = _value(cmp, name, "value_added", year, "diff_abs")
        d_va_pct = _value(cmp, name, "value_added", year, "diff_pct") / 100
        d_co2 = _value(cmp, name, "co2", year, "diff_abs")
        d_co2_pct = _value(cmp, name, "co2", year, "diff_pct") / 100
        d_land = _value(cmp, name, "land_new_cumulative", year, "diff_abs")
        d_exit = _value(cmp, name, "firms_exited_cumulative", year, "diff_abs")
        if lang == "zh":
            sentences.append(
                f"与{bname}相比，{name}情景{year}年开发区增加值{money(va, lang)}"
                f"（{money(d_va, lang, True)}，{pct(d_va_pct)}，2020年不变价），"
                f"二氧化碳排放{tonnes(co2, lang)}"
                f"（{tonnes(d_co2, lang, True)}，{pct(d_co2_pct)}），"
                f"碳排放强度较{b0}年{_cn_change(ci)}；累计新增建设用地{d_land:+,.0f}亩，"
                f"累计退出企业{d_exit:+,.0f}家。"
            )
        else:
            sentences.append(
                f"Against {bname}, {name} gives the zones {money(va, lang)} of value added in "
                f"{year} ({money(d_va, lang, True)}, {pct(d_va_pct)}; constant 2020 prices) and "
                f"{tonnes(co2, lang)} of CO2 ({tonnes(d_co2, lang, True)}, {pct(d_co2_pct)}); "
                f"carbon intensity changes by {pct(ci)} against {b0}. Since {b0}, against "
                f"{bname}: new land {d_land:+,.0f} mu, firm exits {d_exit:+,.0f}."
            )
        what = f"与{bname}的排放差异" if lang == "zh" else f"the CO2 difference from {bname}"
    targets = _targets(cmp, name, lang)
    if targets:
        sentences.append(targets)
    sentences.append(_cap_cost(cmp, name, year, lang))
    # parts that round to nothing (below half a 万吨) are not drivers
    drivers = [d for d in _drivers(run, base, year, lang) if abs(d[1]) >= 0.005]
    if not drivers:
        none = f"{what}为零。" if lang == "zh" else f"There is no {what}."
        sentences.append(none if run is not base else "")
        sep = "" if lang == "zh" else " "
        return sep.join(x for x in sentences if x) + sep + _zone_sentence(run, base, year, lang)
    if lang == "zh":
        parts = [
            f"{FACTOR_LABELS[f][1]}{tonnes(v, lang, True)}" + (f"（主要是{lead}）" if lead else "")
            for f, v, lead in drivers
        ]
        sentences.append(f"{what}的三大因素：{'；'.join(parts)}。")
        return "".join(sentences) + _zone_sentence(run, base, year, lang)
    parts = [
        f"{FACTOR_LABELS[f][0]} {tonnes(v, lang, True)}" + (f" (mostly {lead})" if lead else "")
        for f, v, lead in drivers
    ]
    sentences.append(f"The three largest drivers of {what}: {'; '.join(parts)}.")
    sentences.append(_zone_sentence(run, base, year, lang))
    return " ".join(x for x in sentences if x)


def _cn_change(share: float) -> str:
    """A change as 下降/上升 x.x% in Chinese."""
    if share != share:
        return "变化不详"
    return f"下降{abs(share) * 100:.1f}%" if share < 0 else f"上升{share * 100:.1f}%"
