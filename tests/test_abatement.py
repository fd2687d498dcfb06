"""Abatement in the allocation (issue 13): the LP chooses new land and abatement together.

* a hand-solved case (two zones, two sectors, a cap, two abatement tiers): the optimum,
  the abatement chosen and the carbon dual, which equals the cheaper tier's cost when it
  is marginal, the dearer tier's when that is, and the project's VA per tonne when land
  is marginal;
* properties on random small instances (hypothesis, real glpsol): tightening a constant
  cap never raises VA and never lowers abatement; the marginal abatement cost never
  exceeds the cost of a measure that still has headroom; with a carbon price p and no
  cap, every measure cheaper than p is used in full and none dearer;
* the exported LP of a capped year shows the abatement columns, and another reader
  (HiGHS) solves it to the same optimum.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimize import Snapshot, SolveOptions, SolveStatus, allocate, write_problem
from optimize.glpk import find_glpsol
from optimize.highs import highs_available

INF = np.inf
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = 1e-6


def hand(**kw: object) -> Snapshot:
    """Two zones, two sectors; only (Z1,A) and (Z2,B) allowed, 5 mu of ready land each.

    (Z1,A): 10 万元/mu, 1 t/mu (10 万元/t); (Z2,B): 2 万元/mu, 0.5 t/mu (4 万元/t).
    Without a cap: all 10 mu, VA 60 万元, +7.5 t. Existing firms emit 100 t.
    Abatement: retrofit_1 in Z1, 10 t at 0.01 万元/t (100 元/t); retrofit_2 in Z2, 10 t
    at 0.05 万元/t (500 元/t).
    """
    base: dict[str, object] = dict(
        year=2025,
        zone_ids=("Z1", "Z2"),
        sectors=("A", "B"),
        zone_belts=(frozenset({"yangtze"}), frozenset({"coastal"})),
        va_per_mu=np.array([[10.0, 0.0], [0.0, 2.0]]),
        co2_per_mu=np.array([[1.0, 0.0], [0.0, 0.5]]),
        allowed=np.array([[True, False], [False, True]]),
        ready_mu=np.array([5.0, 5.0]),
        link_cap_mu=np.array([INF, INF]),
        space_mu=np.array([10.0, 10.0]),
        province_quota_mu=0.0,
        existing_co2_t=100.0,
        existing_va_wan=1000.0,
        abatement_measures=("retrofit_1", "retrofit_2"),
        abatement_max_t=np.array([[10.0, 0.0], [0.0, 10.0]]),
        abatement_cost_wan_per_t=np.array([[0.01, 0.05], [0.01, 0.05]]),
        abatement_va_lost_wan_per_t=np.zeros((2, 2)),
    )
    base.update(kw)
    return Snapshot(**base)  # type: ignore[arg-type]


SOLVERS = [
    "glpk",
    pytest.param(
        "highs", marks=pytest.mark.skipif(not highs_available(), reason="highspy not installed")
    ),
]


@pytest.mark.parametrize("solver", SOLVERS)
def test_hand_case_cheap_tier_marginal(solver: str) -> None:
    # Cap 102.5: 5 t to abate; the 100 元/t tier does it, partly used: dual = its cost.
    a = allocate(hand(total_cap_t=102.5), SolveOptions(solver=solver))
    assert a.status is SolveStatus.OPTIMAL
    np.testing.assert_allclose(a.land_mu, [[5, 0], [0, 5]], atol=TOL)
    np.testing.assert_allclose(a.abatement_t, [[5, 0], [0, 0]], atol=TOL)
    assert math.isclose(a.objective_wan, 60 - 5 * 0.01, abs_tol=TOL)
    assert math.isclose(a.shadow_total_cap_wan_per_t or 0, 0.01, abs_tol=TOL)
    assert math.isclose(a.marginal_abatement_cost_yuan_per_t or 0, 100.0, abs_tol=1e-3)
    assert math.isclose(a.abatement_cost_wan, 0.05, abs_tol=TOL)
    assert "retrofit 5.0 t" in a.message


@pytest.mark.parametrize("solver", SOLVERS)
def test_hand_case_dear_tier_marginal(solver: str) -> None:
    # Cap 95: 12.5 t; the cheap tier in full, 2.5 t of the 500 元/t tier: dual = 500 元/t.
    a = allocate(hand(total_cap_t=95.0), SolveOptions(solver=solver))
    np.testing.assert_allclose(a.abatement_t, [[10, 0], [0, 2.5]], atol=TOL)
    np.testing.assert_allclose(a.land_mu.sum(), 10.0, atol=TOL)
    assert math.isclose(a.objective_wan, 60 - 0.1 - 2.5 * 0.05, abs_tol=TOL)
    assert math.isclose(a.marginal_abatement_cost_yuan_per_t or 0, 500.0, abs_tol=1e-3)
    assert math.isclose(a.average_abatement_cost_yuan_per_t, (0.1 + 0.125) / 12.5 * 1e4)


@pytest.mark.parametrize("solver", SOLVERS)
def test_hand_case_land_marginal(solver: str) -> None:
    # Cap 86: 21.5 t; both tiers in full (20 t), then 1.5 t less from land: the project
    # with the least VA per tonne, (Z2,B) at 4 万元/t, gives up 3 of its 5 mu. Dual =
    # 4 万元/t. (At cap 85 (Z2,B) would give up exactly all 5 mu: a degenerate vertex
    # where any dual from 4 to 10 万元/t is optimal and the solver's path picks one.)
    a = allocate(hand(total_cap_t=86.0), SolveOptions(solver=solver))
    np.testing.assert_allclose(a.abatement_t, [[10, 0], [0, 10]], atol=TOL)
    np.testing.assert_allclose(a.land_mu, [[5, 0], [0, 2]], atol=TOL)
    assert math.isclose(a.va_added_wan, 54.0, abs_tol=TOL)
    assert math.isclose(a.objective_wan, 54 - 0.1 - 0.5, abs_tol=TOL)
    assert math.isclose(a.shadow_total_cap_wan_per_t or 0, 2.0 / 0.5, abs_tol=TOL)
    assert math.isclose(a.marginal_abatement_cost_yuan_per_t or 0, 40_000.0, abs_tol=1e-2)


def test_hand_case_without_abatement_gives_up_land_first() -> None:
    # The old LP (no abatement columns): the only way to meet the cap is less land.
    a = allocate(
        hand(
            total_cap_t=102.5,
            abatement_measures=(),
            abatement_max_t=None,
            abatement_cost_wan_per_t=None,
            abatement_va_lost_wan_per_t=None,
        )
    )
    assert a.va_added_wan < 60.0 - 1.0
    assert a.abatement_t is not None and a.abatement_t.size == 0


def test_hand_case_carbon_price_without_cap() -> None:
    # p = 300 元/t: the 100 元/t tier in full, the 500 元/t tier not at all; MAC = p.
    a = allocate(hand(carbon_price_wan_per_t=0.03))
    np.testing.assert_allclose(a.abatement_t, [[10, 0], [0, 0]], atol=TOL)
    assert math.isclose(a.marginal_abatement_cost_yuan_per_t or 0, 300.0, abs_tol=1e-6)
    # objective: VA − p·e·x − cost + p·a
    assert math.isclose(a.objective_wan, 60 - 0.03 * 7.5 - 0.1 + 0.03 * 10, abs_tol=TOL)


def test_intensity_row_counts_va_lost_to_curtailment() -> None:
    # Curtailment removes λ = 0.2 万元 of VA per t: under the target I the row is
    # E − a + e·x ≤ I·(VA − λ·a + v·x); 1 t curtailed frees (1 − I·λ) t of headroom.
    s = hand(
        abatement_measures=("curtailment_1",),
        abatement_max_t=np.array([[50.0], [0.0]]),
        abatement_cost_wan_per_t=np.array([[0.2], [0.2]]),
        abatement_va_lost_wan_per_t=np.array([[0.2], [0.2]]),
        intensity_cap_t_per_wan=0.095,
    )
    a = allocate(s)
    assert a.status is SolveStatus.OPTIMAL
    assert a.abatement_t is not None
    cut = float(a.abatement_t.sum())
    lhs = 100 - cut + a.co2_added_t
    rhs = 0.095 * (1000 - 0.2 * cut + a.va_added_wan)
    assert lhs <= rhs + 1e-6
    assert math.isclose(a.va_lost_wan, 0.2 * cut, abs_tol=1e-9)


@pytest.mark.parametrize("solver", SOLVERS)
def test_intensity_row_counts_new_land_at_its_first_year_share(solver: str) -> None:
    # New projects produce r = 1/3 of their full output in their first year. Target
    # I = 0.099 t/万元 with E = 100 t, VA = 1000 万元 (headroom I·VA − E = −1 t). The row
    #     100 − a + r·(1·x1 + 0.5·x2) ≤ 0.099·(1000 + r·(10·x1 + 2·x2))
    # costs r·0.01 t per mu of (Z1,A) and r·0.302 t per mu of (Z2,B). Land is worth
    # 2 / (r·0.302) 万元/t or more, far above the 100 元/t tier, so every mu is given and
    # the cheap tier abates a = 1 + r·(5·0.01 + 5·0.302) = 1 + 1.56/3 t; dual = its cost.
    s = hand(intensity_cap_t_per_wan=0.099, first_year_share=1 / 3)
    a = allocate(s, SolveOptions(solver=solver))
    assert a.status is SolveStatus.OPTIMAL
    np.testing.assert_allclose(a.land_mu, [[5, 0], [0, 5]], atol=TOL)
    np.testing.assert_allclose(a.abatement_t, [[1 + 1.56 / 3, 0], [0, 0]], atol=TOL)
    assert math.isclose(a.objective_wan, 60 - 0.01 * (1 + 1.56 / 3), abs_tol=TOL)
    assert math.isclose(a.shadow_intensity_cap_wan_per_t or 0, 0.01, abs_tol=TOL)
    # the first year as the model produces it meets the target exactly (the row binds)
    first_co2 = 100 - (1 + 1.56 / 3) + a.co2_added_t / 3
    assert math.isclose(first_co2, 0.099 * (1000 + a.va_added_wan / 3), abs_tol=TOL)
    # counted at full output (r = 1) the plan buys 2.56 t, 1.04 t more than the year needs
    full = allocate(hand(intensity_cap_t_per_wan=0.099), SolveOptions(solver=solver))
    np.testing.assert_allclose(full.abatement_t, [[2.56, 0], [0, 0]], atol=TOL)


@pytest.mark.parametrize("solver", SOLVERS)
def test_land_marginal_dual_is_va_per_first_year_tonne(solver: str) -> None:
    # r = 1/3, cap 81 t: 100 + r·7.5 − 81 = 21.5 t to remove; both tiers give 20 t, land
    # the remaining 1.5 t. The objective counts full-output VA, the cap first-year CO2:
    # (Z2,B) gives up its 5 mu first (2 / (0.5/3) = 12 万元/t, 0.833 t), then (Z1,A)
    # (10 / (1/3) = 30 万元/t) 2 mu for the last 0.667 t: the dual is v / (r·e) = 30.
    a = allocate(hand(total_cap_t=81.0, first_year_share=1 / 3), SolveOptions(solver=solver))
    np.testing.assert_allclose(a.abatement_t, [[10, 0], [0, 10]], atol=TOL)
    np.testing.assert_allclose(a.land_mu, [[3, 0], [0, 0]], atol=TOL)
    assert math.isclose(a.objective_wan, 30 - 0.1 - 0.5, abs_tol=TOL)
    assert math.isclose(a.shadow_total_cap_wan_per_t or 0, 30.0, abs_tol=TOL)


def test_first_year_share_is_checked() -> None:
    with pytest.raises(ValueError, match=r"first_year_share: 0.0 must be > 0"):
        hand(first_year_share=0.0)
    with pytest.raises(ValueError, match=r"first_year_share: 1.5 is a share"):
        hand(first_year_share=1.5)


def test_abatement_fields_are_checked() -> None:
    with pytest.raises(ValueError, match=r"abatement needs abatement_measures and all"):
        hand(abatement_cost_wan_per_t=None)
    with pytest.raises(ValueError, match=r"abatement_max_t: shape \(2, 2\), expected \(2, 1\)"):
        hand(abatement_measures=("retrofit_1",))
    with pytest.raises(ValueError, match=r"abatement_cost_wan_per_t: contains negative"):
        hand(abatement_cost_wan_per_t=-np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"abatement_measures: each must be unique"):
        hand(abatement_measures=("retrofit_1", "retrofit_1"))


def test_exported_lp_shows_the_abatement_columns(tmp_path) -> None:
    s = hand(total_cap_t=95.0)
    path = write_problem(s, tmp_path / "year.lp")
    text = path.read_text()
    assert "a(Z1,retrofit_1)" in text and "a(Z2,retrofit_2)" in text
    assert "abatement_total(retrofit_1)" in text and "abated(retrofit_2)" in text
    glpsol = find_glpsol()
    out = tmp_path / "sol.txt"
    subprocess.run(
        [glpsol.executable, "--lp", str(path), "-o", str(out)],
        env=glpsol.env,
        check=True,
        capture_output=True,
    )
    solved = out.read_text()
    objective = float(solved.split("Objective:")[1].split("=")[1].split()[0])
    assert math.isclose(objective, -allocate(s).objective_wan, abs_tol=1e-6)
    if highs_available():
        import highspy

        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(str(path))
        h.run()
        assert math.isclose(
            h.getInfo().objective_function_value, -allocate(s).objective_wan, abs_tol=1e-6
        )


# ------------------------------------------------------------------ properties
@st.composite
def abatement_cases(draw: st.DrawFn) -> tuple[Snapshot, float]:
    """A random small year with 1-3 abatement tiers per zone and a total cap; returns the
    snapshot without a cap and its existing emissions plus new land at most."""
    nz = draw(st.integers(1, 3))
    ns = draw(st.integers(1, 3))
    nj = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    va = np.round(rng.uniform(1, 50, (nz, ns)), 3)
    co2 = np.round(rng.uniform(0.1, 10, (nz, ns)), 3)
    cost = np.round(rng.uniform(0.001, 2.0, (nz, nj)), 4)
    lost = np.where(rng.random((nz, nj)) < 0.3, cost, 0.0)
    s = Snapshot(
        year=2025,
        zone_ids=tuple(f"Z{i}" for i in range(nz)),
        sectors=tuple(f"S{i}" for i in range(ns)),
        zone_belts=tuple(frozenset({"yangtze"}) for _ in range(nz)),
        va_per_mu=va,
        co2_per_mu=co2,
        allowed=np.ones((nz, ns), bool),
        ready_mu=np.round(rng.uniform(0, 20, nz), 3),
        link_cap_mu=np.full(nz, INF),
        space_mu=np.round(rng.uniform(0, 20, nz), 3),
        province_quota_mu=None,
        existing_co2_t=100.0,
        existing_va_wan=1000.0,
        abatement_measures=tuple(f"retrofit_{j + 1}" for j in range(nj)),
        abatement_max_t=np.round(rng.uniform(0, 10, (nz, nj)), 3),
        abatement_cost_wan_per_t=cost,
        abatement_va_lost_wan_per_t=lost,
    )
    top = 100.0 + float((co2 * 40).sum())
    return s, top


def va_of(a) -> float:
    """The year's value added the allocation changes: new land's VA less VA lost."""
    return a.va_added_wan - a.va_lost_wan


@SETTINGS
@given(abatement_cases(), st.lists(st.floats(0.0, 1.0), min_size=2, max_size=4))
def test_tightening_a_cap_never_raises_va_nor_lowers_abatement(case, fractions) -> None:
    s, top = case
    most = float(s.abatement_max_t.sum())  # type: ignore[union-attr]
    caps = sorted(
        {round(100.0 - most + f * (top - 100.0 + most), 3) for f in fractions}, reverse=True
    )
    results = [allocate(dataclasses.replace(s, total_cap_t=c)) for c in caps]
    for loose, tight in itertools.pairwise(results):
        assert va_of(tight) <= va_of(loose) + 1e-6 * max(1.0, abs(va_of(loose)))
        assert tight.abated_t >= loose.abated_t - 1e-6 * max(1.0, loose.abated_t)
        assert tight.objective_wan <= loose.objective_wan + 1e-6


@SETTINGS
@given(abatement_cases(), st.floats(0.0, 1.0))
def test_mac_never_exceeds_a_measure_with_headroom(case, f) -> None:
    s, top = case
    most = float(s.abatement_max_t.sum())  # type: ignore[union-attr]
    cap = round(100.0 - most + f * (top - 100 + most), 3)
    a = allocate(dataclasses.replace(s, total_cap_t=cap))
    if a.status is not SolveStatus.OPTIMAL:
        return
    mac = (a.marginal_abatement_cost_yuan_per_t or 0.0) / 1e4
    assert a.abatement_t is not None and s.abatement_max_t is not None
    headroom = a.abatement_t < s.abatement_max_t - 1e-6
    cost = s.abatement_cost_wan_per_t
    assert cost is not None
    if headroom.any():
        assert mac <= float(cost[headroom].min()) + 1e-6
        assert mac <= float(cost[headroom].max()) + 1e-6


@SETTINGS
@given(abatement_cases(), st.floats(0.0, 2.5))
def test_carbon_price_uses_every_cheaper_measure_and_no_dearer(case, price) -> None:
    s, _ = case
    s = dataclasses.replace(s, carbon_price_wan_per_t=round(price, 4))
    a = allocate(s)
    assert a.abatement_t is not None and s.abatement_max_t is not None
    cost = s.abatement_cost_wan_per_t
    assert cost is not None
    cheaper, dearer = cost < price - 1e-6, cost > price + 1e-6
    np.testing.assert_allclose(a.abatement_t[cheaper], s.abatement_max_t[cheaper], atol=1e-6)
    np.testing.assert_allclose(a.abatement_t[dearer], 0.0, atol=1e-6)
