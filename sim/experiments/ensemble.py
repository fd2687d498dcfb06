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

A resume never mixes scenarios: ensemble.json records the resolved scenario (after
`extends:` and --set) and the SHA-256 of every data file it reads; a resume whose
scenario or data differ is refused, naming the keys or files that changed. Every file is
written to a temporary name and renamed into place; on resume each member file is
checked (readable Parquet, the expected columns, member and years) and a damaged one is
recomputed. Pool workers end with the ensemble process, even when it is killed with
kill -9 (`_die_with_parent`).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from models.seeds import member_seeds
from sim.runs.runner import key_lines, where_set
from sim.runs.store import remove_stale_temp, write_atomic, write_parquet, write_text_atomic

if TYPE_CHECKING:
    from sim.scenario import Scenario

log = logging.getLogger(__name__)

EXECUTORS = ("serial", "process", "dask")
MAX_RUNS = 100_000
"""The most members one ensemble may have (README: limits)."""
KPIS = (
    "value_added_yi",
    "co2_t",
    "carbon_intensity_t_per_wan",
    "land_new_mu",
    "firms_active",
    "carbon_gap_t",
)
"""The headline KPIs whose quantiles summary.csv holds."""
RECORD_KEYS = ("resolved_scenario", "data_sha256")
"""What ensemble.json records of the scenario and data, compared on every resume."""


class EnsembleError(ValueError):
    """An ensemble folder that cannot be resumed with this scenario (exit 2)."""


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


def check_draws(
    path: str | Path, base: dict[str, Any], plan: list[Member], dataset: Any = None
) -> None:
    """Check that every member's draws give a valid scenario, before anything runs.

    Given the dataset, the settings must also hold together
    (sim.runs.runner.check_settings). Otherwise a ScenarioError names the members,
    levers and values.
    """
    from sim.runs.runner import check_settings
    from sim.scenario import ScenarioError, read_scenario

    source = read_scenario(path)  # read once; validated with each member's draws
    problems = []
    for m in plan:
        try:
            drawn = source.validate(base, drawn=m.overrides)
            if dataset is not None and drawn.uncertainty:
                check_settings(drawn, dataset, base, drawn=m.overrides)
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
    prov.insert(0, "member", member.index)
    prov.insert(1, "member_seed", member.seed)
    for key, value in member.overrides.items():
        if key != "seed":
            prov[f"lever:{key}"] = value
    return prov


def _member_path(folder: Path, index: int) -> Path:
    return folder / "members" / f"{index:05d}.parquet"


def _write_member(folder: Path, member: Member, frame: pd.DataFrame) -> None:
    write_atomic(_member_path(folder, member.index), lambda tmp: write_parquet(frame, tmp))


def _member_problem(path: Path, member: Member, years: range) -> str | None:
    """Why the member file at `path` cannot be used; None when it can.

    The reasons: not readable Parquet, a KPI column missing, another member's rows, or
    other years.
    """
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except Exception as exc:  # any unreadable file is a damaged member
        return f"not readable Parquet ({type(exc).__name__}: {exc})"
    missing = [c for c in ("member", "member_seed", "year", *KPIS) if c not in frame]
    if missing:
        return f"column(s) {', '.join(missing)} missing"
    ours = (frame["member"] == member.index) & (frame["member_seed"] == member.seed)
    if not ours.all():
        return f"rows of another member (expected member {member.index}, seed {member.seed})"
    if sorted(frame["year"].tolist()) != list(years):
        found = sorted(set(frame["year"].tolist()))
        return f"years {found}, expected {years.start}-{years.stop - 1}"
    return None


