"""zonesim: scenarios in, results out.

    import sim
    scenario = sim.load_scenario("baseline", {"land.link_ratio": 1.5})  # a name or a path
    result = sim.run(scenario)          # RunResult: province, zones, sectors, ... frames
    folder = sim.write_run(result)      # ./results/<name>-<time>/

Layout: sim.scenario (schema, time paths, loading), sim.runs (data, runner, results,
store), sim.outputs.charts, sim.experiments (ensembles), sim.commands (the CLI).
Names are loaded on first use, so `import sim.scenario` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario",
    "prepare_inputs": "sim.runs.data",
    "RunResult": "sim.runs.runner",
    "run": "sim.runs.runner",
    "write_run": "sim.runs.store",
}
__all__ = sorted(_EXPORTS)

_SUBMODULES = {"scenario", "runs", "outputs", "experiments", "commands"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"sim.{name}")
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
