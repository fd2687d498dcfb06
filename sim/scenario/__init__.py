"""Scenarios: the schema, the YAML reader, and messages that name the file and line.

The schema holds the levers and their time paths; YAML files are read with `extends:`
and `--set` overrides.

    from sim.scenario import load_scenario
    sc = load_scenario("baseline", {"land.link_ratio": 1.5})   # a shipped name or a path
    sc.at(2025).land.link_ratio                                # every path resolved
"""

from __future__ import annotations

from sim.scenario.load import (
    ScenarioFile,
    apply_overrides,
    load_scenario,
    parse_override,
    read_scenario,
)
from sim.scenario.messages import ScenarioError
from sim.scenario.schema import Scenario

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "apply_overrides",
    "load_scenario",
    "parse_override",
    "read_scenario",
]
