"""One run: a scenario in, a `RunResult` of tidy frames out.

With `write_run`, the result also becomes a run folder on disk.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from models.province import ProvinceModel
from sim.runs import results
from sim.runs.data import prepare_inputs
from sim.scenario import Scenario, ScenarioError
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
    optimizer_years: list[dict[str, Any]] = field(default_factory=list)
    """Per simulated year: the optimiser's status and wall-clock seconds (manifest only:
    timings are never in a table, so tables are byte-identical from run to run)."""
    failed_years: dict[int, str] = field(default_factory=dict)
    """Years whose allocation failed (`FAILED`), with the optimiser's message."""


FAILED = ("error", "infeasible")
"""Optimiser statuses of a year whose allocation failed: no land was allocated although
the year was meant to get some. "relaxed" (caps missed, by design of on_infeasible:
relax) and "feasible" (a MIP's incumbent at the time limit) are allocations."""


class AllocationFailedError(RuntimeError):
    """A year's allocation failed with `optimizer.on_failure: stop`.

    `partial` holds the years computed up to it (status "stopped").
    """

    def __init__(self, message: str, year: int):
        super().__init__(message)
        self.year = year
        self.partial: RunResult | None = None

    def __reduce__(self) -> tuple[Any, ...]:  # raised in a pool worker, re-raised here
        return (type(self), (str(self), self.year))


ProgressFn = Callable[[int, ProvinceModel], None]


def run(
    scenario: Scenario,
    progress: ProgressFn | None = None,
    keep_model: bool = False,
) -> RunResult:
    """Simulate the scenario year by year and pull the result tables.

    In `on_infeasible: stop` mode an unmeetable cap raises optimize.InfeasibleError;
    the years computed before it are on the exception's `partial` attribute.

    A year whose allocation failed (`FAILED`: the solver found nothing, e.g. within its
    time limit) makes the run "degraded" with `optimizer.on_failure: degrade` (the
    default); `continue` keeps the status "complete" (the years are still listed in
    `failed_years`); `stop` raises AllocationFailedError after that year, the years so
    far on its `partial`.
    """
    from optimize import InfeasibleError

    t0 = time.perf_counter()
    inputs = prepare_inputs(scenario)
    model = ProvinceModel(scenario, inputs)
    t1 = time.perf_counter()
    on_failure = scenario.optimizer.on_failure
    try:
        while model.running:
            model.step()
            if progress is not None:
                progress(model.year, model)
            failed = failed_years(model)
            if on_failure == "stop" and model.year in failed:
                raise AllocationFailedError(
                    f"{failed[model.year]} (optimizer.on_failure is 'stop'; 'degrade' would "
                    "carry on and mark the run degraded)",
                    year=model.year,
                )
    except (InfeasibleError, AllocationFailedError) as exc:
        exc.partial = _pull(model, scenario, {"setup": t1 - t0}, status="stopped", message=str(exc))
        raise
    t2 = time.perf_counter()
    timings = {"setup": t1 - t0, "simulation": t2 - t1}
    result = _pull(model, scenario, timings)
    if result.failed_years and on_failure == "degrade":
        result.status = "degraded"
        result.message = degraded_message(result.failed_years)
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
    years = [
        {
            "year": a.year,
            "build_s": round(a.build_seconds, 4),
            "solve_s": round(a.solve_seconds, 4),
            "status": a.status.name.lower(),
        }
        for a in model.allocations
    ]
    # the optimiser's seconds are part of the simulation's: reported, never added twice
    opt = float(sum(a.build_seconds + a.solve_seconds for a in model.allocations))
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
        scorecard=results.scorecard(province, scenario, zones=zones),
        summary=results.summary_table(province),
        timings=timings,
        facts=model.facts,
        status=status,
        message=message,
        boundaries_path=str(scenario.data_path(scenario.data.boundaries)),
        optimizer_years=years,
        failed_years=failed_years(model),
    )


def belt_share_problem(
    shares: Mapping[str, float], zone_belts: Iterable[frozenset[str]]
) -> str | None:
    """Why the belts' minimum shares of the new land cannot all hold; None if they can.

    They can when some split of the new land among the zones meets them all.

    The shares hold iff mass w ≥ 0 on the zones' belt sets T, Σ w = 1, gives each belt b
    Σ_{T∋b} w_T ≥ s_b. A weight y ≥ 0 per belt with Σ_{b∈T} y_b ≤ 1 for every T and
    Σ y_b·s_b > 1 proves they cannot (weak duality); the dual's vertices have y_b in
    {0, ½, 1} for up to three belts (0/1 matrices of order ≤ 3 have |det| ≤ 2), so
    trying those is exact for the three belts there are. Without such a check the
    optimiser would allocate no new land at all, every year (0 ≥ 0 holds each row).
    """
    wanted = {b: float(s) for b, s in shares.items() if s > 0}
    if not wanted:
        return None
    types = {frozenset(t) & frozenset(wanted) for t in zone_belts}
    listed = ", ".join(f"{b} {s:g}" for b, s in sorted(wanted.items()))
    empty = sorted(b for b in wanted if not any(b in t for t in types))
    if empty:
        return (
            f"no zone is in the {', '.join(empty)} belt, so its minimum share "
            f"({listed}) cannot hold"
        )
    belts = sorted(wanted)
    # whole weights first: their certificate is the plainest to read
    candidates = itertools.chain(
        itertools.product((0.0, 1.0), repeat=len(belts)),
        itertools.product((0.0, 0.5, 1.0), repeat=len(belts)),
    )
    for y in candidates:
        w = dict(zip(belts, y, strict=True))
        weighted = sum(w[b] * wanted[b] for b in belts)
        if weighted <= 1.0 + 1e-9 or any(sum(w[b] for b in t) > 1.0 for t in types):
            continue
        group = [b for b in belts if w[b] > 0]
        if all(w[b] == 1.0 for b in group):
            why = (
                f"{' + '.join(f'{b} {wanted[b]:g}' for b in group)} = {weighted:g} of the "
                f"new land, and no zone is in two of these belts"
            )
        else:
            weights = ", ".join(f"{b} {'½' if w[b] == 0.5 else '1'}" for b in group)
            why = (
                f"weighting the belts ({weights}), no zone counts for more than 1, yet the "
                f"weighted shares add up to {weighted:g}"
            )
        return (
            f"the minimum shares ({listed}) cannot all hold: {why}; allowed: shares "
            "that some split of the new land among the zones meets (for belts with "
            "no zone in common, a sum of at most 1)"
        )
    return None


