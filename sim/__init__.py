"""zonesim: scenarios in, results out.

    import sim
    scenario = sim.load_scenario("scenarios/baseline.yaml", {"land.link_ratio": 1.5})
    result = sim.run(scenario)          # RunResult: province, zones, sectors, ... frames
    folder = sim.write_run(result)      # results/<name>-<time>/

Names are loaded on first use, so `import sim.config` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Scenario": "sim.config",
    "ScenarioError": "sim.config",
    "load_scenario": "sim.config",
    "RunResult": "sim.runner",
    "run": "sim.runner",
    "write_run": "sim.store",
}
__all__ = sorted(_EXPORTS)


_SUBMODULES = {"config", "data", "runner", "store", "results", "charts", "cli", "levers"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"sim.{name}")
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
