"""``build_report``: run folders in, one offline briefing HTML file out.

The page, in order: title; the question each scenario answers; a short summary per
scenario; the scorecard against the targets; the key indicators side by side; why
they differ (decomposition, lever attribution); the charts; the levers that differ;
the data sources; each run's manifest facts. Tables, summaries and decompositions
come from sim.experiments.compare and sim.outputs.summary; charts from
sim.outputs.charts; this module only lays them out (sim.outputs.report.page writes
the file).

Language: ``lang`` when given, else the first run's ``report.language``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.outputs.report import page as pagemod
from sim.outputs.report.page import Column, Page, esc, facts, fmt_number, paragraph, table
from sim.outputs.report.text import Lang, check_lang, scenario_question, t

logger = logging.getLogger(__name__)


class ReportError(ValueError):
    """Bad input to the briefing: a run folder that is not one, or an output it may not replace."""


@dataclass
class Run:
    """What the briefing reads of one run folder."""

    path: Path
    name: str
    manifest: dict[str, Any]
    scenario: dict[str, Any]
    province: pd.DataFrame
    zones: pd.DataFrame
    sectors: pd.DataFrame
    scorecard: pd.DataFrame
    summary: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- input


def check_run_dir(path: Path) -> dict[str, Any]:
    """The manifest of the run folder ``path``; ReportError naming the path if it is none."""
    if not path.exists():
        raise ReportError(f"{path}: no such run folder")
    if not path.is_dir():
        raise ReportError(f"{path}: not a folder (a run folder holds manifest.json and tables)")
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise ReportError(f"{path}: not a zonesim run folder (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{manifest_path}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("tool") != "zonesim":
        raise ReportError(f'{manifest_path}: not a zonesim manifest (no "tool": "zonesim")')
    for name in ("scenario.yaml", "province.parquet", "scorecard.csv"):
        if not (path / name).is_file():
            raise ReportError(f"{path}: run folder lacks {name} (an interrupted or older run?)")
    return manifest


def load_runs(paths: Sequence[str | os.PathLike[str]]) -> list[Run]:
    """Read each run folder; ReportError naming the first bad one."""
    if not paths:
        raise ReportError("no run folder given")
    runs = []
    for raw in paths:
        path = Path(raw)
        manifest = check_run_dir(path)
        try:
            scenario = yaml.safe_load((path / "scenario.yaml").read_text(encoding="utf-8"))
            province = pd.read_parquet(path / "province.parquet")
            zones = pd.read_parquet(path / "zones.parquet")
            sectors = pd.read_parquet(path / "sectors.parquet")
            scorecard = pd.read_csv(path / "scorecard.csv")
            summary = pd.read_csv(path / "summary.csv")
        except Exception as exc:  # a damaged folder: say which, never a traceback
            raise ReportError(f"{path}: cannot read the run folder ({exc})") from None
        runs.append(
            Run(
                path=path,
                name=str(manifest.get("scenario") or path.name),
                manifest=manifest,
                scenario=scenario if isinstance(scenario, dict) else {},
                province=province,
                zones=zones,
                sectors=sectors,
                scorecard=scorecard,
                summary=summary,
            )
        )
    return runs


def choose_lang(runs: Sequence[Run], lang: str | None) -> Lang:
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
    if not out.parent.exists():
        raise ReportError(f"{out.parent}: the output folder does not exist")


def write_atomic(out: Path, text: str) -> None:
    """Write ``text`` to ``out`` through a temporary file beside it, then rename."""
    from sim.runs.store import write_text_atomic

    write_text_atomic(out, text)


# --------------------------------------------------------------------------- sections


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: tree}


def levers_that_differ(runs: Sequence[Run]) -> pd.DataFrame:
    """Scenario keys whose value differs between runs: key, then one column per run.

    Names, descriptions, data paths and report settings are left out (not levers).
    """
    flat = [_flatten(r.scenario) for r in runs]
    keys = sorted(set().union(*flat))
    rows = []
    for key in keys:
        if key.split(".")[0] in ("name", "description", "report", "data"):
            continue
        values = [f.get(key) for f in flat]
        if any(
            json.dumps(v, sort_keys=True) != json.dumps(values[0], sort_keys=True) for v in values
        ):
            rows.append([key, *[_lever_text(v) for v in values]])
    return pd.DataFrame(rows, columns=["key", *run_labels(runs)])


def _lever_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def run_labels(runs: Sequence[Run]) -> list[str]:
    """One distinct label per run: its scenario name, numbered where names repeat."""
    names = [r.name for r in runs]
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if names.count(n) == 1 else f"{n} #{seen[n]}")
    return out


def _questions(runs: Sequence[Run], labels: Sequence[str], lang: Lang) -> str:
    from sim.scenario.library import LIBRARY_DIR

    parts = []
    for run, label in zip(runs, labels, strict=True):
        q = scenario_question(
            run.name, str(run.manifest.get("description") or ""), lang, LIBRARY_DIR
        )
        parts.append(f'<div class="question"><b>{esc(label)}</b>{esc(q)}</div>')
    return "".join(parts)


def _stacked(runs: Sequence[Run], labels: Sequence[str], attr: str) -> pd.DataFrame:
    """The runs' ``attr`` frames one under the other, with a first column ``run``."""
    return pd.concat(
        [getattr(r, attr).assign(run=label) for r, label in zip(runs, labels, strict=True)],
        ignore_index=True,
    )


def fmt_year(value: Any) -> str:
    """A year as written: 2025, not 2,025."""
    return str(int(value))


