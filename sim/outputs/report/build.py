"""``build_report``: run folders in, one offline briefing HTML file out.

The page, in order: title; the question each scenario answers; a short summary per
scenario; the scorecard against the targets; the key indicators side by side; why
they differ (the LMDI decomposition); the charts; the levers that differ;
the data sources; each run's manifest facts. Tables, summaries and decompositions
come from sim.experiments.compare and sim.outputs.summary; charts from
sim.outputs.charts; this module only lays them out (sim.outputs.report.page writes
the file). Lever attribution (Shapley values) re-runs mixes of the scenarios, so it is on request
(``attribution=True``, ``zonesim report --attribution``).

Language: ``lang`` when given, else the first run's ``report.language``.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.compare import Comparison, RunFolderError, RunView, compare, load_run
from sim.outputs.report import page as pagemod
from sim.outputs.report.page import Column, Page, esc, facts, fmt_number, paragraph, table
from sim.outputs.report.page import table as table_html
from sim.outputs.report.text import (
    TEXT_KEYS,
    Lang,
    check_lang,
    scenario_question,
    t,
    target_label,
)
from sim.runs.store import write_text_atomic

logger = logging.getLogger(__name__)


class ReportError(ValueError):
    """Bad input to the briefing: a run folder that is not one, or an output it may not replace."""


# --------------------------------------------------------------------------- input


def load_runs(paths: Sequence[str | os.PathLike[str]]) -> list[RunView]:
    """Read each run folder (sim.experiments.compare.load_run); ReportError naming a bad one."""
    if not paths:
        raise ReportError("no run folder given")
    seen: dict[Path, Path] = {}
    for raw in paths:
        path = Path(raw)
        key = path.resolve()
        if key in seen:
            raise ReportError(f"{path}: given twice (as {seen[key]}); name each run folder once")
        seen[key] = path
    views = []
    for raw in paths:
        path = Path(raw)
        if path.exists() and not path.is_dir():
            raise ReportError(f"{path}: not a folder (give a run folder of `zonesim run`)")
        try:
            views.append(load_run(path))
        except RunFolderError as exc:
            raise ReportError(str(exc)) from None
    return views


def choose_lang(runs: Sequence[RunView], lang: str | None) -> Lang:
    """``lang`` if given, else the first run's ``report.language``, else English."""
    if lang is not None:
        return check_lang(lang)
    report = runs[0].scenario.get("report") or {}
    wanted = report.get("language") if isinstance(report, dict) else None
    return wanted if wanted in ("en", "zh") else "en"


def check_out_file(out: Path) -> None:
    """Refuse an output path that is a folder or a file other than a zonesim briefing."""
    if out.is_dir():
        raise ReportError(f"{out}: is a folder; give a file name such as briefing.html")
    if out.exists() and not pagemod.is_report(out):
        raise ReportError(
            f"{out}: exists and is not a zonesim report; refusing to overwrite it "
            "(choose another name or remove the file)"
        )
    if not out.parent.is_dir():
        raise ReportError(f"{out.parent}: the output folder does not exist")


# --------------------------------------------------------------------------- sections


def fmt_year(value: Any) -> str:
    """A year as written: 2025, not 2,025."""
    return str(int(value))


def fmt_pct(value: Any) -> str:
    """A percentage with its sign and one decimal (+1.2 %)."""
    text = fmt_number(value, 1)
    return f"{_signed_text(text)}%" if text else ""


def _questions(cmp: Comparison, lang: Lang) -> str:
    from sim.scenario.library import LIBRARY_DIR

    parts = []
    for view, label in zip(cmp.runs, cmp.names, strict=True):
        scenario = str(view.manifest.get("scenario") or view.scenario.get("name") or "")
        description = str(view.manifest.get("description") or "")
        q = scenario_question(scenario, description, lang, LIBRARY_DIR)
        q = q[:1].upper() + q[1:]
        if label.startswith(f"{scenario} [") and label.endswith("]"):  # a --set variant
            q += " " + t("question_variant", lang, levers=label[len(scenario) + 2 : -1])
        parts.append(f'<div class="question"><b>{esc(label)}</b>{esc(q)}</div>')
    return "".join(parts)


