"""Data loading and firm synthesis: from a scenario to the model's base-year inputs.

The default data set (scenarios/data/, documented in its README) gives 158 zones with
an estimated 2020 value added each and a sector table. Firms are synthesised by a
seeded generator so that their sums reproduce the zone aggregates:

1. zone × sector value added by iterative proportional fitting: rows = each zone's
   2020 VA, columns = each sector's share of zone VA, prior weights favour a zone's
   leading sectors (and keep heavy chemicals/steel out of zones that do not list them);
2. firms per cell = cell output / the sector's mean firm output × firm_scale, sizes
   lognormal and rescaled to the cell's output exactly;
3. land from a firm's output per mu (the sector's average × lognormal spread, below the
   density frontier); energy, tax, R&D and employees from sector rates × firm spread,
   rescaled so each sector's totals equal its rates times its VA;
4. calibration (data.calibrate): tax, R&D, employees and CO2 (direct and electricity)
   are scaled to the base-year targets of calibration_targets.csv.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.firms import ACTIVE, CLASS_T, TCE_PER_MWH, FirmTable
from models.inputs import SECTOR_COLUMNS, ModelInputs
from models.seeds import synthesis_rng
from sim.scenario.messages import ScenarioError
from sim.scenario.names import BELTS
from sim.units import PERSONS_PER_WAN, WAN_PER_YI

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.scenario.schema import DataConfig
LEVELS = ("national_etdz", "national_hitech", "national_other", "provincial")
HEAVY_GATED = ("chemicals", "steel")  # only where a zone lists them or is a chemical park

ZONE_FILE_COLUMNS = (
    "zone_id",
    "name_zh",
    "name_en",
    "city",
    "city_zh",
    "belt",
    "belts",
    "level",
    "approved_area_mu",
    "leading_sectors",
    "chemical_park",
    "eco_park",
    "intl_coop_park",
    "management_efficiency",
    "va_2020_yi",
    "fill_in",
)
# Optional zone columns for firm synthesis (scenarios/data/derive.py; sources.csv):
# column -> value where the file lacks it (no plant; factor 1).
ZONE_FACTOR_COLUMNS = {
    "steel_plant_mt": 0.0,
    "chemicals_plant_size": 0.0,
    "productivity_factor": 1.0,
    "tax_factor": 1.0,
    "energy_factor": 1.0,
}
# Share of a sector's zone VA on the listed plants (plants.csv), by the plants' size:
# steel 62 % = the listed plants' 74 Mt of Jiangsu's ≈120 Mt crude steel (2020, commonly
# quoted, estimate); chemicals 45 % on the listed petrochemical bases (estimate).
PLANT_SHARE = {"steel": ("steel_plant_mt", 0.62), "chemicals": ("chemicals_plant_size", 0.45)}
SECTOR_FILE_COLUMNS = (
    *SECTOR_COLUMNS,
    "zone_va_share_2020",
    "output_per_mu_wan",
    "firm_output_mean_wan",
)
FIRM_FILE_COLUMNS = (
    "zone_id",
    "sector",
    "land_mu",
    "output_wan",
    "va_wan",
    "tax_wan",
    "rd_wan",
    "employees",
    "energy_tce",
    "elec_share",
    "birth_year",
)


class DataError(ValueError):
    """A data file that cannot be used; the message names the file, rows and columns."""

    def __init__(self, file: str | Path, problems: list[str]):
        self.file = str(file)
        self.problems = problems
        body = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{file}: {len(problems)} problem(s)\n{body}{more}")


def read_table(
    path: Path,
    required: tuple[str, ...],
    numeric: tuple[str, ...] = (),
    optional: tuple[str, ...] | None = (),
) -> pd.DataFrame:
    """Read a UTF-8 CSV (a BOM is accepted) and check columns and numeric values.
    Columns beyond `required` and `optional` are errors (a typo in a header would
    otherwise silently drop a column); `optional=None` allows any. Row numbers in
    messages are the file's line numbers (header = line 1)."""
    if not path.is_file():
        raise DataError(path, ["no such file"])
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except UnicodeDecodeError as exc:
        raise DataError(
            path, [f"not UTF-8 text ({exc.reason} at byte {exc.start}); save as UTF-8"]
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(path, ["the file is empty; expected a header line and rows"]) from None
    except pd.errors.ParserError as exc:
        raise DataError(path, [f"not a well-formed CSV: {exc}"]) from None
    problems = []
    missing = [c for c in required if c not in df.columns]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}; required: {', '.join(required)}")
    if optional is not None:
        extra = [c for c in df.columns if c not in required and c not in optional]
        if extra:
            allowed = ", ".join((*required, *optional))
            problems.append(f"unknown column(s) {', '.join(extra)}; allowed: {allowed}")
    if df.empty:
        problems.append("no data rows")
    if problems:
        raise DataError(path, problems)
    for col in numeric:
        values = pd.to_numeric(df[col].str.strip(), errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        for i in bad[:5]:
            problems.append(f"line {i + 2}, column {col}: {df[col].iloc[i]!r} is not a number")
        neg = np.flatnonzero((values < 0).to_numpy())
        for i in neg[:5]:
            problems.append(
                f"line {i + 2}, column {col}: {values.iloc[i]} is negative; must be ≥ 0"
            )
        df[col] = values
    if problems:
        raise DataError(path, problems)
    return df


def _duplicates(df: pd.DataFrame, key: str, path: Path) -> list[str]:
    dup = df[key].duplicated(keep=False).to_numpy()
    return [f"line {i + 2}: duplicate {key} {df[key].iloc[i]!r}" for i in np.flatnonzero(dup)]


def load_sectors(path: Path) -> pd.DataFrame:
    numeric = tuple(c for c in SECTOR_FILE_COLUMNS if c not in ("sector", "name_zh", "name_en"))
    df = read_table(path, SECTOR_FILE_COLUMNS, numeric, optional=("kind",))
    problems = _duplicates(df, "sector", path)
    for col in ("va_ratio", "elec_share", "zone_va_share_2020", "efficiency_gain"):
        bad = np.flatnonzero((df[col] > 1).to_numpy())
        problems += [
            f"line {i + 2}, column {col}: {df[col].iloc[i]} is above 1 (a share)" for i in bad
        ]
    for col in (
        "frontier_output_per_mu_wan",
        "project_size_mu",
        "firm_output_mean_wan",
        "va_per_worker_wan",
    ):
        bad = np.flatnonzero((df[col] <= 0).to_numpy())
        problems += [f"line {i + 2}, column {col}: must be > 0" for i in bad]
    total = df["zone_va_share_2020"].sum()
    if abs(total - 1.0) > 1e-3:
        problems.append(f"column zone_va_share_2020 sums to {total:.4f}; must sum to 1")
    if problems:
        raise DataError(path, problems)
    return df.reset_index(drop=True)


ZONE_TEXT_COLUMNS = (
    "zone_id",
    "name_zh",
    "name_en",
    "city",
    "city_zh",
    "belt",
    "belts",
    "level",
    "leading_sectors",
)


def load_zones(path: Path, sectors: pd.DataFrame, cities: set[str]) -> pd.DataFrame:
    numeric = tuple(c for c in ZONE_FILE_COLUMNS if c not in ZONE_TEXT_COLUMNS)
    df = read_table(
        path,
        ZONE_FILE_COLUMNS,
        numeric,
        optional=(
            "approved_yyyymm",
            "leading_industries_zh",
            "city_row_check",
            *ZONE_FACTOR_COLUMNS,
        ),
    )
    problems = _duplicates(df, "zone_id", path)
    known = set(sectors["sector"])
    for i, row in enumerate(df.itertuples(index=False)):
        line = i + 2
        if row.city not in cities:
            problems.append(
                f"line {line}: unknown city {row.city!r}; allowed: {', '.join(sorted(cities))}"
            )
        belts = str(row.belts).split(";")
        for b in {row.belt, *belts}:
            if b not in BELTS:
                problems.append(f"line {line}: unknown belt {b!r}; allowed: {', '.join(BELTS)}")
        if row.level not in LEVELS:
            problems.append(
                f"line {line}: unknown level {row.level!r}; allowed: {', '.join(LEVELS)}"
            )
        for s in filter(None, str(row.leading_sectors).split(";")):
            if s not in known:
                problems.append(f"line {line}: unknown leading sector {s!r}; see sectors.csv")
    if problems:
        raise DataError(path, problems)
    return df.reset_index(drop=True)


def load_targets(path: Path) -> dict[str, float]:
    df = read_table(path, ("key", "value"), ("value",), optional=("unit", "source", "estimate"))
    return dict(zip(df["key"], df["value"].astype(float), strict=True))


@dataclass(frozen=True)
class Dataset:
    zones: pd.DataFrame
    sectors: pd.DataFrame
    targets: dict[str, float]
    boundaries_path: Path


def load_dataset(scenario: Scenario) -> Dataset:
    """Load and check the zone, sector, city and target files of a scenario."""
    d = scenario.data
    sectors = load_sectors(scenario.data_path(d.sectors))
    cities = read_table(scenario.data_path(d.cities), ("city", "city_zh"), optional=None)
    zones = load_zones(scenario.data_path(d.zones), sectors, set(cities["city"]))
    targets = load_targets(scenario.data_path(d.targets))
    check_names(scenario, set(sectors["sector"]), set(zones["zone_id"]))
    if d.firms != "synthesize":
        load_firms(scenario.data_path(d.firms), zones, sectors)
    return Dataset(zones, sectors, targets, scenario.data_path(d.boundaries))


def check_names(scenario: Scenario, sectors: set[str], zones: set[str]) -> None:
    """Every sector and zone a lever names must be in the sector and zone tables."""
    named = [(f"economy.sector_growth.{s}", s) for s in scenario.economy.sector_growth]
    named += [
        (f"optimizer.bans[{i}].sector", b.sector) for i, b in enumerate(scenario.optimizer.bans)
    ]
    named += [
        (f"sector_policy.relocations[{i}].sector", r.sector)
        for i, r in enumerate(scenario.sector_policy.relocations)
    ]
    named += [
        (f"evaluation.exempt_sectors[{i}]", s)
        for i, s in enumerate(scenario.evaluation.exempt_sectors)
    ]
    drawn = [key.rsplit(".", 1) for key in scenario.uncertainty if "." in key]
    named += [
        (f"uncertainty.{table}.{name}", name)
        for table, name in drawn
        if table == "economy.sector_growth"
    ]
    allowed = ", ".join(sorted(sectors))
    problems = [
        f"{key}: unknown sector {name!r}; allowed: {allowed}"
        for key, name in named
        if name not in sectors
    ]
    c = scenario.carbon
    zone_keys = [
        (f"{group}.{z}", z)
        for group, table in (
            ("carbon.zone_caps_mt", c.zone_caps_mt),
            ("carbon.zone_intensity_reduction_vs_base", c.zone_intensity_reduction_vs_base),
        )
        for z in table
    ]
    zone_keys += [
        (f"uncertainty.{table}.{z}", z)
        for table, z in drawn
        if table in ("carbon.zone_caps_mt", "carbon.zone_intensity_reduction_vs_base")
    ]
    zone_keys += [
        (f"optimizer.bans[{i}].zones", z)
        for i, b in enumerate(scenario.optimizer.bans)
        for z in b.zones
    ]
    for key, z in zone_keys:
        if z not in zones:
            near = difflib.get_close_matches(z, sorted(zones), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]}?" if near else ""
            problems.append(f"{key}: unknown zone_id {z!r} (zone_id of the zone file){hint}")
    if problems:
        raise ScenarioError(scenario.source_file or f"scenario {scenario.name}", problems)