def _scorecard(runs: Sequence[Run], labels: Sequence[str], lang: Lang) -> str:
    sc = _stacked(runs, labels, "scorecard")
    if "met" in sc.columns:
        sc["met"] = sc["met"].map(lambda v: t("met", lang) if bool(v) else t("missed", lang))
    cols = [
        Column("run", t("col_run", lang), str, numeric=False),
        Column("target", t("col_target", lang), str, numeric=False),
        Column("year", t("col_year", lang), fmt_year),
        Column("required", t("col_target", lang) + " (req.)"),
        Column("achieved", t("col_value", lang)),
        Column("margin", t("col_gap", lang)),
        Column("met", t("col_status", lang), str, numeric=False),
    ]
    return table(sc, cols)


def _comparison(runs: Sequence[Run], labels: Sequence[str], lang: Lang) -> str:
    s = _stacked(runs, labels, "summary")
    cols = [Column("run", t("col_run", lang), str, numeric=False)]
    for c in s.columns:
        if c != "run":
            cols.append(Column(c, c, fmt_year if c == "year" else fmt_number))
    return table(s, cols)


def _charts(page: Page, runs: Sequence[Run], labels: Sequence[str], lang: Lang) -> str:
    from sim.outputs import charts
    from sim.outputs.charts.render import ensure_cjk_font
    from sim.scenario.library import LIBRARY_DIR

    ensure_cjk_font()
    parts = []
    for run, label in zip(runs, labels, strict=True):
        rel = (run.scenario.get("data") or {}).get("boundaries", "data/jiangsu_cities.geojson")
        geo = Path(rel) if Path(rel).is_absolute() else LIBRARY_DIR / rel
        made = charts.baseline_charts(run.province, run.zones, run.sectors, geo, lang)
        if len(runs) > 1:
            parts.append(f"<h3>{esc(label)}</h3>")
        for stem, chart in made.items():
            parts.append(page.chart(chart.to_dict(), stem))
    return "".join(parts)


def _sources(lang: Lang) -> str:
    from sim.scenario.library import LIBRARY_DIR

    path = LIBRARY_DIR / "data" / "sources.csv"
    if not path.is_file():
        return paragraph(t("none", lang))
    src = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "estimate" in src.columns:
        src["estimate"] = src["estimate"].map(
            lambda v: t("yes", lang) if v.strip().lower() in ("yes", "true", "1") else t("no", lang)
        )
    cols = [
        Column(c, t(f"col_{c}", lang), str, numeric=False)
        for c in ("file", "column", "source", "estimate", "note")
    ]
    return (
        paragraph(t("sources_note", lang))
        + f"<details><summary>{esc(t('sources', lang))} ({len(src)})</summary>"
        + table(src, cols)
        + "</details>"
    )


def _manifests(runs: Sequence[Run], labels: Sequence[str], lang: Lang) -> str:
    parts = []
    for run, label in zip(runs, labels, strict=True):
        m = run.manifest
        years = m.get("years") or []
        versions = m.get("versions") or {}
        parts.append(f"<h3>{esc(label)}</h3>")
        parts.append(
            facts(
                [
                    (t("m_folder", lang), str(run.path)),
                    (t("m_scenario", lang), m.get("scenario")),
                    (t("m_description", lang), m.get("description")),
                    (t("m_status", lang), m.get("status")),
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


def build_page(runs: Sequence[Run], lang: Lang) -> Page:
    """Lay out the briefing of ``runs`` in ``lang`` (the file is written by ``build_report``)."""
    labels = run_labels(runs)
    names = "、".join(labels) if lang == "zh" else ", ".join(labels)
    subtitle = (
        t("subtitle_one", lang, names=names)
        if len(runs) == 1
        else t("subtitle_many", lang, n=len(runs), names=names)
    )
    page = Page(lang=lang, title=t("title", lang), subtitle=f"{subtitle}. {t('prices', lang)}")
    if lang == "zh":
        page.subtitle = f"{subtitle}。{t('prices', lang)}"
    page.section("questions", t("questions", lang), _questions(runs, labels, lang))
    page.section("scorecard", t("scorecard", lang), _scorecard(runs, labels, lang))
    page.section("comparison", t("comparison", lang), _comparison(runs, labels, lang))
    page.section("charts", t("charts", lang), _charts(page, runs, labels, lang))
    levers = levers_that_differ(runs)
    lever_html = (
        paragraph(t("levers_none", lang))
        if levers.empty
        else table(
            levers,
            [Column("key", t("col_key", lang), str, numeric=False)]
            + [Column(c, c, str, numeric=False) for c in levers.columns[1:]],
        )
    )
    page.section("levers", t("levers", lang), lever_html)
    page.section("sources", t("sources", lang), _sources(lang))
    page.section("runs", t("manifest", lang), _manifests(runs, labels, lang))
    try:
        version = metadata.version("zonesim")
    except metadata.PackageNotFoundError:
        version = "?"
    page.footer = t("generated", lang, version=version, n=len(runs))
    return page


def build_report(
    run_dirs: Sequence[str | os.PathLike[str]],
    out_file: str | os.PathLike[str],
    lang: str | None = None,
) -> Path:
    """Write the briefing of ``run_dirs`` to ``out_file`` and return its path.

    ``lang`` is "zh" or "en"; None takes the first run's ``report.language``. The file
    is written atomically; an existing file is replaced only if it is a zonesim
    briefing. Raises ReportError for a bad run folder or output path (nothing written).
    """
    out = Path(out_file)
    check_out_file(out)
    runs = load_runs(run_dirs)
    chosen = choose_lang(runs, lang)
    page = build_page(runs, chosen)
    import altair as alt

    text = page.render(
        t("contents", chosen),
        t("chart_failed", chosen),
        pagemod.vl_version_for(alt.SCHEMA_VERSION),
    )
    check_out_file(out)  # again: the file may have appeared while the page was built
    write_atomic(out, text)
    return out
