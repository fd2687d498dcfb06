"""Write one year's problem to a file that glpsol (or another LP solver) can read.

* ``.lp`` — CPLEX LP format, written by Pyomo's LP writer; solve with
  ``glpsol --lp FILE`` (maximisation is in the file).
* ``.mps`` — free MPS, converted from that LP by glpsol itself (``--check
  --wfreemps``). MPS cannot state the objective sense in a form GLPK reads (it rejects
  the OBJSENSE section), so solve with ``glpsol --freemps FILE --max``.

Rows and columns carry readable names (``x(G321014,steel)``, ``zone_land(G321014)``,
``total_cap``) when every id is made of letters, digits, ``_`` and ``.``; otherwise
position-based names (``x12``, ``zl3``). The objective has no constant term; the
constants of the carbon rows (existing emissions and value added) are moved to their
right-hand sides, so the file's optimum equals `Allocation.objective_wan` of a
feasible year. An infeasible year is written as stated (without the elastic gap).
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path

from optimize.glpk import find_glpsol, write_lp
from optimize.model import BuiltModel, get_built
from optimize.snapshot import Snapshot, SolveOptions
from optimize.types import OptimizeError

logger = logging.getLogger(__name__)


def write_problem(snapshot: Snapshot, path: str | Path,
                  options: SolveOptions | None = None) -> Path:
    """Write the snapshot's problem as .lp (CPLEX LP) or .mps (free MPS) by the suffix.

    Only `options.projects` matters (whole projects make it a MIP). Returns the path.
    Solve the file with ``glpsol --lp FILE`` or ``glpsol --freemps FILE --max``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".lp", ".mps"):
        raise ValueError(f"write_problem: {path.name!r} must end in .lp or .mps")
    opts = SolveOptions() if options is None else options
    opts.check(snapshot)
    bm, _ = get_built(snapshot, opts.projects)
    with bm.lock:
        bm.update(snapshot)
        if suffix == ".lp":
            write_lp(bm, path, readable=True, header=(
                f"\\ zonesim land-quota problem, year {snapshot.year}: maximise value added "
                "(10^4 yuan/yr) net of the carbon price\n"
                "\\ solve with: glpsol --lp THIS_FILE\n"))
        else:
            _write_mps(bm, path, snapshot.year)
    logger.debug("wrote %s", path)
    return path


def _write_mps(bm: BuiltModel, path: Path, year: int) -> None:
    """Free MPS converted by glpsol from the readable LP (GLPK reads no OBJSENSE section)."""
    with tempfile.TemporaryDirectory(prefix="zonesim-mps-") as tmp:
        lp = Path(tmp, "p.lp")
        write_lp(bm, lp, readable=True)
        glpsol = find_glpsol()
        mps = Path(tmp, "p.mps")
        proc = subprocess.run(
            [glpsol.executable, "--cpxlp", str(lp), "--check", "--wfreemps", str(mps)],
            env=glpsol.env, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0 or not mps.is_file():
            tail = " | ".join(proc.stdout.strip().splitlines()[-3:])
            raise OptimizeError(f"write_problem: glpsol could not convert to MPS: {tail}")
        header = (f"* zonesim land-quota problem, year {year}: MAXIMISE the objective row\n"
                  "* solve with: glpsol --freemps THIS_FILE --max\n")
        path.write_text(header + mps.read_text())
