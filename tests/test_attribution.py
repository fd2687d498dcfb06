"""Shapley attribution of the gap between two scenarios to their differing levers.

The core (`shapley_values`) is a pure function of an evaluator: on constructed models
with known effects it returns them; on any model the values sum to the total. One real
case: two levers at firm_scale 0.05 over 2021-2022, with the runs cached and reused.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from sim.experiments.attribution import shapley_values

IDX = pd.Index(["va", "co2"])


def _additive(effects: dict[str, np.ndarray]):
    calls = []

    def evaluate(subset):
        calls.append(subset)
        return pd.Series(10.0 + sum((effects[k] for k in subset), np.zeros(2)), index=IDX)

    return evaluate, calls


@pytest.mark.parametrize("n", [1, 3, 6, 9])
def test_additive_model_gives_the_true_effects(n):
    """v(S) = c + Σ_{i∈S} e_i: every lever's Shapley value is e_i, exactly (n ≤ 6) and
    by sampled orders (n = 9: every order gives e_i on an additive model); interaction 0."""
    rng = np.random.default_rng(n)
    effects = {f"lever{i}": rng.normal(size=2) for i in range(n)}
    evaluate, calls = _additive(effects)
    out = shapley_values(list(effects), evaluate, permutations=10, seed=3)
    for k, e in effects.items():
        np.testing.assert_allclose(out[k].to_numpy(), e, rtol=0, atol=1e-12)
        np.testing.assert_allclose(out[f"oat:{k}"].to_numpy(), e, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["interaction"].to_numpy(), 0.0, atol=1e-12)
    assert out.attrs["exact"] == (n <= 6)
    assert len(calls) == len(set(calls))  # each subset evaluated once
    if n <= 6:
        assert len(calls) == 2**n


def _interacting(subset):
    """v = 2a + 3b + 5ab − 4bc + c (levers a, b, c as 0/1): Shapley splits each
    product equally among its levers."""
    a, b, c = ("a" in subset), ("b" in subset), ("c" in subset)
    return pd.Series([2 * a + 3 * b + 5 * a * b - 4 * b * c + c], index=["k"], dtype=float)


def test_interactions_are_shared_equally_and_sum_to_the_total():
    out = shapley_values(["a", "b", "c"], _interacting).iloc[0]
    assert out["a"] == pytest.approx(2 + 2.5)
    assert out["b"] == pytest.approx(3 + 2.5 - 2)
    assert out["c"] == pytest.approx(1 - 2)
    assert out[["a", "b", "c"]].sum() == pytest.approx(out["total"]) and out["total"] == 7
    # one at a time: 2, 3, 1; the rest (5 − 4) is the interaction
    assert out["interaction"] == pytest.approx(7 - (2 + 3 + 1))


def test_sampled_orders_sum_exactly_and_are_seeded():
    levers = [f"x{i}" for i in range(8)]

    def evaluate(subset):
        s = sorted(subset)
        value = sum(len(x) for x in s) + sum(
            1.5 for p, q in itertools.combinations(s, 2) if (int(p[1]) + int(q[1])) % 3 == 0
        )
        return pd.Series([float(value)], index=["k"])

    one = shapley_values(levers, evaluate, permutations=20, seed=5)
    two = shapley_values(levers, evaluate, permutations=20, seed=5)
    assert not one.attrs["exact"]
    pd.testing.assert_frame_equal(one, two)
    assert one[levers].iloc[0].sum() == pytest.approx(one["total"].iloc[0], abs=1e-12)


def test_no_lever_differs():
    out = shapley_values([], lambda s: pd.Series([4.0], index=["k"]))
    assert out["total"].iloc[0] == 0 and out["interaction"].iloc[0] == 0


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    from sim.commands.cli import main

    root = tmp_path_factory.mktemp("attr")
    quick = ["--set", "data.firm_scale=0.05", "--set", "years.end=2022", "--no-charts"]
    base = str(REPO / "scenarios" / "baseline.yaml")
    assert main(["run", base, *quick, "--out", str(root / "a")]) == 0
    more = ["--set", "exit.mode=off", "--set", "land.new_quota_mu=30000"]
    assert main(["run", base, *quick, *more, "--out", str(root / "b")]) == 0
    return root / "a", root / "b"


def test_real_two_lever_attribution_sums_to_the_run_difference(two_runs, tmp_path, capsys):
    from sim.experiments.attribution import shapley
    from sim.experiments.compare import kpi_values

    a, b = two_runs
    cache = tmp_path / "cache"
    table = shapley(a, b, ["value_added", "co2"], [2022], cache)
    assert table.attrs["levers"] == ["exit.mode", "land.new_quota_mu"]
    assert table.attrs["runs_made"] == 4 and not table.attrs["mismatch"]
    assert table["exact"].all()
    ka = kpi_values(pd.read_parquet(a / "province.parquet")).set_index(["kpi", "year"])["value"]
    kb = kpi_values(pd.read_parquet(b / "province.parquet")).set_index(["kpi", "year"])["value"]
    for kpi in ("value_added", "co2"):
        rows = table[(table["kpi"] == kpi)].set_index("lever")
        want = kb[(kpi, 2022)] - ka[(kpi, 2022)]
        assert rows.loc["total", "value"] == pytest.approx(want, rel=1e-12)
        levers = rows.loc[["exit.mode", "land.new_quota_mu"], "value"].sum()
        assert levers == pytest.approx(want, rel=1e-9, abs=1e-9)
        oat = rows.loc[["exit.mode", "land.new_quota_mu"], "one_at_a_time"].sum()
        assert rows.loc["interaction", "value"] == pytest.approx(want - oat, abs=1e-9)
    # the cached runs are reused: no run the second time, the same numbers
    again = shapley(a, b, ["value_added", "co2"], [2022], cache)
    assert again.attrs["runs_made"] == 0 and again.attrs["reused"] == 4
    pd.testing.assert_frame_equal(again, table)
    # the command line: the same table, from the cache
    from sim.commands.cli import main

    out = tmp_path / "attr.csv"
    code = main(
        ["attribute", str(a), str(b), "--years", "2022", "--cache", str(cache), "--out", str(out)]
    )
    text = capsys.readouterr()
    assert code == 0 and "reused from" in text.err and "interaction" in text.out
    pd.testing.assert_frame_equal(
        pd.read_csv(out), table.drop(columns=[]).reset_index(drop=True), check_dtype=False
    )
    code = main(["attribute", str(a), str(b), "--kpi", "gdp"])
    assert code == 2 and "not a KPI" in capsys.readouterr().err
