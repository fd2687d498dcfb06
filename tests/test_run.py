"""The command line and the run folder contract (DESIGN §10), end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

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
        [sys.executable, "-m", "sim.cli", *args],
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
    for stem in CHARTS:
        for ext in ("html", "png", "svg"):
            path = run_folder / "charts" / f"{stem}.{ext}"
            assert path.is_file() and path.stat().st_size > 1000, path
        assert (run_folder / "charts" / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


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