def _done(folder: Path, plan: list[Member], years: range, warn: Callable[[str], None]) -> set[int]:
    """The indices of the members of `plan` already written and sound.

    Stale temp files of killed writers are removed first; a damaged member file is
    left to be recomputed, with a warning.
    """
    remove_stale_temp(folder)
    remove_stale_temp(folder / "members")
    done: set[int] = set()
    for m in plan:
        path = _member_path(folder, m.index)
        if not path.is_file():
            continue
        problem = _member_problem(path, m, years)
        if problem is None:
            done.add(m.index)
        else:
            warn(f"member file {path} is damaged ({problem}); recomputing member {m.index}")
    return done


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int, method: str) -> None:
    """Pool worker initializer: make the worker end when the ensemble process ends.

    This holds even when that process is killed with kill -9 (which runs no clean-up in
    the parent). On Linux the kernel sends the worker SIGKILL when its parent dies (prctl
    PR_SET_PDEATHSIG). Everywhere a daemon thread also polls the parent pid and ends the
    worker within a second of being re-parented, which covers other systems and a
    forkserver parent. A worker writes nothing itself (the parent writes member files),
    so ending it abruptly loses only the member it was computing.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watchdog alone
            pass
    ppid = os.getppid()
    if method != "forkserver" and ppid != parent:  # the parent died before prctl took hold
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True).start()


def _watch_parent(ppid: int) -> None:
    while os.getppid() == ppid:
        time.sleep(0.5)
    os._exit(1)


def _submit_all(
    executor: str, workers: int, address: str | None, jobs: list[tuple[str, dict, Member]]
) -> Iterator[tuple[Member, pd.DataFrame]]:
    if executor == "serial" or not jobs:
        for path, base, m in jobs:
            yield m, run_member(path, base, m)
        return
    if executor == "process":
        ctx = multiprocessing.get_context()
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)),
            mp_context=ctx,
            initializer=_die_with_parent,
            initargs=(os.getpid(), ctx.get_start_method()),
        )
        try:
            futures: dict[Future[pd.DataFrame], Member] = {
                pool.submit(run_member, path, base, m): m for path, base, m in jobs
            }
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            # on an error or Ctrl-C, members not started are dropped, not waited for
            pool.shutdown(wait=True, cancel_futures=True)
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


def data_files(scenario: Scenario) -> dict[str, Path]:
    """Every data file the scenario reads: each `data.` key naming an existing file."""
    out: dict[str, Path] = {}
    for key, value in scenario.data.model_dump().items():
        if isinstance(value, str):
            path = scenario.data_path(value)
            if path.is_file():
                out[f"data.{key}"] = path
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(scenario: Scenario) -> dict[str, Any]:
    """What a member's result depends on besides its index, as ensemble.json keeps it.

    That is the resolved scenario (after `extends:` and --set, as a run folder's
    scenario.yaml holds it) and the bytes of every data file it reads (as
    {key: {path, sha256}}), in JSON form.
    """
    resolved = yaml.safe_load(scenario.to_yaml())
    data = {k: {"path": str(p), "sha256": _sha256(p)} for k, p in data_files(scenario).items()}
    return json.loads(json.dumps({"resolved_scenario": resolved, "data_sha256": data}))


def _flat(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict) and node:
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): node}


def _show(value: Any) -> str:
    text = "(not set)" if value is _UNSET else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


_UNSET = object()


def changes(
    old: dict[str, Any], new: dict[str, Any], lines: dict[str, str] | None = None
) -> list[str]:
    """What differs between two fingerprints, one line per difference.

    Each scenario key with its old and new value (and where it is set now, from
    `lines`), and each data file whose bytes changed.
    """
    out: list[str] = []
    a, b = _flat(old.get("resolved_scenario") or {}), _flat(new["resolved_scenario"])
    for key in sorted(set(a) | set(b), key=str):
        was, now = a.get(key, _UNSET), b.get(key, _UNSET)
        if was != now:
            at = where_set(key, lines or {})
            where = f" (set now {'by' if at == '--set' else 'in'} {at})" if at else ""
            out.append(f"scenario key {key}: was {_show(was)}, is {_show(now)} now{where}")
    old_data, new_data = old.get("data_sha256") or {}, new["data_sha256"]
    for key in sorted(set(old_data) | set(new_data)):
        was, now = old_data.get(key) or {}, new_data.get(key) or {}
        if was.get("sha256") != now.get("sha256"):
            name = now.get("path") or was.get("path")
            what = (
                "changed since the ensemble started"
                if was and now
                else ("is read now but was not then" if now else "was read then but is not now")
            )
            out.append(f"data file {name} ({key}) {what}")
    return out


def _read_record(plan_file: Path) -> dict[str, Any]:
    """ensemble.json, or EnsembleError saying why it cannot be used."""
    folder = plan_file.parent
    advice = (
        f"it records which scenario and data the members of {folder} were made with, "
        "so they cannot be checked; move the folder aside (or delete it) to start "
        "again, or choose another --out"
    )
    try:
        if plan_file.stat().st_size > 50_000_000:
            raise ValueError("larger than an ensemble record")
        old = json.loads(plan_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise EnsembleError(f"{plan_file} is damaged ({exc}); {advice}") from None
    if not isinstance(old, dict):
        raise EnsembleError(f"{plan_file} is damaged (not a JSON object); {advice}")
    missing = [k for k in RECORD_KEYS if not isinstance(old.get(k), dict)]
    if missing:
        raise EnsembleError(
            f"{plan_file} records no {' and no '.join(missing)} (written by an older zonesim "
            f"or edited); {advice}"
        )
    return old


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
    warn: Callable[[str], None] = log.warning,
) -> pd.DataFrame:
    """Run (or resume) an ensemble into `folder`; return members 0..runs-1's province rows.

    Nothing is written before the scenario, the data, every member's draws and (on a
    resume) the folder's record are checked.
    """
    from sim.scenario import load_scenario

    if executor not in EXECUTORS:
        raise ValueError(f"executor {executor!r}; allowed: {', '.join(EXECUTORS)}")
    if not 1 <= runs <= MAX_RUNS:
        raise EnsembleError(f"--runs {runs}: allowed 1 to {MAX_RUNS:,}")
    from sim.runs.data import load_dataset
    from sim.runs.runner import check_settings

    base = dict(base_overrides or {})
    scenario = load_scenario(path, base)
    dataset = load_dataset(scenario)  # the data and every name a lever or a draw gives
    check_settings(scenario, dataset, base)
    plan_file = folder / "ensemble.json"
    now = fingerprint(scenario)
    # `runs` is not compared: member i is the same whatever `runs` is
    record = {
        "scenario": str(Path(path).resolve()) if Path(path).exists() else str(path),
        "overrides": base,
        "seed": scenario.seed,
        "runs": runs,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **now,
    }
    if folder.exists() and not folder.is_dir():
        raise EnsembleError(f"{folder} is a file, not an ensemble folder")
    if plan_file.exists():
        old = _read_record(plan_file)
        changed = changes(old, now, {**key_lines(path), **{k: "--set" for k in base}})
        if changed:
            shown = changed[:10] + (
                [f"... and {len(changed) - 10} more"] if len(changed) > 10 else []
            )
            raise EnsembleError(
                f"{folder} holds another ensemble: its members were made with another "
                f"scenario or data, so resuming would mix them; nothing was written. "
                f"What changed:\n"
                + "\n".join(f"  - {c}" for c in shown)
                + "\nresume with the scenario and data it was started with, or choose "
                "another --out to start a new ensemble"
            )
        try:
            old_runs = int(old.get("runs") or 0)
        except (TypeError, ValueError):
            old_runs = 0
        record["runs"] = max(runs, old_runs)
        record["created"] = str(old.get("created", record["created"]))
    elif folder.exists() and any(folder.iterdir()):
        raise EnsembleError(f"{folder} exists and is not an ensemble folder (no ensemble.json)")
    all_members = members(scenario, runs)
    check_draws(path, base, all_members, dataset)
    (folder / "members").mkdir(parents=True, exist_ok=True)
    write_text_atomic(plan_file, json.dumps(record, indent=2, ensure_ascii=False, default=str))
    years = range(scenario.years.base, scenario.years.end + 1)
    done = _done(folder, all_members, years, warn)
    todo = [(str(path), base, m) for m in all_members if m.index not in done]
    n_done = len(done)
    n_workers = min(workers or usable_cores(), usable_cores())
    for m, frame in _submit_all(executor, n_workers, address, todo):
        _write_member(folder, m, frame)
        n_done += 1
        if progress is not None:
            progress(n_done, runs, m)
    frames = [pd.read_parquet(_member_path(folder, m.index)) for m in all_members]
    table = pd.concat(frames, ignore_index=True)
    write_atomic(folder / "ensemble.parquet", lambda tmp: write_parquet(table, tmp))
    summary = quantiles(table)
    write_atomic(folder / "summary.csv", lambda tmp: summary.to_csv(tmp, index=False))
    return table


def failed_members(table: pd.DataFrame) -> dict[int, list[int]]:
    """Members with years whose allocation failed (sim.runs.runner.FAILED): {member: years}."""
    from sim.runs.runner import FAILED

    if "optimizer_status" not in table:
        return {}
    bad = table[table["optimizer_status"].isin(FAILED)]
    return {int(m): sorted(int(y) for y in g["year"]) for m, g in bad.groupby("member")}


def quantiles(table: pd.DataFrame) -> pd.DataFrame:
    """p05 / p50 / p95 of the headline KPIs by year across members."""
    g = table.groupby("year")[list(KPIS)]
    parts = {f"{q:.2f}": g.quantile(q) for q in (0.05, 0.5, 0.95)}
    out = pd.concat(parts, axis=1)
    out.columns = [f"{kpi}_p{int(float(q) * 100):02d}" for q, kpi in out.columns]
    return out.reset_index()
