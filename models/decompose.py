"""Additive LMDI-I decomposition of the change in CO2, energy and carbon intensity.

CO2 is a sum over units u (sectors, or zones) and energy carriers k (electricity, fuel)
of five factors,
    CO2 = Σ_u,k  A · S_u · I_u · M_uk · F_uk
    A     = VA                activity (value added of all units)
    S_u   = VA_u / VA         structure (the unit's share of value added: the sector mix,
                              or with zones as units the zone mix)
    I_u   = E_u / VA_u        energy intensity of the unit
    M_uk  = E_uk / E_u        carrier mix (electricity's and fuel's share of energy)
    F_uk  = C_uk / E_uk       emission factor (electricity: the grid factor; fuel: the
                              unit's fuel factor)
Energy is Σ_u A · S_u · I_u (activity, structure, energy intensity), and carbon intensity
CO2 / VA is the CO2 sum without A. With V a cell's value and L(a, b) = (a − b) / (ln a −
ln b) the logarithmic mean, each factor x contributes
    ΔV_x = Σ_cells L(V^T, V^0) · ln(x^T / x^0)
and, since ln(V^T / V^0) = Σ_x ln(x^T / x^0), the contributions sum exactly to the total
change (Ang 2005, LMDI-I), to rounding.

Zeros (a sector or zone that appears or disappears, a carrier a unit starts or stops
using) take the analytical limit rather than a small stand-in value (Ang & Liu 2007,
"Handling zero values in the LMDI"): as x^0 → 0 with the other factors fixed,
L(V^T, V^0) · ln(x^T / x^0) → V^T and every other factor's term → 0. So a cell that is
zero at the start and V^T at the end gives all of V^T to the first factor of the chain
A, S, I, M, F that is zero at the start (a sector that appears: structure; a carrier a
sector starts to use: the carrier mix), and a cell that vanishes gives −V^0 to the first
factor that is zero at the end. The factors after a zero are undefined (the energy
intensity of a sector with no value added); they take the other period's value, so
their log ratio is 0. A cell zero in both periods contributes nothing. The parts then
sum exactly to the total whatever appears or disappears.

Tidy frames in, tidy frames out: the run's sector table (sectors.parquet) or zone table
(zones.parquet), or any frame with the columns below; issue 14's comparison uses
`change` (between two years of a run, or two runs in one year) and the province table's
columns come from `decompose`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

INTENSITY_FACTORS = ("structure", "energy_intensity", "electricity_share", "emission_factor")
CO2_FACTORS = ("activity", *INTENSITY_FACTORS)
ENERGY_FACTORS = ("activity", "structure", "energy_intensity")
FACTORS = {"co2": CO2_FACTORS, "energy": ENERGY_FACTORS, "ci": INTENSITY_FACTORS}
"""The factors of each target: co2 (CO2), energy, ci (carbon intensity, CO2 / VA)."""
COLUMNS = ("year", "sector", "value_added", "energy", "energy_elec", "co2", "co2_elec")
# A negative fuel share below this fraction of the unit's total is rounding, set to 0.
_ROUNDING = 1e-9


def logmean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Logarithmic mean L(a, b) = (a − b) / (ln a − ln b), a where a = b (a, b > 0)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    same = np.isclose(a, b, rtol=1e-12, atol=0.0)
    d = np.where(same, 1.0, np.log(a) - np.log(np.where(same, 1.0, b)))
    return np.where(same, a, (a - b) / np.where(d == 0, 1.0, d))


def lmdi_cells(
    v0: np.ndarray,
    v1: np.ndarray,
    f0: Sequence[np.ndarray],
    f1: Sequence[np.ndarray],
) -> np.ndarray:
    """Each cell's change split over its factors: an (n_cells, n_factors) array.

    `v0`, `v1` are the cells' values (≥ 0) at the start and the end; `f0`, `f1` the
    factor arrays in chain order (each broadcastable to the cells), ≥ 0, NaN where
    undefined (after an earlier factor of the chain is zero). Row sums equal v1 − v0
    exactly to rounding; zeros take the analytical limit (module docstring).
    """
    v0, v1 = np.asarray(v0, float), np.asarray(v1, float)
    a = np.stack([np.broadcast_to(np.asarray(x, float), v0.shape).ravel() for x in f0], 1)
    b = np.stack([np.broadcast_to(np.asarray(x, float), v1.shape).ravel() for x in f1], 1)
    v0, v1 = v0.ravel(), v1.ravel()
    n, m = v0.size, len(f0)
    # undefined factors take the other period's value (log ratio 0); both undefined: 1
    a, b = np.where(np.isnan(a), b, a), np.where(np.isnan(b), a, b)
    a, b = np.where(np.isnan(a), 1.0, a), np.where(np.isnan(b), 1.0, b)
    out = np.zeros((n, m))
    both = (v0 > 0) & (v1 > 0)
    if both.any():
        w = logmean(v1[both], v0[both])[:, None]
        out[both] = w * np.log(b[both] / a[both])
    for cells, zero_at, sign, value in (
        (np.flatnonzero((v0 <= 0) & (v1 > 0)), a, 1.0, v1),
        (np.flatnonzero((v0 > 0) & (v1 <= 0)), b, -1.0, v0),
    ):
        for c in cells:
            zeros = np.flatnonzero(zero_at[c] <= 0)
            if zeros.size == 0:
                raise ValueError(
                    f"lmdi: cell {c} is zero in one period but none of its factors is zero "
                    "there (the factors do not multiply to the cell's value)"
                )
            out[c, zeros[0]] = sign * value[c]
    return out


VALUES = ("value_added", "energy", "energy_elec", "co2", "co2_elec")


def _frame(df: pd.DataFrame, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """The units (sorted) and their VALUES as an (n, 5) array, summed per unit."""
    missing = [c for c in (unit, *VALUES) if c not in df.columns]
    if missing:
        raise ValueError(f"decompose: the frame lacks columns {missing}")
    ids = df[unit].to_numpy()
    vals = np.column_stack([df[c].to_numpy(float) for c in VALUES])
    uniq, inverse = np.unique(ids, return_inverse=True)
    if len(uniq) < len(ids):
        summed = np.zeros((len(uniq), len(VALUES)))
        np.add.at(summed, inverse.ravel(), vals)
        vals = summed
    else:
        vals = vals[np.argsort(ids, kind="stable")]
    if (vals < 0).any():
        raise ValueError("decompose: negative value added, energy or CO2")
    return uniq, vals


def _aligned(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both periods' values over the union of their units (zeros where absent)."""
    (ia, va), (ib, vb) = a, b
    if len(ia) == len(ib) and (ia == ib).all():
        return ia, va, vb
    units = np.union1d(ia, ib)
    out = []
    for ids, vals in ((ia, va), (ib, vb)):
        full = np.zeros((len(units), len(VALUES)))
        full[np.searchsorted(units, ids)] = vals
        out.append(full)
    return units, out[0], out[1]


