"""The lever table: every key of the scenario schema with its default and the comment
baseline.yaml gives it (meaning, unit, source). `python -m sim.levers` prints it as the
Markdown table of scenarios/README.md; a test checks the two agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from sim.config import SCENARIO_DIR, Scenario

# Groups whose children are values (a mapping given as one lever), not levers.
VALUE_MAPPINGS = {
    "evaluation.weights",
    "evaluation.small_firm_weights",
    "evaluation.class_shares",
    "evaluation.surcharge_yuan_per_kwh",
    "evaluation.land_tax_surcharge_wan_per_mu",
    "evaluation.fossil_surcharge_yuan_per_tce",
    "evaluation.water_surcharge_yuan_per_m3",
    "economy.grid_factor_t_per_mwh",
    "economy.province_gdp_growth",
    "carbon.intensity_reduction_vs_base",
    "carbon.belt_caps_mt",
    "carbon.belt_intensity_reduction_vs_base",
    "carbon.zone_caps_mt",
    "carbon.zone_intensity_reduction_vs_base",
}


def schema_keys(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Dotted keys of every lever, in schema order (sub-models expanded)."""
    keys = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        full = f"{prefix}{name}"
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and full not in VALUE_MAPPINGS:
            keys.extend(schema_keys(ann, f"{full}."))
        else:
            keys.append(full)
    return keys


def yaml_comments(path: Path = SCENARIO_DIR / "baseline.yaml") -> dict[str, str]:
    """key path -> the comment on its line in baseline.yaml (indentation = nesting)."""
    out: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(\s*)([A-Za-z_][\w]*):(.*)$", line)
        if not m:
            continue
        indent, key, rest = len(m.group(1)), m.group(2), m.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        full = ".".join([k for _, k in stack] + [key])
        stack.append((indent, key))
        comment = rest.split("#", 1)[1].strip() if "#" in rest else ""
        if comment:
            out[full] = comment
    return out


def _default(scenario: Scenario, key: str) -> Any:
    node: Any = scenario.model_dump(mode="json")
    for part in key.split("."):
        node = node[part]
    return node


def lever_rows() -> list[tuple[str, str, str]]:
    """(key, default, comment) for every lever."""
    sc = Scenario()
    comments = yaml_comments()
    rows = []
    for key in schema_keys():
        value = _default(sc, key)
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        rows.append((key, text or "(empty)", comments.get(key, "")))
    return rows


def effect(key: str) -> str:
    """What raising the lever does, as the table prints it, and how that is checked."""
    if key in SWEEPS:
        sw = SWEEPS[key]
        arrow = "↑" if sw.effect == "up" else "↓"
        return f"{sw.text} ({sw.outcome} {arrow} from {_short(sw.low)} to {_short(sw.high)})"
    if key in CHECKED_BY:
        return f"checked by `tests/{CHECKED_BY[key][0]}.py::{CHECKED_BY[key][1]}`"
    if key in NO_DIRECTION:
        return f"no single direction: {NO_DIRECTION[key]}"
    return ""


def _short(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False).replace("|", "\\|")


