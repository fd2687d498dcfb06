"""The shipped scenario library: every scenario runs, its last-year KPIs (and 2025 where
it runs past it) match the recorded regression values, and each moves the way its
question says vs baseline.

One run per scenario (session-scoped), at firm_scale 0.1 without charts (horizon_2035
at 0.05: it simulates 15 years).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import REPO, SMALL

SCENARIOS = REPO / "scenarios"
SCALE = {"horizon_2035": 0.05}

# Last-year KPIs measured at the scales above (seed 20210101 of baseline.yaml), with
# numpy/pandas/Pyomo/GLPK of the repository's .venv at the time of writing.
#
# Tolerance: the run is deterministic for a seed, so on one machine these repeat
# exactly. Across numpy or GLPK versions two things can move them: float-level changes
# (sums in another order: ~1e-12 relative) and, larger, a degenerate LP (many zone ×
# sector pairs with equal value per mu) whose solver picks another optimal vertex. That
# moves land between zones with the same objective, so province totals of the year
# barely move, but the firms it creates then grow and exit differently in later years;
# strict_carbon vs baseline shows the size: an extra (non-binding) cap row changed 2021
# entries by 1 firm of ~14,000 and 2023 value added by 1e-3. So 1e-3 relative for value
# added, CO2 and built land, and 2e-3 for the firm count (an integer of ~1.3·10^4).
RTOL = {"value_added_yi": 1e-3, "co2_t": 1e-3, "land_built_mu": 1e-3, "firms_active": 2e-3}

REGRESSION = {
    # scenario: (last year, value_added_yi, co2_t, firms_active, land_built_mu)
    # Re-recorded after merging MICRO (issue 12 items 4-7) onto MACRO + ABATE. Common
    # causes: exits start in 2021 and stay spread (rating history, AR(1) productivity,
    # rectification, recovery capacity) instead of the 2023 wave that removed 36 Mt at
    # this scale; the listed heavy plants hold steel and petrochemicals at high output
    # per mu, so they are rarely D; half of the output that exits is sought again from
    # new projects in its zone-sector (land.exit_replacement_share); productivity shocks
    # move output between firms without destroying it. Hence, against MACRO + ABATE:
    # baseline VA −0.3 % (69,383 vs 69,618 亿元: exits from 2021), CO2 +11 % (381 vs
    # 342 Mt: no 2023 wave; energy use 95.5 vs 86.7 Mt tce), built land +1.5 %
    # (replacement demand).
    # Re-recorded again for BASE12 (issue 12's two open must-holds): services are not in
    # the industrial 亩均 ranking (evaluation.exempt_sectors), an accepted rectification
    # restarts a firm's D count, rectification_success_base 0.2 → 0.5, and class
    # boundaries are apportioned by largest remainder; so fewer firms exit (2021-25 at
    # this scale 143 vs 525), more rectify and give land back. Each line says its change.
    # baseline: VA +0.7 %, CO2 −0.6 % (379 vs 381 Mt), firms +1.6 %, built land +1.7 %:
    # fewer exits keep output and land; services no longer pay the C surcharge.
    # ABATE13 (issue 13, first year): the LP counts new land's first-year CO2 and VA at
    # the ramp share, so the binding 2021 intensity target is met by the plan alone
    # (retrofit 1.9 + green power 1.0 Mt) instead of plan + 1.6 Mt of permanent
    # enforcement retrofits: 2025 CO2 +0.2 %, VA −0.01 %.
    # Merged BASE12 + ABATE13: the 2021 plan now buys green power (one year) where
    # enforcement added lasting retrofits, so the firms' draws diverge from 2021; at this
    # scale one large steel firm (of ~30 synthetic) leaves in 2025 here and not on
    # BASE12's branch: 2025 CO2 −2.3 % (369.9 vs 378.7 Mt, steel −6.7 Mt), VA +0.2 %.
    # ENTRY (whole projects): a sector's new land is whole projects placed by its zones'
    # claims, not a sliver in every zone, so entrants fall from ~1,450 to ~170 a year at
    # this scale (firms −50 %); the firms' draws diverge from 2021: VA −0.3 %, CO2 +3.0 %
    # (a steel project in 2021 and different steel exits), built land +0.2 %.
    # BASE-YEAR RECTIFICATION (evaluation.rectify_base_year): the 2020 D firms rectify before
    # the 2021 rating, so 2021-22 exits are no longer twice the later years'; fewer
    # heavy firms leave early at this scale (steel ~30 firms): CO2 +4.7 % (399 vs 381 Mt;
    # at full scale +0.1 %), VA −0.2 %, built land +0.6 %.
    "baseline": (2025, 69636.6251655345, 398934346.72227824, 12836, 1900305.838587014),
    # the 320 Mt cap still binds (CO2 320.0 Mt); VA, firms and land move with the
    # baseline's (+0.7 %, +1.7 %, +1.4 %)
    # ABATE13 (first year): as baseline in 2021, and new land counted at a third in the
    # cap rows shifts the 2023-2025 abatement mix; VA −0.2 %, CO2 still at the cap.
    # Merged: CO2 at the cap (320.0 Mt); VA +0.3 % with the baseline's path.
    # ENTRY: whole projects as baseline; VA −0.5 %, firms −50 %, CO2 −1.3 % (315.9 Mt,
    # below the cap: the 2025 plan's 7.4 Mt of forced exits closes whole firms, 12.0 Mt
    # at this scale, the firms' path having diverged from 2021).
    # BASE-YEAR RECTIFICATION (evaluation.rectify_base_year): the 2020 D firms rectify before
    # the 2021 rating, so 2021-22 exits are no longer twice the later years'; CO2 at
    # the cap (320.0 Mt; 315.9 before, when 2025's planned whole-firm exits overshot), VA
    # −0.4 %.
    "strict_carbon": (2025, 69248.48694448809, 319983248.32214445, 12802, 1886500.6894698679),
    # ranked among industrial firms only, the bottom 10 % with one year to rectify now
    # falls on steel and chemicals too (no services to fill the pool): CO2 −14 % (314 vs
    # 365 Mt), VA −0.3 %; stricter exit still lowers 2025 VA vs baseline (69,041 vs 69,869)
    # Merged: unchanged to 1e-6 (its 2021 target is met the same way on both branches).
    # ENTRY: whole projects as baseline; VA −0.5 % (still below baseline's), CO2 −0.9 %,
    # firms −48 %.
    # BASE-YEAR RECTIFICATION (evaluation.rectify_base_year): the 2020 D firms rectify before
    # the 2021 rating, so 2021-22 exits are no longer twice the later years'; VA
    # −0.7 %, CO2 −0.9 % (its one-year window exits the base year's D firms sooner).
    "aggressive_exit": (2025, 68198.83517627131, 308536179.61090195, 12524, 1763542.1874856018),
    # half the quota barely binds (demand is capped at the growth need): ≈ baseline, and
    # moves with it (VA +0.9 %, CO2 −0.6 %)
    # ABATE13 (first year): the 2021 target met by the plan alone, as baseline: CO2 +0.3 %.
    # Merged: VA +0.1 %, CO2 +1.1 % (a steel firm stays that leaves on BASE12's branch).
    # ENTRY: whole projects as baseline; VA −0.4 %, CO2 +3.4 % (as baseline), firms −50 %.
    # BASE-YEAR RECTIFICATION (evaluation.rectify_base_year): the 2020 D firms rectify before
    # the 2021 rating, so 2021-22 exits are no longer twice the later years'; VA −0.1 %,
    # CO2 +1.4 %.
    "stock_first": (2025, 69766.68970775726, 396504113.3600195, 12834, 1898824.7229002698),
    # as baseline, minus the merged zones' firms; moves with the baseline (VA +0.9 %,
    # CO2 +1.0 %: fewer heavy exits)
    # ABATE13 (first year): as baseline, CO2 +0.2 %.
    # Merged: VA −0.05 %, CO2 −3.7 % (as baseline: a large steel firm leaves in 2025).
    # ENTRY: whole projects as baseline (merged zones' claims pass to their hosts);
    # VA −0.2 %, CO2 +2.5 %, firms −48 %.
    # BASE-YEAR RECTIFICATION (evaluation.rectify_base_year): the 2020 D firms rectify before
    # the 2021 rating, so 2021-22 exits are no longer twice the later years'; VA
    # −0.1 %, CO2 +4.6 % (as baseline).
    "integration_2023": (2025, 69693.79305621177, 396043724.3246132, 12744, 1897438.5733084143),
    # as baseline; relocation moves chemicals without changing the growth path (VA
    # +0.9 %, CO2 −2.6 %: the relocated plants' exits and rectifications differ)
    # ABATE13 (first year): as baseline, CO2 +0.3 %.
    # Merged: VA −0.2 %, CO2 +2.0 % (the relocated chemicals' exits differ).
    # ENTRY: whole projects as baseline; VA −0.6 %, CO2 +1.8 %, firms −50 %.
    # BASE-YEAR RECTIFICATION (evaluation.rectify_base_year): the 2020 D firms rectify before
    # the 2021 rating, so 2021-22 exits are no longer twice the later years'; VA +0.6 %,
    # CO2 +2.2 %.
    "coastal_shift": (2025, 69791.69774898487, 395621657.42275304, 12782, 1898301.8410707668),
    # 2035 VA +0.7 %, CO2 +0.3 %, built land +3.1 %: fewer exits, more land given back
    # by rectification and taken up again
    # ABATE13 (first year): the 2021 target met by the plan alone; 2035 CO2 +0.7 % (at
    # the 300 Mt cap), VA +0.1 %.
    # ABATE13 (GLPK's dual simplex): the same optimum every year, but from 2026 the LP
    # is degenerate (equal objectives to 1e-7) and the dual simplex stops at another
    # vertex (0.17 mu moved in 2026); the path then diverges: 2035 VA −0.2 %, CO2 289 Mt.
    # Merged: 2035 VA +0.1 %, CO2 +0.5 %, at its 300 Mt cap.
    # ENTRY: whole projects as baseline; entrants no longer ~160 a sector a year, so
    # 2035 firms −72 % at this scale; VA −0.2 %, CO2 at the cap, built land +0.9 %.
    # BASE-YEAR RECTIFICATION (evaluation.rectify_base_year): the 2020 D firms rectify before
    # the 2021 rating, so 2021-22 exits are no longer twice the later years'; 2035 VA
    # +0.02 %, CO2 at its 300 Mt cap.
    "horizon_2035": (2035, 110083.75833159359, 300000000.0551162, 12103, 2105702.343020108),
}
# Scenarios that run past 2025 are checked in 2025 too (the plan's end year).
REGRESSION_2025 = {
    # as the baseline's, at scale 0.05; CO2 +5.3 % (371 vs 353 Mt): fewer heavy firms
    # leave at this scale, where each stands for twenty
    # ABATE13 (first year): as baseline, 2025 CO2 +0.4 %.
    # Merged: VA +0.02 %, CO2 +1.5 % (at scale 0.05 the heavy firms' exits differ).
    # ENTRY: whole projects as baseline; 2025 VA −0.4 %, CO2 +0.2 %, firms −61 % (at 0.05
    # each cell with a real project still opens a synthetic firm for twenty).
    # BASE-YEAR RECTIFICATION (evaluation.rectify_base_year): the 2020 D firms rectify before
    # the 2021 rating, so 2021-22 exits are no longer twice the later years'; VA +0.7 %,
    # CO2 −3.0 %.
    "horizon_2035": (2025, 69867.66703053456, 366473718.22792315, 8210, 1939500.215048165),
}


def _load(name: str):
    from sim.scenario import load_scenario

    over = {**SMALL, "data.firm_scale": SCALE.get(name, SMALL["data.firm_scale"])}
    return load_scenario(SCENARIOS / f"{name}.yaml", over)


@pytest.fixture(scope="session")
def runs():
    """Every shipped scenario, run once: {name: RunResult}."""
    from sim.runs.runner import run

    return {name: run(_load(name)) for name in REGRESSION}


def _p(res):
    return res.province.set_index("year")


def test_every_shipped_scenario_is_covered():
    shipped = {p.stem for p in SCENARIOS.glob("*.yaml")}
    assert shipped == set(REGRESSION)


@pytest.mark.parametrize(
    ("name", "table"),
    [(n, "last") for n in sorted(REGRESSION)] + [(n, "2025") for n in sorted(REGRESSION_2025)],
)
def test_kpis_match_regression_values(runs, name, table):
    year, va, co2, firms, built = (REGRESSION if table == "last" else REGRESSION_2025)[name]
    p = runs[name].province
    if table == "last":
        assert p["year"].iloc[-1] == year
    last = p.set_index("year").loc[year]
    assert runs[name].status == "complete"
    got = {k: float(last[k]) for k in RTOL}
    want = {"value_added_yi": va, "co2_t": co2, "firms_active": firms, "land_built_mu": built}
    for key, tol in RTOL.items():
        assert got[key] == pytest.approx(want[key], rel=tol), key


def test_strict_carbon_never_emits_more_than_baseline(runs):
    """A cap can only remove CO2. Slack 1e-3 relative in years where it does not bind
    (2021-2024): the extra LP rows can pick another optimal vertex there (see RTOL); in
    2025 the 320 Mt cap binds and CO2 must sit at it. Both halves of 双控 hold every year:
    CO2 within the cap and intensity at or below the −18 % path, with no gap left."""
    base, strict = _p(runs["baseline"])["co2_t"], _p(runs["strict_carbon"])["co2_t"]
    assert (strict <= base * (1 + 1e-3)).all()
    assert strict.loc[2025] <= 320e6 * (1 + 1e-9)
    assert strict.loc[2025] < base.loc[2025]
    p = _p(runs["strict_carbon"]).loc[2021:]
    cap = p["carbon_cap_t"].astype(float)
    assert (p["co2_t"][cap.notna()] <= cap[cap.notna()] * (1 + 1e-9)).all()
    target = p["carbon_intensity_target_t_per_wan"].astype(float)
    assert (p["carbon_intensity_t_per_wan"] <= target * (1 + 1e-9)).all()
    assert p.loc[2025, "carbon_intensity_t_per_wan_change_vs_base"] <= -0.18
    assert (p["carbon_gap_t"] == 0).all()


def test_aggressive_exit_exits_at_least_as_many_firms(runs):
    """A larger D class with one year to rectify forces at least as many exits, up to
    every year."""
    base = _p(runs["baseline"])["firms_exited_low_efficiency"].cumsum()
    aggr = _p(runs["aggressive_exit"])["firms_exited_low_efficiency"].cumsum()
    assert (aggr >= base).all()
    assert aggr.iloc[-1] > 2 * base.iloc[-1]


def test_stock_first_uses_less_new_land_and_revitalises_more(runs):
    """Half the quota gives no more new land in any year; a doubled reclamation rate
    revitalises at least as much up to every year. (A single year can revitalise less:
    the faster rate empties the recovered pool sooner, e.g. 2023.)"""
    base, stock = _p(runs["baseline"]), _p(runs["stock_first"])
    assert (stock["land_new_mu"] <= base["land_new_mu"] + 1e-6).all()
    assert (stock["land_new_mu"] <= 20000 + 1e-6).all()
    cum_b, cum_s = base["land_revitalised_mu"].cumsum(), stock["land_revitalised_mu"].cumsum()
    assert (cum_s >= cum_b - 1e-6).all()


def test_integration_2023_merges_zones_and_keeps_the_totals(runs):
    """From 2023 some zones have a host; the merge moves firms and land between zones,
    it creates or destroys none, so the province totals of 2023 equal the baseline's."""
    zb, zi = runs["baseline"].zones, runs["integration_2023"].zones
    no_host_b = zb[zb["host_zone_id"].isna()].groupby("year").size()
    no_host_i = zi[zi["host_zone_id"].isna()].groupby("year").size()
    assert (no_host_b == 158).all()
    assert (no_host_i.loc[:2022] == 158).all()
    assert (no_host_i.loc[2023:] < 158).all()
    pb, pi = _p(runs["baseline"]), _p(runs["integration_2023"])
    for col in ("value_added_yi", "co2_t", "firms_active", "land_built_mu", "boundary_mu"):
        assert pi.loc[2023, col] == pytest.approx(pb.loc[2023, col], rel=1e-12), col
    z23 = zi[zi["year"] == 2023]
    for col in ("value_added_yi", "co2_t", "firms_active", "land_built_mu"):
        assert z23[col].sum() == pytest.approx(pi.loc[2023, col], rel=1e-12), col
    # the merged zones are empty shells: no firms, no land left
    merged = z23[z23["host_zone_id"].notna()]
    assert (merged["firms_active"] == 0).all() and np.allclose(merged["boundary_mu"], 0.0)
    # land and firms balance in the year of the merge
    used = pi["land_built_mu"] + pi["land_stock_mu"] + pi["land_ready_mu"]
    assert used.loc[2023] - used.loc[2022] == pytest.approx(pi.loc[2023, "land_new_mu"], abs=1e-3)
    assert (
        pi.loc[2022, "firms_active"] + pi.loc[2023, "firms_entered"] - pi.loc[2023, "firms_exited"]
        == pi.loc[2023, "firms_active"]
    )