def _summaries(cmp: Comparison, lang: Lang) -> str:
    from sim.outputs.summary import summarize

    base = cmp.runs[0]
    parts = []
    for view, label in zip(cmp.runs, cmp.names, strict=True):
        if len(cmp.runs) > 1:
            parts.append(f"<h3>{esc(label)}</h3>")
        parts.append(paragraph(summarize(view, base, cmp, lang)))
    return "".join(parts)


#: Decimals of a scorecard number by the row's unit (shares shown in percent).
SCORE_DECIMALS = {"share": 1, "share per year": 2, "Mt": 1, "t/万元": 3, "t": 0}


def _score_text(value: float, unit: str, is_margin: bool, lang: Lang) -> str:
    """A scorecard number: shares in percent (margins in percentage points), others in unit."""
    from sim.experiments.compare import display

    if not math.isfinite(value):
        return ""
    if unit in ("share", "share per year"):
        text = fmt_number(value * 100, SCORE_DECIMALS[unit])
        if is_margin:
            return f"{_signed_text(text)} {t('pp', lang)}"
        return f"{text}%" + (t("per_year", lang) if unit == "share per year" else "")
    shown, label = display(value, unit, lang)
    places = decimals_for(unit, lang) if unit in ("Mt", "Mtce") else SCORE_DECIMALS.get(unit, 0)
    text = fmt_number(shown, places)
    if is_margin:
        text = _signed_text(text)
    return f"{text} {label}" if label and label != "nan" else text


def _scorecard(cmp: Comparison, lang: Lang) -> str:
    sc = cmp.scorecards.copy()
    if sc.empty:
        return paragraph(t("none", lang))
    units = sc["unit"] if "unit" in sc.columns else pd.Series("", index=sc.index)
    sc["target"] = [target_label(x, lang) for x in sc["target"].astype(str)]
    for col in ("required", "achieved", "margin"):
        if col in sc.columns:
            sc[col] = [
                _score_text(float(v), str(u), col == "margin", lang)
                for v, u in zip(sc[col], units, strict=True)
            ]
    sc["met"] = [
        "" if pd.isna(v) else t("met", lang) if bool(v) else t("missed", lang) for v in sc["met"]
    ]
    text = [Column(c, t(h, lang), str, numeric=False) for c, h in (("run", "col_run"),)]
    cols = [
        *text,
        Column("target", t("col_target", lang), str, numeric=False),
        Column("year", t("col_year", lang), fmt_year),
        Column("required", t("col_required", lang), str),
        Column("achieved", t("col_achieved", lang), str),
        Column("margin", t("col_margin", lang), str),
        Column("met", t("col_status", lang), str, numeric=False),
    ]
    return paragraph(t("scorecard_note", lang)) + table(sc, cols)


def decimals_for(unit: str, lang: Lang) -> int:
    """Decimals a briefing shows for ``unit`` (compare.DECIMALS; 万吨 to the unit in Chinese)."""
    from sim.experiments.compare import DECIMALS

    if lang == "zh" and unit in ("Mt", "Mtce"):
        return 0
    return DECIMALS.get(unit, 0)


def _signed_text(text: str) -> str:
    """A formatted number with "+" before a positive one (zero as rounded has no sign)."""
    if not text or text.startswith("\u2212") or not text.strip("0.,"):
        return text
    return f"+{text}"


