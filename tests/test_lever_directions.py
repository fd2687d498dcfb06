"""Every lever moves its outcome the way the lever table says (the `sweeps` of
sim/scenario/lever_effects.yaml, printed in scenarios/README.md): two runs of a small
seeded case (firm_scale 0.05, 2021-2023, or 2021 alone where the first year is the
measure) that differ only in the lever; the outcome must move, and in the documented
direction.

Levers with no single province-wide direction name the test that checks what they
do (`checked_by`) or why there is none (`no_direction`); a test keeps the three lists
covering the whole schema.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.scenario import Scenario
from sim.scenario.keys import schema_keys
from sim.scenario.levers import Sweep, lever_effects, unswept_keys
from tests.conftest import TINY, small_run, small_scenario

EFFECTS = lever_effects()
SWEEPS, CHECKED_BY, NO_DIRECTION = EFFECTS.sweeps, EFFECTS.checked_by, EFFECTS.no_direction


def _run(overrides: dict):
    """Run once per distinct scenario (many sweeps share the default run)."""
    return small_run(**overrides)


def _outcome(res, sw: Sweep) -> float:
    if sw.outcome.startswith("allocations."):
        series = res.allocations.groupby("year")[sw.outcome.split(".", 1)[1]].sum()
    else:
        p = res.province.set_index("year")
        p = p[p.index > p.index.min()]  # simulated years only
        series = p[sw.outcome]
    series = series.fillna(0.0)
    return float(series.iloc[0]) if sw.measure == "first" else float(series.sum())


@pytest.mark.parametrize("key", sorted(SWEEPS))
def test_lever_moves_its_outcome_the_documented_way(key):
    sw = SWEEPS[key]
    base = {**TINY, **({"years.end": 2021} if sw.measure == "first" else {}), **sw.context}
    lo = _outcome(_run({**base, key: sw.low}), sw)
    hi = _outcome(_run({**base, key: sw.high}), sw)
    assert hi != lo, f"{key} from {sw.low!r} to {sw.high!r} leaves {sw.outcome} at {lo}"
    if sw.effect == "up":
        assert hi > lo, f"{key}: {sw.outcome} fell from {lo} to {hi}, documented: {sw.text}"
    else:
        assert hi < lo, f"{key}: {sw.outcome} rose from {lo} to {hi}, documented: {sw.text}"


def test_every_lever_has_a_direction_a_test_or_a_reason():
    assert unswept_keys() == []
    keys = set(schema_keys(Scenario))
    for table in (SWEEPS, CHECKED_BY, NO_DIRECTION):
        assert set(table) <= keys, set(table) - keys
    assert not set(SWEEPS) & set(CHECKED_BY) and not set(SWEEPS) & set(NO_DIRECTION)


def test_the_tests_named_for_levers_exist():
    root = Path(__file__).resolve().parent.parent
    for key, test in CHECKED_BY.items():
        file, name = test.split("::")
        text = (root / file).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", text, re.M), f"{key}: {test} not found"


def test_sweep_values_are_valid_levers():
    """Low and high values pass the schema (a sweep outside the allowed range would
    test nothing a user can set)."""
    for key, sw in SWEEPS.items():
        for value in (sw.low, sw.high):
            small_scenario(**{**TINY, **sw.context, key: value})
