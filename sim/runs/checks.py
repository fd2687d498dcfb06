"""What a data file may hold, and the one function that checks a table against it.

Each data file a run reads has a `TableSpec`: for every column its type, whether it
must be present, the allowed range or set, and its unit and meaning. `check_table`
reads a CSV and reports every problem at once, each naming the line (as a spreadsheet
shows it, header = line 1), the column, the value given and what is allowed. The
schema tables of scenarios/data/README.md are generated from these specifications
(`python -m sim.runs.checks` prints them), so the documentation and the checks are
one.

Ranges are physical bounds, wide enough for any real zone, sector or firm and far
tighter than what would overflow the model (a value added of 1e308, a share of 1e9).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.scenario.names import BELTS

LEVELS = ("national_etdz", "national_hitech", "national_other", "provincial")
SHOWN = 20  # problems listed in a message (a screenful); the rest are counted
MAX_FILE_BYTES = 512 * 1024**2  # a CSV or GeoJSON larger than this is not a data file
MAX_FIRMS = 3_000_000  # firms in memory at once: 20 × the shipped data at firm_scale 1


class DataError(ValueError):
    """A data file that cannot be used; the message names the file, lines and columns."""

    def __init__(self, file: str | Path, problems: list[str], more: int = 0):
        self.file = str(file)
        self.problems = problems
        total = len(problems) + more
        body = "\n".join(f"  - {p}" for p in problems[:SHOWN])
        hidden = total - min(len(problems), SHOWN)
        tail = f"\n  … and {hidden} more" if hidden > 0 else ""
        super().__init__(f"{file}: {total} problem(s)\n{body}{tail}")


class Problems:
    """Problems found in one file, listed by line.

    Each is kept as (line, order, text); only the first `SHOWN` per rule are kept as
    text, the rest are counted.
    """

    def __init__(self) -> None:
        self.items: list[tuple[int, int, str]] = []
        self.more = 0
        self._order = 0

    def add(self, text: str, line: int = 0) -> None:
        """Add one problem found at `line` (0: not tied to a line, listed first)."""
        self.items.append((line, self._order, text))
        self._order += 1

    def rows(self, bad: np.ndarray, lines: np.ndarray, text: object) -> None:
        """Add `text(i)` for every row index i where `bad` is true (the first SHOWN)."""
        idx = np.flatnonzero(bad)
        for i in idx[:SHOWN]:
            self.add(text(i), int(lines[i]))  # type: ignore[operator]
        self.more += max(0, len(idx) - SHOWN)

    def __bool__(self) -> bool:
        return bool(self.items) or self.more > 0

    def raise_for(self, file: str | Path) -> None:
        """Raise a DataError naming `file` and every problem, by line; nothing if none."""
        if self:
            ordered = [t for _, _, t in sorted(self.items)]
            raise DataError(file, ordered, self.more)


def _num(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Col:
    """One column: its kind, whether it must be present and what values it may hold.

    kind: "id" (non-empty text without spaces at its ends, no `;`), "text", "choice"
    (one of `choices`, or of the set given at check time for a foreign key), "list"
    (`;`-separated choices), "number" (finite, in [lo, hi]), "whole" (a whole number in
    [lo, hi]: years and counts), "flag" (0 or 1), "yyyymm" (a year and month).
    """

    name: str
    kind: str
    unit: str = ""
    meaning: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False  # lo itself is not allowed (> lo)
    required: bool = True  # the column must be present
    empty_ok: bool = False  # text: an empty cell is allowed
    unique: bool = False
    choices: tuple[str, ...] | None = None
    ref: str = ""  # where a foreign key's values come from, for messages and docs
    noun: str = ""  # what one value is called in messages ("city", "leading sector")
    min_items: int = 0  # list: fewest items

    @property
    def numeric(self) -> bool:
        """True if the column's cells are read as numbers (number, whole, flag, yyyymm)."""
        return self.kind in ("number", "whole", "flag", "yyyymm")

    def allowed(self, unit: bool = True) -> str:
        """What the column allows, in words, for messages and the README.

        The unit follows in parentheses unless `unit` is false.
        """
        text = self._allowed()
        if unit and self.numeric and self.unit and self.unit != "–":
            text += f" ({self.unit})"
        return text

    def _allowed(self) -> str:
        if self.kind == "flag":
            return "0 or 1"
        if self.kind == "yyyymm":
            return "yyyymm, a year 1900–2100 and month 01–12"
        if self.kind in ("choice", "list"):
            what = ", ".join(self.choices) if self.choices else self.ref
            if self.kind == "list":
                what = f"`;`-separated, each one of {what}"
                if self.min_items:
                    what += f" (at least {self.min_items})"
                elif self.empty_ok:
                    what += " (may be empty)"
            return what
        if self.kind == "id":
            return "non-empty, unique" if self.unique else "non-empty"
        if self.kind == "text":
            return ("" if self.empty_ok else "non-empty") + (", unique" if self.unique else "")
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '≥'} {_num(self.lo)}")
        if self.hi is not None:
            parts.append(f"≤ {_num(self.hi)}")
        what = "a whole number" if self.kind == "whole" else "a number"
        return f"{what} {' and '.join(parts)}".strip()


