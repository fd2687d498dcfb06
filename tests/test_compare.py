"""`zonesim compare` and sim/experiments/compare.py: runs side by side.

Three small run folders written by `zonesim run` (the baseline, the same file with
`--set exit.mode=off`, and strict_carbon), firm_scale 0.05, 2020-2023.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

QUICK = ["--set", "data.firm_scale=0.05", "--set", "years.end=2023", "--no-charts"]


def _cli(capsys, *argv):
    from sim.commands.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run folders of the baseline, baseline with exit.mode=off, and strict_carbon."""
    from sim.commands.cli import main

    root = tmp_path_factory.mktemp("runs")
    made = {}
    for key, scenario, extra in (
        ("base", "baseline.yaml", []),
        ("off", "baseline.yaml", ["--set", "exit.mode=off"]),
        ("strict", "strict_carbon.yaml", []),
    ):
        out = root / key
        argv = ["run", str(REPO / "scenarios" / scenario), *QUICK, *extra, "--out", str(out)]
        assert main(argv) == 0
        made[key] = out
    return made


def test_exit_mode_off_on_the_command_line_is_the_word(runs):
    """--set exit.mode=off runs (YAML 1.2: off is a word) and the resolved file says so."""
    import yaml

    resolved = yaml.safe_load((runs["off"] / "scenario.yaml").read_text(encoding="utf-8"))
    assert resolved["exit"]["mode"] == "off"
    prov = pd.read_parquet(runs["off"] / "province.parquet")
    assert prov["firms_exited_low_efficiency"].sum() == 0


def test_runs_are_named_by_what_differs(runs):
    from sim.experiments.compare import compare

    cmp = compare([runs["base"], runs["off"], runs["strict"]])
    assert cmp.names == ["baseline", "baseline [exit.mode=off]", "strict_carbon"]
    lev = cmp.levers.set_index("key")
    assert lev.loc["exit.mode", "baseline [exit.mode=off]"] == "off"
    assert lev.loc["exit.mode", "baseline"] == "mandatory"
    assert lev.loc["carbon.total_cap_mt", "baseline"] == "null"
    assert "data.firm_scale" not in lev.index  # the same in every run


def test_two_identical_runs_get_their_folder_names(runs, tmp_path):
    import shutil

    from sim.experiments.compare import compare

    copy = tmp_path / "again"
    shutil.copytree(runs["base"], copy)
    assert compare([runs["base"], copy]).names == ["baseline (base)", "baseline (again)"]


def test_kpis_and_differences_are_the_run_tables(runs):
    from sim.experiments.compare import compare

    cmp = compare([runs["base"], runs["strict"]], years=[2023])
    k = cmp.kpis.set_index(["run", "kpi"])
    p0 = pd.read_parquet(runs["base"] / "province.parquet").set_index("year").loc[2023]
    p1 = pd.read_parquet(runs["strict"] / "province.parquet").set_index("year").loc[2023]
    assert set(cmp.kpis["year"]) == {2023}
    assert k.loc[("baseline", "co2"), "value"] == pytest.approx(p0["co2_t"] / 1e6)
    assert k.loc[("strict_carbon", "co2"), "diff_abs"] == pytest.approx(
        (p1["co2_t"] - p0["co2_t"]) / 1e6
    )
    assert k.loc[("strict_carbon", "value_added"), "diff_pct"] == pytest.approx(
        (p1["value_added_yi"] / p0["value_added_yi"] - 1) * 100
    )
    assert (cmp.kpis.loc[cmp.kpis["run"] == "baseline", "diff_abs"].fillna(0) == 0).all()
    assert np.isnan(k.loc[("strict_carbon", "carbon_intensity_change"), "diff_pct"])
    assert k.loc[("baseline", "carbon_intensity_change"), "value"] == pytest.approx(
        p0["carbon_intensity_t_per_wan_change_vs_base"] * 100
    )


def test_decomposition_parts_sum_to_the_run_differences(runs):
    """Each group's parts sum to its total (1e-9 Mt), and the totals are the differences
    of the runs' own CO2 and energy, between runs and between years."""
    from sim.experiments.compare import compare

    cmp = compare([runs["base"], runs["off"]])
    keys = ["run_from", "run_to", "year_from", "year_to", "target", "level"]
    sums = cmp.decomposition.groupby(keys)["value"].sum()
    tot = cmp.totals.set_index(keys)["value"].reindex(sums.index)
    assert (sums - tot).abs().max() < 1e-9
    assert set(cmp.decomposition["level"]) == {"factor", "zone"}
    p = {
        n: pd.read_parquet(runs[k] / "province.parquet").set_index("year")
        for n, k in (("baseline", "base"), ("baseline [exit.mode=off]", "off"))
    }
    for (rf, rt, yf, yt, target, _), value in tot.items():
        col = "co2_t" if target == "co2" else "energy_tce"
        want = (p[rt].loc[yt, col] - p[rf].loc[yf, col]) / 1e6
        assert value == pytest.approx(want, rel=1e-9, abs=1e-9)
    co2 = cmp.decomposition[cmp.decomposition["target"] == "co2"]
    assert set(co2["factor"]) == {
        "activity",
        "structure",
        "energy_intensity",
        "electricity_share",
        "emission_factor",
    }
    energy = cmp.decomposition[cmp.decomposition["target"] == "energy"]
    assert set(energy["factor"]) == {"activity", "structure", "energy_intensity"}


