"""Entry in whole projects (models/entry.py, models/allocation.py `demand`).

Hand cases for the apportionment of a sector's projects among zones
(`entry.offer_projects`): whole projects, the rounded total, largest remainders, ties
by zone order, claims carried over the years. Then the small baseline (firm_scale 0.1,
2021-2025): a sector's entrants are bounded by the projects its growth and exits ask
for (derived from the run's own tables, not measured), and a zone-sector's land is
whole projects unless a row of the year's allocation stopped it.
"""

from __future__ import annotations

import numpy as np
import pytest

from models import entry


def hamilton(quota: np.ndarray, total: int) -> np.ndarray:
    """Largest-remainder apportionment of `total` seats by quotas (ties: first index)."""
    seats = np.floor(quota).astype(np.int64)
    rest = quota - seats
    order = sorted(range(len(quota)), key=lambda i: (-rest[i], i))
    for i in order[: total - int(seats.sum())]:
        seats[i] += 1
    return seats


def test_fresh_claims_are_apportioned_by_largest_remainder():
    """Expected 3.6, 1.2, 0.2 (5.0): floors 3, 1, 0 and the largest remainder (0.6)."""
    claims = np.zeros((3, 1))
    got = entry.offer_projects(claims, np.array([[3.6], [1.2], [0.2]]))
    assert got[:, 0].tolist() == [4, 1, 0]
    assert claims[:, 0] == pytest.approx([-0.4, 0.2, 0.2])


def test_the_total_is_the_claims_rounded_and_ties_go_by_zone_order():
    claims = np.zeros((4, 3))
    expected = np.array(
        [[0.5, 0.4, 0.0], [0.5, 0.4, 0.0], [0.5, 0.4, 0.0], [0.5, 0.3, 0.0]]
    )  # sums 2.0, 1.5, 0.0
    got = entry.offer_projects(claims, expected)
    assert got.dtype.kind == "i"
    assert got.sum(axis=0).tolist() == [2, 2, 0]
    assert got[:, 0].tolist() == [1, 1, 0, 0]  # equal claims: the first zones
    assert got[:, 1].tolist() == [1, 1, 0, 0]
    again = entry.offer_projects(np.zeros((4, 3)), expected)
    assert np.array_equal(got, again)


def test_random_cases_match_hamilton_and_carry_the_rest():
    """From zero claims the hand-out is Hamilton's apportionment of the rounded total;
    over 30 years each sector's projects stay within half a project of its expected
    ones, no claim reaches −1, so no zone is a whole project ahead of its expected ones."""
    rng = np.random.default_rng(3)
    for _ in range(50):
        q = rng.exponential(0.4, size=12) * rng.integers(0, 2, size=12)
        total = int(np.floor(q.sum() + 0.5))
        got = entry.offer_projects(np.zeros((12, 1)), q[:, None])[:, 0]
        assert np.array_equal(got, hamilton(q, total))
    claims = np.zeros((20, 5))
    given = np.zeros((20, 5))
    wanted = np.zeros((20, 5))
    for _ in range(30):
        expected = rng.exponential(0.05, size=(20, 5)) * (rng.random((20, 5)) < 0.5)
        got = entry.offer_projects(claims, expected)
        given += got
        wanted += expected
        assert (claims > -1.0).all()
        assert np.abs(given.sum(axis=0) - wanted.sum(axis=0)) == pytest.approx(
            np.abs(claims.sum(axis=0))
        )
        assert (np.abs(given.sum(axis=0) - wanted.sum(axis=0)) <= 0.5 + 1e-9).all()
    assert np.allclose(given + claims, wanted)  # every zone's expected projects accounted
    assert (given < wanted + 1.0).all()  # no zone a whole project ahead of its share


def test_hamilton_reference_from_zero_claims():
    """Where the quotas add up to a whole number the two agree exactly."""
    q = np.array([2.25, 0.75, 1.5, 0.5])  # 5.0
    got = entry.offer_projects(np.zeros((4, 1)), q[:, None])[:, 0]
    assert got.tolist() == hamilton(q, 5).tolist() == [2, 1, 2, 0]


def test_a_steady_small_need_opens_a_project_every_few_years():
    """0.3 of a project a year: a project in years 2, 4, 5 (at 0.6, 0.9 − 1 + 0.3 ...)
    and never more than half a project ahead or behind."""
    claims = np.zeros((2, 1))
    opened = []
    for _ in range(10):
        opened.append(int(entry.offer_projects(claims, np.array([[0.2], [0.1]])).sum()))
    cum = np.cumsum(opened)
    assert set(opened) <= {0, 1}
    assert np.all(np.abs(cum - 0.3 * np.arange(1, 11)) <= 0.5 + 1e-9)
    assert cum[-1] == 3


def test_refused_projects_return_to_the_claims():
    claims = np.zeros((3, 2))
    size = np.array([100.0, 10.0])
    offered = np.array([[200.0, 0.0], [100.0, 30.0]])
    taken = np.array([[200.0, 0.0], [40.0, 30.0]])
    entry.keep_refused(claims, np.array([0, 2]), offered, taken, size)
    assert claims.tolist() == [[0.0, 0.0], [0.0, 0.0], [0.6, 0.0]]
    entry.keep_refused(claims, np.array([0, 2]), None, taken, size)  # no bound: nothing
    assert claims[2, 0] == pytest.approx(0.6)


# ------------------------------------------------------------------ the small baseline


