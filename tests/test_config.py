"""Scenario files: defaults, extends, overrides and the messages bad input gets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.scenario import Scenario, ScenarioError, load_scenario, parse_override

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"


def test_baseline_is_the_schema_default():
    """baseline.yaml lists every lever with its default: loading it equals the defaults."""
    sc = load_scenario(BASELINE)
    default = Scenario(name="baseline", description=sc.description, source_dir=sc.source_dir)
    assert sc.model_dump() == default.model_dump()


def test_baseline_documents_every_key():
    """Every key of the schema appears in baseline.yaml (so the file is the lever list)."""
    raw = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    dumped = Scenario().model_dump(mode="json")

    def keys(d, prefix=""):
        for k, v in d.items():
            yield prefix + str(k)
            if (
                isinstance(v, dict)
                and v
                and not all(str(x).isdigit() for x in v)
                and k not in ("weights", "class_shares", "surcharge_yuan_per_kwh")
            ):
                yield from keys(v, prefix + str(k) + ".")

    assert set(keys(dumped)) <= set(keys(raw))


def test_extends_and_overrides(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(
        f"extends: {BASELINE}\nname: child\nland:\n  link_ratio: 2.0\n", encoding="utf-8"
    )
    sc = load_scenario(child, {"carbon.total_cap_mt": 300, "years.end": 2030})
    assert sc.name == "child"
    assert sc.land.link_ratio == 2.0
    assert sc.land.reclamation_rate == 0.25  # inherited
    assert sc.carbon.total_cap_mt == 300
    assert sc.years.end == 2030


def test_unknown_key_suggests_the_nearest(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("carbon:\n  intensity_reduction_vs_bas: 0.2\nland:\n  link_ratoi: 1\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    text = str(err.value)
    assert (
        "carbon.intensity_reduction_vs_bas: unknown key; "
        "did you mean carbon.intensity_reduction_vs_base?" in text
    )
    assert "land.link_ratoi: unknown key; did you mean land.link_ratio?" in text
    assert str(bad) in text
    assert "2 problem(s)" in text  # all errors at once


def test_range_errors_name_key_and_value(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("years: {base: 2020, end: 2019}\nland: {reclamation_rate: 1.5}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    text = str(err.value)
    assert "years" in text and "must be after the base year" in text
    assert "land.reclamation_rate" in text and "1.5" in text


def test_a_check_across_sections_names_who_set_each_key():
    """integration_2023's year falls outside the run once --set shortens it: the message
    names the file line of integration.year and --set for years.end."""
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE.parent / "integration_2023.yaml", {"years.end": 2022})
    (problem,) = err.value.problems
    assert problem.startswith("integration.year 2023 must lie in the simulated years 2021-2022")
    assert "integration.year: " in problem and "integration_2023.yaml:" in problem
    assert "years.end: --set" in problem


def test_extends_cycle_and_missing_parent(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("extends: b.yaml\n")
    b.write_text("extends: a.yaml\n")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(a)
    c = tmp_path / "c.yaml"
    c.write_text("extends: nowhere.yaml\n")
    with pytest.raises(ScenarioError, match=r"nowhere\.yaml: no such file"):
        load_scenario(c)


def test_parse_override_types():
    assert parse_override("land.link_ratio=1.5") == ("land.link_ratio", 1.5)
    assert parse_override("carbon.total_cap_mt=null") == ("carbon.total_cap_mt", None)
    assert parse_override("exit.mode=market") == ("exit.mode", "market")
    with pytest.raises(ScenarioError):
        parse_override("no-equals-sign")


def test_lever_table_in_scenarios_readme_matches_the_schema():
    """No lever undocumented, none documented that does not exist, defaults as shipped."""
    import re

    from sim.scenario.levers import lever_rows

    readme = (BASELINE.parent / "README.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `([\w.]+)` \| `(.*?)` \|", readme, flags=re.M))
    rows = {key: default for key, default, _ in lever_rows()}
    assert set(documented) == set(rows)
    assert documented == rows
    assert all(comment for _, _, comment in lever_rows())  # baseline.yaml explains each


def test_entries_of_list_levers_are_documented():
    """Every key of a ban, a relocation and a distribution is named in the README's
    section on entries, and that section names no other key of theirs."""
    import re

    from sim.scenario.schema import Ban, Distribution, Relocation

    readme = (BASELINE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Entries of list and table levers", 1)[1]
    for model, item in ((Ban, "optimizer.bans"), (Relocation, "sector_policy.relocations")):
        entry = re.search(rf"- `{re.escape(item)}`, each entry:(.*?)\n- ", section, re.S)
        named = set(re.findall(r"`(\w+)`", entry.group(1)))
        assert named == set(model.model_fields), item
    entry = re.search(r"- `uncertainty`, each entry(.*?)\n- ", section, re.S).group(1)
    assert set(re.findall(r"`(\w+)`", entry)) == set(Distribution.model_fields)


def test_uncertainty_block_validates_levers_and_draws_reproducibly(tmp_path):
    import numpy as np

    def scen(block: dict) -> Path:
        path = tmp_path / "u.yaml"
        path.write_text(
            yaml.safe_dump({"extends": str(BASELINE), "uncertainty": block}), encoding="utf-8"
        )
        return path

    good = {
        "land.link_ratio": {"dist": "uniform", "low": 0.5, "high": 2.0},
        "economy.growth_multiplier": {"dist": "triangular", "low": 0.8, "mode": 1.0, "high": 1.1},
        "carbon.total_cap_mt": {"dist": "choice", "values": [300, 330]},
        "evaluation.surcharge_yuan_per_kwh.D": {"dist": "uniform", "low": 0.1, "high": 0.5},
        "economy.sector_growth.chemicals": {"dist": "normal", "mean": 0.04, "sd": 0.01},
        "exit.rectification_years": {"dist": "uniform", "low": 1, "high": 5},
        "integration.year": {"dist": "uniform", "low": 2022, "high": 2024},
    }
    sc = load_scenario(scen(good))
    a = sc.sample(np.random.default_rng(1))
    b = sc.sample(np.random.default_rng(1))
    assert a == b and set(a) == set(good)
    assert 0.5 <= a["land.link_ratio"] <= 2.0 and a["carbon.total_cap_mt"] in (300, 330)
    assert a["exit.rectification_years"] in range(1, 6)  # whole years: rounded draws
    assert a["integration.year"] in range(2022, 2025)
    load_scenario(BASELINE, a)  # a draw applied as overrides gives a valid scenario
    for bad, expect in [
        (
            {"land.link_ratoi": {"dist": "uniform", "low": 0, "high": 1}},
            "did you mean land.link_ratio",
        ),
        ({"exit.mode": {"dist": "choice", "values": [1]}}, "not a numeric lever"),
        ({"uncertainty.x": {"dist": "uniform", "low": 0, "high": 1}}, "not a lever"),
        (
            {"evaluation.class_shares": {"dist": "uniform", "low": 0, "high": 1}},
            "a group of levers; draw one of its entries, e.g. evaluation.class_shares.A",
        ),
        ({"carbon.belt_caps_mt": {"dist": "uniform", "low": 0, "high": 1}}, "a group of levers"),
        ({"economy.x.chemicals": {"dist": "uniform", "low": 0, "high": 1}}, "not a lever"),
        ({"land.link_ratio": {"dist": "uniform", "low": 2, "high": 1}}, "must not exceed"),
        ({"land.link_ratio": {"dist": "normal", "mean": 1}}, "missing sd"),
        ({"seed": {"dist": "uniform", "low": 1, "high": 9}}, "the seed is not a lever"),
        ({"years.end": {"dist": "choice", "values": [2025, 2030]}}, "same in every member"),
        ({"data.firm_scale": {"dist": "uniform", "low": 0.1, "high": 1}}, "same in every"),
        (
            {"carbon.belt_caps_mt.yangzte": {"dist": "uniform", "low": 100, "high": 150}},
            "'yangzte' is not an entry of carbon.belt_caps_mt; allowed: yangtze, canal, coastal",
        ),
        ({"evaluation.surcharge_yuan_per_kwh.E": {"dist": "uniform", "low": 0, "high": 1}}, "A, B"),
        ({"evaluation.weights.tax": {"dist": "uniform", "low": 0, "high": 1}}, "tax_per_mu"),
        (
            {"land.link_ratio": {"dist": "normal", "lo": 0, "mean": 1, "sd": 1}},
            "land.link_ratio.lo: unknown key of a distribution; did you mean low",
        ),
        (
            {"land.link_ratio": {"dist": "normal", "mean": 1, "sd": 0.1, "low": 2}},
            "low 2.0 keep less than 0.1 % of normal",
        ),
        (
            {"land.link_ratio": {"dist": "normal", "mean": 1, "sd": 1, "low": 2, "high": 1}},
            "low 2.0 must not exceed high 1.0",
        ),
    ]:
        with pytest.raises(ScenarioError, match=expect):
            load_scenario(scen(bad))


def test_a_normal_with_bounds_draws_inside_them_only():
    """low/high truncate a normal: draws outside are redrawn, so every draw lies inside
    and an ensemble of a wide normal over a lever with a minimum is never refused; the
    draws inside are the normal's (mean near the untruncated one for symmetric bounds)."""
    import numpy as np

    from sim.scenario.schema import Distribution

    d = Distribution(dist="normal", mean=1.0, sd=1.0, low=0.0, high=2.0)
    rng = np.random.default_rng(7)
    x = np.array([d.draw(rng) for _ in range(4000)])
    assert x.min() >= 0.0 and x.max() <= 2.0
    assert abs(x.mean() - 1.0) < 0.03  # sd of the mean of 4,000 draws: ~0.009
    one_sided = Distribution(dist="normal", mean=0.0, sd=1.0, low=0.0)
    assert min(one_sided.draw(rng) for _ in range(500)) >= 0.0


