"""Charts of several runs side by side and of why they differ.

``trajectories``: KPIs by year for several scenarios against their targets, with a
scenario selector. ``wedges``: what each lever (Shapley attribution) or abatement
measure contributed to a KPI, by year. ``lmdi_waterfall``: the additive LMDI parts of a
change in CO2 (or energy), bar by bar to the total.

Inputs are long frames (sim.experiments.compare, sim.experiments.attribution); the
helpers ``targets_from_run``, ``measures_from_province`` and ``lmdi_from_province`` build
the same shapes from one run's frames. Values arrive in the frame's ``unit`` and are
shown in the language's unit (labels.unit_label: zh Mt → 万吨, mu → 万亩).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd

from sim.outputs.charts.labels import (
    GREEN,
    GREY,
    RED,
    AnyChart,
    Lang,
    check_lang,
    finish,
    format_for,
    kpi_name,
    label,
    lever_name,
    localise,
    require,
    unit_label,
    with_unit,
    year_tip,
)
from sim.units import T_PER_MT

KPI_COLUMNS = ("run", "year", "kpi", "unit", "value")
"""The columns ``trajectories`` needs (diff_abs and diff_pct are shown when present)."""
#: KPIs drawn by default, in this order, when the frame has them.
DEFAULT_KPIS = (
    "value_added",
    "co2",
    "carbon_intensity",
    "energy_intensity",
    "output_per_mu",
    "land_new_cumulative",
)
#: Targets are drawn black and dashed: no scenario colour (tableau10) is black.
TARGET_COLOUR = "#222222"
#: The abatement measures of province.parquet (abatement_<measure>_t).
MEASURES = ("retrofit", "green_power", "curtailment", "forced_exit")

# --------------------------------------------------------------------------- targets


def targets_from_run(province: pd.DataFrame, scorecard: pd.DataFrame | None = None) -> pd.DataFrame:
    """Targets in the comparison's KPI terms from one run: kpi, year, value, unit.

    The carbon-intensity target path (province column carbon_intensity_target_t_per_wan,
    t/万元) and, from the scorecard, the required change vs base of carbon and energy
    intensity (fractions, as percent: kpi carbon_intensity_change / energy_intensity_change).
    """
    rows: list[dict[str, object]] = []
    if "carbon_intensity_target_t_per_wan" in province.columns:
        path = province[["year", "carbon_intensity_target_t_per_wan"]].dropna()
        for year, value in path.itertuples(index=False):
            rows.append(
                {"kpi": "carbon_intensity", "year": int(year), "value": value, "unit": "t/万元"}
            )
    if scorecard is not None and {"target", "year", "required"} <= set(scorecard.columns):
        for target, year, required in scorecard[["target", "year", "required"]].itertuples(
            index=False
        ):
            text = str(target).lower()
            for kpi, words in (
                ("carbon_intensity_change", "carbon intensity change"),
                ("energy_intensity_change", "energy intensity change"),
            ):
                if words in text and pd.notna(required):
                    rows.append(
                        {"kpi": kpi, "year": int(year), "value": 100.0 * required, "unit": "%"}
                    )
    return pd.DataFrame(rows, columns=["kpi", "year", "value", "unit"])


# --------------------------------------------------------------------------- trajectories


def _display(frame: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """``frame`` with value (and diff_abs) in the display unit and a ``unit_label`` column."""
    out = frame.copy()
    labels = {u: unit_label(u, lang) for u in pd.unique(out["unit"])}
    factor = out["unit"].map(lambda u: labels[u][1])
    out["unit_label"] = out["unit"].map(lambda u: labels[u][0])
    out["value"] = out["value"].astype(float) * factor
    if "diff_abs" in out.columns:
        out["diff_abs"] = out["diff_abs"].astype(float) * factor
    return out


def trajectories(
    kpis: pd.DataFrame,
    targets: pd.DataFrame | None,
    lang: Lang,
    show: Sequence[str] | None = None,
    columns: int = 2,
) -> AnyChart:
    """KPIs by year, one panel each, a line per scenario; targets as black dashed marks.

    ``kpis`` is the comparison's long frame (run, year, kpi, unit, value, and optionally
    diff_abs, diff_pct against the first run). ``targets`` (kpi, year, value, unit; the
    KPI's unit; optionally run: each run's own path, runs with the same path drawn once)
    may be None. ``show`` picks the KPIs and their order (default:
    ``DEFAULT_KPIS`` that the frame has, else all). A drop-down (HTML) picks one scenario
    and fades the others; the legend names them all.
    """
    lang = check_lang(lang)
    require(kpis, KPI_COLUMNS, "comparison KPI")
    present = list(dict.fromkeys(kpis["kpi"]))
    if show is None:
        show = [k for k in DEFAULT_KPIS if k in present] or present
    unknown = [k for k in show if k not in present]
    if unknown:
        raise ValueError(
            f"KPI(s) {', '.join(unknown)} not in the comparison frame; it has {', '.join(present)}"
        )
    runs = list(dict.fromkeys(kpis["run"].astype(str)))
    df = _display(kpis[kpis["kpi"].isin(show)], lang)
    df["run"] = df["run"].astype(str)
    first = runs[0]
    run_title = label("run", lang)
    pick = alt.selection_point(
        name="scenario",
        fields=["run"],
        bind=alt.binding_select(
            options=[None, *runs],
            labels=[label("all_runs", lang), *runs],
            name=label("pick_run", lang),
        ),
    )
    colour = alt.Color(
        "run:N",
        title=run_title,
        sort=runs,
        scale=alt.Scale(domain=runs, scheme="tableau10"),
        legend=alt.Legend(orient="bottom", labelLimit=400, columns=min(len(runs), 3)),
    )
    panels = []
    for i, kpi in enumerate(show):
        mine = df[df["kpi"] == kpi]
        unit = str(mine["unit_label"].iloc[0])
        fmt = format_for(unit)
        name = kpi_name(kpi, lang)
        value_title = with_unit(name, unit, lang)
        tips = [
            alt.Tooltip("run:N", title=run_title),
            year_tip(lang),
            alt.Tooltip("value:Q", title=value_title, format=fmt),
        ]
        if "diff_abs" in mine.columns and len(runs) > 1:
            tips.append(
                alt.Tooltip(
                    "diff_abs:Q",
                    title=with_unit(label("diff_abs", lang, run=first), unit, lang),
                    format="+" + fmt.lstrip(","),
                )
            )
        if "diff_pct" in mine.columns and len(runs) > 1:
            tips.append(
                alt.Tooltip("diff_pct:Q", title=label("diff_pct", lang, run=first), format="+.1f")
            )
        lines = (
            alt.Chart(mine)
            .mark_line(point=True, strokeWidth=2)
            .encode(
                x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0, labelOverlap="greedy")),
                y=alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False)),
                color=colour,
                opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)),
                tooltip=tips,
            )
        )
        if i == 0:
            lines = lines.add_params(pick)
        layers: list[alt.Chart] = [lines]
        tgt = None
        if targets is not None and not targets.empty:
            require(targets, ("kpi", "year", "value", "unit"), "targets")
            tgt = targets[targets["kpi"] == kpi]
        if tgt is not None and not tgt.empty:
            tgt = _display(tgt, lang)
            tgt["what"] = label("target", lang)
            target_tips = [
                alt.Tooltip("what:N", title=label("series", lang)),
                year_tip(lang),
                alt.Tooltip("value:Q", title=value_title, format=fmt),
            ]
            enc: dict[str, object] = {"x": alt.X("year:O"), "y": alt.Y("value:Q")}
            if "run" in tgt.columns:
                # each run's own path; runs that share one are drawn once, named together
                tgt["run"] = tgt["run"].astype(str)
                paths = tgt.groupby("run", sort=False)[["year", "value"]].apply(
                    lambda f: tuple(zip(f["year"], f["value"].round(12), strict=True))
                )
                same = paths.groupby(paths).groups
                together = {rs[0]: ", ".join(rs) for rs in same.values()}
                tgt = tgt[tgt["run"].isin(together)].copy()
                tgt["runs"] = tgt["run"].map(together)
                enc["detail"] = alt.Detail("runs:N")
                target_tips.insert(0, alt.Tooltip("runs:N", title=run_title))
            base = alt.Chart(tgt).encode(**enc, tooltip=target_tips)
            layers.append(base.mark_line(color=TARGET_COLOUR, strokeDash=[6, 3]))
            layers.append(
                base.mark_point(color=TARGET_COLOUR, shape="diamond", filled=True, size=70)
            )
        panels.append(
            alt.layer(*layers).properties(
                title=alt.TitleParams(name, fontSize=12, anchor="start"), width=250, height=150
            )
        )
    chart = alt.concat(*panels, columns=columns, spacing=28).resolve_scale(y="independent")
    note = label("traj_note", lang) if targets is not None and not targets.empty else None
    return finish(chart, label("traj_title", lang), note)


# --------------------------------------------------------------------------- wedges


def measures_from_province(province: pd.DataFrame) -> pd.DataFrame:
    """CO2 abated by measure and year from province.parquet: measure, kpi, year, value, unit.

    value = abatement_<measure>_t / 10^6 (Mt), kpi "abatement"; a measure whose column
    is missing is left out. Raises ValueError if none is there.
    """
    rows = []
    for m in MEASURES:
        col = f"abatement_{m}_t"
        if col in province.columns:
            rows.append(
                pd.DataFrame(
                    {
                        "measure": m,
                        "kpi": "abatement",
                        "year": province["year"].astype(int),
                        "value": province[col].astype(float) / T_PER_MT,
                        "unit": "Mt",
                    }
                )
            )
    if not rows:
        raise ValueError(
            "the province frame has no abatement_<measure>_t column "
            f"(measures: {', '.join(MEASURES)})"
        )
    return pd.concat(rows, ignore_index=True)


def wedges(contributions: pd.DataFrame, lang: Lang, columns: int = 2) -> AnyChart:
    """Stacked bars by year of what each lever or measure contributed to each KPI.

    ``contributions`` is long: lever (Shapley attribution; a row 'interaction' is the
    interaction share) or measure (e.g. ``measures_from_province``), kpi, year, value,
    unit, and optionally run (a panel per run and KPI). Positive parts stack up from
    zero, negative ones down; a black tick marks each year's net sum. One panel per KPI.
    """
    lang = check_lang(lang)
    what = "lever" if "lever" in contributions.columns else "measure"
    require(contributions, (what, "kpi", "year", "value", "unit"), f"{what} contribution")
    df = _display(contributions, lang)
    if what == "lever":
        df["part"] = df["lever"].astype(str).map(lambda k: lever_name(k, lang))
    else:
        df["part"] = localise(df["measure"].astype(str), lang)
    parts = list(dict.fromkeys(df["part"]))
    inter = label("interaction", lang)
    ordered = [p for p in parts if p != inter] + ([inter] if inter in parts else [])
    palette = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6"]
    rng = [palette[i % len(palette)] for i in range(len(ordered))]
    if inter in ordered:
        rng[-1] = GREY
    part_title = label(what, lang)
    panels = []
    if "run" not in df.columns:
        df["run"] = ""
    df["run"] = df["run"].astype(str)
    for run, kpi in dict.fromkeys(zip(df["run"], df["kpi"], strict=True)):
        mine = df[(df["kpi"] == kpi) & (df["run"] == run)].copy()
        unit = str(mine["unit_label"].iloc[0])
        fmt = format_for(unit)
        title = with_unit(kpi_name(kpi, lang), unit, lang)
        panel_title = f"{run} · {kpi_name(kpi, lang)}" if run else kpi_name(kpi, lang)
        net = mine.groupby("year", as_index=False)["value"].sum()
        net["what"] = label("total", lang)
        x = alt.X("year:O", title=label("year", lang), axis=alt.Axis(labelAngle=0))
        bars = (
            alt.Chart(mine)
            .mark_bar()
            .encode(
                x=x,
                y=alt.Y("value:Q", title=title, stack="zero"),
                color=alt.Color(
                    "part:N",
                    title=part_title,
                    sort=ordered,
                    scale=alt.Scale(domain=ordered, range=rng),
                    legend=alt.Legend(orient="bottom", labelLimit=300, columns=3),
                ),
                order=alt.Order("part:N"),
                tooltip=[
                    year_tip(lang),
                    alt.Tooltip("part:N", title=part_title),
                    alt.Tooltip("value:Q", title=title, format=fmt),
                ],
            )
        )
        ticks = (
            alt.Chart(net)
            .mark_tick(color="black", thickness=2, size=28)
            .encode(
                x=x,
                y=alt.Y("value:Q"),
                tooltip=[
                    year_tip(lang),
                    alt.Tooltip("what:N", title=label("series", lang)),
                    alt.Tooltip("value:Q", title=title, format=fmt),
                ],
            )
        )
        n_years = mine["year"].nunique()
        panels.append(
            alt.layer(bars, ticks).properties(
                title=alt.TitleParams(panel_title, fontSize=12, anchor="start"),
                width=max(160, 48 * n_years),
                height=200,
            )
        )
    chart = alt.concat(*panels, columns=columns, spacing=30).resolve_scale(y="independent")
    return finish(chart, label("wedge_title", lang, what=label(what, lang).lower()))


# --------------------------------------------------------------------------- LMDI


#: The columns that tell one decomposition from another in the comparison's frame.
_GROUP = ("run_from", "run_to", "year_from", "year_to", "target", "level")


def lmdi_from_province(province: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """The LMDI parts of the change in CO2 from the base year to ``year`` (default: last).

    From province.parquet's co2_change_activity_t and co2_change_<factor>_t columns (t →
    Mt): factor, value, unit, with year_from, year_to and target 'co2'. Raises
    ValueError if the columns are missing.
    """
    cols = [c for c in province.columns if c.startswith("co2_change_") and c.endswith("_t")]
    if not cols:
        raise ValueError("the province frame has no co2_change_<factor>_t columns")
    df = province.sort_values("year")
    year = int(df["year"].iloc[-1]) if year is None else int(year)
    row = df[df["year"] == year]
    if row.empty:
        raise ValueError(f"year {year} is not in the province frame")
    order = ["activity", "structure", "energy_intensity", "electricity_share", "emission_factor"]
    factors = [c[len("co2_change_") : -2] for c in cols]
    factors.sort(key=lambda f: order.index(f) if f in order else len(order))
    return pd.DataFrame(
        {
            "factor": factors,
            "value": [float(row[f"co2_change_{f}_t"].iloc[0]) / T_PER_MT for f in factors],
            "unit": "Mt",
            "year_from": int(df["year"].iloc[0]),
            "year_to": year,
            "target": "co2",
        }
    )


def lmdi_waterfall(decomposition: pd.DataFrame, lang: Lang) -> AnyChart:
    """The LMDI parts of one change as a horizontal waterfall, then the total.

    ``decomposition`` is long: factor, value, unit (the parts sum to the total), for one
    decomposition: a frame with several (run_from, run_to, year_from, year_to, target,
    level) groups must be filtered first (ValueError naming the groups). Each bar runs
    from the running sum before the factor to the sum after it; increases red, decreases
    green, the total grey from zero.
    """
    lang = check_lang(lang)
    require(decomposition, ("factor", "value", "unit"), "decomposition")
    group_cols = [c for c in _GROUP if c in decomposition.columns]
    if group_cols:
        groups = decomposition[group_cols].drop_duplicates()
        if len(groups) > 1:
            raise ValueError(
                f"the decomposition frame holds {len(groups)} decompositions (by "
                f"{', '.join(group_cols)}); pass one: filter on those columns"
            )
    units = pd.unique(decomposition["unit"])
    if len(units) != 1:
        raise ValueError(f"the decomposition mixes units {', '.join(map(str, units))}")
    df = _display(decomposition, lang).reset_index(drop=True)
    level = str(decomposition["level"].iloc[0]) if "level" in decomposition.columns else "factor"
    keys = df["factor"].astype(str)
    if level == "zone":
        keys = keys.replace({"structure": "structure_zone"})
    df["factor_label"] = localise(keys, lang)
    unit = str(df["unit_label"].iloc[0])
    fmt = format_for(unit)
    df["end"] = df["value"].cumsum()
    df["start"] = df["end"] - df["value"]
    df["kind"] = ["up" if v >= 0 else "down" for v in df["value"]]
    total = float(df["value"].sum())
    total_row = pd.DataFrame(
        {
            "factor_label": [label("total", lang)],
            "value": [total],
            "start": [0.0],
            "end": [total],
            "kind": ["total"],
        }
    )
    bars = pd.concat(
        [df[["factor_label", "value", "start", "end", "kind"]], total_row], ignore_index=True
    )
    bars["text"] = bars["value"].map(lambda v: _signed(v, fmt))
    bars["text_at"] = bars[["start", "end"]].max(axis=1)
    order = list(bars["factor_label"])
    factor_title = label("factor", lang)
    value_title = with_unit(label("contribution", lang), unit, lang)
    tips = [
        alt.Tooltip("factor_label:N", title=factor_title),
        alt.Tooltip("value:Q", title=value_title, format="+" + fmt.lstrip(",")),
        alt.Tooltip("start:Q", title=with_unit(label("start", lang), unit, lang), format=fmt),
        alt.Tooltip("end:Q", title=with_unit(label("end", lang), unit, lang), format=fmt),
    ]
    y = alt.Y("factor_label:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
    base = alt.Chart(bars).encode(y=y, tooltip=tips)
    rect = base.mark_bar(height=18).encode(
        x=alt.X("start:Q", title=value_title),
        x2="end:Q",
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(domain=["up", "down", "total"], range=[RED, GREEN, GREY]),
            legend=None,
        ),
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, color="#333").encode(
        x="text_at:Q", text="text:N"
    )
    zero = (
        alt.Chart(pd.DataFrame({"zero": [0.0]}))
        .mark_rule(color="#666")
        .encode(x="zero:Q", tooltip=[alt.Tooltip("zero:Q", title=value_title)])
    )
    what = _lmdi_what(decomposition, lang)
    chart = alt.layer(rect, zero, text).properties(width=440, height=alt.Step(30))
    target = str(decomposition["target"].iloc[0]) if "target" in decomposition.columns else "co2"
    key = "lmdi_title_energy" if target == "energy" else "lmdi_title"
    return finish(chart, label(key, lang, what=what))


def _signed(value: float, fmt: str) -> str:
    digits = 3 if fmt.endswith(".3f") else (2 if fmt.endswith(".2f") else 1)
    if not math.isfinite(value):
        return ""
    return f"{value:+,.{digits}f}"


def _lmdi_what(decomposition: pd.DataFrame, lang: Lang) -> str:
    """What the waterfall decomposes, e.g. '2020 → 2025' or 'base → high, 2025'."""
    first = decomposition.iloc[0]
    parts = []
    if "run_from" in decomposition.columns and first["run_from"] != first.get("run_to"):
        parts.append(f"{first['run_from']} → {first['run_to']}")
    if "year_from" in decomposition.columns and "year_to" in decomposition.columns:
        y0, y1 = int(first["year_from"]), int(first["year_to"])
        parts.append(f"{y0} → {y1}" if y0 != y1 else (f"{y1}年" if lang == "zh" else str(y1)))
    sep = "，" if lang == "zh" else ", "
    return sep.join(parts) if parts else label("total", lang)
