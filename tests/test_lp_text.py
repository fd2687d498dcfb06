"""The solver's LP text (optimize.lp_text) is Pyomo's LPWriter text, byte for byte.

glpsol's answer depends on the order and the digits of the file, so the cached writer
must not change one character: checked over years of one structure (rows reused and
rebuilt), every phase of the elastic problem, the MIP, and years without caps or shares.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pyomo.environ import Constraint

from optimize import allocate
from optimize.bench import random_snapshot
from optimize.glpk import compact_lp, lp_order, pyomo_lp_text
from optimize.model import BuiltModel, get_built


def _same_as_pyomo(bm: BuiltModel) -> None:
    text, order = compact_lp(bm)
    assert order is not None  # the cached writer wrote it, not the fallback
    reference = pyomo_lp_text(bm, bm.compact_labeler())
    assert text == reference
    assert tuple(order) == lp_order(reference)


@pytest.mark.parametrize("projects", [False, True])
def test_cached_lp_text_equals_pyomo_over_years_and_phases(projects: bool) -> None:
    rng = np.random.default_rng(11)
    base = random_snapshot(rng, 30, 6, projects=projects, abatement=True)
    for t in range(3):
        s = dataclasses.replace(
            base,
            year=base.year + t,
            va_per_mu=base.va_per_mu * 1.05**t,
            ready_mu=base.ready_mu * (1 + 0.1 * t),
            min_share_by_belt={"coastal": 0.1 * t},
            max_zone_share=0.05 + 0.01 * t,
            max_land_mu=None if t == 0 else np.full(base.va_per_mu.shape, 50.0 * t),
        )
        bm, _ = get_built(s, projects)
        with bm.lock:
            bm.update(s)
            _same_as_pyomo(bm)
            _same_as_pyomo(bm)  # every row from the cache
            bm.set_phase("min_gap")
            _same_as_pyomo(bm)
            bm.set_phase("relaxed", 1234.5 * (t + 1))
            _same_as_pyomo(bm)
            bm.set_phase("normal")
            _same_as_pyomo(bm)


def test_cached_lp_text_equals_pyomo_without_caps_or_shares() -> None:
    s = random_snapshot(np.random.default_rng(12), 20, 5)
    s = dataclasses.replace(
        s,
        total_cap_t=None,
        intensity_cap_t_per_wan=None,
        min_share_by_belt={},
        max_zone_share=None,
        province_quota_mu=None,
    )
    bm, _ = get_built(s)
    with bm.lock:
        bm.update(s)
        _same_as_pyomo(bm)


def test_unknown_rows_fall_back_to_pyomo_writer() -> None:
    # A row the compact labels do not name: Pyomo's writer, and the solve still works.
    s = random_snapshot(np.random.default_rng(13), 12, 4)
    bm, _ = get_built(s)
    m = bm.model
    with bm.lock:
        bm.update(s)
        m.extra_row = Constraint(expr=m.n[s.zone_ids[0]] <= 1e9)
        try:
            text, order = compact_lp(bm)
            assert order is None
            assert text == pyomo_lp_text(bm, bm.compact_labeler())
        finally:
            m.del_component(m.extra_row)
    assert allocate(s).status.value == "optimal"
