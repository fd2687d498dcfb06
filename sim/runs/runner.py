"""One run: a scenario in, a `RunResult` of tidy frames out (and, with `write_run`, a
run folder on disk)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models.province import ProvinceModel
from sim.runs import results
from sim.runs.data import prepare_inputs
from sim.scenario import Scenario
from sim.units import T_PER_MT


@dataclass
class RunResult:
    """Every table of the run folder contract (DESIGN §10), as pandas frames."""

    scenario: Scenario
    province: pd.DataFrame
    zones: pd.DataFrame
    sectors: pd.DataFrame
    cities: pd.DataFrame
    belts: pd.DataFrame
    allocations: pd.DataFrame
    firms_final: pd.DataFrame
    scorecard: pd.DataFrame
    summary: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    facts: dict[str, float] = field(default_factory=dict)
    status: str = "complete"
    message: str = ""
    boundaries_path: str | None = None


ProgressFn = Callable[[int, ProvinceModel], None]


def run(
    scenario: Scenario,
    progress: ProgressFn | None = None,
    keep_model: bool = False,
) -> RunResult:
    """Simulate the scenario year by year and pull the result tables.

    In `on_infeasible: stop` mode an unmeetable cap raises optimize.InfeasibleError;
    the years computed before it are on the exception's `partial` attribute.
    """
    from optimize import InfeasibleError

    t0 = time.perf_counter()
    inputs = prepare_inputs(scenario)
    model = ProvinceModel(scenario, inputs)
    t1 = time.perf_counter()
    try:
        while model.running:
            model.step()
            if progress is not None:
                progress(model.year, model)
    except InfeasibleError as exc:
        exc.partial = _pull(model, scenario, {"setup": t1 - t0}, status="stopped", message=str(exc))
        raise
    t2 = time.perf_counter()
    timings = {"setup": t1 - t0, "simulation": t2 - t1}
    result = _pull(model, scenario, timings)
    result.timings["tables"] = time.perf_counter() - t2
    if keep_model:
        result.model = model  # type: ignore[attr-defined]
    return result


def _pull(
    model: ProvinceModel,
    scenario: Scenario,
    timings: dict[str, float],
    status: str = "complete",
    message: str = "",
) -> RunResult:
    zones = results.zones_table(model)
    province = results.province_table(model, zones)
    opt = float(
        province.get("optimizer_build_s", pd.Series(dtype=float)).fillna(0).sum()
        + province.get("optimizer_solve_s", pd.Series(dtype=float)).fillna(0).sum()
    )
    # the optimiser's seconds are part of the simulation's: reported, never added twice
    timings = {**timings, "optimizer": opt}
    return RunResult(
        scenario=scenario,
        province=province,
        zones=zones,
        sectors=results.sectors_table(model),
        cities=results.aggregate(zones, ["city", "year"]),
        belts=results.aggregate(zones, ["belt", "year"]),
        allocations=results.allocations_table(model),
        firms_final=results.firms_table(model),
        scorecard=results.scorecard(province, scenario),
        summary=results.summary_table(province),
        timings=timings,
        facts=model.facts,
        status=status,
        message=message,
        boundaries_path=str(scenario.data_path(scenario.data.boundaries)),
    )


def describe(result: RunResult) -> dict[str, Any]:
    """Headline facts of a run (for logs and the manifest)."""
    last = result.province.iloc[-1]
    return {
        "last_year": int(last["year"]),
        "value_added_yi": float(last["value_added_yi"]),
        "co2_mt": float(last["co2_t"] / T_PER_MT),
        "firms_active": int(last["firms_active"]),
    }