@dataclass(frozen=True)
class Ratio:
    """A rule across two columns of a row: num / den ≤ hi (e.g. value added ≤ output)."""

    num: str
    den: str
    hi: float
    why: str


@dataclass(frozen=True)
class TableSpec:
    """A data file: its scenario key, default name and columns."""

    key: str  # the scenario key that names the file, e.g. data.zones
    default: str  # the shipped file name
    columns: tuple[Col, ...]
    ratios: tuple[Ratio, ...] = ()
    max_rows: int | None = None

    @property
    def required(self) -> tuple[str, ...]:
        """The names of the columns that must be present."""
        return tuple(c.name for c in self.columns if c.required)

    @property
    def optional(self) -> tuple[str, ...]:
        """The names of the columns that may be left out."""
        return tuple(c.name for c in self.columns if not c.required)

    def col(self, name: str) -> Col:
        """The column called `name` (StopIteration if there is none)."""
        return next(c for c in self.columns if c.name == name)

    def with_limits(self, **limits: tuple[float | None, float | None]) -> TableSpec:
        """The spec with some columns' ranges set at check time (e.g. birth_year ≤ base)."""
        cols = tuple(
            replace(c, lo=limits[c.name][0], hi=limits[c.name][1]) if c.name in limits else c
            for c in self.columns
        )
        return replace(self, columns=cols)


def _share(name: str, meaning: str, unit: str = "share", positive: bool = False) -> Col:
    return Col(name, "number", unit, meaning, lo=0.0, hi=1.0, lo_open=positive)


ZONES = TableSpec(
    "data.zones",
    "zones.csv",
    (
        Col(
            "zone_id",
            "id",
            meaning="catalog code (G32…, S32…) or F32cc01; fill-ins are F + city adcode/100 + 01",
            unique=True,
            noun="zone_id",
        ),
        Col("name_zh", "text", meaning="name in the catalog; fill-ins 省级开发区（补录N）"),
        Col(
            "name_en",
            "text",
            meaning="pinyin of the locality + type (official names for "
            "SIP, resorts, chemical parks…)",
            unique=True,
        ),
        Col(
            "city_zh",
            "choice",
            meaning="prefecture city",
            ref="a city_zh of cities.csv",
            noun="city_zh",
        ),
        Col(
            "city",
            "choice",
            meaning="prefecture city (= GeoJSON name_en)",
            ref="a city of cities.csv",
            noun="city",
        ),
        Col(
            "belt",
            "choice",
            meaning="primary belt (plan ch. 3: 沿江, 沿运河, 沿海)",
            choices=BELTS,
            noun="belt",
        ),
        Col(
            "belts",
            "list",
            meaning="all belts of the city; Nantong `yangtze;coastal`",
            choices=BELTS,
            noun="belt",
            min_items=1,
        ),
        Col("level", "choice", meaning="approval level and type", choices=LEVELS, noun="level"),
        Col(
            "approved_area_mu",
            "number",
            "mu",
            "approved area 核准面积 (see caveat)",
            lo=0.0,
            hi=1e7,
            lo_open=True,
        ),
        Col("approved_yyyymm", "yyyymm", meaning="approval date", required=False),
        Col(
            "leading_sectors",
            "list",
            meaning="sectors of the leading industries (keyword table below)",
            ref="a sector of sectors.csv",
            noun="leading sector",
            empty_ok=True,
        ),
        Col(
            "leading_industries_zh",
            "text",
            meaning="raw text of the catalog; empty for fill-ins",
            required=False,
            empty_ok=True,
        ),
        Col("chemical_park", "flag", meaning="chemical park (化工园区)"),
        Col("eco_park", "flag", meaning="national eco-industrial demonstration park (estimate)"),
        Col("intl_coop_park", "flag", meaning="international cooperation park (estimate)"),
        Col(
            "management_efficiency",
            "number",
            "–",
            "multiplier of the zone's new-project "
            "output per mu (estimate; 1 = the sector's frontier)",
            lo=0.5,
            hi=2.0,
        ),
        Col(
            "va_2020_yi",
            "number",
            "亿元",
            "value added 2020 (estimate)",
            lo=0.0,
            hi=1e5,
            lo_open=True,
        ),
        Col(
            "fill_in",
            "flag",
            meaning="1 = provincial zone not named in the sources (all its values are estimates)",
        ),
        Col(
            "city_row_check",
            "flag",
            meaning="1 = city assigned by name in the source, checked here",
            required=False,
        ),
        # firm synthesis (issue 12 item 7; derive.py, sources.csv): absent = no plant, factor 1
        Col(
            "steel_plant_mt",
            "number",
            "Mt/yr",
            "crude steel capacity of the listed plants "
            "in the zone (plants.csv); synthesis puts 62 % of zone steel VA on them by "
            "capacity (estimate)",
            lo=0.0,
            hi=200.0,
            required=False,
        ),
        Col(
            "chemicals_plant_size",
            "number",
            "–",
            "relative size of the listed "
            "petrochemical bases in the zone (plants.csv); synthesis puts 45 % of zone "
            "chemicals VA on them by size (estimate)",
            lo=0.0,
            hi=100.0,
            required=False,
        ),
        Col(
            "productivity_factor",
            "number",
            "–",
            "multiplier of firms' output per mu by "
            "level, city, type and zone (estimate; derive.py)",
            lo=0.05,
            hi=20.0,
            lo_open=True,
            required=False,
        ),
        Col(
            "tax_factor",
            "number",
            "–",
            "multiplier of firms' tax / VA (estimate; total calibrated)",
            lo=0.05,
            hi=20.0,
            lo_open=True,
            required=False,
        ),
        Col(
            "energy_factor",
            "number",
            "–",
            "multiplier of firms' energy / VA within their "
            "sector, from CEADs city CO2 per GDP (estimate; total calibrated)",
            lo=0.05,
            hi=20.0,
            lo_open=True,
            required=False,
        ),
    ),
)

