"""sim/outputs/summary.py: the generated paragraph per scenario, in Chinese and English."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from test_compare import runs  # noqa: F401 (the module's run folders)

from sim.scenario.library import LIBRARY_DIR


@pytest.fixture(scope="module")
def cmp(runs):  # noqa: F811
    from sim.experiments.compare import compare

    return compare([runs["base"], runs["strict"], runs["off"]])


def test_chinese_summary_rounds_and_names_as_a_briefing(cmp):
    from sim.outputs.summary import summarize

    # the exit.mode=off run: it differs from the baseline from 2021 (strict_carbon's
    # 2023 cap need not bind at this scale, and then there is no driver to name)
    base, other = cmp.runs[0], cmp.runs[2]
    text = summarize(other, base, cmp, "zh")
    k = cmp.kpis[(cmp.kpis["run"] == other.name) & (cmp.kpis["year"] == 2023)].set_index("kpi")
    assert f"{k.loc['value_added', 'value']:,.0f}亿元" in text  # 亿元 to the unit
    assert f"{k.loc['co2', 'value'] * 100:,.0f}万吨" in text  # Mt as 万吨
    assert "2020年不变价" in text and "与baseline相比" in text
    assert "元/吨" in text or "不产生成本" in text
    sectors = pd.read_csv(LIBRARY_DIR / "data" / "sectors.csv")
    assert any(n in text for n in sectors["name_zh"])  # the leading sector, in Chinese
    zones = pd.read_csv(LIBRARY_DIR / "data" / "zones.csv")
    named = [z for z in zones.itertuples() if f"{z.name_zh}（{z.city_zh}，" in text]
    assert len(named) == 1  # the zone that moved most, with its city, in Chinese
    assert not re.search(r"[A-Za-z]{4,}", text.replace(other.name, "").replace("baseline", ""))


def test_english_summary(cmp):
    from sim.outputs.summary import summarize

    base, off = cmp.runs[0], cmp.runs[2]
    text = summarize(off, base, cmp, "en")
    k = cmp.kpis[(cmp.kpis["run"] == off.name) & (cmp.kpis["year"] == 2023)].set_index("kpi")
    assert f"{k.loc['co2', 'value']:,.1f} Mt" in text
    assert "constant 2020 prices" in text and "three largest drivers" in text
    mine = summarize(base, base, cmp, "en")
    assert "against 2020" in mine and "CO2 change 2020-2023" in mine
    with pytest.raises(ValueError, match="lang"):
        summarize(base, base, cmp, "fr")


def test_the_drivers_are_the_largest_lmdi_parts(cmp):
    from sim.outputs.summary import FACTOR_LABELS, summarize

    off = cmp.runs[2]
    dec = cmp.decomposition
    mine = dec[
        (dec["run_to"] == off.name)
        & (dec["run_from"] != dec["run_to"])
        & (dec["year_to"] == 2023)
        & (dec["target"] == "co2")
        & (dec["level"] == "factor")
    ]
    top = mine.reindex(mine["value"].abs().sort_values(ascending=False).index)["factor"].iloc[0]
    text = summarize(off, cmp.runs[0], cmp, "en")
    assert FACTOR_LABELS[top][0] in text.split("three largest drivers")[1].split(";")[0]


def test_summary_csv_is_rounded_with_units_in_its_column_names(runs):  # noqa: F811
    """summary.csv: no float noise (40000.00000000001), one unit per quantity (Mt, not t),
    each column's unit in its name, the values those of province.parquet."""
    from sim.runs.results import SUMMARY_COLUMNS

    text = (runs["strict"] / "summary.csv").read_text(encoding="utf-8")
    table = pd.read_csv(runs["strict"] / "summary.csv")
    prov = pd.read_parquet(runs["strict"] / "province.parquet")
    assert list(table.columns) == [name for _, name, _, _ in SUMMARY_COLUMNS]
    for col, name, scale, decimals in SUMMARY_COLUMNS:
        assert name == "year" or name.startswith("firms") or "(" in name  # a unit
        if decimals:
            for cell in text.splitlines()[1:]:
                value = cell.split(",")[list(table.columns).index(name)]
                assert len(value.partition(".")[2]) <= decimals, (name, value)
            want = prov[col].to_numpy(float) * scale
            np.testing.assert_allclose(table[name], want, atol=0.51 * 10**-decimals)
    assert not any("(t)" in n for n in table.columns)