def test_entrants_follow_the_sectors_growth_not_the_zone_count(baseline_small):
    """A sector's entrants up to each year are at most the projects its growth and
    exits asked for, plus half a project (rounding) and one per cell cut below whole
    projects (its rest can open another firm later):

        P_s,t = [(1 − incumbent share)·max(g_s,t, 0)·VA_s,t / v_min,s
                 + replacement share · exited output_s,t / f_min,s] / size_s

    with v_min, f_min the least VA and output per mu a zone can offer a new project
    (sector frontier × least management efficiency × 0.5, the clip of the zone
    factor) and VA_s,t the year's VA, which bounds the VA at allocation: no carbon
    curtailment or carbon exit cuts it in the baseline (checked)."""
    from models.drivers import year_drivers
    from models.firms import EXIT_REASONS

    res, model = baseline_small, baseline_small.model
    prov = res.province.set_index("year")
    cuts = prov[["carbon_cut_curtailment_t", "carbon_cut_forced_exit_t", "firms_exited_carbon"]]
    assert (cuts.fillna(0.0) == 0.0).all().all()
    sectors, sc = model.sectors, model.scenario
    base = sc.years.base
    years = list(range(base + 1, sc.years.end + 1))
    eff_min = float(np.min(model.zones.management_efficiency))
    f_min = sectors.frontier_output_per_mu_wan * eff_min * 0.5
    v_min = f_min * sectors.va_ratio
    size = sectors.project_size_mu
    va = res.sectors.pivot(index="year", columns="sector", values="value_added_yi") * 1e4
    firms = res.firms_final
    left = firms["exit_reason"].isin(EXIT_REASONS[1:3])
    alloc = res.allocations[res.allocations["land_mu"] > 1e-6]
    s_idx = alloc["sector"].map({s: i for i, s in enumerate(sectors.names)}).to_numpy()
    k = alloc["land_mu"].to_numpy() / size[s_idx]
    cut = alloc[np.abs(k - np.rint(k)) > 1e-6]
    asked = np.zeros(len(sectors.names))
    entered = np.zeros(len(sectors.names))
    for t in years:
        lv = sc.at(t)
        g = year_drivers(lv, sectors, t - base).growth
        va_t = va.loc[t, list(sectors.names)].to_numpy()
        out = firms[left & (firms["exit_year"] == t)].groupby("sector")["output_wan"].sum()
        out_t = out.reindex(sectors.names, fill_value=0.0).to_numpy()
        grow = (1.0 - lv.economy.incumbent_growth_share) * np.maximum(g, 0.0) * va_t / v_min
        asked += (grow + lv.land.exit_replacement_share * out_t / f_min) / size
        born = firms[firms["birth_year"] == t].groupby("sector").size()
        entered += born.reindex(sectors.names, fill_value=0).to_numpy()
        n_cut = cut[cut["year"] <= t].groupby("sector").size()
        bound = asked + 0.5 + n_cut.reindex(sectors.names, fill_value=0).to_numpy()
        over = dict(zip(sectors.names, entered - bound, strict=True))
        assert (entered <= bound + 1e-9).all(), (t, over)
    steel = sectors.index("steel")
    n_zones = res.zones["zone_id"].nunique()
    assert entered[steel] < n_zones  # not one a zone a year, as when demand was shrunk


def test_land_comes_in_whole_projects_unless_a_row_stops_it(baseline_small):
    """Every zone-sector's new land is whole projects of the sector's size, except
    where the year's allocation was stopped: the zone's land used up (ready land plus
    the least of its link cap and space), its industrial-land floor tight, the
    province's quota used up or a carbon row binding."""
    model = baseline_small.model
    size = model.sectors.project_size_mu
    tol = 1e-6
    seen = 0
    snaps = {}
    for a in model.allocations:
        k = a.land_mu / size[None, :]
        part = (a.land_mu > tol) & (np.abs(k - np.rint(k)) > tol)
        seen += int((a.land_mu > tol).sum())
        if not part.any():
            continue
        snaps[a.year] = part
        carbon = any(b.startswith(("total_cap", "intensity")) for b in a.binding)
        quota = any(b.startswith("province_quota") for b in a.binding)
        if carbon or quota:
            continue
        for z in np.flatnonzero(part.any(axis=1)):
            zone = a.zone_ids[z]
            named = {f"zone_land[{zone}]", f"link_cap[{zone}]", f"space[{zone}]"}
            named |= {f"industrial_floor[{zone}]"}
            assert named & set(a.binding), (a.year, zone, a.binding)
    assert seen > 0 and snaps  # cells were allocated, and some were cut


def test_claims_carry_no_project_and_none_below_minus_one(baseline_small):
    """After the run the claims left over are fractions of a project by sector (the
    rounding) plus the projects refused and still waiting; none is −1 or below."""
    claims = baseline_small.model.project_claims
    assert (claims > -1.0).all()
    assert (claims.sum(axis=0) >= -0.5 - 1e-9).all()


def test_leading_entry_projects_send_more_new_land_to_zones_leading_sectors() -> None:
    # Demand is capped at each sector's growth need, so land.leading_entry_projects
    # does not add projects: it moves a sector's projects towards the zones that list
    # it as leading. The share of allocated land in leading (zone, sector) cells rises.
    import pandas as pd
    from conftest import TINY, small_run

    from sim.scenario.library import LIBRARY_DIR

    zones = pd.read_csv(LIBRARY_DIR / "data" / "zones.csv")
    leading = {
        (z.zone_id, s) for z in zones.itertuples() for s in str(z.leading_sectors).split(";") if s
    }

    def share(projects: float) -> float:
        run = small_run(
            **{**TINY, "land.new_quota_mu": None, "land.leading_entry_projects": projects}
        )
        a = run.allocations[run.allocations["land_mu"] > 0]
        lead = [(z, s) in leading for z, s in zip(a["zone_id"], a["sector"], strict=True)]
        return float(a.loc[lead, "land_mu"].sum() / a["land_mu"].sum())

    assert share(3.0) > share(0.0)
