"""Write one year's problem to a file that any LP reader can solve without options.

Both files state the year's maximisation as the MINIMISATION of the negated objective
(`optimize.constraints.exported_objective_rule`): every LP and MPS reader minimises
unless the file says otherwise, and GLPK's MPS reader rejects the OBJSENSE section
that would say so. A reader's optimum is therefore minus `Allocation.objective_wan`
(with belt shares, less the tie-breaking cost of new land,
`optimize.model.new_land_cost_wan_per_mu`). The first lines of each file say this.

* ``.lp`` — CPLEX LP format, written by Pyomo's LP writer: ``glpsol --lp FILE``,
  ``highspy.Highs().readModel(FILE)`` (both tested) or another CPLEX LP reader.
* ``.mps`` — free MPS, converted from that LP by glpsol itself (``--check
  --wfreemps``): ``glpsol --freemps FILE``, HiGHS (both tested) or another reader.

Rows and columns carry readable names (``x(G321014,steel)``, ``zone_land(G321014)``,
``total_cap``; the families of `optimize.rows`) when every id is made of letters,
digits, ``_`` and ``.``; otherwise position-based names (``x12``, ``zl3``). The
objective has no constant term; the constants of the carbon rows (existing emissions
and value added) are moved to their right-hand sides. An infeasible year is written as
stated (without the elastic gap).
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path

from pyomo.environ import Objective, minimize

from optimize import constraints as rules
from optimize.glpk import find_glpsol, write_lp
from optimize.model import BuiltModel, get_built
from optimize.snapshot import Snapshot, SolveOptions
from optimize.types import OptimizeError

logger = logging.getLogger(__name__)

_SENSE_NOTE = (
    "{c} zonesim land-quota problem, year {year}: MINIMISE the negated objective,\n"
    "{c} i.e. minus the value added (10^4 yuan/yr) net of the carbon price: the optimum\n"
    "{c} is minus zonesim's objective (with belt shares, that objective less a tie-breaking\n"
    "{c} cost of 1e-6 of the largest net value per mu of new land).\n"
    "{c} solve with: {command} (no --max: the file is a minimisation)\n"
)


def write_problem(
    snapshot: Snapshot, path: str | Path, options: SolveOptions | None = None
) -> Path:
    """Write the snapshot's problem as .lp (CPLEX LP) or .mps (free MPS) by the suffix.

    The file minimises −Σ (v − price·e)·x (see the module docstring), so its optimum is
    −`Allocation.objective_wan` in 万元/yr. Only `options.projects` matters (whole
    projects make it a MIP). Returns the path. Solve with ``glpsol --lp FILE`` or
    ``glpsol --freemps FILE``, or any other reader, without flags.
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
        m = bm.model
        m.net_value.deactivate()
        m.exported_objective = Objective(rule=rules.exported_objective_rule, sense=minimize)
        try:
            if suffix == ".lp":
                write_lp(
                    bm,
                    path,
                    readable=True,
                    header=_SENSE_NOTE.format(
                        c="\\", year=snapshot.year, command="glpsol --lp THIS_FILE"
                    ),
                )
            else:
                _write_mps(bm, path, snapshot.year)
        finally:
            m.del_component(m.exported_objective)
            m.net_value.activate()
    logger.debug("wrote %s", path)
    return path


def _write_mps(bm: BuiltModel, path: Path, year: int) -> None:
    """Free MPS converted by glpsol from the readable LP (a minimisation: no OBJSENSE)."""
    with tempfile.TemporaryDirectory(prefix="zonesim-mps-") as tmp:
        lp = Path(tmp, "p.lp")
        write_lp(bm, lp, readable=True)
        glpsol = find_glpsol()
        mps = Path(tmp, "p.mps")
        proc = subprocess.run(
            [glpsol.executable, "--cpxlp", str(lp), "--check", "--wfreemps", str(mps)],
            env=glpsol.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0 or not mps.is_file():
            tail = " | ".join(proc.stdout.strip().splitlines()[-3:])
            raise OptimizeError(f"write_problem: glpsol could not convert to MPS: {tail}")
        header = _SENSE_NOTE.format(c="*", year=year, command="glpsol --freemps THIS_FILE")
        path.write_text(header + mps.read_text())