def test_every_numeric_lever_phases_in_and_whole_years_round():
    """A lever in whole years given as a path is interpolated and rounded; any numeric
    lever, here the class shares, the hazard and the demand multiplier, may be a path."""
    sc = Scenario.model_validate(
        {
            "exit": {
                "rectification_years": {2021: 3, 2024: 1},
                "market_hazard_base": {2021: 0.0, 2023: 0.1},
            },
            "evaluation": {
                "class_shares": {
                    "A": 0.2,
                    "B": 0.4,
                    "C": {2021: 0.35, 2025: 0.3},
                    "D": {2021: 0.05, 2025: 0.1},
                }
            },
            "land": {"demand_multiplier": {2021: 1.0, 2025: 2.0}},
        }
    )
    assert [sc.at(y).exit.rectification_years for y in range(2020, 2026)] == [3, 3, 2, 2, 1, 1]
    assert sc.at(2022).exit.market_hazard_base == pytest.approx(0.05)
    at23 = sc.at(2023).evaluation.class_shares
    got = {"C": at23.C, "D": at23.D}
    assert got == pytest.approx({"C": 0.325, "D": 0.075})
    assert sc.at(2023).land.demand_multiplier == pytest.approx(1.5)
    assert sc.at(2023).years == sc.years and sc.at(2023).seed == sc.seed


