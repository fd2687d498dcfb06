"""The policy processes as pure functions of arrays, on cases checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from models import carbon, evaluation, exit, integration, pricing, quota, reclamation
from models.firms import CLASS_C, CLASS_D, EXITED, FirmTable
from sim.scenario.paths import path_value


def test_path_value_interpolates_and_holds_flat():
    p = {2020: 0.0, 2025: 0.18}
    assert path_value(p, 2019) == 0.0
    assert path_value(p, 2022) == pytest.approx(0.18 * 2 / 5)
    assert path_value(p, 2030) == pytest.approx(0.18)
    assert path_value(3.5, 2040) == 3.5
    assert path_value(None, 2021) is None


def test_evaluation_scores_against_group_benchmarks_and_ranks_by_shares():
    # One indicator (tax per mu); two groups. Group 0 benchmark = 60/6 = 10 per mu.
    num = np.array([[10.0], [20.0], [30.0], [5.0], [5.0]])
    den = np.array([[1.0], [2.0], [3.0], [1.0], [1.0]])
    group = np.array([0, 0, 0, 1, 1])
    score, cls = evaluation.evaluate_per_mu(
        num, den, np.array([1.0]), group, 2, np.array([0.2, 0.4, 0.35, 0.05]), score_cap=3.0
    )
    # every firm in group 0 sits exactly at its benchmark (10/mu): score 100
    assert score[:3] == pytest.approx([100.0, 100.0, 100.0])
    # group 1: benchmark 5/mu, both at 100
    assert score[3:] == pytest.approx([100.0, 100.0])
    # ties keep row order; quotas 0.6 A, 1.8 A-B, 2.85 A-C firms round by largest remainder
    assert list(cls[:3]) == [0, 1, 2]


def test_evaluation_caps_each_indicator():
    num = np.array([[1000.0], [1.0], [1.0], [1.0]])
    den = np.ones((4, 1))
    score, _ = evaluation.evaluate_per_mu(
        num,
        den,
        np.array([1.0]),
        np.zeros(4, dtype=int),
        1,
        np.array([0.25, 0.25, 0.25, 0.25]),
        2.0,
    )
    assert score[0] == pytest.approx(200.0)  # capped at 2 × benchmark
    assert score.max() <= 200.0 + 1e-9


def test_class_shares_are_respected_in_a_large_group():
    rng = np.random.default_rng(1)
    n = 10_000
    num = rng.lognormal(size=(n, 2))
    score, cls = evaluation.evaluate_per_mu(
        num,
        np.ones((n, 2)),
        np.array([30.0, 20.0]),
        np.zeros(n, dtype=int),
        1,
        np.array([0.2, 0.4, 0.35, 0.05]),
        3.0,
    )
    counts = np.bincount(cls, minlength=4) / n
    assert counts == pytest.approx([0.2, 0.4, 0.35, 0.05], abs=1e-3)
    # classes are ordered by score: every A scores at least every B, and so on
    for a, b in [(0, 1), (1, 2), (2, 3)]:
        assert score[cls == a].min() >= score[cls == b].max()


def test_surcharges_and_margins():
    elec = np.array([1000.0, 1000.0, 1000.0])  # MWh
    cls = np.array([0, CLASS_D, 4])  # A, D, T
    s = pricing.surcharges_wan(elec, cls, np.array([0.0, 0.0, 0.05, 0.3]))
    # D: 1000 MWh × 1000 kWh × 0.3 yuan = 300,000 yuan = 30 万元; T pays nothing
    assert s == pytest.approx([0.0, 30.0, 0.0])
    m = pricing.margins(np.array([0.1, 0.1, 0.1]), s, np.array([100.0, 100.0, 100.0]))
    assert m == pytest.approx([0.1, -0.2, 0.1])


def test_mandatory_exit_after_rectification_window():
    y = np.zeros(3, dtype=np.int16)
    cls_seq = [CLASS_D, CLASS_D, CLASS_D, CLASS_D]
    for c in cls_seq:
        y = exit.years_in_d(y, np.array([c, CLASS_C, c]))
    assert list(y) == [4, 0, 4]
    assert list(exit.mandatory_exits(y, 3)) == [True, False, True]
    # Changed with issue 12 item 4: the window counts consecutive D ratings exactly
    # (4 D ratings meet a 4-rating window; the old rule waited for a fifth).
    assert list(exit.mandatory_exits(y, 4)) == [True, False, True]
    assert not exit.mandatory_exits(y, 5).any()


def test_market_hazard_rises_with_margin_loss():
    draws = np.linspace(0, 0.999, 1000)
    cls = np.full(1000, CLASS_D)
    out = np.full(1000, 100.0)
    low = exit.market_exits(cls, np.full(1000, 0.05), np.full(1000, 1.0), out, 0.01, 2.0, draws)
    high = exit.market_exits(cls, np.full(1000, -0.05), np.full(1000, 5.0), out, 0.01, 2.0, draws)
    assert high.sum() > low.sum()
    assert low.sum() == pytest.approx(1000 * (0.01 + 2.0 * 0.01), abs=2)


def test_reclamation_rate_and_budget():
    stock = np.array([100.0, 300.0])
    assert reclamation.revitalise(stock, 0.5, None, 10.0) == pytest.approx([50.0, 150.0])
    # budget 1000 万元 at 10 万元/mu = 100 mu, shared pro rata to stock: 25 and 75
    assert reclamation.revitalise(stock, 0.5, 1000.0, 10.0) == pytest.approx([25.0, 75.0])


def test_link_caps():
    caps = quota.link_caps(np.array([100.0, 300.0]), np.array([10.0, 0.0]), 1000.0, 0.5, 2.0)
    assert caps == pytest.approx([0.5 * 1000 * 0.25 + 20.0, 0.5 * 1000 * 0.75])
    assert np.isinf(quota.link_caps(np.ones(2), np.zeros(2), None, 0.5, 1.0)).all()


def test_take_prefix_reaches_both_needs_with_shortest_prefix():
    gain_t = np.array([10.0, 10.0, 10.0])
    gain_i = np.array([5.0, 5.0, 5.0])
    take = carbon.take_prefix(gain_t, gain_i, need_total=12.0, need_int=4.0, whole=False)
    assert take == pytest.approx([1.0, 0.2, 0.0])
    take = carbon.take_prefix(gain_t, gain_i, need_total=0.0, need_int=12.0, whole=True)
    assert take == pytest.approx([1.0, 1.0, 1.0])
    assert carbon.take_prefix(gain_t, gain_i, 100.0, 0.0, whole=False) == pytest.approx([1, 1, 1])


def test_enforcement_closes_a_total_cap_gap_in_order():
    co2 = np.array([100.0, 50.0, 10.0])
    va = np.array([10.0, 10.0, 10.0])
    cls = np.array([CLASS_D, CLASS_C, 0])
    # gap 20 t: retrofit (5 % of each) gives 8 t, curtailment (10 % of C/D) 15 t more
    acts = carbon.enforce(
        np.arange(3),
        co2,
        va,
        cls,
        140.0,
        None,
        ("retrofit", "curtailment", "forced_exit"),
        0.05,
        0.03,
        0.10,
    )
    assert acts.gap_before_t == pytest.approx(20.0)
    assert acts.removed_t["retrofit"] == pytest.approx(8.0)
    assert acts.removed_t["retrofit"] + acts.removed_t["curtailment"] == pytest.approx(20.0)
    assert acts.gap_after_t == pytest.approx(0.0, abs=1e-9)
    assert len(acts.exit_rows) == 0
    assert acts.cost_wan["retrofit"] == pytest.approx(8.0 * 0.03)


def test_enforcement_reports_the_gap_it_cannot_close():
    co2 = np.array([100.0])
    acts = carbon.enforce(
        np.arange(1),
        co2,
        np.array([10.0]),
        np.array([0]),
        10.0,
        None,
        ("retrofit",),
        0.05,
        0.03,
        0.1,
    )
    assert acts.gap_after_t == pytest.approx(90.0 - 5.0)


def test_integration_picks_weak_small_provincial_zones_and_a_national_host():
    city = np.array(["A", "A", "A", "B"])
    national = np.array([True, False, False, False])
    area = np.array([50000.0, 5000.0, 5000.0, 5000.0])
    per_mu = np.array([500.0, 100.0, 400.0, 90.0])
    va = np.array([10.0, 1.0, 3.0, 1.0])
    merges = integration.select_merges(
        city, national, area, per_mu, va, np.ones(4, bool), 15000.0, 0.5
    )
    # zone 1 is weak and small with a national host in its city; zone 3 is weak but alone in B
    assert merges == {1: 0}


def test_firm_table_grows_and_views():
    t = FirmTable()
    t.append(zone=np.zeros(20, int), land_mu=np.arange(20.0))
    t.append(zone=np.ones(5, int), land_mu=np.ones(5))
    assert len(t) == 25 and t.capacity >= 25
    assert t.land_mu[:3].tolist() == [0.0, 1.0, 2.0]
    assert (t.exit_year == -1).all()
    t.status[0] = EXITED
    assert t.view(0).status == EXITED and t.alive().sum() == 24


def test_limit_path_with_null_years():
    p = {2021: None, 2023: 368.0, 2025: 320.0}
    assert path_value(p, 2020) is None  # before the first year: its value (no limit)
    assert path_value(p, 2022) is None
    assert path_value(p, 2023) == 368.0
    assert path_value(p, 2024) == pytest.approx(344.0)
    assert path_value(p, 2030) == 320.0
    # a limit that is lifted again
    assert path_value({2021: 100.0, 2024: None}, 2023) == 100.0
    assert path_value({2021: 100.0, 2024: None}, 2024) is None


def test_integration_class_mix_condition():
    city = np.array(["A", "A", "A"])
    national = np.array([True, False, False])
    area = np.array([50000.0, 5000.0, 5000.0])
    per_mu = np.array([500.0, 100.0, 90.0])
    va = np.array([10.0, 1.0, 1.0])
    a_share = np.array([0.3, 0.05, 0.4])
    args = (city, national, area, per_mu, va, np.ones(3, bool), 15000.0, 1.0)
    assert integration.select_merges(*args) == {1: 0, 2: 0}
    # zone 2 has a strong class mix (40 % A): it stays on its own
    assert integration.select_merges(*args, a_share, 0.2) == {1: 0}


def _firm_csv(path, utility):
    """A hand-made firm file: 40 firms in two zones, two sectors."""
    import pandas as pd

    n = len(utility)
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "zone_id": ["G321014", "G321016"] * (n // 2),
            "sector": ["chemicals", "services"] * (n // 2),
            "land_mu": rng.uniform(50, 150, n),
            "output_wan": rng.uniform(5e3, 5e4, n),
            "va_wan": rng.uniform(1e3, 1e4, n),
            "tax_wan": rng.uniform(100, 1000, n),
            "rd_wan": rng.uniform(10, 100, n),
            "employees": rng.uniform(50, 500, n),
            "energy_tce": rng.uniform(500, 5000, n),
            "elec_share": 0.4,
            "birth_year": 2010,
            "utility": utility,
        }
    )
    df.to_csv(path, index=False)


@pytest.mark.parametrize("mode", ["mandatory", "market"])
def test_utilities_in_a_firm_file_are_class_t_and_never_exit(tmp_path, mode):
    """Firms flagged utility=1 (water, power, gas) are class T (不适合评价): never scored,
    never surcharged, never a low-efficiency exit (mandatory, nor market even with a
    negative margin); the others are rated."""
    from models.firms import CLASS_T
    from models.province import ProvinceModel
    from sim.runs.data import prepare_inputs
    from tests.conftest import small_scenario

    utility = [1, 0] * 5 + [0] * 30
    _firm_csv(tmp_path / "firms.csv", utility)
    sc = small_scenario(
        **{
            "data.firms": str(tmp_path / "firms.csv"),
            "years.end": 2023,
            "exit.rectification_years": 1,
            "exit.mode": mode,
            "exit.market_hazard_base": 0.9,
            "exit.market_hazard_per_margin_loss": 20.0,
            "evaluation.class_shares": {"A": 0.1, "B": 0.2, "C": 0.2, "D": 0.5},
            "evaluation.exempt_sectors": [],  # the file's services firms rated too
        }
    )
    m = ProvinceModel(sc, prepare_inputs(sc))
    flagged = np.array(utility, bool)
    m.firms.base_margin[:40] = -0.05  # loss-making: the market hazard is high for all
    assert (m.firms.cls[:40][flagged] == CLASS_T).all()
    assert (m.firms.cls[:40][~flagged] != CLASS_T).all()
    while m.running:
        m.step()
    assert (m.firms.status[:40][flagged] != 2).all()  # none exited
    assert (m.firms.surcharge_wan[:40][flagged] == 0).all()
    assert (m.firms.status[:40][~flagged] == 2).any()  # half the rated were D: some left


def test_a_bad_utility_flag_names_the_line(tmp_path):
    from sim.runs.data import DataError, prepare_inputs
    from tests.conftest import small_scenario

    _firm_csv(tmp_path / "firms.csv", [0, 2] + [0] * 38)
    sc = small_scenario(**{"data.firms": str(tmp_path / "firms.csv")})
    with pytest.raises(DataError) as err:
        prepare_inputs(sc)
    assert "line 3, column utility: '2' is not 0 or 1" in str(err.value)


def test_exempt_sector_firms_are_class_t():
    from models.firms import CLASS_T
    from models.province import ProvinceModel
    from sim.runs.data import prepare_inputs
    from tests.conftest import small_scenario

    sc = small_scenario(**{"data.firm_scale": 0.05, "evaluation.exempt_sectors": ["steel"]})
    m = ProvinceModel(sc, prepare_inputs(sc))
    steel = m.firms.sector == m.sectors.index("steel")
    assert steel.any() and (m.firms.cls[steel] == CLASS_T).all()


def test_curtailment_skips_firms_a_retrofit_already_brought_below_the_target():
    """Two D firms, intensity target 1.0: firm 1 (1.03 t/万元) falls below the target with
    its retrofit (5 %), so curtailment takes only firm 0."""
    acts = carbon.enforce(
        np.arange(2),
        np.array([200.0, 103.0]),
        np.array([100.0, 100.0]),
        np.array([CLASS_D, CLASS_D]),
        None,
        1.0,
        ("retrofit", "curtailment"),
        0.05,
        0.03,
        0.10,
    )
    assert list(acts.curtail_rows) == [0]


def test_per_firm_limits_left_over_from_earlier_passes():
    """A firm with no allowance left (0) is not cut again; the others are cut up to
    theirs."""
    acts = carbon.enforce(
        np.arange(3),
        np.array([100.0, 100.0, 100.0]),
        np.array([10.0, 10.0, 10.0]),
        np.array([CLASS_D, CLASS_D, CLASS_D]),
        0.0,
        None,
        ("retrofit", "curtailment"),
        np.array([0.0, 0.05, 0.02]),
        0.03,
        np.array([0.1, 0.0, 0.1]),
    )
    r = dict(zip(acts.retrofit_rows.tolist(), acts.retrofit_share.tolist(), strict=True))
    c = dict(zip(acts.curtail_rows.tolist(), acts.curtail_share.tolist(), strict=True))
    assert r == {1: pytest.approx(0.05), 2: pytest.approx(0.02)}
    assert c == {0: pytest.approx(0.1), 2: pytest.approx(0.1)}


def test_relocated_capacity_fills_zones_with_room_before_any_is_lost():
    """Two destination zones with 10 mu each: the first (20 万元/mu) fills with 200 of
    1,000 万元; the rest goes to the second (200 万元/mu), which has room for it all."""
    from models.relocation import destination_land

    land = destination_land(1000.0, np.array([10.0, 10.0, 0.0]), np.array([20.0, 200.0, 50.0]))
    assert land[0] == pytest.approx(10.0)
    assert (land * [20.0, 200.0, 50.0]).sum() == pytest.approx(1000.0)
    assert land[2] == 0.0 and (land <= [10.0, 10.0, 0.0]).all()
    # no room anywhere for all of it: every zone full, the rest is what is lost
    land = destination_land(1e5, np.array([10.0, 10.0]), np.array([20.0, 200.0]))
    assert land == pytest.approx([10.0, 10.0])


def test_limits_left_are_zero_once_used_up_even_at_a_limit_of_one():
    from models.carbon import left_of as _left_of

    left = _left_of(1.0, np.array([0.0, 0.5, 1.0]))
    assert left == pytest.approx([1.0, 1.0, 0.0])
    assert _left_of(0.1, np.array([0.0, 0.1, 0.05])) == pytest.approx([0.1, 0.0, 0.05 / 0.95])


def test_no_firm_is_closed_for_a_rounding_leftover():
    """An intensity target that curtailment meets exactly: the measures' sums leave
    ~6e-8 t of gap, which must not send forced exit after a whole firm (it did: one
    firm of 114,249 t closed in 2021 for 0.00000006 t). The targets are ones curtailment
    meets (issue 12 moved them from 0.12-0.15 down: with growth tied to GDP the
    baseline's own 2021 intensity falls 3.6 %, not ~6 %, so 13 % needs forced exit)."""
    from sim.runs.runner import run
    from tests.conftest import small_scenario

    for red in (0.10, 0.11, 0.12):
        p = run(
            small_scenario(
                **{
                    "data.firm_scale": 0.05,
                    "years.end": 2021,
                    "carbon.intensity_reduction_vs_base": {2020: 0.0, 2021: red},
                }
            )
        ).province.set_index("year")
        assert p.loc[2021, "carbon_gap_t"] == 0.0
        # Since issue 13 the allocation may choose to close D firms where that costs
        # least (whole firms, planned); enforcement must still close none for a leftover.
        assert p.loc[2021, "carbon_cut_forced_exit_t"] == 0.0
        if p.loc[2021, "firms_exited_carbon"] > 0:
            assert p.loc[2021, "abatement_planned_forced_exit_t"] > 0
    assert carbon.gaps(1e8, 1.0, 1e8 - 1e-3, None) == (0.0, 0.0)  # 1e-11 of E: rounding
    assert carbon.gaps(1e8, 1.0, 1e8 - 1.0, None) == (1.0, 0.0)