def _carriers(total: np.ndarray, elec: np.ndarray) -> np.ndarray:
    """(n, 2): electricity and the rest (fuel); a rounding-size negative rest is 0."""
    rest = total - elec
    rest = np.where(np.abs(rest) <= _ROUNDING * np.maximum(total, 1e-300), 0.0, rest)
    if (rest < 0).any():
        raise ValueError("decompose: electricity's share of a unit's energy or CO2 exceeds 1")
    return np.stack([elec, rest], 1)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The ratio a / b, NaN where b is 0 (undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _chain(x: np.ndarray, target: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """The cells and the chain of factors of one period (`x`: (n, 5) VALUES by unit)."""
    va_u, e_u, e_el, c, c_el = x.T
    va = va_u.sum()
    if not va > 0:
        raise ValueError("decompose: total value added must be positive")
    s, i = va_u / va, _ratio(e_u, va_u)
    if target == "energy":
        return e_u, [np.full_like(e_u, va), s, i]
    e_k = _carriers(e_u, e_el)
    c_k = _carriers(c, c_el)
    m, f = _ratio(e_k, e_u[:, None]), _ratio(c_k, e_k)
    chain = [s[:, None], i[:, None], m, f]
    if target == "ci":
        return c_k / va, chain
    return c_k, [np.full_like(c_k, va), *chain]


def change(
    start: pd.DataFrame, end: pd.DataFrame, target: str = "co2", unit: str = "sector"
) -> pd.DataFrame:
    """The change of `target` from `start` to `end`, by unit and factor.

    `start` and `end` have one row per unit (column `unit`: sector or zone_id) with
    value_added, energy, energy_elec (energy of electricity), co2 and co2_elec, in units
    consistent between the two; units present in only one of them count as zero in the
    other. `target`: "co2", "energy" or "ci" (carbon intensity, CO2 per VA). Returns one
    row per unit (index) and one column per factor of FACTORS[target]: the unit's part
    of the change through that factor. All cells sum to the total change, exactly to
    rounding (the zero cases: module docstring).
    """
    return changes(start, end, (target,), unit)[target]


def changes(
    start: pd.DataFrame, end: pd.DataFrame, targets: Sequence[str], unit: str = "sector"
) -> dict[str, pd.DataFrame]:
    """`change` for several targets of one pair of frames (read and aligned once)."""
    bad = [t for t in targets if t not in FACTORS]
    if bad:
        raise ValueError(f"decompose: target {bad[0]!r}; allowed: {', '.join(FACTORS)}")
    units, a, b = _aligned(_frame(start, unit), _frame(end, unit))
    index = pd.Index(units, name=unit)
    out = {}
    for target in targets:
        v0, f0 = _chain(a, target)
        v1, f1 = _chain(b, target)
        cells = lmdi_cells(v0, v1, f0, f1)
        per_unit = cells.reshape(len(units), -1, len(f0)).sum(axis=1)
        out[target] = pd.DataFrame(per_unit, index=index, columns=list(FACTORS[target]))
    return out


def totals(start: pd.DataFrame, end: pd.DataFrame, target: str) -> float:
    """The total change of `target` from `start` to `end` (what the parts of `change` sum to)."""
    if target == "ci":
        return float(
            end["co2"].sum() / end["value_added"].sum()
            - start["co2"].sum() / start["value_added"].sum()
        )
    return float(end[target].sum() - start[target].sum())


def decompose(frame: pd.DataFrame, base_year: int | None = None) -> pd.DataFrame:
    """Each year's change in carbon intensity and CO2 against the base year, by factor.

    `frame` has one row per year and sector with COLUMNS (VA in any money unit, energy
    and CO2 in any units, consistent across years); a sector missing in a year counts as
    zero there. Returns one row per year: `ci`, `ci_change`, the intensity factors
    `ci_<factor>` (same unit as ci, summing to ci_change), `co2_change` and `co2_<factor>`
    (summing to co2_change), and `ci_share_<factor>` (the factor's share of ci_change).
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"decompose: the frame lacks columns {missing}")
    years = sorted(frame["year"].unique())
    base = years[0] if base_year is None else base_year
    by_year = {y: g for y, g in frame.groupby("year")}
    b0 = by_year[base]
    co2_0 = b0["co2"].sum()
    ci0 = co2_0 / b0["value_added"].sum()
    rows = []
    for y in years:
        g = by_year[y]
        co2_t = g["co2"].sum()
        ci_t = co2_t / g["value_added"].sum()
        row = {"year": int(y), "ci": ci_t, "ci_change": ci_t - ci0, "co2_change": co2_t - co2_0}
        parts = changes(b0, g, ("ci", "co2"))
        ci, co2 = parts["ci"].sum(), parts["co2"].sum()
        row["co2_activity"] = float(co2["activity"])
        for k in INTENSITY_FACTORS:
            row[f"ci_{k}"] = float(ci[k])
            row[f"co2_{k}"] = float(co2[k])
        for k in INTENSITY_FACTORS:
            row[f"ci_share_{k}"] = row[f"ci_{k}"] / row["ci_change"] if row["ci_change"] else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def province_columns(decomposition: pd.DataFrame) -> pd.DataFrame:
    """The columns province.parquet gains from the decomposition, one row per year.

    ci_change_<factor>_t_per_wan (t CO2 per 万元 VA, summing to the change in carbon
    intensity since the base year), ci_share_<factor> (each factor's share of that change),
    and co2_change_<factor>_t with co2_change_activity_t (t CO2, summing to the change in
    CO2 since the base year).
    """
    out = pd.DataFrame({"year": decomposition["year"]})
    for k in INTENSITY_FACTORS:
        out[f"ci_change_{k}_t_per_wan"] = decomposition[f"ci_{k}"]
        out[f"ci_share_{k}"] = decomposition[f"ci_share_{k}"]
        out[f"co2_change_{k}_t"] = decomposition[f"co2_{k}"]
    out["co2_change_activity_t"] = decomposition["co2_activity"]
    return out


def sector_frame_for(sectors: pd.DataFrame, grid_by_year: pd.Series) -> pd.DataFrame:
    """The decomposition's input from a run's sector table and its grid factor by year.

    Electricity in tce at 0.1229 tce/MWh (当量值); its CO2 at the year's grid factor.
    VA in 万元, so carbon intensity comes out in t CO2 per 万元.
    """
    return unit_frame_for(sectors, grid_by_year, "sector")


def unit_frame_for(table: pd.DataFrame, grid_by_year: pd.Series, unit: str) -> pd.DataFrame:
    """The decomposition's input from a run's sector or zone table (`unit`: its key column).

    Electricity in tce at 0.1229 tce/MWh (当量值, the equivalent-value convention of
    China's energy statistics); its CO2 at the year's grid factor (t/MWh). VA in 万元.
    """
    from models.firms import TCE_PER_MWH
    from models.units import WAN_PER_YI

    grid = table["year"].map(grid_by_year).to_numpy(float)
    return pd.DataFrame(
        {
            "year": table["year"].to_numpy(),
            unit: table[unit].to_numpy(),
            "value_added": table["value_added_yi"].to_numpy(float) * WAN_PER_YI,
            "energy": table["energy_tce"].to_numpy(float),
            "energy_elec": table["electricity_mwh"].to_numpy(float) * TCE_PER_MWH,
            "co2": table["co2_t"].to_numpy(float),
            "co2_elec": table["electricity_mwh"].to_numpy(float) * grid,
        }
    )
