"""The chart sets: what a run folder draws, and every chart of a comparison or a report.

``baseline_charts`` / ``run_charts``: the run folder's charts (``BASELINE_STEMS``),
written by ``write_run_charts`` as PNG and SVG each plus one offline charts.html, in the
scenario's ``report.language``. ``all_charts(runs, comparison, lang)``: the report's
charts for one or more runs, as (key, title, chart) triples.

Names (sectors, zones, cities) come from the data's ``name_zh``/``name_en`` columns
through ``labels.names``; units are those of labels.unit_label.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from sim.outputs.charts import render
from sim.outputs.charts.allocation import (
    allocation_heatmap,
    land_by_run,
    per_mu_by_class,
    shadow_prices,
)
from sim.outputs.charts.comparison import (
    lmdi_from_province,
    lmdi_waterfall,
    measures_from_province,
    targets_from_run,
    trajectories,
    wedges,
)
from sim.outputs.charts.labels import AnyChart, Lang, check_lang, default_data_dir, names
from sim.outputs.charts.province import carbon_intensity_vs_target, land_flows, value_added_and_co2
from sim.outputs.charts.sectors import sector_mix
from sim.outputs.charts.zones import jiangsu_map, output_per_mu_by_zone

logger = logging.getLogger(__name__)

#: The charts a run folder holds (file stems under charts/), in page order.
BASELINE_STEMS = (
    "va_co2",
    "carbon_intensity",
    "land_flows",
    "output_per_mu_zones",
    "map_output_per_mu",
    "sector_mix",
)
#: At most this many runs get their own map and heatmap in ``all_charts``.
MAX_RUN_PANELS = 4
_PAGE_TITLE = {"en": "zonesim run charts", "zh": "zonesim 运行结果图表"}

ChartItem = tuple[str, str, AnyChart]

# --------------------------------------------------------------------------- helpers


def _sector_names(lang: Lang, data: str | os.PathLike[str] | pd.DataFrame | None) -> dict[str, str]:
    """Sector names: from ``data`` (a frame, a folder, a sectors.csv), else the shipped data."""
    if isinstance(data, pd.DataFrame):
        return names("sector", lang, data)
    if data is not None:
        path = Path(data)
        folder = path if path.is_dir() else path.parent
        if (folder / "sectors.csv").is_file():
            return names("sector", lang, folder / "sectors.csv")
    return names("sector", lang)


def _title(chart: AnyChart) -> str:
    """The chart's title text (lines joined by spaces), "" if it has none."""
    title = getattr(chart, "title", alt.Undefined)
    if isinstance(title, alt.TitleParams):
        title = title.text
    if title is alt.Undefined or title is None:
        return ""
    return " ".join(map(str, title)) if isinstance(title, list) else str(title)


def _retitle(chart: AnyChart, prefix: str) -> AnyChart:
    """The chart with ``prefix · `` before its title (the run's name on a per-run chart)."""
    title = getattr(chart, "title", alt.Undefined)
    if isinstance(title, alt.TitleParams):
        title.text = f"{prefix} · {title.text}"
    elif isinstance(title, str):
        chart.title = f"{prefix} · {title}"
    return chart


# --------------------------------------------------------------------------- one run


def baseline_charts(
    province: pd.DataFrame,
    zones: pd.DataFrame,
    sectors: pd.DataFrame,
    geojson_path: str | os.PathLike[str] | None,
    lang: Lang,
    sector_names: Mapping[str, str] | None = None,
) -> dict[str, AnyChart]:
    """The charts a run writes under charts/, keyed by file stem (``BASELINE_STEMS``).

    The zone charts (output per mu by zone, the map) show the last year of the zones
    frame. Sector names: ``sector_names``, else the sectors.csv next to the boundaries
    file (the run's data folder), else the shipped data.
    """
    lang = check_lang(lang)
    if sector_names is None and not {"name_zh", "name_en"} <= set(sectors.columns):
        sector_names = _sector_names(lang, geojson_path)
    return {
        "va_co2": value_added_and_co2(province, lang),
        "carbon_intensity": carbon_intensity_vs_target(province, lang),
        "land_flows": land_flows(province, lang),
        "output_per_mu_zones": output_per_mu_by_zone(zones, None, lang),
        "map_output_per_mu": jiangsu_map(zones, geojson_path, None, lang),
        "sector_mix": sector_mix(sectors, lang, sector_names=sector_names),
    }