def _comparison(cmp: Comparison, lang: Lang) -> str:
    from sim.experiments.compare import KPI_BY_NAME, display, kpi_label

    first = cmp.names[0]
    years = sorted({max(cmp.years), *(y for y in (2025,) if y in cmp.years)})
    parts = [paragraph(t("comparison_note", lang, first=first))]
    for year in years:
        k = cmp.kpis[cmp.kpis["year"] == year]
        order = list(dict.fromkeys(k["kpi"]))
        wide = pd.DataFrame({"kpi": [kpi_label(x, lang) for x in order]})
        cols = [Column("kpi", t("col_kpi", lang), str, numeric=False)]
        for i, name in enumerate(cmp.names):
            mine = k[k["run"] == name].set_index("kpi").reindex(order)
            values, diffs = [], []
            for kpi, row in zip(order, mine.itertuples(), strict=True):
                unit = KPI_BY_NAME[kpi].unit
                places = decimals_for(unit, lang)
                values.append(fmt_number(display(row.value, unit, lang)[0], places))
                diff = _signed_text(fmt_number(display(row.diff_abs, unit, lang)[0], places))
                if diff and pd.notna(row.diff_pct):
                    diff += f" ({fmt_pct(row.diff_pct)})"
                diffs.append(diff)
            wide[f"v{i}"] = values
            cols.append(Column(f"v{i}", name, str))
            if i > 0:
                wide[f"d{i}"] = diffs
                cols.append(Column(f"d{i}", t("col_diff", lang), str))
        parts.append(table(wide, cols, caption=t("comparison_year", lang, year=year)))
    return "".join(parts)


def _decomposition(cmp: Comparison, lang: Lang) -> str:
    from sim.experiments.compare import display
    from sim.outputs.summary import FACTOR_LABELS

    dec = cmp.decomposition
    if dec.empty:
        return paragraph(t("none", lang))
    last = max(cmp.years)
    first = cmp.names[0]
    pairs = [(first, first, int(cmp.runs[0].base_year), last)]
    pairs += [(first, other, last, last) for other in cmp.names[1:]]
    parts = [paragraph(t("decomposition_note", lang))]
    for run_from, run_to, y0, y1 in pairs:
        mine = dec[
            (dec["run_from"] == run_from)
            & (dec["run_to"] == run_to)
            & (dec["year_from"] == y0)
            & (dec["year_to"] == y1)
        ]
        pair = []
        for target in ("co2", "energy"):
            part = mine[mine["target"] == target]
            if part.empty:
                continue
            unit = str(part["unit"].iloc[0])
            places = decimals_for(unit, lang)
            wide = part.pivot_table(
                index="factor", columns="level", values="value", aggfunc="sum", sort=False
            )
            wide.loc["total"] = wide.sum()
            rows = pd.DataFrame(
                {
                    "name": [
                        t("total", lang)
                        if f == "total"
                        else FACTOR_LABELS.get(f, (f, f))[1 if lang == "zh" else 0]
                        for f in wide.index
                    ]
                }
            )
            shown_unit = display(1.0, unit, lang)[1]
            cols = [Column("name", t("col_factor", lang), str, numeric=False)]
            for level in ("factor", "zone"):
                if level in wide.columns:
                    rows[level] = [
                        _signed_text(fmt_number(display(float(v), unit, lang)[0], places))
                        for v in wide[level]
                    ]
                    cols.append(Column(level, t(f"level_{level}", lang, unit=shown_unit), str))
            what = t(f"target_{target}", lang)
            if run_from == run_to:
                caption = t("decomp_years", lang, what=what, run=run_to, y0=y0, y1=y1)
            else:
                caption = t("decomp_runs", lang, what=what, a=run_from, b=run_to, year=y1)
            pair.append(table(rows, cols, caption=caption))
        if pair:
            parts.append(f'<div class="pair">{"".join(pair)}</div>')
    return "".join(parts)


#: The KPIs the briefing attributes to levers with ``attribution=True``.
ATTRIBUTION_KPIS = ("value_added", "co2")