def test_compare_command_prints_writes_and_refuses(runs, tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", str(runs["base"]), str(runs["strict"]), "--years", "2023", "--out"]
    code, text, _ = _cli(capsys, *argv, str(out))
    assert code == 0, text
    assert "strict_carbon" in text and "CO2 emissions (Mt)" in text and str(out) in text
    for stem in ("kpis", "levers", "decomposition", "scorecards"):
        csv = pd.read_csv(out / f"{stem}.csv")
        pq = pd.read_parquet(out / f"{stem}.parquet")
        assert len(csv) == len(pq) > 0
    assert json.loads((out / "compare.json").read_text())["tool"] == "zonesim compare"
    # the same runs give the same bytes
    again = tmp_path / "again"
    assert _cli(capsys, *argv, str(again))[0] == 0
    for f in out.iterdir():
        if f.name != "compare.json":
            assert f.read_bytes() == (again / f.name).read_bytes(), f.name
    # a comparison folder may be replaced; anything else is refused and left untouched
    assert _cli(capsys, "compare", str(runs["base"]), "--out", str(out))[0] == 0
    assert set(pd.read_parquet(out / "kpis.parquet")["run"]) == {"baseline"}
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    code, _, err = _cli(capsys, "compare", str(runs["base"]), "--out", str(mine))
    assert code == 2 and "not a comparison folder" in err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_bad_run_folders_exit_2_naming_what_is_missing(runs, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = _cli(
        capsys, "compare", str(runs["base"]), str(empty), "--out", str(tmp_path / "o")
    )
    assert code == 2 and str(empty) in err and "no manifest.json" in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()
    code, _, err = _cli(capsys, "compare", str(tmp_path / "nowhere"))
    assert code == 2 and "no such folder" in err
    code, _, err = _cli(
        capsys, "compare", str(runs["base"]), "--years", "2030", "--out", str(tmp_path / "o")
    )
    assert code == 2 and "no year 2030" in err
    damaged = tmp_path / "damaged"
    import shutil

    shutil.copytree(runs["base"], damaged)
    (damaged / "sectors.parquet").write_bytes(b"not parquet")
    code, _, err = _cli(capsys, "compare", str(damaged), "--out", str(tmp_path / "o"))
    assert code == 2 and "sectors.parquet cannot be read" in err


def test_scorecard_rows_per_cap_and_no_empty_gap_row(runs):
    """The baseline sets no total cap: no cap row for it, and no 'largest gap in 2020'.
    strict_carbon's cap is a row in Mt, judged in its tightest year."""
    from sim.experiments.compare import compare

    cmp = compare([runs["base"], runs["strict"]])
    card = cmp.scorecards
    base = card[card["run"] == "baseline"]
    assert not base["target"].str.contains("gap").any()
    assert "CO2 total cap (Mt)" not in set(base["target"])
    strict = card[card["run"] == "strict_carbon"].set_index("target")
    cap = strict.loc["CO2 total cap (Mt)"]
    assert (
        cap["unit"] == "Mt" and cap["year"] in (2023,) and cap["required"] == pytest.approx(368.0)
    )
    p = pd.read_parquet(runs["strict"] / "province.parquet").set_index("year")
    assert cap["achieved"] == pytest.approx(p.loc[cap["year"], "co2_t"] / 1e6)
    assert set(card["kind"]) == {"plan", "cap"}


def test_exit_mode_off_in_a_file_is_the_word(tmp_path):
    """`exit.mode: off` in a scenario file (one that extends the baseline) is the word,
    and a run folder's scenario.yaml reads back the same."""
    from sim.experiments.compare import flat_levers
    from sim.scenario import load_scenario

    f = tmp_path / "no_exit.yaml"
    base = REPO / "scenarios" / "baseline.yaml"
    f.write_text(f"extends: {base}\nname: no_exit\nexit:\n  mode: off\n", encoding="utf-8")
    sc = load_scenario(f)
    assert sc.exit.mode == "off"
    (tmp_path / "resolved.yaml").write_text(sc.to_yaml(), encoding="utf-8")
    from sim.scenario.yamlfile import read_yaml_file

    assert flat_levers(read_yaml_file(tmp_path / "resolved.yaml"))["exit.mode"] == "off"


def test_target_paths_for_target_lines(runs):
    """strict_carbon's cap path (Mt) and both runs' intensity path, as the runs hold them."""
    from sim.experiments.compare import compare

    t = compare([runs["base"], runs["strict"]]).targets
    cap = t[(t["run"] == "strict_carbon") & (t["kpi"] == "co2")].set_index("year")["value"]
    assert cap.to_dict() == {2023: pytest.approx(368.0)}  # no cap before 2023 (null)
    assert not ((t["run"] == "baseline") & (t["kpi"] == "co2")).any()
    p = pd.read_parquet(runs["base"] / "province.parquet").set_index("year")
    ci = t[(t["run"] == "baseline") & (t["kpi"] == "carbon_intensity")].set_index("year")
    np.testing.assert_allclose(ci["value"], p["carbon_intensity_target_t_per_wan"])