def test_coastal_shift_gives_the_coast_its_share_and_no_canal_chemicals(runs):
    """The belt minimum and the canal ban are constraints of every year's LP. A zone
    counts for every belt in its `belts` (Nantong's zones are Yangtze and coastal), and
    the share is of the new construction land (relocated firms' land aside): ready land
    stays with its zone, so in 2021 (no relocation yet, the same ready land) the zones
    off the canal use as much of it as in the baseline."""
    import pandas as pd

    zones = pd.read_csv(SCENARIOS / "data" / "zones.csv")
    coastal = set(zones.loc[zones["belts"].str.contains("coastal"), "zone_id"])
    canal = set(zones.loc[zones["belts"].str.contains("canal"), "zone_id"])
    parks = set(zones.loc[zones["chemical_park"] == 1, "zone_id"])

    def coastal_share(z):
        z = z[z["year"] > 2020]
        new = (z["land_new_mu"] - z["land_relocated_mu"]).groupby(z["year"]).sum()
        on_coast = z["zone_id"].isin(coastal)
        coast = (z["land_new_mu"] - z["land_relocated_mu"])[on_coast].groupby(z["year"]).sum()
        return coast / new

    assert (coastal_share(runs["coastal_shift"].zones) >= 0.25 - 1e-6).all()
    # so the lever binds in some year: since issue 12 the new construction land is only
    # what the sectors' growth needs beyond ready land (a few thousand mu a year), and
    # the coast takes more than 25 % of it on its own in most years (2023 it does not)
    assert (coastal_share(runs["baseline"].zones) < 0.25).any()

    # outside the canal zones (whose chemical demand the scenario bans: since issue 12 the
    # ready land is no longer all used, so a ban changes how much of theirs is) the zones
    # use as much ready land in 2021 as in the baseline
    def ready_off_canal(res):
        z = res.zones
        z = z[(z["year"] == 2021) & ~z["zone_id"].isin(canal)]
        return z["land_ready_used_mu"].sum()

    ready = [ready_off_canal(runs[n]) for n in ("baseline", "coastal_shift")]
    assert ready[1] == pytest.approx(ready[0], rel=1e-9)
    a = runs["coastal_shift"].allocations
    chem = a[(a["sector"] == "chemicals") & a["zone_id"].isin(canal) & ~a["zone_id"].isin(parks)]
    assert chem["land_mu"].sum() < 1e-6