def ipf(prior: np.ndarray, rows: np.ndarray, cols: np.ndarray, iters: int = 200) -> np.ndarray:
    """Iterative proportional fitting of a positive matrix to row and column sums;
    ends on a row step, so rows are exact and columns within the printed tolerance."""
    m = prior.astype(float).copy()
    cols = cols * rows.sum() / cols.sum()
    for _ in range(iters):
        m *= (cols / np.maximum(m.sum(axis=0), 1e-300))[None, :]
        m *= (rows / np.maximum(m.sum(axis=1), 1e-300))[:, None]
    return m


def zone_factor(zones: pd.DataFrame, column: str) -> np.ndarray:
    """(Z,) a zone factor column (ZONE_FACTOR_COLUMNS), its default where absent."""
    if column in zones:
        return zones[column].to_numpy(float)
    return np.full(len(zones), ZONE_FACTOR_COLUMNS[column])


def zone_sector_va(zones: pd.DataFrame, sectors: pd.DataFrame) -> np.ndarray:
    """(Z,S) 2020 value added in 万元: zone totals exact, sector shares by IPF.

    Heavy plants first: for steel and chemicals, PLANT_SHARE of the sector's VA goes
    to the zones of the listed plants (plants.csv, as zone columns) by their size, at
    most half a zone's VA; the rest of each zone's VA is split by IPF, with prior
    weights favouring the zone's leading sectors and keeping heavy sectors out of
    zones that neither list them nor are chemical parks.
    """
    names = list(sectors["sector"])
    prior = np.ones((len(zones), len(names)))
    for i, row in enumerate(zones.itertuples(index=False)):
        leading = set(filter(None, str(row.leading_sectors).split(";")))
        for j, s in enumerate(names):
            if s in leading:
                prior[i, j] = 6.0
            elif s in HEAVY_GATED and not row.chemical_park:
                prior[i, j] = 0.05
    rows = zones["va_2020_yi"].to_numpy(float) * WAN_PER_YI
    cols = sectors["zone_va_share_2020"].to_numpy(float)
    cols = cols / cols.sum() * rows.sum()
    fixed = np.zeros_like(prior)
    for sector, (column, share) in PLANT_SHARE.items():
        size = zone_factor(zones, column)
        if sector not in names or size.sum() <= 0:
            continue
        j = names.index(sector)
        fixed[:, j] = np.minimum(share * cols[j] * size / size.sum(), 0.5 * rows)
    rest = ipf(prior, rows - fixed.sum(axis=1), cols - fixed.sum(axis=0))
    return rest + fixed


