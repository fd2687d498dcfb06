"""The province model: calibration, conservation every year, lever directions, determinism."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from tests.conftest import small_run, small_scenario

# ---------------------------------------------------------------- calibration (2020)


@pytest.fixture(scope="module")
def base_state(baseline_full_inputs):
    """The full-scale base year as the model sees it (after its own accounts)."""
    from models.province import ProvinceModel

    sc, inputs = baseline_full_inputs
    m = ProvinceModel(sc, inputs)
    z = m.zone_rows[0]
    return m, z


def test_zone_counts(base_state):
    m, _ = base_state
    levels = pd.Series([z.level for z in m.zones])
    assert len(m.zones) == 158
    assert (levels != "provincial").sum() == 46
    assert len(m.firms) > 50_000  # on the order of 10^5 at firm_scale 1


def test_zone_value_added_is_51_percent_of_gdp(base_state):
    m, z = base_state
    share = z["value_added_yi"].sum() / m.facts["jiangsu_gdp_2020_yi"]
    assert share == pytest.approx(0.51, abs=0.02 * 0.51)


def test_national_zones_hold_half_of_zone_value_added(base_state):
    _, z = base_state
    nat = z.loc[z["level"] != "provincial", "value_added_yi"].sum() / z["value_added_yi"].sum()
    assert nat == pytest.approx(0.50, abs=0.02)


def test_zone_tax_is_55_percent_of_budget_revenue(base_state):
    m, z = base_state
    share = z["tax_yi"].sum() / m.facts["jiangsu_budget_revenue_2020_yi"]
    assert share == pytest.approx(0.55, abs=0.03 * 0.55)


def test_zone_rd_is_6_percent_of_value_added(base_state):
    _, z = base_state
    assert z["rd_yi"].sum() / z["value_added_yi"].sum() == pytest.approx(0.06, abs=0.005)


def test_co2_base_matches_the_documented_ceads_derivation(base_state):
    m, z = base_state
    # calibration_targets.csv: zone_co2_2020_t = CEADs-derived direct CO2 + electricity
    # at the 2020 grid factor (method and figure in scenarios/data/README.md).
    want = m.facts["zone_co2_2020_t"]
    assert z["co2_t"].sum() == pytest.approx(want, rel=0.01)
    assert 250e6 < want < 500e6  # the order of a third to a half of Jiangsu's 805 Mt


# ---------------------------------------------------------------- conservation


def _frames(res):
    return res.province, res.zones


def test_land_balances_in_every_zone_and_year(baseline_small):
    z = baseline_small.zones
    total = z["land_built_mu"] + z["land_stock_mu"] + z["land_ready_mu"] + z["land_undeveloped_mu"]
    assert np.allclose(total, z["boundary_mu"], rtol=1e-9, atol=1e-6)
    assert (z["land_undeveloped_mu"] >= -1e-6).all()
    assert (z["land_stock_mu"] >= -1e-9).all() and (z["land_ready_mu"] >= -1e-9).all()


def test_province_land_changes_only_by_new_quota(baseline_small):
    p = baseline_small.province.set_index("year")
    used = p["land_built_mu"] + p["land_stock_mu"] + p["land_ready_mu"]
    assert np.allclose(used.diff().iloc[1:], p["land_new_mu"].iloc[1:], rtol=1e-9, atol=1e-6)
    assert np.allclose(p["boundary_mu"], p["boundary_mu"].iloc[0])


def test_firms_balance(baseline_small):
    p = baseline_small.province.set_index("year")
    prev = p["firms_active"].shift(1)
    assert (
        prev.iloc[1:] + p["firms_entered"].iloc[1:] - p["firms_exited"].iloc[1:]
        == p["firms_active"].iloc[1:]
    ).all()
    f = baseline_small.firms_final
    assert (f["status"] != "exited").sum() == p["firms_active"].iloc[-1]
    assert (f["status"] == "exited").sum() == p["firms_exited"].sum()


def test_emissions_and_money_sum_from_firms_to_zones_to_province(baseline_small):
    m = baseline_small.model
    z, p = baseline_small.zones, baseline_small.province
    for col in ("co2_t", "value_added_yi", "energy_tce", "tax_yi"):
        by_year = z.groupby("year")[col].sum()
        assert np.allclose(by_year.to_numpy(), p.set_index("year")[col].to_numpy(), rtol=1e-12)
    # last year: the firms themselves
    live = m.firms.alive()
    assert m.firms.co2_t[live].sum() == pytest.approx(p["co2_t"].iloc[-1], rel=1e-12)
    assert m.firms.va_wan[live].sum() / 1e4 == pytest.approx(
        p["value_added_yi"].iloc[-1], rel=1e-12
    )
    s = baseline_small.sectors.groupby("year")["co2_t"].sum()
    assert np.allclose(s.to_numpy(), p["co2_t"].to_numpy(), rtol=1e-12)


def test_allocation_matches_land_supplied(baseline_small):
    a = baseline_small.allocations.groupby("year")["land_mu"].sum()
    p = baseline_small.province.set_index("year")
    supplied = p["land_new_mu"] + p["land_ready_used_mu"]
    assert np.allclose(a.to_numpy(), supplied.loc[a.index].to_numpy(), rtol=1e-9, atol=1e-6)


# ---------------------------------------------------------------- lever directions


_run = small_run


def test_tighter_carbon_cap_never_raises_co2(baseline_small):
    """Emissions to date never rise when the cap tightens, and in every year the zones
    emit at most the cap plus the gap the run reports. (A single later year can emit a
    little more under a tighter cap: less land given early leaves more space and
    demand for later years.)"""
    free_p = baseline_small.province.set_index("year")
    free = free_p["co2_t"]
    cap = float(free.iloc[0]) / 1e6  # hold the zones at their 2020 emissions
    loose_p = _run(**{"carbon.total_cap_mt": cap}).province.set_index("year")
    tight_p = _run(**{"carbon.total_cap_mt": cap * 0.9}).province.set_index("year")
    loose, tight = loose_p["co2_t"], tight_p["co2_t"]
    assert (loose.cumsum() <= free.cumsum() + 1e-6).all()
    assert (tight.cumsum() <= loose.cumsum() + 1e-6).all()
    assert tight.iloc[-1] < free.iloc[-1]
    for p, c in ((loose_p, cap), (tight_p, cap * 0.9)):
        sim = p.iloc[1:]
        assert (sim["co2_t"] - sim["carbon_gap_t"] <= c * 1e6 * (1 + 1e-9)).all()


def test_entrants_are_scaled_like_incumbents(base_state):
    """With data.firm_scale f each synthetic firm stands for 1/f real ones, entrants
    too: a cell's land becomes round(land · f / project size) firms (at least one), with
    all the land and output between them."""
    from models.entry import new_firms

    sectors = base_state[0].sectors
    s = sectors.index("integrated_circuits")
    land = np.zeros((2, len(sectors.names)))
    land[0, s] = 3000.0  # mu: 10 projects of 300 mu at full scale
    land[1, s] = 100.0  # less than one project at every scale
    opm = np.full(land.shape, 2000.0)
    ei = np.full(len(sectors.names), 0.1)
    for f, want in ((1.0, 11), (0.2, 3), (0.05, 2)):  # 10 + 1, 2 + 1, max(1, round(0.5)) + 1
        cols = new_firms(land, np.arange(2), opm, sectors, ei, 0.08, 2021, 1, f)
        assert len(cols["land_mu"]) == want, f
        assert cols["land_mu"].sum() == pytest.approx(3100.0)
        assert cols["output_wan"].sum() == pytest.approx(3100.0 * 2000.0)


def test_exit_off_gives_no_forced_exits():
    p = _run(**{"exit.mode": "off"}).province
    assert p["firms_exited_low_efficiency"].sum() == 0


def test_higher_link_ratio_never_lowers_new_land():
    """New land supplied up to each year never falls when the link ratio rises. (A single
    later year can: land supplied early fills the zone's boundary, so less is left.)"""
    lo = _run(**{"land.link_ratio": 0.5}).province.set_index("year")["land_new_mu"]
    hi = _run(**{"land.link_ratio": 2.0}).province.set_index("year")["land_new_mu"]
    assert (hi.cumsum() >= lo.cumsum() - 1e-6).all()
    assert hi.sum() > lo.sum()


# ---------------------------------------------------------------- determinism and Mesa


def test_same_seed_gives_identical_frames(baseline_small):
    again = _run()
    for name in ("province", "zones", "sectors", "allocations", "firms_final"):
        a = getattr(baseline_small, name).drop(
            columns=["optimizer_build_s", "optimizer_solve_s"], errors="ignore"
        )
        b = getattr(again, name).drop(
            columns=["optimizer_build_s", "optimizer_solve_s"], errors="ignore"
        )
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_another_seed_changes_the_firms():
    a = _run(**{"years.end": 2021}).firms_final
    b = _run(**{"years.end": 2021, "seed": 7}).firms_final
    assert not np.array_equal(a["output_wan"].to_numpy(), b["output_wan"].to_numpy()[: len(a)])


def test_runs_under_mesa_batch_run():
    import models
    import sim

    ProvinceModel, prepare_inputs = models.ProvinceModel, sim.prepare_inputs
    sc = small_scenario(**{"years.end": 2022})
    out = mesa.batch_run(
        ProvinceModel,
        parameters={"scenario": [sc], "inputs": [prepare_inputs(sc)]},
        iterations=1,
        max_steps=10,
        data_collection_period=1,
        display_progress=False,
    )
    # one datacollector row per step (the base year is in the tidy tables only), so
    # batch_run's rows are the simulated years
    got = {row["year"]: row["co2_t"] for row in out}
    assert sorted(got) == [2021, 2022]
    direct = _run(**{"years.end": 2022}).province.set_index("year")["co2_t"]
    for year, co2 in got.items():
        assert co2 == pytest.approx(direct[year], rel=1e-12)


def test_firm_view_is_readable(baseline_small):
    m = baseline_small.model
    f = m.firm(0)
    assert f.zone == m.firms.zone[0] and f.land_mu == m.firms.land_mu[0]


def test_zone_agents_view_the_zone_table():
    """A Zone agent reads and writes its row of the model's ZoneTable (one state, two
    ways to reach it), and is registered with the model like any Mesa agent."""
    from models.province import ProvinceModel
    from sim import prepare_inputs

    sc = small_scenario(**{"years.end": 2021})
    m = ProvinceModel(sc, prepare_inputs(sc))
    z = m.zones[3]
    assert z in m.agents and len(m.agents) == len(m.zones)
    assert z.zone_id == m.zones.zone_id[3] and z.belts == m.zones.belts[3]
    z.ready_mu = 7.5
    assert m.zones.ready_mu[3] == 7.5
    m.zones.boundary_mu[3] = 100.0
    assert z.boundary_mu == 100.0
    assert z.stock_mu == pytest.approx(m.zones.stock_mu()[3])
    assert not z.merged and z.host_zone_id is None