@pytest.mark.parametrize(
    ("levers", "expected"),
    [
        (
            {
                "evaluation": {
                    "class_shares": {"A": 0.2, "B": 0.4, "C": {2021: 0.35, 2025: 0.4}, "D": 0.05}
                }
            },
            "sum to 1, they sum to 1.0500 in 2025",
        ),
        (
            {"evaluation": {"class_cutoffs": {"A": 120, "B": {2021: 90, 2025: 130}, "C": 60}}},
            "descend A ≥ B ≥ C, got 120.0, 130.0, 60.0 in 2025",
        ),
        ({"exit": {"rectification_years": {2021: 2.5}}}, "rectification_years"),
        ({"carbon": {"enforcement": ["retrofit", "retrofit"]}}, "listed twice: retrofit"),
        ({"land": {"link_ratio": {2021: 1.0, 2025: -1.0}}}, "below the allowed minimum"),
    ],
)
def test_paths_are_checked_in_every_year(levers, expected):
    with pytest.raises(ValueError) as err:
        Scenario.model_validate(levers)
    assert expected in str(err.value)


def test_a_child_removes_inherited_caps(tmp_path):
    """An empty mapping replaces the parent's (it does not merge into it), and null
    removes one entry."""
    parent = tmp_path / "parent.yaml"
    parent.write_text(
        f"extends: {BASELINE}\ncarbon:\n  belt_caps_mt: {{yangtze: 150, canal: 60}}\n"
        "  zone_caps_mt: {G321014: 2.0}\n",
        encoding="utf-8",
    )
    child = tmp_path / "child.yaml"
    child.write_text(
        "extends: parent.yaml\ncarbon:\n  belt_caps_mt: {canal: null}\n  zone_caps_mt: {}\n",
        encoding="utf-8",
    )
    sc = load_scenario(child)
    assert sc.carbon.belt_caps_mt == {"yangtze": 150.0, "canal": None}
    assert sc.carbon.zone_caps_mt == {}
    assert load_scenario(parent).carbon.zone_caps_mt == {"G321014": 2.0}


