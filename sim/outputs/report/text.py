"""The briefing's words in English and Chinese: headings, table columns, the scenario questions.

The language rule (README, "The briefing report"): ``--lang`` when given, else the
first run's ``report.language`` (its resolved scenario.yaml), else English.

Each shipped scenario opens its YAML with the question it answers (``# Question it
answers: ...`` up to the next bare ``#`` line). The briefing reads that comment from
the shipped file of the run's scenario name; the Chinese page uses the translation
below for a shipped scenario, and a ``# 问题：...`` comment line where a user's own
scenario file has one. A scenario with no question comment falls back to its
``description``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, TypeAlias

Lang: TypeAlias = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Development-zone scenarios: briefing", "开发区情景简报"),
    "subtitle_one": ("Scenario {names}", "情景：{names}"),
    "subtitle_many": ("{n} scenarios compared: {names}", "{n}个情景比较：{names}"),
    "prices": (
        "Money in constant 2020 prices; land in mu (1 mu = 1/15 ha).",
        "货币量按2020年不变价计；土地以亩计（1亩=1/15公顷）。",
    ),
    "contents": ("Contents", "目录"),
    "questions": ("The questions", "各情景回答的问题"),
    "summary": ("Summary", "摘要"),
    "scorecard": ("Scorecard against the targets", "目标完成情况"),
    "comparison": ("Key indicators by scenario", "主要指标比较"),
    "decomposition": ("Why they differ", "差异从何而来"),
    "decomposition_lmdi": (
        "Decomposition of the change in CO2 (LMDI, additive)",
        "二氧化碳排放变化分解（LMDI加法分解）",
    ),
    "charts": ("Charts", "图表"),
    "attribution": ("Each lever's share (Shapley values)", "各政策杠杆的贡献（Shapley值）"),
    "attribution_short": ("Levers' shares", "杠杆贡献"),
    "attribution_note": (
        "Each lever's effect averaged over every order of switching the levers from the "
        "first run's values to the other's (the model re-run for each mix); the levers sum "
        "to the total. The interaction is what switching one lever at a time misses.",
        "将各杠杆按所有可能的顺序从首个情景的取值切换到另一情景的取值（每种组合重新运行模型），"
        "取其平均作用；各杠杆之和等于总差异。交互作用为逐一切换单个杠杆所不能解释的部分。",
    ),
    "col_shapley": ("Shapley value", "Shapley值"),
    "col_one_at_a_time": ("One at a time", "单独切换"),
    "col_share": ("Share", "占比"),
    "lever_interaction": ("Interaction", "交互作用"),
    "lever_total": ("Total difference", "总差异"),
    "levers": ("Levers that differ", "情景间不同的政策杠杆"),
    "levers_none": ("The runs share every lever.", "各情景的政策杠杆完全相同。"),
    "sources": ("Data sources", "数据来源"),
    "sources_note": (
        "Where each default-data column comes from (scenarios/data/sources.csv); "
        "“estimate” marks a number the zonesim developers chose where no public figure "
        "was found.",
        "默认数据各列的来源（scenarios/data/sources.csv）；“估计”表示在没有公开数据时由"
        "zonesim开发者给定的数值。",
    ),
    "manifest": ("Runs: versions, seed, hash", "运行记录：版本、随机种子、哈希"),
    "question_variant": ("(This run: {levers}.)", "（本次运行：{levers}。）"),
    "no_question": ("(the scenario states no question)", "（情景文件未写明问题）"),
    "chart_failed": ("This chart could not be drawn:", "本图无法绘制："),
    "none": ("none", "无"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "met": ("met", "达成"),
    "missed": ("missed", "未达成"),
    # table columns
    "col_run": ("Scenario", "情景"),
    "col_year": ("Year", "年份"),
    "col_kpi": ("Indicator", "指标"),
    "col_unit": ("Unit", "单位"),
    "col_value": ("Value", "数值"),
    "col_diff": ("Δ (%)", "差值（%）"),
    "pp": ("pp", "个百分点"),
    "yangtze": ("Yangtze", "沿江"),
    "canal": ("Grand Canal", "沿运河"),
    "coastal": ("Coastal", "沿海"),
    "col_required": ("Required", "要求"),
    "col_achieved": ("Achieved", "实际"),
    "col_margin": ("Margin", "余量"),
    "per_year": (" a year", "/年"),
    "scorecard_note": (
        "Each plan target and each cap the scenario sets, in the year it is judged; a "
        "positive margin is room left, a negative one the amount missed.",
        "规划目标及情景设定的各项上限，按考核年份列示；余量为正表示尚有余地，为负表示未达成的差额。",
    ),
    "comparison_note": (
        "Differences are against {first}; money in constant 2020 prices.",
        "差值均相对于{first}；货币量按2020年不变价计。",
    ),
    "comparison_year": ("{year}", "{year}年"),
    "decomposition_note": (
        "Additive LMDI: the parts sum exactly to the total change. By sectors, structure is "
        "the sector mix; by zones, it is the zone mix.",
        "LMDI加法分解：各因素之和恰等于总变化。按行业分解时结构效应为行业结构，按开发区分解时为开发区结构。",
    ),
    "total": ("Total change", "总变化"),
    "level_factor": ("By sectors ({unit})", "按行业（{unit}）"),
    "level_zone": ("By zones ({unit})", "按开发区（{unit}）"),
    "target_co2": ("CO2", "二氧化碳排放"),
    "target_energy": ("Energy use", "能源消费"),
    "decomp_years": ("{what}: {run}, {y0} to {y1}", "{what}：{run}，{y0}—{y1}年"),
    "decomp_runs": ("{what}: {a} to {b}, {year}", "{what}：从{a}到{b}，{year}年"),
    "col_key": ("Lever", "杠杆"),
    "col_file": ("File", "文件"),
    "col_column": ("Column", "列"),
    "col_source": ("Source", "来源"),
    "col_estimate": ("Estimate", "估计"),
    "col_note": ("Note", "说明"),
    "col_fact": ("Fact", "项目"),
    "col_target": ("Target", "目标"),
    "col_status": ("Status", "状态"),
    "col_gap": ("Gap", "差距"),
    "col_factor": ("Factor", "因素"),
    "col_from": ("From", "起点"),
    "col_to": ("To", "终点"),
    "col_lever": ("Lever", "杠杆"),
    # manifest facts
    "m_folder": ("Run folder", "运行文件夹"),
    "m_scenario": ("Scenario", "情景"),
    "m_description": ("Description", "说明"),
    "m_status": ("Status", "状态"),
    "status_complete": ("complete", "完成"),
    "status_degraded": ("degraded (a year's land allocation failed)", "降级（某年土地配置失败）"),
    "status_stopped": ("stopped before the last year", "提前中止"),
    "m_years": ("Years", "年份"),
    "m_seed": ("Seed", "随机种子"),
    "m_hash": ("Scenario hash (SHA-256)", "情景哈希（SHA-256）"),
    "m_tool": ("zonesim version", "zonesim版本"),
    "m_commit": ("Git commit", "Git提交"),
    "m_started": ("Started (UTC)", "开始时间（UTC）"),
    "m_solver": ("Solver", "求解器"),
    "m_versions": ("Package versions", "软件包版本"),
    "generated": (
        "Made by zonesim {version} from {n} run folder(s); works offline (scripts and font "
        "inlined).",
        "由zonesim {version}根据{n}个运行文件夹生成；离线可用（脚本与字体均已内嵌）。",
    ),
}


TEXT_KEYS = frozenset(_TEXT)
"""The keys ``t`` knows."""


def t(key: str, lang: Lang, **fmt: Any) -> str:
    """The briefing text ``key`` in ``lang``, formatted with ``fmt``.

    Raises KeyError for an unknown key (a typo in the page code, not user input).
    """
    en, zh = _TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


def check_lang(lang: str) -> Lang:
    """``lang`` if the briefing supports it; ValueError naming the allowed values otherwise."""
    if lang not in LANGS:
        raise ValueError(f"report language {lang!r} is not supported: use 'zh' or 'en'")
    return lang  # type: ignore[return-value]


# --------------------------------------------------------------------------- questions

#: The shipped scenarios' questions in Chinese (the English is the YAML's own comment).
QUESTIONS_ZH: dict[str, str] = {
    "baseline": (
        "如果规划政策按原文执行（亩均评价、D类企业强制退出、存量盘活、增存挂钩、2025年碳排放强度"
        "下降18%、沿江不再新增化工用地），2021—2025年开发区的产出、土地和二氧化碳排放将如何变化？"
    ),
    "aggressive_exit": (
        "更严格的低效退出政策（D类企业比例翻倍、整改期由三年缩短为一年、D类企业电价加价提高）"
        "能腾出多少土地、产出和二氧化碳排放？"
    ),
    "coastal_shift": (
        "把新增工业用地引向沿海的代价与收益是什么：沿江化工园区外的化工企业在2022—2026年迁入"
        "沿海化工园区，沿江（重化围江）和沿运河（化工园区外）不再新增化工用地，每年新增用地至少"
        "四分之一投向沿海开发区？"
    ),
    "horizon_2035": (
        "如果规划政策延续、二氧化碳排放总量须在2030年前达峰（碳达峰）并在此后下降，到2035年开发区"
        "的产出、土地和二氧化碳排放将如何变化？"
    ),
    "integration_2023": (
        "如果在规划中期的2023年把规模小、效益弱的省级开发区并入所在设区市的主体园区（一区多园），"
        "会有什么变化？"
    ),
    "stock_first": (
        "如果开发区主要依靠存量土地（存量优先）：新增建设用地指标减半、新增指标与盘活存量强挂钩"
        "（增存挂钩）、收回存量的年盘活量翻倍，开发区还能继续增长吗？"
    ),
    "strict_carbon": (
        "当碳排放控制从单一强度目标转向双控：在2025年强度下降18%的全国目标之外，自2023年起二氧化碳"
        "排放总量控制在开发区2020年水平并逐年下降，开发区会损失多少产出和土地？"
    ),
}

_QUESTION_EN = re.compile(r"^#\s*Question it answers:\s*(.*)$")
_QUESTION_ZH = re.compile(r"^#\s*问题[:：]\s*(.*)$")


def question_from_yaml(text: str, lang: Lang) -> str | None:
    """The question a scenario file's opening comment states, in ``lang`` if it has one.

    English: the ``# Question it answers:`` comment with the comment lines after it, up
    to a bare ``#``, a blank line or YAML. Chinese: a ``# 问题：`` comment line. None
    when the file has no such comment.
    """
    lines = text.splitlines()
    pattern = _QUESTION_ZH if lang == "zh" else _QUESTION_EN
    for i, line in enumerate(lines):
        match = pattern.match(line.strip())
        if not match:
            continue
        parts = [match.group(1).strip()]
        for more in lines[i + 1 :]:
            more = more.strip()
            if not more.startswith("#") or more.strip("# ") == "":
                break
            if _QUESTION_EN.match(more) or _QUESTION_ZH.match(more):
                break
            parts.append(more.lstrip("#").strip())
        joined = "".join(parts) if lang == "zh" else " ".join(parts)
        return joined.strip() or None
    return None


def scenario_question(name: str, description: str, lang: Lang, library: Path) -> str:
    """The question the scenario ``name`` answers, in ``lang`` where it can be had.

    Read from ``library/<name>.yaml`` (the shipped scenario of that name); the Chinese
    page prefers ``QUESTIONS_ZH`` for a shipped scenario, then a ``# 问题：`` comment,
    then the English question. Falls back to ``description``, then to a "no question"
    note.
    """
    path = library / f"{name}.yaml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if lang == "zh":
        if name in QUESTIONS_ZH and text:
            return QUESTIONS_ZH[name]
        found = question_from_yaml(text, "zh")
        if found:
            return found
    found = question_from_yaml(text, "en")
    if found:
        return found
    return description.strip() or t("no_question", lang)


#: Scorecard rows the summary's PLAN_TARGETS does not name, in Chinese (by pattern).
_TARGETS_ZH = (
    (re.compile(r"^CO2 cap, zone (.+) \(Mt\)$"), "开发区{0}二氧化碳排放上限"),
    (re.compile(r"^largest yearly carbon gap, (.+) belt \(t\)$"), "{0}带年度最大碳排放缺口"),
    (
        re.compile(r"^largest yearly carbon gap, capped zones \(t\)$"),
        "设限开发区年度最大碳排放缺口",
    ),
)


def target_label(target: str, lang: Lang) -> str:
    """A scorecard row's target in ``lang`` (the summary's Chinese names, then patterns)."""
    from sim.outputs.summary import PLAN_TARGETS

    if lang == "en":
        return target.replace("/万元", " per CNY 10k")
    if target in PLAN_TARGETS:
        return PLAN_TARGETS[target][1]
    for pattern, zh in _TARGETS_ZH:
        match = pattern.match(target)
        if match:
            groups = [t(g, "zh") if g in _TEXT else g for g in match.groups()]
            return zh.format(*groups)
    return target
