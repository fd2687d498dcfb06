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

Before any of this, `load_dataset` checks every file a run reads against its column
specification (sim/runs/checks.py) and the rules across files: what `zonesim validate`
runs, without synthesising firms.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.firms import ACTIVE, CLASS_T, TCE_PER_MWH, FirmTable
from models.inputs import ModelInputs
from models.seeds import synthesis_rng
from sim.runs.abatement_data import check_abatement_tiers
from sim.runs.checks import (
    CITIES,
    FIRMS,
    MAX_FIRMS,
    PLANTS,
    SECTORS,
    TARGETS,
    ZONES,
    DataError,
    check_boundaries,
    check_table,
    check_targets,
)
from sim.scenario.messages import ScenarioError
from sim.scenario.paths import path_value
from sim.units import PERSONS_PER_WAN, WAN_PER_YI

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.scenario.schema import DataConfig
HEAVY_GATED = ("chemicals", "steel")  # only where a zone lists them or is a chemical park
SYNTHESIZE = "synthesize"  # data.firms: synthesise the firms instead of reading a file
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


@dataclass(frozen=True)
class Dataset:
    """The checked data files of a run, as read, before any firm is synthesised.

    Attributes:
        zones: the zone table (zones.csv; VA in 亿元, areas in mu).
        sectors: the sector table (sectors.csv; rates per 万元 of VA or output).
        targets: the base-year calibration targets by name, in the units their names give.
        boundaries_path: the city boundaries (GeoJSON) the charts draw.
        firms: the firm file's checked rows, when data.firms names one.
        abatement_tiers: the checked abatement cost tiers (元 per t CO2 abated).
    """

    zones: pd.DataFrame
    sectors: pd.DataFrame
    targets: dict[str, float]
    boundaries_path: Path
    firms: pd.DataFrame | None = None  # the firm file's rows, when data.firms names one
    abatement_tiers: pd.DataFrame | None = None  # the checked cost tiers (issue 13)


def data_paths(scenario: Scenario) -> dict[str, Path]:
    """The data file each data key of the scenario names; DataError if any is missing.

    Scenario key → the file it names, every one checked to exist; a missing file is
    named by its key, the path as written and every place it was looked for.
    """
    d = scenario.data
    keys = {s.key: getattr(d, s.key.split(".")[1]) for s in (ZONES, SECTORS, CITIES, TARGETS)}
    keys["data.boundaries"] = d.boundaries
    keys["data.abatement_tiers"] = d.abatement_tiers
    keys["data.plants"] = d.plants
    if d.firms != SYNTHESIZE:
        keys["data.firms"] = d.firms
    paths: dict[str, Path] = {}
    problems = []
    for key, rel in keys.items():
        path = scenario.data_path(rel)
        paths[key] = path
        if path.is_file():
            continue
        given = Path(rel)
        looked = [given] if given.is_absolute() else [Path(scenario.source_dir) / given, path]
        tried = " and ".join(dict.fromkeys(str(p) for p in looked))
        if path.is_dir():
            what = "is a folder, not a file"
        elif path.exists():
            what = "is not a regular file"
        else:
            what = "no such file"
        hint = _near_file(looked)
        if key == "data.firms" and not given.suffix:
            hint += f"; write {SYNTHESIZE!r} to synthesise the firms"
        problems.append(f"{key}: {rel!r}: {what} (looked for {tried}){hint}")
    if problems:
        raise DataError(scenario.source_file or f"scenario {scenario.name}", problems)
    return paths


def _near_file(looked: list[Path]) -> str:
    for p in looked:
        if p.parent.is_dir():
            names = sorted(f.name for f in p.parent.iterdir() if f.is_file())
            near = difflib.get_close_matches(p.name, names, n=1, cutoff=0.6)
            if near:
                return f"; did you mean {p.parent / near[0]}?"
    return ""


