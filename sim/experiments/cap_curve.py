"""`zonesim cap-curve`: what a carbon cap costs, swept over caps (issue 13).

The scenario runs to year Y (default: its last year); that year's allocation problem
(new land and abatement, models/allocation.py) is then solved again for each total cap
in the sweep, against the same year without a total cap (the scenario's intensity
target and carbon price stay). Per cap:

    tonnes_reduced_t   = E(no cap) − E(cap)   (abatement + CO2 of the land not allocated)
    va_lost_wan        = objective(no cap) − objective(cap): VA of land not allocated,
                         plus the cost of abatement (money, or VA lost to curtailment and
                         exit), less any carbon price saved; 万元 per year
    marginal_yuan_per_t = carbon price + the cap's dual (+ the intensity dual), × 10^4:
                         what the last tonne costs (the MAC)
    average_yuan_per_t  = va_lost_wan / tonnes_reduced_t × 10^4

written as cap_curve.csv and cap_curve.parquet, and drawn (Altair) as cap_curve.html,
.png and .svg: the planner's MAC chart. A cap that no allocation can meet is solved
as the elastic problem (status "relaxed", the gap enforcement must close in gap_t).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.carbon import PLAN_KINDS
from models.units import T_PER_MT, WAN_PER_YI, YUAN_PER_WAN

if TYPE_CHECKING:
    from optimize import Allocation, Snapshot
    from sim.scenario import Scenario


def parse_caps(text: str) -> list[float]:
    """Caps in Mt from "HI:LO:STEP" (both ends included) or "A,B,C"."""
    try:
        if ":" in text:
            hi, lo, step = (float(v) for v in text.split(":"))
            if step <= 0:
                raise ValueError
            n = round(abs(hi - lo) / step)
            sign = -1.0 if lo < hi else 1.0
            caps = [hi + sign * step * i for i in range(n + 1)]
        else:
            caps = [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(
            f"--caps {text!r}: use HI:LO:STEP in Mt (e.g. 360:280:10) or "
            "a list A,B,C; the step must be > 0"
        ) from None
    if not caps or min(caps) < 0:
        raise ValueError(f"--caps {text!r}: caps must be ≥ 0 Mt")
    return caps


def year_snapshot(scenario: Scenario, year: int | None) -> Snapshot:
    """The allocation problem of `year` (default the scenario's last) as the run has it."""
    from models.province import ProvinceModel

    end = scenario.years.end if year is None else int(year)
    if not scenario.years.base < end <= scenario.years.end:
        raise ValueError(
            f"--year {end}: must be after {scenario.years.base} and at most {scenario.years.end}"
        )
    model = ProvinceModel(scenario)
    while model.year < end:
        model.step()
    assert model.last_snapshot is not None
    return model.last_snapshot


def _emissions(s: Snapshot, a: Allocation) -> float:
    return s.existing_co2_t - a.abated_t + s.first_year_share * a.co2_added_t


def curve(snapshot: Snapshot, caps_mt: list[float]) -> pd.DataFrame:
    """One row per cap (Mt): costs and tonnes against the same year without a total cap."""
    from optimize import SolveOptions, allocate

    opts = SolveOptions(on_infeasible="relax")
    free = dataclasses.replace(snapshot, total_cap_t=None)
    ref = allocate(free, opts)
    e_ref = _emissions(free, ref)
    rows: list[dict[str, Any]] = []
    for cap in caps_mt:
        s = dataclasses.replace(snapshot, total_cap_t=cap * T_PER_MT)
        a = allocate(s, opts)
        e = _emissions(s, a)
        reduced = e_ref - e
        lost = ref.objective_wan - a.objective_wan
        row: dict[str, Any] = {
            "year": s.year,
            "cap_mt": cap,
            "status": a.status.value,
            "emissions_t": e,
            "tonnes_reduced_t": reduced,
            "va_lost_wan": lost,
            "va_lost_yi": lost / WAN_PER_YI,
            "land_va_forgone_wan": ref.va_added_wan - a.va_added_wan,
            "land_mu": float(a.land_mu.sum()),
            "land_forgone_mu": float(ref.land_mu.sum() - a.land_mu.sum()),
            "abatement_t": a.abated_t,
            "abatement_cost_wan": a.abatement_cost_wan,
            "marginal_yuan_per_t": a.marginal_abatement_cost_yuan_per_t,
            "average_yuan_per_t": lost / reduced * YUAN_PER_WAN if reduced > 1.0 else np.nan,
            "gap_t": a.carbon_gap_t,
        }
        by = a.abated_by_measure_t()
        for k in PLAN_KINDS:
            row[f"abatement_{k}_t"] = by.get(k, 0.0)
        rows.append(row)
    return pd.DataFrame(rows)


def chart(table: pd.DataFrame, lang: str = "en") -> Any:
    """Marginal and average 元/t, and VA lost (亿元/yr), against the cap (Mt)."""
    import altair as alt

    zh = lang == "zh"
    lo, hi = float(table["cap_mt"].min()), float(table["cap_mt"].max())
    x = alt.X(
        "cap_mt:Q",
        title="碳排放总量上限（百万吨/年）" if zh else "total CO2 cap (Mt/yr)",
        scale=alt.Scale(reverse=True, zero=False, domain=[lo, hi]),
    )
    cost = table.melt(
        id_vars=["cap_mt"],
        value_vars=["marginal_yuan_per_t", "average_yuan_per_t"],
        var_name="measure",
        value_name="yuan_per_t",
    ).dropna()
    cost = cost[cost["yuan_per_t"] > 0]  # a log axis
    names = (
        {"marginal_yuan_per_t": "边际减排成本", "average_yuan_per_t": "平均成本"}
        if zh
        else {
            "marginal_yuan_per_t": "marginal (元/t: price + dual)",
            "average_yuan_per_t": "average (元/t)",
        }
    )
    cost["measure"] = cost["measure"].map(names)
    top = (
        alt.Chart(cost)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y(
                "yuan_per_t:Q",
                title="元/吨 CO2" if zh else "元 per t CO2 (this year)",
                scale=alt.Scale(type="log"),
            ),
            color=alt.Color("measure:N", title=None),
            tooltip=["cap_mt", "measure", alt.Tooltip("yuan_per_t:Q", format=",.0f")],
        )
        .properties(width=520, height=240)
    )
    bottom = (
        alt.Chart(table)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("va_lost_yi:Q", title="增加值损失（亿元/年）" if zh else "VA lost (亿元/yr)"),
            tooltip=[
                "cap_mt",
                alt.Tooltip("va_lost_yi:Q", format=",.2f"),
                alt.Tooltip("tonnes_reduced_t:Q", format=",.0f"),
                "status",
            ],
        )
        .properties(width=520, height=160)
    )
    year = int(table["year"].iloc[0]) if len(table) else ""
    title = (
        f"碳排放上限的成本（{year}年）"
        if zh
        else f"What a carbon cap costs, {year}: marginal and average 元/t, VA lost"
    )
    return alt.vconcat(top, bottom).properties(title=title)


def write(table: pd.DataFrame, out: Path, charts: bool = True, lang: str = "en") -> list[Path]:
    """cap_curve.csv, .parquet and (with `charts`) the chart in html/png/svg."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "cap_curve.csv", out / "cap_curve.parquet"]
    table.to_csv(paths[0], index=False)
    table.to_parquet(paths[1], index=False)
    if charts:
        from sim.outputs.charts.render import save_chart

        paths += save_chart(chart(table, lang), out, "cap_curve")
    return paths


def main(
    scenario: Scenario, caps: str, year: int | None, out: Path | None, charts: bool = True
) -> tuple[pd.DataFrame, list[Path]]:
    """The cap-curve command: sweep, write, return the table and the files written."""
    caps_mt = parse_caps(caps)
    snap = year_snapshot(scenario, year)
    table = curve(snap, caps_mt)
    folder = out if out is not None else Path("results") / f"cap_curve_{scenario.name}_{snap.year}"
    return table, write(table, folder, charts, scenario.report.language)