SECTORS = TableSpec(
    "data.sectors",
    "sectors.csv",
    (
        Col(
            "sector",
            "id",
            meaning="id: new_power_equipment, engineering_machinery, iot, "
            "frontier_materials, biomedicine, high_end_textiles, core_it, integrated_circuits, "
            "marine_equipment, autos, high_end_equipment, energy_saving_env, new_display, steel, "
            "chemicals, building_materials, paper_light, other_manufacturing, services",
            unique=True,
            noun="sector",
        ),
        Col("name_zh", "text", meaning="name"),
        Col("name_en", "text", meaning="name"),
        Col(
            "kind",
            "text",
            meaning="cluster (the plan's 13), heavy, other, services",
            required=False,
            empty_ok=True,
        ),
        _share(
            "zone_va_share_2020",
            "share of the zones' 2020 value added; the column sums to 1",
            positive=True,
        ),
        Col(
            "va_ratio", "number", "VA / output", "value added / output (营业收入)", lo=0.01, hi=1.0
        ),
        Col(
            "output_per_mu_wan",
            "number",
            "万元/mu",
            "2020 average output per mu of firm land",
            lo=1.0,
            hi=1e5,
        ),
        Col(
            "frontier_output_per_mu_wan",
            "number",
            "万元/mu",
            "output per mu of new projects",
            lo=1.0,
            hi=1e5,
        ),
        Col(
            "energy_intensity_tce_per_wan",
            "number",
            "tce/万元 VA",
            "2020 energy use per value added (electricity at 当量 0.1229 tce/MWh)",
            lo=0.0,
            hi=50.0,
        ),
        _share("elec_share", "electricity's share of the energy in tce"),
        Col(
            "fuel_co2_t_per_tce",
            "number",
            "t CO2/tce",
            "direct CO2 per tce of fossil energy, process CO2 included",
            lo=0.0,
            hi=100.0,
        ),
        _share("tax_rate", "tax (budget revenue) per value added", unit="tax / VA"),
        _share("rd_share", "R&D spending per output", unit="R&D / output"),
        Col(
            "va_per_worker_wan", "number", "万元/person", "value added per employee", lo=0.1, hi=1e4
        ),
        Col("growth", "number", "per year", "real output growth trend 2021–2025", lo=-0.5, hi=1.0),
        Col(
            "efficiency_gain",
            "number",
            "per year",
            "yearly fall of energy intensity within the sector",
            lo=0.0,
            hi=0.1,
        ),
        Col(
            "project_size_mu",
            "number",
            "mu",
            "typical new project (new land comes as firms of this size)",
            lo=1.0,
            hi=1e5,
        ),
        Col(
            "investment_wan_per_mu",
            "number",
            "万元/mu",
            "typical investment intensity of new projects",
            lo=0.0,
            hi=1e5,
        ),
        Col(
            "min_investment_wan_per_mu",
            "number",
            "万元/mu",
            "provincial minimum investment intensity (投资强度)",
            lo=0.0,
            hi=1e5,
        ),
        Col(
            "water_m3_per_wan",
            "number",
            "m³/万元 VA",
            "water withdrawn per value added (for "
            "the water surcharge; estimate: manufacturing averages the national 32.9 m³ per 万元 "
            "industrial VA of 2020, 中国水资源公报, sectors relative by process; services 5)",
            lo=0.0,
            hi=1e4,
        ),
        Col(
            "firm_output_mean_wan",
            "number",
            "万元",
            "mean output per firm (sets the firm "
            f"count at firm_scale 1; the firms synthesised are at most {MAX_FIRMS:,})",
            lo=1.0,
            hi=1e8,
        ),
    ),
)