def load_dataset(scenario: Scenario) -> Dataset:
    """The scenario's data files, read and checked (DataError or ScenarioError if not).

    Load and check every data file a run of the scenario reads (zones, sectors,
    cities, calibration targets, the city boundaries of the charts, a firm file),
    without synthesising firms: what `zonesim validate` runs.
    """
    d = scenario.data
    paths = data_paths(scenario)
    try:
        cities, _ = check_table(paths["data.cities"], CITIES)
        sectors, _ = check_table(paths["data.sectors"], SECTORS)
        zones, _ = check_table(
            paths["data.zones"],
            ZONES,
            refs={
                "city": cities["city"],
                "city_zh": cities["city_zh"],
                "leading_sectors": sectors["sector"],
            },
        )
        targets_df, target_lines = check_table(paths["data.targets"], TARGETS)
        calibrating = d.firms == SYNTHESIZE and d.calibrate
        targets = check_targets(paths["data.targets"], targets_df, target_lines, calibrating)
        check_sectors(paths["data.sectors"], sectors, zones, scenario, calibrating)
        check_boundaries(paths["data.boundaries"], cities["city"])
        tiers = check_abatement_tiers(paths["data.abatement_tiers"], sectors)
        plants, plant_lines = check_table(
            paths["data.plants"],
            PLANTS,
            refs={"city": cities["city"], "zone_id": zones["zone_id"]},
        )
        check_plants(paths["data.plants"], plants, plant_lines, zones)
        check_names(scenario, set(sectors["sector"]), set(zones["zone_id"]))
        firms = None
        if d.firms != SYNTHESIZE:
            spec = FIRMS.with_limits(birth_year=(1600, scenario.years.base))
            firms, _ = check_table(
                paths["data.firms"],
                spec,
                refs={"zone_id": zones["zone_id"], "sector": sectors["sector"]},
            )
    except OSError as exc:  # unreadable: permissions, a file removed meanwhile, ...
        raise DataError(exc.filename or "data", [f"cannot read: {exc.strerror or exc}"]) from None
    return Dataset(
        zones.reset_index(drop=True),
        sectors.reset_index(drop=True),
        targets,
        paths["data.boundaries"],
        firms,
        tiers,
    )


def check_plants(path: Path, plants: pd.DataFrame, lines: np.ndarray, zones: pd.DataFrame) -> None:
    """Check that the plant list agrees with the zone file.

    Each plant lies in its host zone's city, and where zones.csv has the plant columns
    (derive.py writes them from this list), each zone's steel capacity and petrochemical
    size are the list's sums.
    """
    problems = []
    city = dict(zip(zones["zone_id"], zones["city"], strict=True))
    for line, row in zip(lines, plants.itertuples(index=False), strict=True):
        if city.get(row.zone_id, row.city) != row.city:
            problems.append(
                f"line {line}: plant {row.plant!r} is in {row.city} but its zone "
                f"{row.zone_id} is in {city[row.zone_id]}"
            )
    for sector, (column, _) in PLANT_SHARE.items():
        if column not in zones:
            continue
        listed = plants[plants["sector"] == sector].groupby("zone_id")["size"].sum()
        have = zones.set_index("zone_id")[column].astype(float)
        want = listed.reindex(have.index).fillna(0.0)
        for zid in have.index[~np.isclose(have, want, rtol=1e-6, atol=1e-9)]:
            problems.append(
                f"zone {zid}: zones.csv {column} = {have[zid]:g} but the plant list sums to "
                f"{want[zid]:g} (run scenarios/data/derive.py after editing the list)"
            )
    if problems:
        raise DataError(path, problems)