def test_coastal_shift_moves_chemicals_from_the_yangtze_to_the_coast(runs):
    """Four of the five yearly tranches (2022-2025 of 2022-2026) of Yangtze chemical firms
    outside chemical parks have left by 2025: at most a quarter of the baseline's land
    stays (a fifth, plus growth). Movers go into coastal chemical parks only: the coast
    holds more chemical land than in the baseline, every zone that received relocated
    land is a coastal chemical park, and once they are full the tranche that finds no
    space is booked as lost output: in 2025 at firm_scale 0.1 (2024 before issue 12
    items 4-7: with exits spread from 2021 and rectified D firms giving land back, the
    parks have a year's more room; which of these gives it was not isolated; still 2025
    after BASE12's evaluation changes)."""
    import pandas as pd

    zones = pd.read_csv(SCENARIOS / "data" / "zones.csv")
    parks = set(zones.loc[zones["chemical_park"] == 1, "zone_id"])
    belts = zones["belts"].str
    yangtze = set(zones.loc[belts.contains("yangtze") & ~belts.contains("coastal"), "zone_id"])
    coastal = set(zones.loc[belts.contains("coastal"), "zone_id"])

    def chem_land(name, where):
        f = runs[name].firms_final
        f = f[(f["status"] != "exited") & (f["sector"] == "chemicals") & where(f["zone_id"])]
        return f["land_mu"].sum()

    def outside_parks(z):
        return z.isin(yangtze) & ~z.isin(parks)

    def on_coast(z):
        return z.isin(coastal)

    base = chem_land("baseline", outside_parks)
    assert base > 0
    assert chem_land("coastal_shift", outside_parks) <= 0.25 * base
    assert chem_land("coastal_shift", on_coast) > chem_land("baseline", on_coast)
    p = _p(runs["coastal_shift"])
    assert p.loc[:2021, "land_relocated_mu"].sum() == 0 and p.loc[2022, "land_relocated_mu"] > 0
    z = runs["coastal_shift"].zones
    receiving = set(z.loc[z["land_relocated_mu"] > 1e-6, "zone_id"])
    assert receiving and receiving <= (coastal & parks)
    # under 1 元 is the float remainder of placing a tranche that fits (2022: 2e-10 万元)
    lost = p.loc[2022:2025, "relocation_lost_output_wan"].where(lambda x: x > 1e-4, 0.0)
    assert lost.loc[2025] > 0 and (lost.loc[lost.gt(0).idxmax() :] > 0).all()


def test_horizon_2035_runs_to_2035_under_its_cap_and_peaks_before_2030(runs):
    """The cap path is the file's (linear between its years), CO2 stays within it every
    year, peaks before 2030 (碳达峰) and 2035 is below 2030. Since issue 12 items 4-7
    the zones' CO2 peaks in 2021, plateaus to 2029 and the cap binds from 2030 (see
    horizon_2035.yaml): the test checks the scenario's answer."""
    p = _p(runs["horizon_2035"])
    assert p.index.max() == 2035
    cap = p["carbon_cap_t"].astype(float) / 1e6
    want = {2021: 375.0, 2025: 375.0 + 5.0 * 4 / 7, 2028: 380.0, 2030: 360.0, 2035: 300.0}
    assert cap[list(want)].tolist() == pytest.approx(list(want.values()), rel=1e-12)
    assert (p["co2_t"] <= p["carbon_cap_t"].astype(float) * (1 + 1e-9)).all()
    assert p["co2_t"].idxmax() < 2030
    assert p.loc[2035, "co2_t"] < p.loc[2030, "co2_t"]