CITIES = TableSpec(
    "data.cities",
    "cities.csv",
    (
        Col(
            "city",
            "id",
            meaning="GeoJSON name_en: Nanjing, Wuxi, Xuzhou, Changzhou, Suzhou, "
            "Nantong, Lianyungang, Huaian, Yancheng, Yangzhou, Zhenjiang, Taizhou, Suqian",
            unique=True,
            noun="city",
        ),
        Col("city_zh", "text", meaning="南京 …", unique=True),
        Col(
            "adcode",
            "whole",
            meaning="GeoJSON adcode (320100 …)",
            lo=100000,
            hi=999999,
            required=False,
        ),
        Col(
            "belts",
            "list",
            meaning="yangtze, canal, coastal (Nantong both yangtze and coastal)",
            choices=BELTS,
            noun="belt",
            required=False,
            empty_ok=True,
        ),
        Col(
            "gdp_2020_yi",
            "number",
            "亿元",
            "2020 GDP from the city bulletins",
            lo=0.0,
            hi=1e6,
            required=False,
        ),
        Col(
            "gdp_source_flag",
            "text",
            meaning="corroborated (Nanjing, Wuxi, Suzhou) or not_reverified",
            required=False,
            empty_ok=True,
        ),
        Col(
            "co2_ceads_latest_mt",
            "number",
            "Mt CO2",
            "CEADs city inventory, scope 1, latest year",
            lo=0.0,
            hi=1e4,
            required=False,
        ),
        Col(
            "co2_ceads_year",
            "whole",
            "year",
            "2019, or 2017 for Xuzhou and Huaian",
            lo=1990,
            hi=2100,
            required=False,
        ),
    ),
)

TARGETS = TableSpec(
    "data.targets",
    "calibration_targets.csv",
    (
        Col("key", "id", meaning="name of the fact", unique=True, noun="key"),
        Col(
            "value", "number", meaning="the fact, in `unit` (further limits per key below)", lo=0.0
        ),
        Col("unit", "text", meaning="unit of value", required=False, empty_ok=True),
        Col("source", "text", meaning="where it comes from", required=False, empty_ok=True),
        Col(
            "estimate",
            "choice",
            meaning="whether it is an estimate",
            choices=("yes", "no"),
            required=False,
            empty_ok=True,
            noun="estimate",
        ),
    ),
)

ABATEMENT = TableSpec(
    "data.abatement_tiers",
    "abatement_tiers.csv",
    (
        Col(
            "sector",
            "choice",
            meaning="the sector the tier applies to",
            ref="a sector of sectors.csv",
            noun="sector",
        ),
        Col(
            "measure",
            "choice",
            meaning="the abatement measure the tier belongs to",
            choices=("retrofit",),
            noun="measure",
        ),
        Col("tier", "whole", meaning="the tier's rank, 1 = cheapest", lo=1, hi=20),
        Col(
            "cost_yuan_per_t",
            "number",
            "元/t CO2",
            "cost of a tonne abated in the tier",
            lo=0.0,
            hi=1e5,
        ),
        Col(
            "share_of_co2_per_year",
            "number",
            "share",
            "share of the sector's CO2 the tier can abate in a year",
            lo=0.0,
            hi=1.0,
        ),
        Col("source", "text", meaning="where the cost comes from", required=False, empty_ok=True),
        Col("estimate", "flag", meaning="1 where the figure is an estimate", required=False),
        Col("note", "text", meaning="how the figure was derived", required=False, empty_ok=True),
    ),
)


PLANTS = TableSpec(
    "data.plants",
    "plants.csv",
    (
        Col("plant", "text", meaning="the plant or base (English)", unique=True),
        Col("plant_zh", "text", meaning="name"),
        Col(
            "sector",
            "choice",
            meaning="its sector (steel plants, petrochemical bases)",
            choices=("steel", "chemicals"),
            noun="sector",
        ),
        Col("city", "choice", meaning="prefecture city", ref="a city of cities.csv", noun="city"),
        Col(
            "zone_id",
            "choice",
            meaning="the host zone whose firms it joins (host_note says "
            "where the host is an estimate)",
            ref="a zone_id of zones.csv",
            noun="zone_id",
        ),
        Col(
            "size",
            "number",
            "unit column",
            "capacity (steel, Mt crude steel/yr) or relative size (chemicals)",
            lo=0.0,
            hi=1000.0,
            lo_open=True,
        ),
        Col("unit", "text", meaning="the unit of size"),
        Col("estimate", "text", meaning="yes where size or host is an estimate"),
        Col("source", "text", meaning="where the plant, host and size come from"),
        Col("host_note", "text", meaning="how the host zone was chosen", empty_ok=True),
    ),
)
"""The heavy-plant list (issue 12 item 7): a source of derive.py, whose zone columns
steel_plant_mt and chemicals_plant_size carry it into zones.csv; checked at validate so
the two agree."""