def check_sectors(
    path: Path,
    sectors: pd.DataFrame,
    zones: pd.DataFrame,
    scenario: Scenario,
    calibrating: bool,
) -> None:
    """Check the sector table against itself and the scenario; DataError lists problems.

    Rules across the rows of the sector table and the scenario: shares sum to 1, the
    firms synthesised fit in memory, energy intensity stays positive under the
    efficiency lever, and calibration has something to scale.
    """
    problems = []
    share = sectors["zone_va_share_2020"].to_numpy(float)
    total = share.sum()
    if abs(total - 1.0) > 1e-3:
        problems.append(f"column zone_va_share_2020 sums to {total:.4f}; must sum to 1")
    d = scenario.data
    if d.firms == SYNTHESIZE:
        # firms per zone × sector cell = output / mean firm output, at least 1 per cell
        zone_va = float(zones["va_2020_yi"].sum())
        output = zone_va * WAN_PER_YI * share / sectors["va_ratio"].to_numpy(float)
        firms = float(np.sum(output / sectors["firm_output_mean_wan"].to_numpy(float)))
        firms = firms * d.firm_scale
        if firms > MAX_FIRMS:
            problems.append(
                f"column firm_output_mean_wan: at data.firm_scale {d.firm_scale:g} these "
                f"means give about {firms:,.0f} firms; allowed: at most {MAX_FIRMS:,} (raise "
                "firm_output_mean_wan or lower data.firm_scale)"
            )
    gain = sectors["efficiency_gain"].to_numpy(float)
    mult = max(
        float(path_value(scenario.economy.efficiency_gain_multiplier, y) or 0.0)
        for y in scenario.sim_years
    )
    if gain.max() * mult >= 1.0:
        problems.append(
            f"column efficiency_gain: {gain.max():g} × economy.efficiency_gain_multiplier "
            f"{mult:g} is a yearly fall of energy intensity of 100 % or more; allowed: "
            "a product below 1"
        )
    if calibrating:
        ei = sectors["energy_intensity_tce_per_wan"].to_numpy(float)
        es = sectors["elec_share"].to_numpy(float)
        fuel = sectors["fuel_co2_t_per_tce"].to_numpy(float)
        needs = {
            "tax_rate": (share * sectors["tax_rate"].to_numpy(float), "zone tax"),
            "rd_share": (share * sectors["rd_share"].to_numpy(float), "zone R&D"),
            "energy_intensity_tce_per_wan × (1 − elec_share) × fuel_co2_t_per_tce": (
                share * ei * (1 - es) * fuel,
                "zone_direct_co2_2020_t",
            ),
            "energy_intensity_tce_per_wan × elec_share": (
                share * ei * es,
                "zone_electricity_2020_mwh",
            ),
        }
        for what, (values, target) in needs.items():
            if not (values > 0).any():
                problems.append(
                    f"{what} is 0 in every sector, so calibration to {target} has nothing to "
                    "scale; allowed: > 0 in at least one sector (or data.calibrate: false)"
                )
    if problems:
        raise DataError(path, problems)


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
    """`prior` scaled so its row sums are `rows` and its column sums `cols` (IPF).

    Iterative proportional fitting of a positive matrix to row and column sums;
    ends on a row step, so rows are exact and columns within the printed tolerance.
    `cols` is first rescaled to the total of `rows`.
    """
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

    `firms` is changed in place. Targets are in the units their names give (revenue in
    亿元, employment in 万 persons, direct CO2 in t, electricity in MWh, shares as
    fractions). Returns the factors applied (1.0 = the sector table already matched).
    """
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


def firm_table(df: pd.DataFrame, zones: pd.DataFrame, sectors: pd.DataFrame) -> FirmTable:
    """The firm table of a firm file: rates per 万元 derived from each firm's totals.

    Firms from the checked rows of a firm file (`load_dataset`; columns in
    sim.runs.checks.FIRMS, documented in scenarios/data/README.md).
    """
    zidx = {z: i for i, z in enumerate(zones["zone_id"])}
    sidx = {s: i for i, s in enumerate(sectors["sector"])}
    out = df["output_wan"].to_numpy(float)
    va = df["va_wan"].to_numpy(float)
    if "utility" in df:
        utility = df["utility"].to_numpy(np.int8)
    else:
        utility = np.zeros(len(df), dtype=np.int8)
    # without base_margin, an estimate: a typical industrial profit margin
    margin = df["base_margin"].to_numpy(float) if "base_margin" in df else np.full(len(df), 0.06)
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
    """The zone table with its base-year land pools added: stock, ready and boundary (mu).

    Base-year land pools. The boundary is the land the zone manages: at least its
    approved area, and large enough that built + stock + ready is the development rate
    of it (approved area is far smaller than managed land; see the data README).
    """
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
    if d.firms == SYNTHESIZE:
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
        firms = firm_table(ds.firms, ds.zones, ds.sectors)
        facts = dict(ds.targets)
    zones = zone_land(ds.zones, firms, d)
    return ModelInputs(zones, ds.sectors, firms, facts, str(ds.boundaries_path), ds.abatement_tiers)
