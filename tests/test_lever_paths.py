"""Any numeric lever may be a {year: value} phase-in: random sets of levers, each given
as a path between two years with values around its default (within its allowed range),
run on a tiny seeded case; the run completes and land, firms and CO2 still balance."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario import Scenario
from sim.scenario.keys import annotation, counts_whole, number_range, schema_keys
from tests.conftest import small_scenario
from tests.test_levers import _balanced

TINY = {"data.firm_scale": 0.03, "years.end": 2023}


def _bounds(key: str) -> tuple[float | None, float | None]:
    """The range a lever's numbers must lie in (its schema Range)."""
    rng = number_range(Scenario, key.split("."))
    return (None, None) if rng is None else (rng.lo, rng.hi)


def _scalar_levers() -> list[tuple[str, Any]]:
    """(key, default) of every lever that takes a path and defaults to a number ≠ 0
    (time_limit_s is a solver setting, not a lever over time: it takes no path)."""
    default = Scenario().model_dump()
    out = []
    for key in schema_keys(Scenario):
        if key.startswith(("data.", "years.", "seed", "integration.year")):
            continue
        node: Any = default
        for part in key.split("."):
            node = node[part]
        takes_path = "dict[int" in str(annotation(Scenario, key.split(".")))
        if takes_path and isinstance(node, int | float) and not isinstance(node, bool) and node:
            out.append((key, node))
    return out


SCALARS = _scalar_levers()


@st.composite
def phased(draw: Any) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(SCALARS), min_size=4, max_size=10, unique=True))
    out = {}
    for key, default in chosen:
        lo, hi = _bounds(key)
        values = []
        for _ in range(2):
            v = default * draw(st.floats(0.5, 1.5))
            v = max(v, lo if lo is not None else v)
            v = min(v, hi if hi is not None else v)
            if counts_whole(Scenario, key.split(".")):
                v = max(round(v), int(lo) if lo is not None else 0)
            values.append(v)
        out[key] = {2021: values[0], 2023: values[1]}
    return out


def test_the_fuzzed_levers_cover_every_group():
    groups = {k.split(".")[0] for k, _ in SCALARS}
    assert {"economy", "land", "evaluation", "exit", "carbon", "integration"} <= groups
    assert len(SCALARS) >= 30


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(levers=phased())
def test_any_levers_as_paths_run_and_balance(levers):
    from sim.runs.runner import run

    res = run(small_scenario(**{**TINY, **levers}))
    assert res.province["year"].tolist() == [2020, 2021, 2022, 2023]
    _balanced(res)