def run_charts(
    province: pd.DataFrame,
    zones: pd.DataFrame,
    sectors: pd.DataFrame,
    geojson_path: str | os.PathLike[str] | None,
    lang: Lang,
    sector_names: Mapping[str, str] | None = None,
) -> list[ChartItem]:
    """``baseline_charts`` as (key, title, chart) triples, in ``BASELINE_STEMS`` order."""
    made = baseline_charts(province, zones, sectors, geojson_path, lang, sector_names)
    return [(key, _title(chart), chart) for key, chart in made.items()]


def write_run_charts(result: Any, folder: str | os.PathLike[str]) -> list[str]:
    """Draw a run's charts into ``folder``: PNG and SVG each, and one offline charts.html.

    ``result`` is a RunResult (province, zones, sectors frames, boundaries_path and the
    scenario, whose report.language sets the language). Returns the file names, sorted.
    """
    render.warm_up()  # vl-convert starts while the charts are built
    render.prepare_javascript()
    scenario = result.scenario
    lang: Lang = check_lang(scenario.report.language)
    sector_names = None
    try:
        sector_names = names("sector", lang, scenario.data_path(scenario.data.sectors))
    except (AttributeError, OSError, ValueError) as exc:
        logger.debug("sector names from the shipped data (%s)", exc)
    items = run_charts(
        result.province, result.zones, result.sectors, result.boundaries_path, lang, sector_names
    )
    paths = render.save_charts(items, folder, page_title=_PAGE_TITLE[lang], lang=lang)
    return sorted(p.name for p in paths)


# --------------------------------------------------------------------------- several runs