def zone_share_problem(
    max_share: float | None, shares: Mapping[str, float], zone_belts: list[frozenset[str]]
) -> str | None:
    """Why a maximum zone share `max_share` of the year's land cannot hold; else None.

    Checked against the zones there are: alone, and with each belt's minimum share.

    With n zones each taking at most m·T of the land T, T ≤ n·m·T: below n·m = 1 only
    T = 0 holds, and a belt of n_b zones gets at most n_b·m of it.
    """
    if max_share is None:
        return None
    n = len(zone_belts)
    if n * max_share < 1.0 - 1e-12:
        return (
            f"{max_share:g} × {n} zones = {n * max_share:.4g} < 1: no split of the land "
            f"keeps every zone at or below this share, so no land would be allocated; "
            f"allowed: at least 1/{n} = {1.0 / n:.4g}"
        )
    for belt, share in sorted(shares.items()):
        n_b = sum(belt in t for t in zone_belts)
        if n_b and n_b * max_share < share - 1e-12:
            return (
                f"the {belt} belt's {n_b} zones can take at most {n_b} × {max_share:g} = "
                f"{n_b * max_share:.4g} of the land, below its minimum share {share:g} "
                f"(optimizer.min_share_by_belt); allowed: at least {share / n_b:.4g}"
            )
    return None


def check_settings(
    scenario: Scenario,
    dataset: Any,
    overrides: Mapping[str, Any] | None = None,
    drawn: Mapping[str, Any] | None = None,
) -> None:
    """Refuse settings that are each valid but cannot hold together with the data.

    Raises ScenarioError naming the key and the file:line (or --set, or draw) that wrote
    it, before any run.

    Belt minimum shares (`belt_share_problem`) and the maximum zone share
    (`zone_share_problem`) against the zones in `dataset.zones` and their belts. Without
    this the optimiser would quietly allocate no land, every year.
    """
    belts_of = [
        frozenset({str(r.belt), *(b for b in str(getattr(r, "belts", "") or "").split(";") if b)})
        for r in dataset.zones.itertuples()
    ]
    opt = scenario.optimizer
    found = {
        "optimizer.min_share_by_belt": belt_share_problem(opt.min_share_by_belt, belts_of),
        "optimizer.max_zone_share": zone_share_problem(
            opt.max_zone_share, opt.min_share_by_belt, belts_of
        ),
    }
    set_by = {
        **{k: "--set" for k in overrides or {}},
        **{k: "uncertainty draw" for k in drawn or {}},
    }
    lines: dict[str, str] | None = None
    problems = []
    for key, problem in found.items():
        if problem is None:
            continue
        where = next((v for k, v in set_by.items() if k == key or k.startswith(f"{key}.")), None)
        if where is None and scenario.source_file:
            lines = key_lines(scenario.source_file) if lines is None else lines
            where = where_set(key, lines)
        problems.append(f"{key}{f' ({where})' if where else ''}: {problem}")
    if problems:
        raise ScenarioError(scenario.source_file or scenario.name, problems)


def key_lines(path: str | Path) -> dict[str, str]:
    """Where each key of the scenario file (and its parents) is written, for messages."""
    try:
        from sim.scenario import read_scenario

        return dict(read_scenario(path).lines)
    except Exception:  # only a hint for the message
        return {}


def where_set(key: str, lines: dict[str, str]) -> str | None:
    """The file:line of `key` or of the closest section above it that a file writes."""
    for k in sorted(lines, key=len, reverse=True):
        if key == k or key.startswith(f"{k}."):
            return lines[k]
    return None


def failed_years(model: ProvinceModel) -> dict[int, str]:
    """The years so far whose allocation failed (`FAILED`), with the optimiser's message."""
    return {
        a.year: a.message or a.status.name.lower()
        for a in model.allocations
        if a.status.name.lower() in FAILED
    }


def degraded_message(failed: dict[int, str]) -> str:
    """One line: which years' allocation failed, and why (the first year's reason)."""
    years = ", ".join(str(y) for y in sorted(failed))
    first = failed[min(failed)]
    return (
        f"the land allocation failed in {len(failed)} year(s): {years}; no land was "
        f"allocated in them (first: {first}); results for those years are degraded "
        "(optimizer.on_failure: continue accepts this, stop ends the run at the first)"
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