def _rescale(values: np.ndarray, group: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Scale `values` within each group so the group sums equal `target[group]`."""
    sums = np.bincount(group, values, minlength=len(target))
    factor = np.divide(target, sums, out=np.zeros_like(target), where=sums > 0)
    return values * factor[group]


def synthesize_firms(
    zones: pd.DataFrame,
    sectors: pd.DataFrame,
    base_year: int,
    firm_scale: float,
    size_sigma: float,
    density_cap_factor: float,
    rng: np.random.Generator,
) -> FirmTable:
    """The base-year firm population, column-wise (see the module docstring)."""
    va_cell = zone_sector_va(zones, sectors)
    n_z, n_s = va_cell.shape
    va_ratio = sectors["va_ratio"].to_numpy(float)
    out_cell = va_cell / va_ratio[None, :]
    mean_out = sectors["firm_output_mean_wan"].to_numpy(float) / firm_scale
    count = np.maximum(1, np.rint(out_cell / mean_out[None, :])).astype(np.int64)
    cell = np.repeat(np.arange(n_z * n_s), count.ravel())
    z, s = np.divmod(cell, n_s)
    n = len(cell)

    def spread(sd: float) -> np.ndarray:
        return rng.lognormal(-0.5 * sd * sd, sd, size=n) if sd > 0 else np.ones(n)

    output = _rescale(spread(size_sigma), cell, out_cell.ravel())
    va = _rescale(output * va_ratio[s] * spread(0.15), cell, va_cell.ravel())
    # Zone factors (zones.csv, derive.py): output per mu, energy / VA and tax / VA
    # by level, city and type; the sector totals of energy and tax stay the table's.
    opm_s = sectors["output_per_mu_wan"].to_numpy(float)
    cap = sectors["frontier_output_per_mu_wan"].to_numpy(float) * density_cap_factor
    f_land = zone_factor(zones, "productivity_factor")[z]
    opm = np.minimum(opm_s[s] * f_land * spread(0.35), 0.95 * cap[s])
    land = output / opm
    va_s = np.bincount(s, va, minlength=n_s)
    ei_s = sectors["energy_intensity_tce_per_wan"].to_numpy(float)
    f_energy = zone_factor(zones, "energy_factor")[z]
    ei = _rescale(va * ei_s[s] * f_energy * spread(0.35), s, va_s * ei_s) / va
    f_tax = zone_factor(zones, "tax_factor")[z]
    tax_rate = (
        _rescale(
            va * sectors["tax_rate"].to_numpy(float)[s] * f_tax * spread(0.3),
            s,
            va_s * sectors["tax_rate"].to_numpy(float),
        )
        / va
    )
    out_s = np.bincount(s, output, minlength=n_s)
    rd_rate = (
        _rescale(
            output * sectors["rd_share"].to_numpy(float)[s] * spread(0.5),
            s,
            out_s * sectors["rd_share"].to_numpy(float),
        )
        / output
    )
    vpw = sectors["va_per_worker_wan"].to_numpy(float)
    employees = _rescale(va / vpw[s] * spread(0.3), s, va_s / vpw)
    age = rng.integers(0, 31, size=n)
    # Firms that use land well tend to earn more: margin rises with relative output per mu.
    margin = np.clip(0.06 + 0.03 * np.log(opm / opm_s[s]) + rng.normal(0, 0.03, n), -0.15, 0.35)

    firms = FirmTable()
    firms.append(
        zone=z,
        sector=s,
        land_mu=land,
        output_wan=output,
        va_ratio=va / output,
        tax_rate=tax_rate,
        rd_rate=rd_rate,
        employees=employees,
        energy_intensity_tce_per_wan=ei,
        elec_share=sectors["elec_share"].to_numpy(float)[s],
        base_margin=margin,
        margin=margin,
        birth_year=base_year - age,
        cls=np.full(n, CLASS_T),
        status=np.full(n, ACTIVE),
    )
    return firms


def calibrate(
    firms: FirmTable, sectors: pd.DataFrame, targets: dict[str, float]
) -> dict[str, float]:
    """Scale tax, R&D, employees and energy so base-year totals meet the targets.
    Returns the factors applied (1.0 = the sector table already matched)."""
    va = firms.output_wan * firms.va_ratio
    factors: dict[str, float] = {}
    zone_va = va.sum()
    want = {
        "tax": targets["jiangsu_budget_revenue_2020_yi"]
        * targets["zone_tax_share_of_revenue"]
        * WAN_PER_YI,
        "rd": targets["zone_rd_share_of_va"] * zone_va,
        "employees": targets["jiangsu_employment_2020_wan"]
        * PERSONS_PER_WAN
        * targets["zone_employment_share"],
    }
    have = {
        "tax": (va * firms.tax_rate).sum(),
        "rd": (firms.output_wan * firms.rd_rate).sum(),
        "employees": firms.employees.sum(),
    }
    for key in want:
        factors[key] = want[key] / have[key]
    firms.tax_rate = firms.tax_rate * factors["tax"]
    firms.rd_rate = firms.rd_rate * factors["rd"]
    firms.employees = firms.employees * factors["employees"]
    # Energy: one factor on fossil energy, one on electricity, so direct CO2 and
    # electricity use both meet their CEADs-derived targets.
    fuel = sectors["fuel_co2_t_per_tce"].to_numpy(float)[firms.sector]
    energy = va * firms.energy_intensity_tce_per_wan
    es = firms.elec_share
    direct = (energy * (1 - es) * fuel).sum()
    elec = (energy * es / TCE_PER_MWH).sum()
    a = targets["zone_direct_co2_2020_t"] / direct
    b = targets["zone_electricity_2020_mwh"] / elec
    new_energy_factor = (1 - es) * a + es * b
    firms.elec_share = es * b / new_energy_factor
    firms.energy_intensity_tce_per_wan = firms.energy_intensity_tce_per_wan * new_energy_factor
    factors.update(fossil_energy=a, electricity=b)
    return factors


def load_firms(path: Path, zones: pd.DataFrame, sectors: pd.DataFrame) -> FirmTable:
    """Firms from a CSV with FIRM_FILE_COLUMNS (documented in scenarios/data/README.md)."""
    numeric = tuple(c for c in FIRM_FILE_COLUMNS if c not in ("zone_id", "sector"))
    df = read_table(path, FIRM_FILE_COLUMNS, numeric, optional=("base_margin", "utility"))
    zidx = {z: i for i, z in enumerate(zones["zone_id"])}
    sidx = {s: i for i, s in enumerate(sectors["sector"])}
    problems = []
    for i, (z, s) in enumerate(zip(df["zone_id"], df["sector"], strict=True)):
        if z not in zidx:
            problems.append(f"line {i + 2}: unknown zone_id {z!r}")
        if s not in sidx:
            problems.append(f"line {i + 2}: unknown sector {s!r}; allowed: {', '.join(sidx)}")
    for col in ("land_mu", "output_wan", "va_wan"):
        bad = np.flatnonzero((df[col] <= 0).to_numpy())
        problems += [f"line {i + 2}, column {col}: must be > 0" for i in bad[:5]]
    bad = np.flatnonzero((df["elec_share"] > 1).to_numpy())
    problems += [f"line {i + 2}, column elec_share: above 1 (a share)" for i in bad[:5]]
    utility = np.zeros(len(df), dtype=np.int8)
    if "utility" in df:
        u = pd.to_numeric(df["utility"], errors="coerce")
        bad = np.flatnonzero(~u.isin([0, 1]).to_numpy())
        problems += [
            f"line {i + 2}, column utility: {df['utility'].iloc[i]!r} is not 0 or 1"
            for i in bad[:5]
        ]
        utility = u.fillna(0).to_numpy(np.int8)
    if problems:
        raise DataError(path, problems)
    out = df["output_wan"].to_numpy(float)
    va = df["va_wan"].to_numpy(float)
    if "base_margin" in df:
        m = pd.to_numeric(df["base_margin"], errors="coerce")
        bad = np.flatnonzero((m.isna() | (m < -1) | (m > 1)).to_numpy())
        if len(bad):
            raise DataError(
                path,
                [
                    f"line {i + 2}, column base_margin: {df['base_margin'].iloc[i]!r} "
                    "is not a share in [-1, 1]"
                    for i in bad[:5]
                ],
            )
        margin = m.to_numpy(float)
    else:
        margin = np.full(len(df), 0.06)  # estimate: a typical industrial profit margin
    firms = FirmTable()
    firms.append(
        zone=df["zone_id"].map(zidx).to_numpy(),
        sector=df["sector"].map(sidx).to_numpy(),
        land_mu=df["land_mu"].to_numpy(float),
        output_wan=out,
        va_ratio=va / out,
        tax_rate=df["tax_wan"].to_numpy(float) / va,
        rd_rate=df["rd_wan"].to_numpy(float) / out,
        employees=df["employees"].to_numpy(float),
        energy_intensity_tce_per_wan=df["energy_tce"].to_numpy(float) / va,
        elec_share=df["elec_share"].to_numpy(float),
        base_margin=margin,
        margin=margin,
        birth_year=df["birth_year"].to_numpy(int),
        exempt=utility,
        cls=np.full(len(df), CLASS_T),
    )
    return firms


def zone_land(zones: pd.DataFrame, firms: FirmTable, data_cfg: DataConfig) -> pd.DataFrame:
    """Base-year land pools. The boundary is the land the zone manages: at least its
    approved area, and large enough that built + stock + ready is the development rate
    of it (approved area is far smaller than managed land; see the data README)."""
    built = np.bincount(firms.zone, firms.land_mu, minlength=len(zones))
    out = zones.copy()
    out["stock_mu"] = built * data_cfg.idle_share_2020
    out["ready_mu"] = built * data_cfg.ready_share_2020
    used = built + out["stock_mu"] + out["ready_mu"]
    out["boundary_mu"] = np.maximum(
        out["approved_area_mu"].to_numpy(float), used / data_cfg.development_rate_2020
    )
    return out


def prepare_inputs(scenario: Scenario) -> ModelInputs:
    """Everything the model needs for the base year, from the scenario's data block."""
    ds = load_dataset(scenario)
    rng = synthesis_rng(scenario.seed)
    d = scenario.data
    if d.firms == "synthesize":
        firms = synthesize_firms(
            ds.zones,
            ds.sectors,
            scenario.years.base,
            d.firm_scale,
            d.firm_size_sigma,
            scenario.at(scenario.years.base).economy.density_cap_factor,
            rng,
        )
        facts = dict(ds.targets)
        if d.calibrate:
            factors = calibrate(firms, ds.sectors, ds.targets)
            facts.update({f"calibration_factor_{k}": v for k, v in factors.items()})
    else:
        firms = load_firms(scenario.data_path(d.firms), ds.zones, ds.sectors)
        facts = dict(ds.targets)
    zones = zone_land(ds.zones, firms, d)
    return ModelInputs(zones, ds.sectors, firms, facts, str(ds.boundaries_path))