def _kpi_frame(runs: Sequence[Any], run_names: Sequence[str]) -> pd.DataFrame:
    """The trajectories' KPI frame when no comparison is given.

    The same long shape as the comparison's `kpis`, from each run's province table.
    Charts sit below sim.experiments, so they do not import it (no import cycle through
    sim.runs).
    """
    parts = []
    for run, name in zip(runs, run_names, strict=True):
        prov = run.province.sort_values("year")
        for kpi, col, unit, scale, cumulative in (
            ("value_added", "value_added_yi", "亿元", 1.0, False),
            ("co2", "co2_t", "Mt", 1e-6, False),
            ("carbon_intensity", "carbon_intensity_t_per_wan", "t/万元", 1.0, False),
            ("energy_intensity", "energy_intensity_tce_per_wan", "tce/万元", 1.0, False),
            ("output_per_mu", "output_per_mu_wan", "万元/亩", 1.0, False),
            ("land_new_cumulative", "land_new_mu", "mu", 1.0, True),
        ):
            if col not in prov.columns:
                continue
            values = prov[col].astype(float) * scale
            parts.append(
                pd.DataFrame(
                    {
                        "run": name,
                        "year": prov["year"].astype(int),
                        "kpi": kpi,
                        "unit": unit,
                        "value": values.cumsum() if cumulative else values,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _stacked(runs: Sequence[Any], run_names: Sequence[str], table: str) -> pd.DataFrame:
    frames = []
    for run, name in zip(runs, run_names, strict=True):
        frame = getattr(run, table)
        if frame is not None and not frame.empty:
            frames.append(frame.assign(run=name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _firms(run: Any) -> pd.DataFrame | None:
    path = Path(run.path) / "firms_final.parquet"
    if not path.is_file():
        return None
    return pd.read_parquet(path, columns=["class", "output_wan", "land_mu", "status"])


def _pick_decomposition(decomposition: pd.DataFrame, run_names: Sequence[str]) -> pd.DataFrame:
    """One CO2 decomposition by factor from the comparison's frame.

    The first run → the second in their last common year, else the first run from its
    first to its last year.
    """
    df = decomposition
    if "target" in df.columns:
        df = df[df["target"] == "co2"]
    if "level" in df.columns:
        df = df[df["level"] == "factor"]
    if df.empty:
        return df
    if len(run_names) > 1 and {"run_from", "run_to", "year_from", "year_to"} <= set(df.columns):
        between = df[(df["run_from"] == run_names[0]) & (df["run_to"] == run_names[1])]
        between = between[between["year_from"] == between["year_to"]]
        if not between.empty:
            return between[between["year_to"] == between["year_to"].max()]
    if {"run_from", "run_to", "year_from", "year_to"} <= set(df.columns):
        own = df[(df["run_from"] == run_names[0]) & (df["run_to"] == run_names[0])]
        if not own.empty:
            own = own[own["year_from"] == own["year_from"].min()]
            return own[own["year_to"] == own["year_to"].max()]
    return df.iloc[0:0]


def _boundaries(run: Any) -> Path | None:
    scenario = getattr(run, "scenario", None) or {}
    rel = (scenario.get("data") or {}).get("boundaries") if isinstance(scenario, dict) else None
    if rel:
        for base in (Path(rel), default_data_dir().parent / rel, default_data_dir() / rel):
            if base.is_file():
                return base
    return None


def all_charts(
    runs: Sequence[Any],
    comparison: Any | None = None,
    lang: Lang = "en",
    attribution: pd.DataFrame | None = None,
) -> list[ChartItem]:
    """Every chart of a report on ``runs``, as (key, title, chart), in reading order.

    ``runs`` are RunViews (sim.experiments.compare.load_run: path, name, province,
    zones, sectors, allocations, scenario, scorecard); ``comparison`` their Comparison
    (its ``names``, ``kpis`` and ``decomposition`` are used; None: KPIs are read from the
    runs and the decomposition from the first run's province table); ``attribution`` a
    Shapley frame (lever, kpi, year, value, unit) for the lever wedges. Keys are plain
    file stems; titles are the charts' own titles. Charts a run lacks the data for
    (no allocation, no abatement, no shadow price) are left out.
    """
    lang = check_lang(lang)
    if not runs:
        raise ValueError("all_charts needs at least one run")
    run_names = list(getattr(comparison, "names", None) or [str(r.name) for r in runs])
    first = runs[0]
    several = len(runs) > 1
    sector_names = _sector_names(lang, None)
    items: list[ChartItem] = []

    def add(key: str, chart: AnyChart | None) -> None:
        if chart is not None:
            items.append((key, _title(chart), chart))

    kpis = getattr(comparison, "kpis", None)
    if kpis is None or kpis.empty:
        kpis = _kpi_frame(runs, run_names)
    targets = getattr(comparison, "targets", None)
    if targets is None or targets.empty:
        targets = targets_from_run(first.province, first.scorecard)
    add("trajectories", trajectories(kpis, targets, lang))

    decomposition = getattr(comparison, "decomposition", None)
    picked = None
    if decomposition is not None and not decomposition.empty:
        picked = _pick_decomposition(decomposition, run_names)
    if picked is None or picked.empty:
        try:
            picked = lmdi_from_province(first.province)
        except ValueError:
            picked = None
    if picked is not None and not picked.empty:
        add("lmdi", lmdi_waterfall(picked, lang))

    if attribution is not None and not attribution.empty:
        add("wedges_levers", wedges(attribution, lang))
    measure_frames = []
    for run, name in zip(runs, run_names, strict=True):
        try:
            m = measures_from_province(run.province)
        except ValueError:
            continue
        if m["value"].abs().sum() > 0:
            measure_frames.append(m.assign(run=name))
    if measure_frames:
        add("wedges_measures", wedges(pd.concat(measure_frames, ignore_index=True), lang))

    if several:
        add("land", land_by_run(_stacked(runs, run_names, "province"), lang))
    else:
        add("land", land_flows(first.province, lang))

    for i, (run, name) in enumerate(zip(runs[:MAX_RUN_PANELS], run_names, strict=False)):
        suffix = f"_{i + 1}" if several else ""
        chart = jiangsu_map(run.zones, _boundaries(run), None, lang)
        add(f"map{suffix}", _retitle(chart, name) if several else chart)

    firm_frames = []
    for run, name in zip(runs, run_names, strict=True):
        f = _firms(run)
        if f is not None:
            firm_frames.append(f.assign(run=name) if several else f)
    if firm_frames:
        add("per_mu_class", per_mu_by_class(pd.concat(firm_frames, ignore_index=True), lang))

    for i, (run, name) in enumerate(zip(runs[:MAX_RUN_PANELS], run_names, strict=False)):
        alloc = getattr(run, "allocations", None)
        if alloc is None or alloc.empty or alloc["land_mu"].sum() <= 0:
            continue
        chart = allocation_heatmap(alloc, run.zones, lang, sector_names=sector_names)
        add(
            f"allocation{'_' + str(i + 1) if several else ''}",
            _retitle(chart, name) if several else chart,
        )

    prov = _stacked(runs, run_names, "province") if several else first.province
    try:
        add("shadow_prices", shadow_prices(prov, lang))
    except ValueError as exc:
        logger.debug("no shadow-price chart: %s", exc)

    if not several:
        add("sector_mix", sector_mix(first.sectors, lang, sector_names=sector_names))
        add("output_per_mu_zones", output_per_mu_by_zone(first.zones, None, lang))
    return items
