"""The LMDI decomposition (models/decompose.py): exact sums, known parts, zeros.

The parts of every change sum to the total to 1e-9 (values in Mt and Mtce, so 1e-9 is
about a kilogram), on the small baseline and on constructed cases whose parts are known
in closed form, including a sector that appears and one that disappears.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_run

from models import decompose

TOL = 1e-9


def _frame(rows: dict[str, tuple[float, float, float, float, float]]) -> pd.DataFrame:
    """{sector: (VA, energy, energy of electricity, CO2, CO2 of electricity)} as a frame."""
    return pd.DataFrame(
        [
            {
                "sector": s,
                "value_added": v,
                "energy": e,
                "energy_elec": ee,
                "co2": c,
                "co2_elec": ce,
            }
            for s, (v, e, ee, c, ce) in rows.items()
        ]
    )


A = (10.0, 4.0, 1.0, 9.0, 0.8)
B = (30.0, 2.0, 1.5, 2.1, 1.2)
C = (5.0, 6.0, 0.5, 15.0, 0.4)


def _total(start: pd.DataFrame, end: pd.DataFrame, target: str) -> float:
    return decompose.totals(start, end, target)


@pytest.mark.parametrize("target", ["co2", "energy", "ci"])
def test_a_sector_that_appears_goes_to_structure(target):
    """Sectors a and b unchanged, c new: the unchanged cells split activity against
    structure (V · ln(VA1/VA0) each way) and c's whole value is structure."""
    start, end = _frame({"a": A, "b": B}), _frame({"a": A, "b": B, "c": C})
    parts = decompose.change(start, end, target).sum()
    assert parts.sum() == pytest.approx(_total(start, end, target), abs=TOL)
    ln = math.log((A[0] + B[0] + C[0]) / (A[0] + B[0]))
    if target == "co2":
        old, new = A[3] + B[3], C[3]
    elif target == "energy":
        old, new = A[1] + B[1], C[1]
    else:  # intensity: no activity factor; the old cells' intensity falls with VA's rise
        va0, va1 = A[0] + B[0], A[0] + B[0] + C[0]
        assert parts["structure"] == pytest.approx(
            (A[3] + B[3] + C[3]) / va1 - (A[3] + B[3]) / va0, abs=TOL
        )
        assert parts.drop("structure").abs().max() < TOL
        return
    assert parts["activity"] == pytest.approx(old * ln, abs=TOL)
    assert parts["structure"] == pytest.approx(new - old * ln, abs=TOL)
    assert parts.drop(["activity", "structure"]).abs().max() < TOL


def test_a_sector_that_disappears_goes_to_structure():
    """The reverse: c leaves, a and b unchanged."""
    start, end = _frame({"a": A, "b": B, "c": C}), _frame({"a": A, "b": B})
    parts = decompose.change(start, end, "co2").sum()
    ln = math.log((A[0] + B[0]) / (A[0] + B[0] + C[0]))
    assert parts["activity"] == pytest.approx((A[3] + B[3]) * ln, abs=TOL)
    assert parts["structure"] == pytest.approx(-C[3] - (A[3] + B[3]) * ln, abs=TOL)
    assert parts.sum() == pytest.approx(end["co2"].sum() - start["co2"].sum(), abs=TOL)


def test_a_carrier_that_appears_goes_to_the_carrier_mix():
    """Sector a starts using electricity at the same energy and VA: the whole change is
    the electricity share (the new electricity cell by the zero limit, the fuel cell
    shrinking with its share; fuel's factor unchanged)."""
    va, e = 10.0, 4.0
    fuel_factor, grid = 2.5, 0.6
    start = _frame({"a": (va, e, 0.0, e * fuel_factor, 0.0), "b": B})
    el = 1.5
    end = _frame({"a": (va, e, el, (e - el) * fuel_factor + el * grid, el * grid), "b": B})
    parts = decompose.change(start, end, "co2").sum()
    total = end["co2"].sum() - start["co2"].sum()
    assert parts["electricity_share"] == pytest.approx(total, abs=TOL)
    assert parts.drop("electricity_share").abs().max() < TOL