FIRMS = TableSpec(
    "data.firms",
    "firms.csv",
    (
        Col(
            "zone_id",
            "choice",
            meaning="the firm's zone",
            ref="a zone_id of zones.csv",
            noun="zone_id",
        ),
        Col(
            "sector",
            "choice",
            meaning="the firm's sector",
            ref="a sector of sectors.csv",
            noun="sector",
        ),
        Col("land_mu", "number", "mu", "land the firm uses", lo=0.01, hi=1e6),
        Col("output_wan", "number", "万元", "output (营业收入) in the base year", lo=0.01, hi=1e9),
        Col("va_wan", "number", "万元", "value added (at most output_wan)", lo=0.01, hi=1e9),
        Col("tax_wan", "number", "万元", "tax paid (at most va_wan)", lo=0.0, hi=1e9),
        Col("rd_wan", "number", "万元", "R&D spending (at most output_wan)", lo=0.0, hi=1e9),
        Col("employees", "number", "persons", "average employees over the year", lo=0.0, hi=1e6),
        Col(
            "energy_tce",
            "number",
            "tce",
            "energy use (electricity at 当量 0.1229 tce/MWh; at most 100 tce per 万元 of va_wan)",
            lo=0.0,
            hi=1e8,
        ),
        _share("elec_share", "electricity's share of energy_tce"),
        Col(
            "birth_year",
            "whole",
            "year",
            "first year of production, at most the base year "
            "(class T while younger than `evaluation.exempt_age_years`)",
            lo=1600,
            hi=None,
        ),
        Col(
            "base_margin",
            "number",
            "share",
            "optional: profit / output before surcharges (default 0.06, estimate)",
            lo=-1.0,
            hi=1.0,
            required=False,
        ),
        Col(
            "utility",
            "flag",
            meaning="optional: 1 for a water, power or gas utility, never "
            "evaluated (class T, 不适合评价)",
            required=False,
        ),
    ),
    ratios=(
        Ratio("va_wan", "output_wan", 1.0, "value added cannot exceed output"),
        Ratio("tax_wan", "va_wan", 1.0, "tax is paid out of value added"),
        Ratio("rd_wan", "output_wan", 1.0, "R&D is paid out of output"),
        Ratio("energy_tce", "va_wan", 100.0, "tce per 万元 of value added"),
    ),
    max_rows=MAX_FIRMS,
)


@dataclass(frozen=True)
class Target:
    """A calibration target the model reads: its range and what it is needed by."""

    lo: float
    hi: float
    unit: str
    needed_by: str  # "always", or "calibrate" (synthesised firms with data.calibrate)


TARGET_KEYS: dict[str, Target] = {
    "jiangsu_gdp_2020_yi": Target(0.0, 1e6, "亿元", "always"),
    "jiangsu_budget_revenue_2020_yi": Target(0.0, 1e6, "亿元", "calibrate"),
    "zone_tax_share_of_revenue": Target(0.0, 1.0, "share", "calibrate"),
    "zone_rd_share_of_va": Target(0.0, 1.0, "share", "calibrate"),
    "jiangsu_employment_2020_wan": Target(0.0, 1e5, "万人", "calibrate"),
    "zone_employment_share": Target(0.0, 1.0, "share", "calibrate"),
    "zone_direct_co2_2020_t": Target(0.0, 1e10, "t CO2", "calibrate"),
    "zone_electricity_2020_mwh": Target(0.0, 1e10, "MWh", "calibrate"),
}
"""Keys read by the model; each must be > lo and ≤ hi (a zero would drop a quantity:
an electricity target of 0 removes scope-2 CO2)."""

UNIT_RULES: dict[str, tuple[float, float, bool]] = {
    "share": (0.0, 1.0, False),
    "fall vs 2020": (0.0, 1.0, False),
    "year": (1900.0, 2100.0, True),
    "zones": (0.0, math.inf, True),
    "firms": (0.0, math.inf, True),
}
"""Other targets, by their unit: (lo, hi, whole number)."""


# ---------------------------------------------------------------- reading and checking