def markdown() -> str:
    lines = [
        "| key | default | meaning, unit, source of the default "
        "| raising it (checked on a small case) |",
        "|---|---|---|---|",
    ]
    for key, default, comment in lever_rows():
        safe = comment.replace("|", "\\|")
        lines.append(f"| `{key}` | `{default}` | {safe} | {effect(key)} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- documented directions


@dataclass(frozen=True)
class Sweep:
    """A lever's documented direction. tests/test_lever_directions.py runs a small seeded
    case at `low` and at `high` (both with `context` set) and checks that `outcome`
    (a province.parquet column, or "allocations.<column>"), summed over the simulated
    years (`measure` "sum") or taken in the first simulated year ("first"), moves the
    way `effect` says: "up" = never lower at `high`, and not equal; "down" = never
    higher, and not equal."""

    low: Any
    high: Any
    outcome: str
    effect: Literal["up", "down"]
    text: str
    measure: Literal["sum", "first"] = "sum"
    context: dict[str, Any] = field(default_factory=dict)


# A carbon target that binds in the first year, so enforcement acts.
TIGHT = {"carbon.intensity_reduction_vs_base": {2020: 0.0, 2021: 0.15}}
MARKET = {"exit.mode": "market"}
NO_TARGET = {"carbon.intensity_reduction_vs_base": None}
NO_QUOTA = {"land.new_quota_mu": None}  # so investors' demand, not the quota, binds

SWEEPS: dict[str, Sweep] = {
    "economy.growth_multiplier": Sweep(1.0, 1.5, "value_added_yi", "up", "raises value added"),
    "economy.sector_growth": Sweep(
        {},
        {"chemicals": 0.15},
        "value_added_yi",
        "up",
        "a sector's own growth path; faster growth raises value added",
    ),
    "economy.efficiency_gain_multiplier": Sweep(
        1.0, 2.0, "energy_tce", "down", "lowers energy use", "first"
    ),
    "economy.grid_factor_t_per_mwh": Sweep(
        0.5, 0.7, "co2_t", "up", "raises CO2 (electricity's share)", "first", NO_TARGET
    ),
    "economy.province_gdp_growth": Sweep(
        0.03,
        0.08,
        "va_share_of_province",
        "down",
        "lowers the zones' share of provincial GDP",
        "first",
    ),
    "economy.incumbent_growth_share": Sweep(
        0.4,
        0.8,
        "value_added_yi",
        "up",
        "more of the growth comes from existing firms: raises value added",
        "first",
    ),
    "economy.entry_ramp_years": Sweep(
        1, 5, "value_added_yi", "down", "new projects reach full output later", "sum"
    ),
    "economy.new_firm_efficiency": Sweep(
        0.5, 1.5, "energy_tce", "up", "new projects use more energy", "sum", NO_TARGET
    ),
    "land.new_quota_mu": Sweep(10000.0, 40000.0, "land_new_mu", "up", "more new construction land"),
    "land.link_base_share": Sweep(
        0.2, 0.8, "land_new_mu", "up", "a larger unlinked part of the quota: more new land"
    ),
    "land.link_ratio": Sweep(0.5, 2.0, "land_new_mu", "up", "more new land per mu revitalised"),
    "land.reclamation_rate": Sweep(
        0.1, 0.5, "land_revitalised_mu", "up", "more stock land revitalised"
    ),
    "land.reclamation_budget_wan": Sweep(
        2000.0,
        20000.0,
        "land_revitalised_mu",
        "up",
        "a larger budget revitalises more (when it binds)",
    ),
    "land.reclamation_cost_wan_per_mu": Sweep(
        4.0, 16.0, "spent_reclamation_wan", "up", "raises the zones' spending on revitalisation"
    ),
    "land.recovery_lag_years": Sweep(
        0, 3, "land_recovered_mu", "down", "exited firms' land comes back later"
    ),
    "land.recovery_instrument": Sweep(
        "free",
        "buyback",
        "spent_buyback_wan",
        "up",
        "buyback pays per mu recovered; free costs nothing",
    ),
    "land.buyback_cost_wan_per_mu": Sweep(
        10.0, 50.0, "spent_buyback_wan", "up", "raises buy-back spending"
    ),
    "land.idle_supply_share": Sweep(
        0.0,
        0.5,
        "firms_exited",
        "up",
        "more supplied land left idle, recovered after the deadline (more exits)",
    ),
    "land.development_deadline_years": Sweep(
        1,
        3,
        "firms_exited",
        "down",
        "idle land is recovered later",
        "sum",
        {"land.idle_supply_share": 0.5},
    ),
    "land.demand_multiplier": Sweep(
        0.5,
        3.0,
        "land_new_mu",
        "up",
        "investors want more land: more new land allocated",
        "sum",
        NO_QUOTA,
    ),
    "land.leading_entry_projects": Sweep(
        0.0,
        3.0,
        "land_new_mu",
        "up",
        "more projects in zones' leading sectors: more new land",
        "sum",
        NO_QUOTA,
    ),
    "land.a_class_land_priority": Sweep(
        0.0,
        3.0,
        "allocations.land_mu",
        "up",
        "A firms' land weighs more in investors' demand: more land allocated",
        "first",
        NO_QUOTA,
    ),
    "evaluation.class_shares": Sweep(
        {"A": 0.2, "B": 0.4, "C": 0.35, "D": 0.05},
        {"A": 0.2, "B": 0.4, "C": 0.30, "D": 0.10},
        "firms_class_D",
        "up",
        "a larger D share: more D firms",
        "first",
    ),
    "evaluation.class_cutoffs": Sweep(
        {"A": 150, "B": 100, "C": 50},
        {"A": 200, "B": 150, "C": 80},
        "firms_class_D",
        "up",
        "higher cut-offs: more D firms",
        "first",
    ),
    "evaluation.exempt_age_years": Sweep(
        0, 3, "firms_class_T", "up", "more young firms are class T", "first"
    ),
    "evaluation.exempt_sectors": Sweep(
        [], ["steel"], "firms_class_T", "up", "the sector's firms are class T", "first"
    ),
    "evaluation.surcharge_yuan_per_kwh": Sweep(
        {"A": 0.0, "B": 0.0, "C": 0.0, "D": 0.1},
        {"A": 0.0, "B": 0.0, "C": 0.05, "D": 0.5},
        "surcharge_yi",
        "up",
        "raises surcharges paid",
        "first",
    ),
    "evaluation.land_tax_surcharge_wan_per_mu": Sweep(
        {"D": 0.0}, {"D": 2.0}, "surcharge_yi", "up", "raises surcharges paid", "first"
    ),
    "evaluation.fossil_surcharge_yuan_per_tce": Sweep(
        {"D": 0.0}, {"D": 500.0}, "surcharge_yi", "up", "raises surcharges paid", "first"
    ),
    "evaluation.water_surcharge_yuan_per_m3": Sweep(
        {"D": 0.0}, {"D": 2.0}, "surcharge_yi", "up", "raises surcharges paid", "first"
    ),
    "evaluation.efficiency_response": Sweep(
        0.0, 2.0, "energy_tce", "down", "surcharged firms buy more efficiency", "first"
    ),
    "exit.mode": Sweep(
        "off",
        "mandatory",
        "firms_exited_low_efficiency",
        "up",
        "off: no low-efficiency exits; mandatory: D firms past the window exit",
    ),
    "exit.rectification_years": Sweep(
        1, 3, "firms_exited_low_efficiency", "down", "D firms get longer to improve"
    ),
    "exit.market_hazard_base": Sweep(
        0.01, 0.2, "firms_exited_low_efficiency", "up", "more market exits", "sum", MARKET
    ),
    "exit.market_hazard_per_margin_loss": Sweep(
        0.0, 20.0, "firms_exited_low_efficiency", "up", "more market exits", "sum", MARKET
    ),
    "carbon.total_cap_mt": Sweep(
        None, 0.0, "co2_t", "down", "a cap (here 0, the extreme) lowers CO2", "first", NO_TARGET
    ),
    "carbon.intensity_reduction_vs_base": Sweep(
        0.0,
        0.15,
        "carbon_intensity_t_per_wan",
        "down",
        "a deeper cut lowers carbon intensity",
        "first",
    ),
    "carbon.belt_caps_mt": Sweep(
        {}, {"yangtze": 0.0}, "co2_t", "down", "a belt's cap lowers CO2", "first", NO_TARGET
    ),
    "carbon.belt_intensity_reduction_vs_base": Sweep(
        {}, {"yangtze": 0.3}, "co2_t", "down", "a belt's target lowers CO2", "first", NO_TARGET
    ),
    "carbon.zone_caps_mt": Sweep(
        {}, {"G321014": 0.0}, "co2_t", "down", "a zone's cap lowers CO2", "first", NO_TARGET
    ),
    "carbon.zone_intensity_reduction_vs_base": Sweep(
        {}, {"G321014": 0.5}, "co2_t", "down", "a zone's target lowers CO2", "first", NO_TARGET
    ),
    "carbon.enforcement": Sweep(
        [],
        ["retrofit", "curtailment", "forced_exit"],
        "carbon_gap_t",
        "down",
        "measures close the gap; none leaves it open",
        "first",
        TIGHT,
    ),
    "carbon.retrofit_cost_wan_per_t": Sweep(
        0.01, 0.05, "spent_carbon_wan", "up", "raises enforcement spending", "first", TIGHT
    ),
    "carbon.retrofit_max_share": Sweep(
        0.01, 0.10, "carbon_cut_retrofit_t", "up", "retrofits remove more CO2", "first", TIGHT
    ),
    "carbon.curtailment_max_share": Sweep(
        0.02,
        0.2,
        "carbon_cut_curtailment_t",
        "up",
        "curtailment removes more CO2",
        "first",
        TIGHT,
    ),
    "carbon.carbon_price_wan_per_t": Sweep(
        0.0,
        0.05,
        "allocations.co2_added_t",
        "down",
        "new land goes to less carbon-intensive uses",
        "first",
    ),
    "integration.year": Sweep(
        None, 2022, "firms_merged_out", "up", "zones merge into hosts in that year"
    ),
    "integration.max_approved_area_mu": Sweep(
        5000.0,
        30000.0,
        "firms_merged_out",
        "up",
        "larger zones may merge: more merges",
        "sum",
        {"integration.year": 2022},
    ),
    "integration.output_per_mu_quantile": Sweep(
        0.1,
        0.5,
        "firms_merged_out",
        "up",
        "a higher per-mu bar: more merges",
        "sum",
        {"integration.year": 2022},
    ),
    "integration.max_class_a_share": Sweep(
        0.1,
        1.0,
        "firms_merged_out",
        "up",
        "a looser class-mix rule: more merges",
        "sum",
        {"integration.year": 2022},
    ),
}

# Levers whose effect is not one direction of a province total, with the test that
# checks what they do instead.
CHECKED_BY: dict[str, tuple[str, str]] = {  # key -> (test file in tests/, test)
    "evaluation.benchmark": (
        "test_levers",
        "test_zone_benchmark_changes_class_counts_but_keeps_shares",
    ),
    "evaluation.within_sector": (
        "test_levers",
        "test_within_sector_ranking_puts_the_d_share_in_every_sector",
    ),
    "evaluation.small_firm_output_wan": (
        "test_levers",
        "test_small_firms_are_ranked_among_themselves",
    ),
    "optimizer.solver": ("test_optimize", "test_highs_agrees_with_glpk_year_after_year"),
    "optimizer.on_infeasible": (
        "test_run",
        "test_stop_mode_ends_with_exit_3_naming_year_cap_and_gap",
    ),
    "optimizer.bans": ("test_optimize", "test_banned_pair_gets_no_land_and_investment_floor_bans"),
    "optimizer.min_share_by_belt": ("test_optimize", "test_belt_shares"),
    "optimizer.max_zone_share": (
        "test_optimize_properties",
        "test_every_constraint_holds_and_duals_are_nonnegative",
    ),
    "optimizer.projects": ("test_optimize", "test_mip_whole_projects"),
    "sector_policy.relocations": (
        "test_levers",
        "test_relocation_moves_the_sector_out_of_the_origin_belt",
    ),
    "uncertainty": (
        "test_config",
        "test_uncertainty_block_validates_levers_and_draws_reproducibly",
    ),
}

# Keys that are not policy levers, or move outcomes in no single direction: why.
NO_DIRECTION: dict[str, str] = {
    "name": "names the run",
    "description": "free text",
    "seed": "another draw of the same scenario",
    "economy.firm_shock_sd": "spread of firms' yearly growth shocks (noise around the trend)",
    "economy.density_cap_factor": "a ceiling on output per mu that binds only for outliers",
    "economy.frontier_zone_elasticity": "moves new projects' output per mu between zones",
    "evaluation.weights": "which firms rank high; the class shares stay",
    "evaluation.score_cap": "how far one indicator can make up for others; shares stay",
    "evaluation.small_firm_weights": "which small firms rank high; the class shares stay",
    "optimizer.time_limit_s": "the solver's time budget (whole-project mode)",
    "report.language": "presentation",
    "report.charts": "presentation",
}


def unswept_keys() -> list[str]:
    """Schema keys that need a documented direction, a checking test or a reason (data:
    and years: are the case's set-up, not levers)."""
    return [
        k
        for k in schema_keys()
        if not k.startswith(("data.", "years."))
        and k not in SWEEPS
        and k not in CHECKED_BY
        and k not in NO_DIRECTION
    ]


if __name__ == "__main__":
    print(markdown())