def test_activity_and_grid_factor_alone():
    """Everything doubled: all activity. Only the grid factor halved: all emission factor."""
    start = _frame({"a": A, "b": B})
    doubled = start.assign(**{c: start[c] * 2 for c in start.columns if c != "sector"})
    parts = decompose.change(start, doubled, "co2").sum()
    assert parts["activity"] == pytest.approx(start["co2"].sum(), abs=TOL)
    assert parts.drop("activity").abs().max() < TOL
    cleaner = start.assign(co2=start["co2"] - start["co2_elec"] / 2, co2_elec=start["co2_elec"] / 2)
    parts = decompose.change(start, cleaner, "co2").sum()
    assert parts["emission_factor"] == pytest.approx(-start["co2_elec"].sum() / 2, abs=TOL)
    assert parts.drop("emission_factor").abs().max() < TOL


def test_a_cell_zero_in_both_periods_contributes_nothing():
    start = _frame({"a": A, "z": (0.0, 0.0, 0.0, 0.0, 0.0)})
    end = _frame({"a": A})
    parts = decompose.change(start, end, "co2")
    assert parts.to_numpy().max() == 0.0 and parts.to_numpy().min() == 0.0


def test_inconsistent_input_is_refused():
    with pytest.raises(ValueError, match="electricity's share"):
        decompose.change(_frame({"a": A}), _frame({"a": (10.0, 4.0, 5.0, 9.0, 0.8)}), "co2")
    with pytest.raises(ValueError, match="target"):
        decompose.change(_frame({"a": A}), _frame({"a": A}), "water")


def _mt(frame: pd.DataFrame) -> pd.DataFrame:
    cols = ("energy", "energy_elec", "co2", "co2_elec")
    return frame.assign(**{c: frame[c] / 1e6 for c in cols})


@pytest.mark.parametrize("unit", ["sector", "zone_id"])
def test_baseline_parts_sum_to_the_total(unit):
    """On the small baseline, between the base year and each year and between two runs in
    one year (exit.mode off, where zones and sectors change size a lot), with sectors and
    with zones as units: the parts sum to the total to 1e-9 Mt."""
    base, other = tiny_run(), tiny_run(**{"exit.mode": "off"})
    grid = base.province.set_index("year")["grid_factor_t_per_mwh"]
    table = base.sectors if unit == "sector" else base.zones
    frames = decompose.unit_frame_for(table, grid, unit)
    by_year = {y: _mt(g) for y, g in frames.groupby("year")}
    other_table = other.sectors if unit == "sector" else other.zones
    others = decompose.unit_frame_for(other_table, grid, unit)
    other_years = {y: _mt(g) for y, g in others.groupby("year")}
    pairs = [(by_year[2020], by_year[y]) for y in by_year] + [
        (by_year[y], other_years[y]) for y in by_year
    ]
    for start, end in pairs:
        for target in ("co2", "energy"):
            parts = decompose.change(start, end, target, unit=unit)
            want = end[target].sum() - start[target].sum()
            assert abs(parts.to_numpy().sum() - want) < TOL
            assert np.isfinite(parts.to_numpy()).all()


def test_merged_zones_disappear_exactly():
    """Zones merged into a host (integration) leave the zone table: their cells vanish,
    and the parts still sum to the total."""
    res = tiny_run(**{"integration.year": 2022})
    grid = res.province.set_index("year")["grid_factor_t_per_mwh"]
    frames = decompose.unit_frame_for(res.zones, grid, "zone_id")
    merged = frames[(frames["year"] == 2023) & (frames["value_added"] == 0)]
    assert len(merged) > 0 and (merged["co2"] == 0).all()  # kept as rows of zeros
    g = {y: _mt(f) for y, f in frames.groupby("year")}
    parts = decompose.change(g[2020], g[2023], "co2", unit="zone_id")
    assert abs(parts.to_numpy().sum() - (g[2023]["co2"].sum() - g[2020]["co2"].sum())) < TOL
