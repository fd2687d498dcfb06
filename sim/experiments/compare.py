"""Runs side by side: key KPIs by scenario, their differences, and why they differ.

`load_run(folder)` reads a run folder into a `RunView`; `run_names(runs)` names runs by
what differs between them (the scenario's name; for runs of one scenario with `--set`
overrides, the keys that differ, e.g. `baseline [exit.mode=off]`); `compare(runs)`
returns a `Comparison`: the KPIs in long form with their difference against the first
run, the levers that differ, the LMDI decomposition of the change in CO2 and energy
(models/decompose.py: between the base year and each year of a run, and between the
first run and each other run in the same year) and every run's scorecard.
`write_comparison` writes them as CSV and Parquet into a folder, atomically.

Money in constant 2020 prices (the model's price basis). Energy in tce counts
electricity at 0.1229 tce/MWh (当量值, the equivalent-value convention).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from models import decompose
from sim.units import T_PER_MT, WAN_PER_YI

TABLES = ("province", "zones", "sectors", "cities", "belts", "allocations")
"""The run folder's tables a RunView holds (firms_final is not read: it is large)."""
REQUIRED = ("province", "zones", "sectors")
"""The tables a comparison cannot do without."""
NOT_LEVERS = ("name", "description", "report", "uncertainty")
"""Top-level scenario keys that are not levers of a single run (names, report settings,
an ensemble's distributions)."""
COMPARE_TOOL = "zonesim compare"
"""compare.json's `tool`: what marks a folder as a comparison folder."""


class RunFolderError(ValueError):
    """A folder that cannot be read as a run: the message names it and what is missing."""


@dataclass
class RunView:
    """One run folder read back: its tables, manifest, resolved scenario and scorecard.

    `name` starts as the scenario's name; `run_names` gives names that tell runs apart.
    Missing optional tables (cities, belts, allocations) are empty frames.
    """

    path: Path
    name: str
    province: pd.DataFrame
    zones: pd.DataFrame
    sectors: pd.DataFrame
    cities: pd.DataFrame
    allocations: pd.DataFrame
    manifest: dict[str, Any]
    scenario: dict[str, Any]
    scorecard: pd.DataFrame
    belts: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def years(self) -> list[int]:
        """The years of the run's province table."""
        return [int(y) for y in self.province["year"]]

    @property
    def base_year(self) -> int:
        """The run's base year (the first year of its tables)."""
        return int(self.province["year"].min())


def load_run(path: str | Path) -> RunView:
    """Read a run folder (RunFolderError naming the folder and what is missing)."""
    from sim.runs.store import run_folder_problems
    from sim.scenario import ScenarioError
    from sim.scenario.yamlfile import read_yaml_file

    folder = Path(path)
    if not folder.exists():
        raise RunFolderError(f"{folder}: no such folder (give a run folder of `zonesim run`)")
    problems = run_folder_problems(folder)
    problems += [f"no {t}.parquet" for t in REQUIRED if not (folder / f"{t}.parquet").is_file()]
    problems = list(dict.fromkeys(problems))
    if problems:
        raise RunFolderError(
            f"{folder} is not a readable zonesim run folder: {'; '.join(problems)}"
        )
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    try:  # the scenario files' YAML 1.2 reader: `off` stays a word
        scenario = read_yaml_file(folder / "scenario.yaml", what="run folder's scenario.yaml")
    except ScenarioError as exc:
        raise RunFolderError(f"{folder / 'scenario.yaml'} cannot be read: {exc}") from None
    if not isinstance(scenario, dict):
        raise RunFolderError(f"{folder / 'scenario.yaml'} is not a mapping of scenario keys")
    frames: dict[str, pd.DataFrame] = {}
    for t in TABLES:
        f = folder / f"{t}.parquet"
        if not f.is_file():
            frames[t] = pd.DataFrame()
            continue
        try:
            frames[t] = pd.read_parquet(f)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise RunFolderError(f"{f} cannot be read as Parquet: {exc}") from None
    need = {
        "province": ("year", "value_added_yi", "co2_t", "energy_tce", "grid_factor_t_per_mwh"),
        "sectors": ("year", "sector", "value_added_yi", "energy_tce", "electricity_mwh", "co2_t"),
        "zones": ("year", "zone_id", "value_added_yi", "energy_tce", "electricity_mwh", "co2_t"),
    }
    for t, cols in need.items():
        missing = [c for c in cols if c not in frames[t].columns]
        if missing:
            raise RunFolderError(f"{folder / (t + '.parquet')} lacks the columns {missing}")
    if frames["province"].empty:
        raise RunFolderError(f"{folder / 'province.parquet'} has no rows")
    name = str(manifest.get("scenario") or scenario.get("name") or folder.name)
    view = RunView(
        path=folder,
        name=name,
        manifest=manifest,
        scenario=scenario,
        scorecard=pd.DataFrame(),
        **frames,
    )
    view.scorecard = _scorecard(view)
    return view


