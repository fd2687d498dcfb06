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
    "baseline": (2025, 69868.51835124088, 378719242.15752774, 25565, 1886200.5688019795),
    # the 320 Mt cap still binds (CO2 320.0 Mt); VA, firms and land move with the
    # baseline's (+0.7 %, +1.7 %, +1.4 %)
    "strict_carbon": (2025, 69688.66154847805, 319998010.78305304, 25554, 1872217.7408657433),
    # ranked among industrial firms only, the bottom 10 % with one year to rectify now
    # falls on steel and chemicals too (no services to fill the pool): CO2 −14 % (314 vs
    # 365 Mt), VA −0.3 %; stricter exit still lowers 2025 VA vs baseline (69,041 vs 69,869)
    "aggressive_exit": (2025, 69040.67565993476, 314144404.777919, 24161, 1778347.3971706275),
    # half the quota barely binds (demand is capped at the growth need): ≈ baseline, and
    # moves with it (VA +0.9 %, CO2 −0.6 %)
    "stock_first": (2025, 70078.46954467199, 374372169.05218583, 25368, 1883866.5043233703),
    # as baseline, minus the merged zones' firms; moves with the baseline (VA +0.9 %,
    # CO2 +1.0 %: fewer heavy exits)
    "integration_2023": (2025, 69963.5037153133, 383281026.1070666, 24352, 1886073.1309834258),
    # as baseline; relocation moves chemicals without changing the growth path (VA
    # +0.9 %, CO2 −2.6 %: the relocated plants' exits and rectifications differ)
    "coastal_shift": (2025, 69922.9499356767, 372931560.93089217, 25370, 1884963.1571795593),
    # 2035 VA +0.7 %, CO2 +0.3 %, built land +3.1 %: fewer exits, more land given back
    # by rectification and taken up again
    "horizon_2035": (2035, 110160.22229876756, 298580644.5951292, 43401, 2084260.9182831147),
}
# Scenarios that run past 2025 are checked in 2025 too (the plan's end year).
REGRESSION_2025 = {
    # as the baseline's, at scale 0.05; CO2 +5.3 % (371 vs 353 Mt): fewer heavy firms
    # leave at this scale, where each stands for twenty
    "horizon_2035": (2025, 69686.33216621578, 371499478.9096031, 20983, 1922231.986836361),
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
