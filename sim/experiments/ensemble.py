"""Ensembles: many runs of one scenario over seeds and uncertain levers (DESIGN §7).

Member i gets the i-th child of `SeedSequence(scenario.seed)`: its seed, and a draw of
every lever in the scenario's `uncertainty` block from a generator of that same child.
So a member's result depends only on the scenario and i, never on the executor, the
number of workers or the order members finish in.

Each member is written as it finishes (members/<i>.parquet, atomically), so an
interrupted ensemble resumes where it stopped: `zonesim ensemble ... --out DIR` on an
existing ensemble folder runs only the members that are missing.

Since member i does not depend on the number of runs, an ensemble folder may be resumed
with another `--runs`: more runs add members; fewer runs compute nothing new, and the
combined outputs (ensemble.parquet, summary.csv) then hold members 0..runs-1 only, while
the member files beyond are kept untouched. ensemble.json records the largest `runs`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from models.seeds import member_seeds

if TYPE_CHECKING:
    from sim.scenario import Scenario

EXECUTORS = ("serial", "process", "dask")


@dataclass(frozen=True)
class Member:
    """One run of the ensemble: its index, seed and lever draws (as --set overrides)."""

    index: int
    seed: int
    overrides: dict[str, Any]


def members(scenario: Scenario, runs: int) -> list[Member]:
    """The ensemble's members, from the scenario seed alone (models.seeds)."""
    out = []
    for i, (seed, rng) in enumerate(member_seeds(scenario.seed, runs)):
        draws = scenario.sample(rng)
        out.append(Member(i, seed, {**draws, "seed": seed}))
    return out


def check_draws(path: str | Path, base: dict[str, Any], plan: list[Member]) -> None:
    """Every member's draws must give a valid scenario; else a ScenarioError naming the
    members, levers and values, before anything runs."""
    from sim.scenario import ScenarioError, read_scenario

    source = read_scenario(path)  # read once; validated with each member's draws
    problems = []
    for m in plan:
        try:
            source.validate(base, drawn=m.overrides)
        except ScenarioError as err:
            draws = ", ".join(f"{k}={v:.6g}" for k, v in m.overrides.items() if k != "seed")
            problems += [f"member {m.index} ({draws}): {p}" for p in err.problems]
    if problems:
        shown = problems[:5] + ([f"... and {len(problems) - 5} more"] if len(problems) > 5 else [])
        out_of_range = any(
            word in p
            for p in problems
            for word in ("allowed minimum", "allowed maximum", "must be above")
        )
        hint = (
            [
                "every draw must lie in the lever's allowed range: narrow the distribution "
                "(uniform or triangular bounds inside the range; a normal's sd smaller, or "
                "low and high bounds that truncate it to the range)"
            ]
            if out_of_range
            else []
        )
        raise ScenarioError(f"{path} (uncertainty)", [*shown, *hint])


def run_member(path: str, base: dict[str, Any], member: Member) -> pd.DataFrame:
    """Run one member (in any process) and return its province table, tagged."""
    from sim.runs.runner import run
    from sim.scenario import load_scenario

    scenario = load_scenario(path, {**base, **member.overrides, "report.charts": False})
    prov = run(scenario).province
    prov = prov.drop(columns=["optimizer_build_s", "optimizer_solve_s"], errors="ignore")
    prov.insert(0, "member", member.index)
    prov.insert(1, "member_seed", member.seed)
    for key, value in member.overrides.items():
        if key != "seed":
            prov[f"lever:{key}"] = value
    return prov


def _write_member(folder: Path, member: Member, frame: pd.DataFrame) -> None:
    from sim.runs.store import TMP_PREFIX

    path = folder / "members" / f"{member.index:05d}.parquet"
    # named like the store's temp folders, so remove_stale_temp cleans it if we are killed
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}-{os.getpid()}")
    frame.to_parquet(tmp, index=False, compression="zstd")
    os.replace(tmp, path)


def _done(folder: Path, runs: int) -> set[int]:
    """The members 0..runs-1 already written (stale temp files of killed writers removed)."""
    from sim.runs.store import remove_stale_temp

    remove_stale_temp(folder / "members")
    written = {int(p.stem) for p in (folder / "members").glob("*.parquet") if p.stem.isdigit()}
    return written & set(range(runs))