def _scorecard(run: RunView) -> pd.DataFrame:
    """The run's scorecard recomputed from its tables (the run folder's own if it cannot be)."""
    from sim.runs import results
    from sim.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(run.path / "scenario.yaml")
    except ScenarioError:
        csv = run.path / "scorecard.csv"
        return pd.read_csv(csv) if csv.is_file() else pd.DataFrame()
    return results.scorecard(run.province, scenario, zones=run.zones)


# --- naming runs by what differs -------------------------------------------------------


def _is_path(node: Mapping[Any, Any]) -> bool:
    return bool(node) and all(
        isinstance(k, int) or (isinstance(k, str) and k.isdigit()) for k in node
    )


def flat_levers(scenario: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's leaves by dotted key; a {year: value} path counts as one leaf.

    Keys in NOT_LEVERS are left out.
    """
    out: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, Mapping) and node and not _is_path(node):
            for k, v in node.items():
                walk(v, f"{prefix}{k}.")
        else:
            out[prefix.rstrip(".")] = node

    for k, v in scenario.items():
        if k not in NOT_LEVERS:
            walk(v, f"{k}.")
    return out


MISSING = object()
"""A key a scenario does not have (in `differing_levers`)."""


def differing_levers(scenarios: Sequence[Mapping[str, Any]]) -> list[str]:
    """The dotted leaf keys whose values are not the same in every scenario (sorted)."""
    flats = [flat_levers(s) for s in scenarios]
    keys = sorted(set().union(*flats)) if flats else []
    return [k for k in keys if len({_canon(f.get(k, MISSING)) for f in flats}) > 1]


def _canon(value: Any) -> str:
    if value is MISSING:
        return "\0missing"
    if isinstance(value, Mapping) and _is_path(value):
        value = {int(k): v for k, v in value.items()}
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def show_value(value: Any, width: int = 40) -> str:
    """A lever's value as a short text: YAML words (off, null), a path as {2023: 368, ...}."""
    if value is MISSING:
        return "(not set)"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k}: {show_value(v, width)}" for k, v in value.items())
        text = "{" + inner + "}"
    elif isinstance(value, list):
        text = "[" + ", ".join(show_value(v, width) for v in value) + "]"
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _library_levers(name: str) -> dict[str, Any] | None:
    """The shipped scenario `name`'s leaves, or None when it is not a shipped one."""
    from sim.scenario import ScenarioError, load_scenario
    from sim.scenario.library import shipped_names

    if name not in shipped_names():
        return None
    try:
        return flat_levers(yaml.safe_load(load_scenario(name).to_yaml()))
    except ScenarioError:
        return None