def attribute(cmp: Comparison, cache_dir: Path) -> pd.DataFrame:
    """Shapley values of the levers between the first run and each other, in the last year.

    sim.experiments.attribution.shapley re-runs the mixes of the two runs' levers
    (cached in ``cache_dir``); a column ``run`` names the run compared with the first.
    """
    from sim.experiments.attribution import shapley

    year = max(cmp.years)
    frames = []
    for view, name in zip(cmp.runs[1:], cmp.names[1:], strict=True):
        table = shapley(cmp.runs[0], view, ATTRIBUTION_KPIS, [year], cache_dir)
        frames.append(table.assign(run=name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _attribution(table: pd.DataFrame, cmp: Comparison, lang: Lang) -> str:
    from sim.experiments.compare import display, kpi_label
    from sim.outputs.charts.labels import lever_name

    parts = [f"<h3>{esc(t('attribution', lang))}</h3>", paragraph(t("attribution_note", lang))]
    for name, mine in table.groupby("run", sort=False):
        rows = mine.copy()
        rows["lever"] = [
            t(f"lever_{x}", lang) if x in ("interaction", "total") else lever_name(x, lang)
            for x in rows["lever"].astype(str)
        ]
        rows["kpi"] = [kpi_label(k, lang) for k in rows["kpi"]]
        for col in ("value", "one_at_a_time"):
            rows[col] = [
                _signed_text(fmt_number(display(v, u, lang)[0], decimals_for(u, lang)))
                if pd.notna(v)
                else ""
                for v, u in zip(rows[col], rows["unit"], strict=True)
            ]
        rows["share"] = [fmt_pct(100 * v) if pd.notna(v) else "" for v in rows["share"]]
        cols = [
            Column("kpi", t("col_kpi", lang), str, numeric=False),
            Column("lever", t("col_lever", lang), str, numeric=False),
            Column("value", t("col_shapley", lang), str),
            Column("one_at_a_time", t("col_one_at_a_time", lang), str),
            Column("share", t("col_share", lang), str),
        ]
        year = int(mine["year"].max())
        caption = t(
            "decomp_runs",
            lang,
            what=t("attribution_short", lang),
            a=cmp.names[0],
            b=name,
            year=year,
        )
        parts.append(table_html(rows, cols, caption=caption))
    return "".join(parts)


def _charts(
    page: Page, cmp: Comparison, lang: Lang, attribution: pd.DataFrame | None = None
) -> str:
    from sim.outputs import charts

    levers = None
    if attribution is not None and not attribution.empty:
        levers = attribution[attribution["lever"] != "total"]
        if levers["run"].nunique() == 1:
            levers = levers.drop(columns="run")
    parts = []
    for key, title, chart in charts.all_charts(cmp.runs, cmp, lang, attribution=levers):
        parts.append(page.chart(chart.to_dict(), title or key))
    return "".join(parts)


def _levers(cmp: Comparison, lang: Lang) -> str:
    levers = cmp.levers
    if levers.empty:
        return paragraph(t("levers_none", lang))
    cols = [Column("key", t("col_key", lang), str, numeric=False)]
    cols += [Column(c, c, str, numeric=False) for c in levers.columns[1:]]
    return table(levers, cols, cls="wide-text")


def _sources(lang: Lang) -> str:
    from sim.scenario.library import LIBRARY_DIR

    path = LIBRARY_DIR / "data" / "sources.csv"
    if not path.is_file():
        return paragraph(t("none", lang))
    src = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "estimate" in src.columns:
        words = {"yes": t("yes", lang), "no": t("no", lang)}
        src["estimate"] = [words.get(v.strip().lower(), v) for v in src["estimate"]]
    cols = [
        Column(c, t(f"col_{c}", lang), str, numeric=False)
        for c in ("file", "column", "source", "estimate", "note")
    ]
    return (
        paragraph(t("sources_note", lang))
        + f"<details><summary>{esc(t('sources', lang))} ({len(src)})</summary>"
        + table(src, cols, cls="wide-text")
        + "</details>"
    )


def _status(status: Any, lang: Lang) -> str:
    key = f"status_{status}"
    return t(key, lang) if key in TEXT_KEYS else str(status or "")


def _manifests(cmp: Comparison, lang: Lang) -> str:
    parts = []
    for view, label in zip(cmp.runs, cmp.names, strict=True):
        m = view.manifest
        years = m.get("years") or []
        versions = m.get("versions") or {}
        parts.append(f"<h3>{esc(label)}</h3>")
        parts.append(
            facts(
                [
                    (t("m_folder", lang), str(view.path)),
                    (t("m_scenario", lang), m.get("scenario")),
                    (t("m_description", lang), m.get("description")),
                    (t("m_status", lang), _status(m.get("status"), lang)),
                    (t("m_years", lang), "–".join(map(str, years))),
                    (t("m_seed", lang), m.get("seed")),
                    (t("m_hash", lang), m.get("scenario_hash")),
                    (t("m_tool", lang), m.get("tool_version")),
                    (t("m_commit", lang), m.get("git_commit")),
                    (t("m_started", lang), m.get("started")),
                    (t("m_solver", lang), m.get("solver")),
                    (
                        t("m_versions", lang),
                        ", ".join(f"{k} {v}" for k, v in versions.items() if v),
                    ),
                ]
            )
        )
    return "".join(parts)


# --------------------------------------------------------------------------- the report


def build_page(cmp: Comparison, lang: Lang, attribution: pd.DataFrame | None = None) -> Page:
    """Lay out the briefing of a comparison in ``lang`` (``build_report`` writes the file).

    ``attribution``: the levers' Shapley values (``attribute``), shown under the
    decomposition and as the lever wedges; None leaves them out.
    """
    names = ("、" if lang == "zh" else ", ").join(cmp.names)
    n = len(cmp.names)
    subtitle = (
        t("subtitle_one", lang, names=names)
        if n == 1
        else t("subtitle_many", lang, n=n, names=names)
    )
    stop = "。" if lang == "zh" else ". "
    page = Page(lang=lang, title=t("title", lang), subtitle=f"{subtitle}{stop}{t('prices', lang)}")
    page.section("questions", t("questions", lang), _questions(cmp, lang))
    page.section("summary", t("summary", lang), _summaries(cmp, lang))
    page.section("scorecard", t("scorecard", lang), _scorecard(cmp, lang))
    page.section("comparison", t("comparison", lang), _comparison(cmp, lang))
    why = _decomposition(cmp, lang)
    if attribution is not None and not attribution.empty:
        why += _attribution(attribution, cmp, lang)
    page.section("decomposition", t("decomposition", lang), why)
    page.section("charts", t("charts", lang), _charts(page, cmp, lang, attribution))
    page.section("levers", t("levers", lang), _levers(cmp, lang))
    page.section("sources", t("sources", lang), _sources(lang))
    page.section("runs", t("manifest", lang), _manifests(cmp, lang))
    try:
        version = metadata.version("zonesim")
    except metadata.PackageNotFoundError:
        version = "?"
    page.footer = t("generated", lang, version=version, n=n)
    return page


def build_report(
    run_dirs: Sequence[str | os.PathLike[str]],
    out_file: str | os.PathLike[str],
    lang: str | None = None,
    *,
    attribution: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the briefing of ``run_dirs`` to ``out_file`` and return its path.

    ``lang`` is "zh" or "en"; None takes the first run's ``report.language``.
    ``attribution``: also the levers' Shapley values between the first run and each
    other (re-runs the mixes of their levers; cached in ``cache_dir``, default
    results/attribution-cache). The file is written atomically; an existing file is
    replaced only if it is a zonesim briefing. Raises ReportError for a bad run folder
    or output path (nothing written).
    """
    from sim.outputs.charts import render

    out = Path(out_file)
    check_out_file(out)
    render.prepare_javascript()  # the Vega bundle loads in the background meanwhile
    views = load_runs(run_dirs)
    chosen = choose_lang(views, lang)
    try:
        cmp = compare(views)
    except RunFolderError as exc:
        raise ReportError(str(exc)) from None
    shares = None
    if attribution and len(views) > 1:
        from sim.runs.store import results_dir

        cache = Path(cache_dir) if cache_dir else results_dir() / "attribution-cache"
        try:
            shares = attribute(cmp, cache)
        except RunFolderError as exc:
            raise ReportError(str(exc)) from None
    page = build_page(cmp, chosen, shares)
    text = page.render(t("contents", chosen), t("chart_failed", chosen), render.javascript_bundle())
    check_out_file(out)  # again: the file may have appeared while the page was built
    write_text_atomic(out, text)
    return out
