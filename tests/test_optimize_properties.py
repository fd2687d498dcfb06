"""Properties of the allocation on random small instances (hypothesis, real glpsol).

* every constraint holds in the result (within 1e-6 of its scale); banned pairs get 0;
* loosening any cap or quota never lowers the optimum, tightening never raises it;
* every shadow price is ≥ 0 and is a supergradient of the optimal value: for a
  maximisation the value is concave in a right-hand side b, so with dual λ
  f(b + δ) ≤ f(b) + λ·δ and f(b − δ) ≤ f(b) − λ·δ, degenerate or not;
* HiGHS and GLPK agree on the optimum (when highspy is installed).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimize import Allocation, Snapshot, SolveOptions, SolveStatus, allocate
from optimize.highs import highs_available
from optimize.types import BELTS

TOL = 1e-6
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    nz = draw(st.integers(1, 4))
    ns = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def maybe(value: float) -> float | None:
        return value if draw(st.booleans()) else None

    # Round to 1e-3 so that instances are well scaled for the solver's tolerances.
    va = np.round(rng.uniform(0, 50, (nz, ns)) * (rng.random((nz, ns)) > 0.1), 3)
    co2 = np.round(rng.uniform(0, 10, (nz, ns)) * (rng.random((nz, ns)) > 0.2), 3)
    link = np.round(rng.uniform(0, 20, nz), 3)
    link[rng.random(nz) < 0.5] = np.inf
    e0 = round(draw(floats(0, 200)), 3)
    v0 = round(draw(floats(100, 5000)), 3)
    total_cap = maybe(round(max(0.0, e0 + draw(floats(-20, 150))), 3))
    intensity = maybe(round(max(e0, 1.0) / v0 * draw(floats(0.8, 1.6)), 6))
    belts = sorted(BELTS)
    zone_belts = tuple(
        frozenset(b for b in belts if rng.random() < 0.5) or frozenset({belts[i % 3]})
        for i in range(nz)
    )
    shares = {
        b: round(draw(floats(0, 0.6)), 3) for b in draw(st.sets(st.sampled_from(belts), max_size=2))
    }
    return Snapshot(
        year=2030,
        zone_ids=tuple(f"Z{i}" for i in range(nz)),
        sectors=tuple(f"S{j}" for j in range(ns)),
        zone_belts=zone_belts,
        va_per_mu=va,
        co2_per_mu=co2,
        allowed=rng.random((nz, ns)) < 0.8,
        ready_mu=np.round(rng.uniform(0, 20, nz), 3),
        link_cap_mu=link,
        space_mu=np.round(rng.uniform(0, 30, nz), 3),
        province_quota_mu=maybe(round(draw(floats(0, 40)), 3)),
        existing_co2_t=e0,
        existing_va_wan=v0,
        total_cap_t=total_cap,
        intensity_cap_t_per_wan=intensity,
        carbon_price_wan_per_t=round(draw(floats(0, 2)), 3) if draw(st.booleans()) else 0.0,
        min_share_by_belt=shares,
        max_zone_share=maybe(round(draw(floats(0.3, 1.0)), 3)),
        max_land_mu=maybe(
            np.where(rng.random((nz, ns)) < 0.3, np.inf, np.round(rng.uniform(0, 10, (nz, ns)), 3))
        ),
    )


def le(lhs: float | np.ndarray, rhs: float | np.ndarray) -> bool:
    """lhs ≤ rhs within TOL of the magnitude involved."""
    scale = np.maximum(1.0, np.maximum(np.abs(lhs), np.abs(rhs)))
    return bool(np.all(np.asarray(lhs) <= np.asarray(rhs) + TOL * scale))


def check_constraints(s: Snapshot, a: Allocation) -> None:
    land = a.land_mu
    assert (land >= 0).all()
    assert (land[~s.effective_allowed] == 0).all(), "a banned pair got land"
    zone = land.sum(axis=1)
    assert le(zone, s.ready_mu + a.new_land_mu)
    assert np.allclose(a.new_land_mu + a.ready_used_mu, zone)
    finite = np.isfinite(s.link_cap_mu)
    assert le(a.new_land_mu[finite], s.link_cap_mu[finite])
    assert le(a.new_land_mu, s.space_mu)
    if s.province_quota_mu is not None:
        assert le(a.new_land_mu.sum(), s.province_quota_mu)
    gap = a.carbon_gap_t  # 0 unless RELAXED: enforcement removes it from existing firms
    emissions = s.existing_co2_t + a.co2_added_t - gap
    if s.total_cap_t is not None:
        assert le(emissions, s.total_cap_t)
    if s.intensity_cap_t_per_wan is not None:
        assert le(emissions, s.intensity_cap_t_per_wan * (s.existing_va_wan + a.va_added_wan))
    total = land.sum()
    for belt, share in s.min_share_by_belt.items():
        in_belt = np.array([belt in bs for bs in s.zone_belts])
        assert le(share * a.new_land_mu.sum(), a.new_land_mu[in_belt].sum())
    if s.max_zone_share is not None:
        assert le(zone, s.max_zone_share * total)
    if s.max_land_mu is not None:
        assert le(land, s.max_land_mu)
    assert math.isclose(
        a.objective_wan, float((land * s.net_value_wan_per_mu).sum()), rel_tol=1e-9, abs_tol=1e-9
    )


def shadow_prices(a: Allocation) -> list[float]:
    scalars = [
        a.shadow_province_quota_wan_per_mu,
        a.shadow_total_cap_wan_per_t,
        a.shadow_intensity_cap_wan_per_t,
    ]
    arrays = [
        a.shadow_zone_land_wan_per_mu,
        a.shadow_link_cap_wan_per_mu,
        a.shadow_space_wan_per_mu,
    ]
    return [v for v in scalars if v is not None] + [float(v) for arr in arrays for v in arr]


@SETTINGS
@given(snapshots())
def test_every_constraint_holds_and_duals_are_nonnegative(s: Snapshot) -> None:
    a = allocate(s)
    assert a.status in (SolveStatus.OPTIMAL, SolveStatus.RELAXED)
    check_constraints(s, a)
    assert all(v >= -TOL for v in shadow_prices(a))
    if a.status is SolveStatus.RELAXED:
        assert a.gaps and all(g > 0 for g in a.gaps.values())
        assert str(s.year) in a.message
    else:
        assert a.gaps == {}


# (field, loosen, tighten): each returns the changed snapshot, or None when not applicable.
def _scale(field: str, factor: float) -> Any:
    def change(s: Snapshot) -> Snapshot | None:
        value = getattr(s, field)
        if value is None:
            return None
        if isinstance(value, np.ndarray):
            return dataclasses.replace(s, **{field: value * factor})
        return dataclasses.replace(s, **{field: value * factor})

    return change


def _shift(field: str, delta: float) -> Any:
    def change(s: Snapshot) -> Snapshot | None:
        value = getattr(s, field)
        if value is None:
            return None
        return dataclasses.replace(s, **{field: max(0.0, value + delta)})

    return change


def _shares(factor: float) -> Any:
    def change(s: Snapshot) -> Snapshot | None:
        if not s.min_share_by_belt:
            return None
        return dataclasses.replace(
            s, min_share_by_belt={b: min(1.0, v * factor) for b, v in s.min_share_by_belt.items()}
        )

    return change


def _max_share(delta: float) -> Any:
    def change(s: Snapshot) -> Snapshot | None:
        if s.max_zone_share is None:
            return None
        return dataclasses.replace(s, max_zone_share=min(1.0, max(0.05, s.max_zone_share + delta)))

    return change


LEVERS = {
    "province_quota": (_shift("province_quota_mu", 5.0), _shift("province_quota_mu", -5.0)),
    "total_cap": (_shift("total_cap_t", 10.0), _shift("total_cap_t", -10.0)),
    "intensity_cap": (
        _scale("intensity_cap_t_per_wan", 1.05),
        _scale("intensity_cap_t_per_wan", 0.95),
    ),
    "link_cap": (_scale("link_cap_mu", 1.5), _scale("link_cap_mu", 0.5)),
    "space": (_scale("space_mu", 1.5), _scale("space_mu", 0.5)),
    "ready_land": (_scale("ready_mu", 1.5), _scale("ready_mu", 0.5)),
    "min_belt_share": (_shares(0.5), _shares(1.5)),
    "max_zone_share": (_max_share(0.1), _max_share(-0.1)),
}


@SETTINGS
@given(snapshots(), st.sampled_from(sorted(LEVERS)))
def test_loosening_never_lowers_and_tightening_never_raises(s: Snapshot, lever: str) -> None:
    base = allocate(s)
    loosen, tighten = LEVERS[lever]
    looser, tighter = loosen(s), tighten(s)
    if base.status is not SolveStatus.OPTIMAL or looser is None or tighter is None:
        return
    slack = TOL * max(1.0, abs(base.objective_wan))
    up = allocate(looser)
    assert up.status is SolveStatus.OPTIMAL, up.message
    assert up.objective_wan >= base.objective_wan - slack
    down = allocate(tighter)
    if down.status is SolveStatus.OPTIMAL:  # tightening a cap can make the year infeasible
        assert down.objective_wan <= base.objective_wan + slack


@SETTINGS
@given(snapshots(), st.sampled_from(["province_quota", "total_cap"]))
def test_shadow_price_is_a_supergradient(s: Snapshot, lever: str) -> None:
    field = {"province_quota": "province_quota_mu", "total_cap": "total_cap_t"}[lever]
    value = getattr(s, field)
    if value is None or value < 1.0:
        return
    base = allocate(s)
    if base.status is not SolveStatus.OPTIMAL:
        return
    dual = (
        base.shadow_province_quota_wan_per_mu
        if lever == "province_quota"
        else base.shadow_total_cap_wan_per_t
    )
    assert dual is not None and dual >= -TOL
    delta = 0.5
    slack = 1e-6 * max(1.0, abs(base.objective_wan))
    up = allocate(dataclasses.replace(s, **{field: value + delta}))
    down = allocate(dataclasses.replace(s, **{field: value - delta}))
    assert up.objective_wan <= base.objective_wan + dual * delta + slack
    if down.status is SolveStatus.OPTIMAL:
        assert down.objective_wan <= base.objective_wan - dual * delta + slack


@pytest.mark.skipif(not highs_available(), reason="highspy is not installed (pip install highspy)")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_highs_agrees_with_glpk(s: Snapshot) -> None:
    g = allocate(s)
    h = allocate(s, SolveOptions(solver="highs"))
    assert h.status is g.status
    assert math.isclose(h.objective_wan, g.objective_wan, rel_tol=1e-6, abs_tol=1e-6)
    for name, gap in g.gaps.items():
        assert math.isclose(h.gaps[name], gap, rel_tol=1e-6, abs_tol=1e-6)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(), st.lists(floats(0.5, 8.0), min_size=3, max_size=3))
def test_mip_land_comes_in_whole_projects(s: Snapshot, sizes: list[float]) -> None:
    size = np.round(np.array(sizes[: len(s.sectors)]), 2)
    mip = dataclasses.replace(s, project_size_mu=size)
    a = allocate(mip, SolveOptions(projects=True, mip_gap=0.0))
    assert a.status in (SolveStatus.OPTIMAL, SolveStatus.RELAXED)
    check_constraints(mip, a)
    counts = a.land_mu / size[np.newaxis, :]
    assert np.allclose(counts, np.round(counts), atol=1e-9)
    assert a.mip_gap is not None
    # Whole projects can only do as well as divisible land when both meet the caps.
    lp = allocate(s)
    if a.status is SolveStatus.OPTIMAL and lp.status is SolveStatus.OPTIMAL:
        assert a.objective_wan <= lp.objective_wan + TOL * max(1.0, abs(lp.objective_wan))