def _submit_all(
    executor: str, workers: int, address: str | None, jobs: list[tuple[str, dict, Member]]
) -> Iterator[tuple[Member, pd.DataFrame]]:
    if executor == "serial" or not jobs:
        for path, base, m in jobs:
            yield m, run_member(path, base, m)
        return
    if executor == "process":
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures: dict[Future[pd.DataFrame], Member] = {
                pool.submit(run_member, path, base, m): m for path, base, m in jobs
            }
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        return
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        from optimize import SolverMissingError

        raise SolverMissingError(
            "the dask executor needs dask.distributed; install it with: "
            "pip install 'dask[distributed]'",
            solver="dask",
            install_command="pip install 'dask[distributed]'",
        ) from None
    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
    client = Client(address or cluster)
    try:
        futs = {client.submit(run_member, path, base, m, pure=False): m for path, base, m in jobs}
        for fut in dask_completed(list(futs)):
            yield futs[fut], fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_ensemble(
    path: str | Path,
    runs: int,
    folder: Path,
    *,
    base_overrides: dict[str, Any] | None = None,
    executor: str = "process",
    workers: int | None = None,
    address: str | None = None,
    progress: Callable[[int, int, Member], None] | None = None,
) -> pd.DataFrame:
    """Run (or resume) an ensemble into `folder`; return members 0..runs-1's province rows."""
    from sim.scenario import load_scenario

    if executor not in EXECUTORS:
        raise ValueError(f"executor {executor!r}; allowed: {', '.join(EXECUTORS)}")
    from sim.runs.data import load_dataset

    base = dict(base_overrides or {})
    scenario = load_scenario(path, base)
    load_dataset(scenario)  # the data and every name a lever or a draw gives, checked
    # `runs` is not part of what must match: member i is the same whatever `runs` is
    plan = {"scenario": str(Path(path).resolve()), "overrides": base, "seed": scenario.seed}
    plan_file = folder / "ensemble.json"
    record = {**plan, "runs": runs, "created": datetime.now(UTC).isoformat(timespec="seconds")}
    if plan_file.is_file():
        old = json.loads(plan_file.read_text(encoding="utf-8"))
        if {k: old.get(k) for k in plan} != json.loads(json.dumps(plan)):
            raise FileExistsError(
                f"{folder} holds another ensemble ({old.get('scenario')}, {old.get('runs')} runs); "
                "choose another --out to start a new one"
            )
        record["runs"] = max(runs, int(old.get("runs") or 0))
        record["created"] = old.get("created", record["created"])
    elif folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} exists and is not an ensemble folder")
    all_members = members(scenario, runs)
    check_draws(path, base, all_members)
    (folder / "members").mkdir(parents=True, exist_ok=True)
    plan_file.write_text(json.dumps(record, indent=2), encoding="utf-8")
    done = _done(folder, runs)
    todo = [(str(path), base, m) for m in all_members if m.index not in done]
    n_done = len(done)
    for m, frame in _submit_all(executor, workers or os.cpu_count() or 1, address, todo):
        _write_member(folder, m, frame)
        n_done += 1
        if progress is not None:
            progress(n_done, runs, m)
    frames = [pd.read_parquet(folder / "members" / f"{m.index:05d}.parquet") for m in all_members]
    table = pd.concat(frames, ignore_index=True)
    table.to_parquet(folder / "ensemble.parquet", index=False, compression="zstd")
    summary = quantiles(table)
    summary.to_csv(folder / "summary.csv", index=False)
    return table


def quantiles(table: pd.DataFrame) -> pd.DataFrame:
    """p05 / p50 / p95 of the headline KPIs by year across members."""
    kpis = [
        "value_added_yi",
        "co2_t",
        "carbon_intensity_t_per_wan",
        "land_new_mu",
        "firms_active",
        "carbon_gap_t",
    ]
    g = table.groupby("year")[kpis]
    parts = {f"{q:.2f}": g.quantile(q) for q in (0.05, 0.5, 0.95)}
    out = pd.concat(parts, axis=1)
    out.columns = [f"{kpi}_p{int(float(q) * 100):02d}" for q, kpi in out.columns]
    return out.reset_index()