def run_names(runs: Sequence[RunView]) -> list[str]:
    """Names that tell the runs apart by what differs between them.

    Runs of different scenarios are named by their scenario's name. Runs of one
    scenario (same name) are named by the keys that differ among them, each run listing
    the keys where it departs from the shipped scenario of that name (for a file of
    one's own: from the first such run), e.g. `baseline [exit.mode=off]`. Runs that
    would still share a name get their folder's name in brackets.
    """
    base = [str(r.scenario.get("name") or r.name) for r in runs]
    names = list(base)
    for n in dict.fromkeys(base):
        group = [i for i, b in enumerate(base) if b == n]
        if len(group) < 2:
            continue
        keys = differing_levers([runs[i].scenario for i in group])
        ref = _library_levers(n) or flat_levers(runs[group[0]].scenario)
        for i in group:
            mine = flat_levers(runs[i].scenario)
            parts = [
                f"{k}={show_value(mine.get(k, MISSING))}"
                for k in keys
                if _canon(mine.get(k, MISSING)) != _canon(ref.get(k, MISSING))
            ]
            if parts:
                names[i] = f"{n} [{', '.join(parts)}]"
    counts = pd.Series(names).value_counts()
    return [
        f"{nm} ({r.path.name})" if counts[nm] > 1 else nm for nm, r in zip(names, runs, strict=True)
    ]


# --- KPIs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """A key KPI: its province column, unit, scale from the column's unit, labels."""

    kpi: str
    column: str
    unit: str
    scale: float
    en: str
    zh: str
    cumulative: bool = False


KPIS: tuple[Kpi, ...] = (
    Kpi("value_added", "value_added_yi", "亿元", 1.0, "Value added", "增加值"),
    Kpi("va_share", "va_share_of_province", "%", 100.0, "Share of province GDP", "占全省GDP比重"),
    Kpi("co2", "co2_t", "Mt", 1 / T_PER_MT, "CO2 emissions", "二氧化碳排放"),
    Kpi("energy", "energy_tce", "Mtce", 1 / T_PER_MT, "Energy use", "能源消费"),
    Kpi(
        "carbon_intensity",
        "carbon_intensity_t_per_wan",
        "t/万元",
        1.0,
        "Carbon intensity",
        "碳排放强度",
    ),
    Kpi(
        "carbon_intensity_change",
        "carbon_intensity_t_per_wan_change_vs_base",
        "%",
        100.0,
        "Carbon intensity change vs base year",
        "碳排放强度较基准年变化",
    ),
    Kpi(
        "energy_intensity",
        "energy_intensity_tce_per_wan",
        "tce/万元",
        1.0,
        "Energy intensity",
        "能耗强度",
    ),
    Kpi(
        "energy_intensity_change",
        "energy_intensity_tce_per_wan_change_vs_base",
        "%",
        100.0,
        "Energy intensity change vs base year",
        "能耗强度较基准年变化",
    ),
    Kpi("output_per_mu", "output_per_mu_wan", "万元/亩", 1.0, "Output per mu", "亩均营业收入"),
    Kpi("land_new", "land_new_mu", "mu", 1.0, "New construction land", "新增建设用地"),
    Kpi(
        "land_new_cumulative",
        "land_new_mu",
        "mu",
        1.0,
        "New land since base year",
        "累计新增建设用地",
        cumulative=True,
    ),
    Kpi(
        "land_revitalised",
        "land_revitalised_mu",
        "mu",
        1.0,
        "Revitalised stock land",
        "盘活存量用地",
    ),
    Kpi(
        "land_revitalised_cumulative",
        "land_revitalised_mu",
        "mu",
        1.0,
        "Revitalised land since base year",
        "累计盘活存量用地",
        cumulative=True,
    ),
    Kpi("firms_exited", "firms_exited", "firms", 1.0, "Firms exited", "退出企业"),
    Kpi(
        "firms_exited_cumulative",
        "firms_exited",
        "firms",
        1.0,
        "Firms exited since base year",
        "累计退出企业",
        cumulative=True,
    ),
    Kpi(
        "carbon_gap",
        "carbon_gap_t",
        "Mt",
        1 / T_PER_MT,
        "Carbon gap (above the caps)",
        "碳排放缺口（超出上限）",
    ),
    Kpi("abatement", "abatement_total_t", "Mt", 1 / T_PER_MT, "CO2 abated", "减排量"),
    Kpi(
        "marginal_abatement_cost",
        "marginal_abatement_cost_yuan_per_t",
        "元/t",
        1.0,
        "Marginal cost of the caps",
        "碳约束边际成本",
    ),
    Kpi(
        "average_abatement_cost",
        "average_abatement_cost_yuan_per_t",
        "元/t",
        1.0,
        "Average abatement cost",
        "平均减排成本",
    ),
    Kpi(
        "cap_va_forgone",
        "cap_va_forgone_wan",
        "亿元",
        1 / WAN_PER_YI,
        "VA forgone to the caps",
        "因碳约束损失的增加值",
    ),
)
"""The comparison's KPIs (money in constant 2020 prices; energy with electricity at
0.1229 tce/MWh). Cost KPIs are kept where a run has their column."""
KPI_BY_NAME = {k.kpi: k for k in KPIS}
DECIMALS = {"亿元": 0, "%": 1, "Mt": 1, "Mtce": 1, "t/万元": 3, "tce/万元": 3, "万元/亩": 0}
"""Decimals a briefing shows per unit (亿元 to the unit, Mt to one decimal); others: 0."""
UNIT_LABELS = {
    "亿元": ("CNY 100m", "亿元"),
    "%": ("%", "%"),
    "Mt": ("Mt", "万吨"),
    "Mtce": ("Mtce", "万吨标准煤"),
    "t/万元": ("t per CNY 10k", "吨/万元"),
    "tce/万元": ("tce per CNY 10k", "吨标准煤/万元"),
    "万元/亩": ("CNY 10k per mu", "万元/亩"),
    "mu": ("mu", "亩"),
    "firms": ("firms", "家"),
    "元/t": ("CNY/t", "元/吨"),
    "pp": ("percentage points", "个百分点"),
}
"""Each unit's label in English and Chinese (UNIT_SCALE: Mt is 100 万吨)."""
UNIT_SCALE = {("Mt", "zh"): 100.0, ("Mtce", "zh"): 100.0}


