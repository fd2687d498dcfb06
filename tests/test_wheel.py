"""zonesim installed as a wheel (not editable) into a fresh environment works from any
folder: shipped scenarios by name, their data, run folders under ./results of the
current folder (never inside the installed package), `zonesim init` and `doctor`.

Slow (builds the wheel and installs it with its dependencies from pip's cache, a few
minutes): `pytest -m "not slow"` leaves it out; `make test` runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

# what a source copy leaves out: caches, environments, build output, earlier runs
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*cache", "results"
)


def _sh(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_wheel_runs_a_shipped_scenario_from_an_empty_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # build from a clean copy, so no stale build/ output of the checkout gets in
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=_NOT_SOURCE)
    wheels = tmp_path / "wheels"
    _sh(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(wheels), str(source)],
        tmp_path,
        env,
    )
    (wheel,) = wheels.glob("zonesim-*.whl")

    venv = tmp_path / "venv"
    _sh([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    bin_dir = venv / "bin"
    _sh([str(bin_dir / "python"), "-m", "pip", "install", str(wheel)], tmp_path, env)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"  # glpsol comes with the wheel

    work = tmp_path / "empty"
    work.mkdir()
    site = Path(
        _sh([str(bin_dir / "python"), "-c", "import sim; print(sim.__file__)"], work, env).strip()
    ).parent
    assert venv in site.parents  # the installed copy, not the checkout
    assert (site / "library" / "baseline.yaml").is_file()
    assert (site / "library" / "data" / "zones.csv").is_file()
    assert (site / "scenario" / "lever_effects.yaml").is_file()

    out = _sh(
        [
            str(bin_dir / "zonesim"),
            "run",
            "baseline",
            "--set",
            "data.firm_scale=0.05",
            "--set",
            "report.charts=false",
        ],
        work,
        env,
    )
    folder = Path(out.strip().splitlines()[-1])
    assert folder.parent == work / "results"
    for table in ("province", "zones", "sectors", "cities", "belts", "allocations"):
        assert (folder / f"{table}.parquet").is_file(), table
    assert (folder / "manifest.json").is_file()
    assert not list(site.rglob("results"))  # nothing written into the package

    loaded = _sh(
        [
            str(bin_dir / "python"),
            "-c",
            "import sim; print(sim.load_scenario('strict_carbon').name)",
        ],
        work,
        env,
    )
    assert loaded.strip() == "strict_carbon"

    doctor = subprocess.run(
        [str(bin_dir / "zonesim"), "doctor"], cwd=work, env=env, capture_output=True, text=True
    )
    assert f"runs go to {work / 'results'}" in doctor.stdout, doctor.stdout

    _sh([str(bin_dir / "zonesim"), "init", "lib"], work, env)
    assert (work / "lib" / "baseline.yaml").is_file()
    assert (work / "lib" / "data" / "sectors.csv").is_file()