def read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a UTF-8 CSV as text cells, with each row's line number.

    A BOM is accepted. Line numbers are as a spreadsheet shows them (header = line 1;
    blank lines are skipped but counted).
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataError(path, [f"{size:,} bytes; a data file may have at most {MAX_FILE_BYTES:,}"])
    try:
        raw = pd.read_csv(
            path,
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
            header=None,
            skip_blank_lines=False,
        )
    except UnicodeDecodeError as exc:
        raise DataError(
            path, [f"not UTF-8 text ({exc.reason} at byte {exc.start}); save as UTF-8"]
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(path, ["the file is empty; expected a header line and rows"]) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(path, [f"not a well-formed CSV: {exc}"]) from None
    raw = raw.fillna("")
    header = [str(h).strip() for h in raw.iloc[0]]
    body = raw.iloc[1:]
    lines = np.arange(2, len(raw) + 1)
    blank = (body == "").all(axis=1).to_numpy()
    df = body[~blank].copy()
    df.columns = header
    return df.reset_index(drop=True), lines[~blank]


def _fmt(v: float) -> str:
    return str(float(v))


def check_table(
    path: Path,
    spec: TableSpec,
    refs: Mapping[str, Iterable[str]] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Read `path` and check it against `spec`; raise a DataError listing every problem.

    `refs` gives the allowed values of foreign-key columns (a firm's zone_id: the
    zone_ids of the zone file). Returns the table, numeric columns as float, and each
    row's line number.
    """
    df, lines = read_csv(path)
    problems = Problems()
    header = list(df.columns)
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        problems.add(f"column(s) {', '.join(dup)} appear more than once in the header")
    missing = [c for c in spec.required if c not in header]
    if missing:
        problems.add(
            f"missing column(s) {', '.join(missing)}; required: {', '.join(spec.required)}"
        )
    extra = [c for c in header if c not in spec.required and c not in spec.optional]
    if extra:
        allowed = ", ".join((*spec.required, *spec.optional))
        problems.add(f"unknown column(s) {', '.join(map(repr, extra))}; allowed: {allowed}")
    if df.empty:
        problems.add("no data rows")
    if spec.max_rows is not None and len(df) > spec.max_rows:
        problems.add(f"{len(df):,} rows; at most {spec.max_rows:,}")
    problems.raise_for(path)
    refs = {k: set(v) for k, v in (refs or {}).items()}
    flagged = {
        col.name: _check_column(df, lines, col, refs.get(col.name), problems)
        for col in spec.columns
        if col.name in df
    }
    for r in spec.ratios:  # on rows whose two values are each allowed
        num, den = df[r.num].to_numpy(float), df[r.den].to_numpy(float)
        ok = ~flagged[r.num] & ~flagged[r.den]
        with np.errstate(all="ignore"):
            bad = ok & (num > r.hi * den)
        unit = "" if r.hi == 1.0 else f" × {_num(r.hi)}"
        problems.rows(
            bad,
            lines,
            lambda i, r=r, num=num, den=den, unit=unit: (
                f"line {lines[i]}, column {r.num}: {_fmt(num[i])} is above {r.den} "
                f"{_fmt(den[i])}{unit}; allowed: at most {r.den}{unit} ({r.why})"
            ),
        )
    problems.raise_for(path)
    return df, lines


def _check_column(
    df: pd.DataFrame,
    lines: np.ndarray,
    col: Col,
    ref: set[str] | None,
    problems: Problems,
) -> np.ndarray:
    """Check one column, adding its problems; return the mask of rows found wrong."""
    name = col.name
    flagged = np.zeros(len(df), bool)

    def rows(bad: np.ndarray, text_of: object) -> None:
        flagged[bad] = True
        problems.rows(bad, lines, text_of)

    text = df[name].astype(str)
    where = lambda i: f"line {lines[i]}, column {name}"  # noqa: E731
    allowed = col.allowed()
    if col.numeric:
        stripped = text.str.strip()
        values = pd.to_numeric(stripped, errors="coerce").astype(float).to_numpy()
        empty = (stripped == "").to_numpy()
        rows(empty, lambda i: f"{where(i)}: empty; allowed: {allowed}")
        nan = np.isnan(values) & ~empty
        rows(nan, lambda i: f"{where(i)}: {text.iloc[i]!r} is not a number; allowed: {allowed}")
        inf = np.isinf(values)
        rows(
            inf, lambda i: f"{where(i)}: {text.iloc[i].strip()!r} is not finite; allowed: {allowed}"
        )
        ok = np.isfinite(values)
        if col.kind == "flag":
            rows(
                ok & ~np.isin(values, (0.0, 1.0)),
                lambda i: f"{where(i)}: {text.iloc[i]!r} is not 0 or 1",
            )
        elif col.kind == "yyyymm":
            month = np.mod(values, 100)
            bad = ok & (
                (values != np.round(values))
                | (values < 190001)
                | (values > 210012)
                | (month < 1)
                | (month > 12)
            )
            rows(bad, lambda i: f"{where(i)}: {text.iloc[i]!r} is not a date; allowed: {allowed}")
        else:
            if col.kind == "whole":
                frac = ok & (values != np.round(values))
                rows(
                    frac,
                    lambda i: (
                        f"{where(i)}: {_fmt(values[i])} is not a whole number; allowed: {allowed}"
                    ),
                )
            if col.lo is not None:
                low = ok & ((values <= col.lo) if col.lo_open else (values < col.lo))
                word = lambda i: "is negative" if values[i] < 0 <= col.lo else "is too small"  # noqa: E731
                rows(low, lambda i: f"{where(i)}: {_fmt(values[i])} {word(i)}; allowed: {allowed}")
            if col.hi is not None:
                high = ok & (values > col.hi)
                rows(
                    high,
                    lambda i: f"{where(i)}: {_fmt(values[i])} is too large; allowed: {allowed}",
                )
        df[name] = pd.to_numeric(stripped, errors="coerce")  # ints stay ints
        return flagged
    if col.kind in ("id", "choice") or (col.kind == "text" and not col.empty_ok):
        empty = (text.str.strip() == "").to_numpy()
        if not (col.kind == "choice" and col.empty_ok):
            rows(empty, lambda i: f"{where(i)}: empty; allowed: {allowed}")
        if col.kind == "id":
            spaced = ~empty & (text != text.str.strip()).to_numpy()
            rows(
                spaced,
                lambda i: (
                    f"{where(i)}: {text.iloc[i]!r} has spaces at its "
                    "ends; allowed: an id without them"
                ),
            )
            semi = text.str.contains(";", regex=False).to_numpy()
            rows(
                semi, lambda i: f"{where(i)}: {text.iloc[i]!r} contains ';', which separates lists"
            )
    else:
        empty = np.zeros(len(text), bool)
    if col.unique:
        dup = text.duplicated(keep="first").to_numpy() & ~empty
        first = {v: lines[i] for i, v in reversed(list(enumerate(text)))}
        rows(
            dup,
            lambda i: (
                f"{where(i)}: duplicate {col.noun or name} {text.iloc[i]!r} "
                f"(first on line {first[text.iloc[i]]})"
            ),
        )
    choices = set(col.choices) if col.choices else ref
    if choices is None:
        return flagged
    shown = ", ".join(col.choices) if col.choices else _listing(choices, col.ref)
    if col.kind == "choice":
        bad = ~empty & ~text.isin(choices).to_numpy()
        rows(
            bad,
            lambda i: (
                f"{where(i)}: unknown {col.noun or name} {text.iloc[i]!r}"
                f"{_near(text.iloc[i], choices)}; allowed: {shown}"
            ),
        )
    elif col.kind == "list":
        for i, cell in enumerate(text):
            items = [s for s in cell.split(";") if s != ""]
            if len(items) < col.min_items:
                flagged[i] = True
                problems.add(
                    f"{where(i)}: {cell!r} has {len(items)} item(s); allowed: {allowed}",
                    int(lines[i]),
                )
            for s in items:
                if s not in choices:
                    flagged[i] = True
                    problems.add(
                        f"{where(i)}: unknown {col.noun} {s!r}{_near(s, choices)}; "
                        f"allowed: {shown}",
                        int(lines[i]),
                    )
    return flagged


def _listing(choices: set[str], ref: str) -> str:
    if len(choices) <= 25:
        return ", ".join(sorted(choices))
    return ref


def _near(value: str, choices: set[str]) -> str:
    near = difflib.get_close_matches(value, sorted(choices), n=1, cutoff=0.7)
    return f" (did you mean {near[0]}?)" if near else ""


def check_targets(
    path: Path, df: pd.DataFrame, lines: np.ndarray, calibrating: bool
) -> dict[str, float]:
    """Check the calibration targets and return them as a dict, key -> value.

    Each key the model reads must be present and in its range (> lo, ≤ hi); the
    others are checked by their unit (`UNIT_RULES`).
    """
    problems = Problems()
    line_of = dict(zip(df["key"], lines, strict=True))
    values = dict(zip(df["key"], df["value"].astype(float), strict=True))
    for key, t in TARGET_KEYS.items():
        if key not in values:
            if t.needed_by == "always" or calibrating:
                why = (
                    "the province's GDP path"
                    if t.needed_by == "always"
                    else "calibration (data.calibrate: true with synthesised firms)"
                )
                problems.add(
                    f"missing key {key} ({t.unit}), needed by {why}; allowed: a number > "
                    f"{_num(t.lo)} and ≤ {_num(t.hi)}"
                )
            continue
        v = values[key]
        if not (t.lo < v <= t.hi):
            problems.add(
                f"line {line_of[key]}, key {key}: {_fmt(v)} is out of range; allowed: a "
                f"number > {_num(t.lo)} and ≤ {_num(t.hi)} {t.unit}",
                int(line_of[key]),
            )
    if "unit" in df:
        for key, unit in zip(df["key"], df["unit"], strict=True):
            rule = UNIT_RULES.get(str(unit).strip())
            if rule is None or key in TARGET_KEYS:
                continue
            lo, hi, whole = rule
            v = values[key]
            if not (lo <= v <= hi) or (whole and v != round(v)):
                kind = "a whole number" if whole else "a number"
                upper = "" if math.isinf(hi) else f" and ≤ {_num(hi)}"
                problems.add(
                    f"line {line_of[key]}, key {key}: {_fmt(v)} is not allowed for unit "
                    f"{unit!r}; allowed: {kind} ≥ {_num(lo)}{upper}",
                    int(line_of[key]),
                )
    problems.raise_for(path)
    return values


# ---------------------------------------------------------------- the city boundaries


def check_boundaries(path: Path, cities: Iterable[str]) -> None:
    """Check the GeoJSON of city boundaries; raise a DataError listing every problem.

    It must be readable JSON, a FeatureCollection whose features have properties
    name_en and name_zh and (Multi)Polygon geometries with finite longitude/latitude,
    one feature for every city of the city table.
    """
    import json

    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataError(path, [f"{size:,} bytes; a data file may have at most {MAX_FILE_BYTES:,}"])
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DataError(path, [f"not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    except json.JSONDecodeError as exc:
        raise DataError(
            path, [f"line {exc.lineno}, character {exc.colno}: not valid JSON ({exc.msg})"]
        ) from None
    except RecursionError:
        raise DataError(path, ["nested too deeply to be GeoJSON"]) from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        raise DataError(
            path,
            [
                "not a GeoJSON FeatureCollection: expected an object with a non-empty "
                "'features' list"
            ],
        )
    problems = Problems()
    names: set[str] = set()
    for i, feat in enumerate(features):
        where = f"feature {i}"
        props = feat.get("properties") if isinstance(feat, dict) else None
        if not isinstance(props, dict):
            problems.add(f"{where}: no 'properties' object")
            continue
        for key in ("name_en", "name_zh"):
            if not isinstance(props.get(key), str) or not props[key].strip():
                problems.add(f"{where}: properties.{key} missing or not a name")
        if isinstance(props.get("name_en"), str):
            names.add(props["name_en"])
            where = f"feature {i} ({props['name_en']})"
        geom = feat.get("geometry")
        kind = geom.get("type") if isinstance(geom, dict) else None
        if kind not in ("Polygon", "MultiPolygon"):
            problems.add(f"{where}: geometry type {kind!r}; allowed: Polygon, MultiPolygon")
            continue
        depth = 3 if kind == "Polygon" else 4
        bad = _bad_coordinates(geom.get("coordinates"), depth)
        if bad:
            problems.add(
                f"{where}: geometry.coordinates {bad}; allowed: [longitude, "
                "latitude] pairs, finite, within ±180 and ±90"
            )
    missing = sorted(set(cities) - names)
    if missing:
        problems.add(
            f"no feature with properties.name_en {', '.join(missing)} (a city of the city "
            f"table); names there: {', '.join(sorted(names)) or 'none'}"
        )
    problems.raise_for(path)


def _bad_coordinates(node: object, depth: int) -> str:
    """What is wrong with the coordinates `node`, or '' if nothing is.

    `node` should be nested lists `depth` deep ending in finite [lon, lat] pairs.
    """
    stack = [(node, depth)]
    while stack:
        item, d = stack.pop()
        if not isinstance(item, list) or not item:
            return "are not nested lists of points"
        if d == 1:
            if len(item) < 2 or not all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in item
            ):
                return f"hold {item!r:.60}, not a point"
            lon, lat = float(item[0]), float(item[1])
            if not (math.isfinite(lon) and math.isfinite(lat)):
                return f"hold a point {item!r:.60} that is not finite"
            if abs(lon) > 180 or abs(lat) > 90:
                return f"hold a point {item!r:.60} outside ±180, ±90"
        else:
            stack.extend((x, d - 1) for x in item)
    return ""


# ---------------------------------------------------------------- documentation


def schema_markdown(spec: TableSpec) -> str:
    """The README table of a file: column, type, unit, allowed values, meaning."""
    kinds = {
        "id": "str",
        "text": "str",
        "choice": "str",
        "list": "str list",
        "number": "float",
        "whole": "int",
        "flag": "int",
        "yyyymm": "int",
    }
    rows = ["| column | type | unit | allowed | meaning |", "|---|---|---|---|---|"]
    for c in spec.columns:
        allowed = c.allowed(unit=False)
        if c.name == "birth_year":
            allowed += " and ≤ years.base"
        opt = " (optional)" if not c.required else ""
        rows.append(f"| {c.name} | {kinds[c.kind]}{opt} | {c.unit} | {allowed} | {c.meaning} |")
    for r in spec.ratios:
        unit = "" if r.hi == 1.0 else f" × {_num(r.hi)}"
        rows.append(f"| *row rule* | | | {r.num} ≤ {r.den}{unit} | {r.why} |")
    return "\n".join(rows)


def targets_markdown() -> str:
    """The README table of the calibration targets the model reads."""
    rows = ["| key | unit | allowed | needed by |", "|---|---|---|---|"]
    for key, t in TARGET_KEYS.items():
        need = "every run" if t.needed_by == "always" else "data.calibrate (synthesised firms)"
        rows.append(f"| {key} | {t.unit} | > {_num(t.lo)} and ≤ {_num(t.hi)} | {need} |")
    for unit, (lo, hi, whole) in UNIT_RULES.items():
        kind = "a whole number" if whole else "a number"
        upper = "" if math.isinf(hi) else f" and ≤ {_num(hi)}"
        rows.append(f"| any other key with unit `{unit}` | {unit} | {kind} ≥ {_num(lo)}{upper} | |")
    return "\n".join(rows)


SPECS = (ZONES, SECTORS, CITIES, TARGETS, FIRMS, ABATEMENT, PLANTS)


def readme_tables() -> dict[str, str]:
    """Marker name → generated table, for scenarios/data/README.md."""
    out = {s.default: schema_markdown(s) for s in SPECS}
    out["calibration keys"] = targets_markdown()
    return out


def render_readme(text: str) -> str:
    """`text` with every `<!-- schema: NAME -->` … `<!-- /schema -->` block regenerated."""
    import re

    tables = readme_tables()

    def sub(m: re.Match[str]) -> str:
        return f"{m.group(1)}\n{tables[m.group(2)]}\n{m.group(3)}"

    return re.sub(r"(<!-- schema: (.+?) -->)\n.*?\n(<!-- /schema -->)", sub, text, flags=re.DOTALL)


if __name__ == "__main__":  # regenerate the README's schema tables
    readme = Path(__file__).resolve().parents[2] / "scenarios" / "data" / "README.md"
    readme.write_text(render_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the schema tables of {readme}")