def display(value: float, unit: str, lang: str) -> tuple[float, str]:
    """A value in `unit` converted for `lang` (zh: Mt → 万吨), with its unit label."""
    en, zh = UNIT_LABELS.get(unit, (unit, unit))
    return value * UNIT_SCALE.get((unit, lang), 1.0), zh if lang == "zh" else en


def decimals(unit: str, lang: str) -> int:
    """Decimals a briefing shows for `unit` in `lang` (Mt: 1; 万吨, a hundredth of it: 0)."""
    shift = round(math.log10(UNIT_SCALE.get((unit, lang), 1.0)))
    return max(0, DECIMALS.get(unit, 0) - shift)


def kpi_label(kpi: str, lang: str) -> str:
    """The KPI's label in `lang` with its unit, e.g. 二氧化碳排放（万吨）."""
    k = KPI_BY_NAME[kpi]
    unit = display(1.0, k.unit, lang)[1]
    return f"{k.zh}（{unit}）" if lang == "zh" else f"{k.en} ({unit})"


def kpi_values(province: pd.DataFrame) -> pd.DataFrame:
    """The KPIs of a province table in long form: year, kpi, unit, value (all years).

    A KPI whose column the table lacks (cost KPIs of runs before issue 13) is left out.
    """
    prov = province.sort_values("year")
    rows = []
    for k in KPIS:
        if k.column not in prov:
            continue
        v = prov[k.column].astype(float).to_numpy() * k.scale
        if k.cumulative:
            v = np.nancumsum(v)
        rows.append(
            pd.DataFrame(
                {
                    "year": prov["year"].astype("int64").to_numpy(),
                    "kpi": k.kpi,
                    "unit": k.unit,
                    "value": v,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def kpi_frame(run: RunView, name: str | None = None) -> pd.DataFrame:
    """The run's KPIs in long form: run, year, kpi, unit, value (all years)."""
    out = kpi_values(run.province)
    out.insert(0, "run", name or run.name)
    return out


# --- the comparison ---------------------------------------------------------------------


@dataclass
class Comparison:
    """Runs side by side (frames in long form; names from `run_names`).

    kpis: run, year, kpi, unit, value, diff_abs, diff_pct (against the first run; diff_pct
    in percent, NaN where the first run's value is 0 or the KPI is itself in %).
    levers: key, then one column per run (the value as text) for the levers that differ.
    decomposition: run_from, run_to, year_from, year_to, target ('co2' | 'energy'), level
    ('factor': sectors as units, structure = the sector mix | 'zone': zones as units,
    structure = the zone mix), factor, value, unit (Mt or Mtce); each (run_from, run_to,
    year_from, year_to, target, level) group's values sum to the total change.
    totals: the same keys without factor: the total change each group sums to.
    scorecards: run, then the scorecard's columns.
    targets: run, year, kpi, unit, value: each run's own target paths in the KPIs' units
    (co2: the total cap in Mt; carbon_intensity: the intensity target in t/万元), for
    target lines; years without a target are left out.
    """

    runs: list[RunView]
    names: list[str]
    years: list[int]
    kpis: pd.DataFrame
    levers: pd.DataFrame
    decomposition: pd.DataFrame
    totals: pd.DataFrame
    scorecards: pd.DataFrame
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)

    def run(self, name: str) -> RunView:
        """The RunView named `name`."""
        return self.runs[self.names.index(name)]

    def table(self, year: int, lang: str = "en") -> pd.DataFrame:
        """One year's KPIs as a wide table: KPI (with unit), each run, Δ and Δ% vs the first."""
        k = self.kpis[self.kpis["year"] == year]
        first = self.names[0]
        out = pd.DataFrame({"kpi": [kpi_label(x, lang) for x in dict.fromkeys(k["kpi"])]})
        order = list(dict.fromkeys(k["kpi"]))
        for n in self.names:
            mine = k[k["run"] == n].set_index("kpi").reindex(order)
            vals = [
                display(v, u, lang)[0] for v, u in zip(mine["value"], mine["unit"], strict=True)
            ]
            out[n] = vals
            if n != first:
                dif = [
                    display(v, u, lang)[0]
                    for v, u in zip(mine["diff_abs"], mine["unit"], strict=True)
                ]
                out[f"Δ {n}"] = dif
                out[f"Δ% {n}"] = mine["diff_pct"].to_numpy()
        return out


def _common_years(runs: Sequence[RunView], years: Iterable[int] | None) -> list[int]:
    common = sorted(set.intersection(*(set(r.years) for r in runs)))
    if not common:
        raise RunFolderError(
            "the runs have no year in common: "
            + "; ".join(f"{r.path}: {min(r.years)}-{max(r.years)}" for r in runs)
        )
    if years is None:
        return common
    wanted = sorted({int(y) for y in years})
    for r in runs:
        missing = [y for y in wanted if y not in r.years]
        if missing:
            raise RunFolderError(
                f"{r.path}: no year {', '.join(map(str, missing))} (its years: "
                f"{min(r.years)}-{max(r.years)}; years every run has: {common[0]}-{common[-1]})"
            )
    return wanted


def _with_diffs(kpis: pd.DataFrame, first: str) -> pd.DataFrame:
    ref = kpis[kpis["run"] == first].set_index(["year", "kpi"])["value"]
    idx = pd.MultiIndex.from_frame(kpis[["year", "kpi"]])
    base = ref.reindex(idx).to_numpy()
    out = kpis.copy()
    out["diff_abs"] = out["value"].to_numpy() - base
    pct_ok = (out["unit"] != "%").to_numpy() & (np.abs(base) > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["diff_pct"] = np.where(pct_ok, out["diff_abs"].to_numpy() / np.abs(base) * 100, np.nan)
    return out


def _grid(run: RunView) -> pd.Series:
    return run.province.set_index("year")["grid_factor_t_per_mwh"]


SCALE = {"co2": ("Mt", 1 / T_PER_MT), "energy": ("Mtce", 1 / T_PER_MT)}
"""The decomposition's unit per target and its scale from t and tce."""


def unit_frames(run: RunView, level: str) -> dict[int, pd.DataFrame]:
    """The decomposition's inputs of a run by year, energy in Mtce and CO2 in Mt.

    `level` 'factor': sectors as units; 'zone': zones. Column `unit` holds the id.
    """
    table, unit = (run.sectors, "sector") if level == "factor" else (run.zones, "zone_id")
    frame = decompose.unit_frame_for(table, _grid(run), unit)
    for c in ("energy", "energy_elec", "co2", "co2_elec"):
        frame[c] = frame[c] / T_PER_MT
    frame = frame.rename(columns={unit: "unit"})
    return {int(y): g for y, g in frame.groupby("year")}


def decomposition_rows(
    start: pd.DataFrame, end: pd.DataFrame, keys: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Factor rows and total rows of the change from `start` to `end` (unit_frames' frames)."""
    rows, totals = [], []
    by_target = decompose.changes(start, end, tuple(SCALE), unit="unit")
    for target, (unit, _) in SCALE.items():
        parts = by_target[target].sum()
        for factor, value in parts.items():
            rows.append(
                {**keys, "target": target, "factor": factor, "value": float(value), "unit": unit}
            )
        total = decompose.totals(start, end, target=target)
        totals.append({**keys, "target": target, "value": total, "unit": unit})
    return rows, totals


def _decomposition(
    runs: Sequence[RunView], names: Sequence[str], years: Sequence[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows: list[dict[str, Any]] = []
    totals: list[dict[str, Any]] = []
    for level in ("factor", "zone"):
        frames = [unit_frames(r, level) for r in runs]
        for r, n, fr in zip(runs, names, frames, strict=True):
            b = r.base_year
            for y in years:
                if y == b:
                    continue
                keys = {"run_from": n, "run_to": n, "year_from": b, "year_to": y, "level": level}
                more, tot = decomposition_rows(fr[b], fr[y], keys)
                rows += more
                totals += tot
        for n, fr in zip(names[1:], frames[1:], strict=True):
            for y in years:
                keys = {
                    "run_from": names[0],
                    "run_to": n,
                    "year_from": y,
                    "year_to": y,
                    "level": level,
                }
                more, tot = decomposition_rows(frames[0][y], fr[y], keys)
                rows += more
                totals += tot
    cols = ["run_from", "run_to", "year_from", "year_to", "target", "level"]
    dec = pd.DataFrame(rows, columns=[*cols, "factor", "value", "unit"])
    tot = pd.DataFrame(totals, columns=[*cols, "value", "unit"])
    return dec, tot


TARGET_COLUMNS = (
    ("co2", "carbon_cap_t", "Mt", 1 / T_PER_MT),
    ("carbon_intensity", "carbon_intensity_target_t_per_wan", "t/万元", 1.0),
)
"""The province columns holding a run's own target paths: (kpi, column, unit, scale)."""


def target_paths(run: RunView, name: str) -> pd.DataFrame:
    """The run's target paths in long form (run, year, kpi, unit, value), where set."""
    frames = []
    for kpi, col, unit, scale in TARGET_COLUMNS:
        if col not in run.province:
            continue
        p = run.province[["year", col]].dropna()
        frames.append(
            pd.DataFrame(
                {
                    "run": name,
                    "year": p["year"].astype("int64").to_numpy(),
                    "kpi": kpi,
                    "unit": unit,
                    "value": p[col].astype(float).to_numpy() * scale,
                }
            )
        )
    cols = ["run", "year", "kpi", "unit", "value"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def compare(runs: Sequence[RunView | str | Path], years: Iterable[int] | None = None) -> Comparison:
    """Compare runs: KPIs and differences against the first run, levers, decomposition.

    `runs`: RunViews or run folders (each RunView's `name` is set to its name from
    `run_names`); `years`: the years to keep (default: every year all runs have).
    RunFolderError for an unreadable folder or a year a run lacks.
    """
    views = [r if isinstance(r, RunView) else load_run(r) for r in runs]
    if not views:
        raise RunFolderError("compare: give at least one run folder")
    names = run_names(views)
    for v, n in zip(views, names, strict=True):
        v.name = n
    ys = _common_years(views, years)
    kpis = pd.concat(
        [kpi_frame(v, n) for v, n in zip(views, names, strict=True)], ignore_index=True
    )
    kpis = _with_diffs(kpis[kpis["year"].isin(ys)].reset_index(drop=True), names[0])
    keys = differing_levers([v.scenario for v in views])
    flats = [flat_levers(v.scenario) for v in views]
    levers = pd.DataFrame({"key": keys})
    for n, f in zip(names, flats, strict=True):
        levers[n] = [show_value(f.get(k, MISSING), width=200) for k in keys]
    dec, tot = _decomposition(views, names, ys)
    cards = [
        v.scorecard.assign(run=n)[["run", *v.scorecard.columns]]
        for v, n in zip(views, names, strict=True)
        if not v.scorecard.empty
    ]
    scorecards = pd.concat(cards, ignore_index=True) if cards else pd.DataFrame(columns=["run"])
    targets = pd.concat([target_paths(v, n) for v, n in zip(views, names, strict=True)])
    targets = targets[targets["year"].isin(ys)].reset_index(drop=True)
    return Comparison(views, names, ys, kpis, levers, dec, tot, scorecards, targets)


# --- writing ----------------------------------------------------------------------------


def _is_compare_folder(folder: Path) -> bool:
    marker = folder / "compare.json"
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("tool") == COMPARE_TOOL
    except (OSError, ValueError, AttributeError):
        return False


def check_compare_out(folder: Path) -> None:
    """Refuse an --out that exists and is not a comparison folder (FileExistsError)."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise FileExistsError(f"{folder} exists and is not a folder; choose another --out")
    if folder.is_dir() and any(folder.iterdir()) and not _is_compare_folder(folder):
        raise FileExistsError(
            f"{folder} exists and is not a comparison folder of `zonesim compare` (no "
            "compare.json); choose another --out; nothing was written"
        )


def write_comparison(comparison: Comparison, folder: Path) -> list[Path]:
    """Write the comparison's frames as CSV and Parquet into `folder`, atomically.

    Everything is written into a temporary folder beside it and renamed into place; an
    earlier comparison folder there is replaced, anything else refused (FileExistsError).
    """
    from sim.runs.store import TMP_PREFIX, remove_stale_temp, write_parquet

    folder = Path(folder)
    check_compare_out(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp(folder.parent)
    tmp = folder.parent / f"{TMP_PREFIX}{folder.name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    frames = {
        "kpis": comparison.kpis,
        "levers": comparison.levers,
        "decomposition": comparison.decomposition,
        "decomposition_totals": comparison.totals,
        "scorecards": comparison.scorecards,
        "targets": comparison.targets,
    }
    try:
        for stem, df in frames.items():
            df.to_csv(tmp / f"{stem}.csv", index=False)
            write_parquet(df, tmp / f"{stem}.parquet")
        marker = {
            "tool": COMPARE_TOOL,
            "runs": [
                {"name": n, "path": str(r.path)}
                for n, r in zip(comparison.names, comparison.runs, strict=True)
            ],
            "years": comparison.years,
            "price_basis": "constant 2020 prices",
            "energy": "tce, electricity at 0.1229 tce/MWh (equivalent value, 当量值)",
        }
        (tmp / "compare.json").write_text(
            json.dumps(marker, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        if folder.exists():
            check_compare_out(folder)
            aside = folder.parent / f"{TMP_PREFIX}{folder.name}-old-{os.getpid()}"
            os.rename(folder, aside)
            try:
                os.rename(tmp, folder)
            except BaseException:
                os.rename(aside, folder)
                raise
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(folder.iterdir())