def test_an_empty_section_keeps_the_parents_levers(tmp_path):
    """`carbon: {}` in a child is an empty section: the parent's carbon levers stay (only
    a mapping keyed by name or year is replaced by an empty one)."""
    parent = tmp_path / "parent.yaml"
    parent.write_text(
        f"extends: {BASELINE}\ncarbon:\n  belt_caps_mt: {{yangtze: 150}}\n"
        "  intensity_reduction_vs_base: 0.3\n",
        encoding="utf-8",
    )
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\ncarbon: {}\nuncertainty: {}\n", encoding="utf-8")
    sc = load_scenario(child)
    assert sc.carbon == load_scenario(parent).carbon
    assert sc.carbon.belt_caps_mt == {"yangtze": 150.0}


def test_draws_of_unknown_sectors_and_zones_are_named(tmp_path):
    """A draw for a sector or zone the data do not hold is refused when the data are
    checked (validate, run, ensemble), naming the uncertainty key."""
    from sim.runs.data import load_dataset

    scen = tmp_path / "u.yaml"
    scen.write_text(
        f"extends: {BASELINE}\nuncertainty:\n"
        "  economy.sector_growth.chemicalz: {dist: uniform, low: 0, high: 0.1}\n"
        "  carbon.zone_caps_mt.G999999: {dist: uniform, low: 1, high: 2}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load_dataset(load_scenario(scen))
    text = str(err.value)
    assert "uncertainty.economy.sector_growth.chemicalz: unknown sector 'chemicalz'" in text
    assert "uncertainty.carbon.zone_caps_mt.G999999: unknown zone_id 'G999999'" in text


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            {"exit.rectification_years": {2021: 2.5}},
            [
                "exit.rectification_years.2021: expected a whole number; allowed: a whole number "
                "from 1 to 20 (given: 2.5)"
            ],
        ),
        (
            {"land.link_ratio": {"x": 1}},
            ["land.link_ratio.x: expected a year (such as 2025) as the key (given: 'x')"],
        ),
        (
            {"land.link_ratio": {2021: "a"}},
            [
                "land.link_ratio.2021: expected a number; allowed: a number from 0 to 10 "
                "(given: 'a')"
            ],
        ),
        (
            {"land.link_ratio": "abc"},
            [
                "land.link_ratio: expected a number or a {year: number} mapping; "
                "allowed: a number from 0 to 10 (given: 'abc')"
            ],
        ),
    ],
)
def test_a_bad_path_gets_one_message_at_the_entry_that_is_wrong(override, expected):
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE, override)
    assert [p.removesuffix(" (--set)") for p in err.value.problems] == expected
