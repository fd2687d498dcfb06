"""Bad input, interruptions and determinism: a planner never loses or corrupts a result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.commands.cli import main
from tests.conftest import BASELINE

QUICK = ["--set", "data.firm_scale=0.02", "--set", "years.end=2021", "--no-charts"]


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------- data errors


def _copy_data(tmp_path: Path) -> Path:
    import shutil

    src = BASELINE.parent / "data"
    dst = tmp_path / "data"
    shutil.copytree(src, dst)
    scen = tmp_path / "s.yaml"
    scen.write_text(f"extends: {BASELINE}\n", encoding="utf-8")
    return scen


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("zone_id,", "zone_idd,", 1), "missing column(s) zone_id"),
        (lambda t: t.replace(",Nanjing,", ",Nanking,", 1), "unknown city 'Nanking'"),
        (lambda t: t.replace(",yangtze,yangtze,", ",river,yangtze,", 1), "unknown belt 'river'"),
        (
            lambda t: t.replace(",17055.0,", ",-5,", 1),
            "line 2, column approved_area_mu: -5.0 is negative",
        ),
        (
            lambda t: t.replace(",17055.0,", ",lots,", 1),
            "line 2, column approved_area_mu: 'lots' is not a number",
        ),
        (lambda t: t + t.splitlines()[1] + "\n", "duplicate zone_id 'G321014'"),
        (lambda t: t.splitlines()[0] + "\n", "no data rows"),
        (lambda t: "", "the file is empty"),
    ],
)
def test_zone_file_errors_name_file_line_and_value(tmp_path, capsys, edit, expected):
    scen = _copy_data(tmp_path)
    zones = tmp_path / "data" / "zones.csv"
    zones.write_text(edit(zones.read_text(encoding="utf-8")), encoding="utf-8")
    code, _, err = _cli(capsys, "validate", str(scen))
    assert code == 2
    assert str(zones) in err and expected in err
    assert "Traceback" not in err


def test_wrong_encoding_and_bom(tmp_path, capsys):
    scen = _copy_data(tmp_path)
    zones = tmp_path / "data" / "zones.csv"
    text = zones.read_text(encoding="utf-8")
    zones.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # a BOM is fine
    assert _cli(capsys, "validate", str(scen))[0] == 0
    zones.write_bytes(text.encode("gb18030"))
    code, _, err = _cli(capsys, "validate", str(scen))
    assert code == 2 and "not UTF-8" in err


def test_unknown_sector_in_sector_table_reference(tmp_path, capsys):
    scen = _copy_data(tmp_path)
    zones = tmp_path / "data" / "zones.csv"
    zones.write_text(
        zones.read_text(encoding="utf-8").replace("new_display;", "oled;", 1), encoding="utf-8"
    )
    code, _, err = _cli(capsys, "validate", str(scen))
    assert code == 2 and "unknown leading sector 'oled'" in err


# ---------------------------------------------------------------- interrupted runs


@pytest.mark.slow
def test_killed_run_leaves_no_complete_looking_folder(tmp_path):
    """SIGKILL while the run folder is being written: nothing under the final name."""
    out = tmp_path / "results" / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim.commands.cli",
            "run",
            str(BASELINE),
            "--set",
            "data.firm_scale=0.05",
            "--set",
            "years.end=2021",
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(out.parent.glob(".tmp-*")):
        if proc.poll() is not None:
            pytest.fail("the run finished before it could be killed")
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    # only the writer's temporary folder is left, under a name no reader takes for a run
    assert [p.name.startswith(".tmp-") for p in out.parent.iterdir()] == [True]
    # the next run cleans up after the killed writer and writes its own folder
    again = subprocess.run(
        [sys.executable, "-m", "sim.commands.cli", "run", str(BASELINE), *QUICK, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert (out / "manifest.json").is_file()
    assert not list(out.parent.glob(".tmp-*"))


def test_second_run_gets_a_new_folder(tmp_path, monkeypatch, capsys):
    from sim.runs import store

    monkeypatch.chdir(tmp_path)  # run folders go under ./results by default
    first = store.new_run_dir("baseline")
    assert first.parent == tmp_path / "results"
    first.mkdir(parents=True)
    second = store.new_run_dir("baseline")
    assert second != first and not second.exists()


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_byte_identical_parquet(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert _cli(capsys, "run", str(BASELINE), *QUICK, "--out", str(a))[0] == 0
    assert _cli(capsys, "run", str(BASELINE), *QUICK, "--out", str(b))[0] == 0
    for name in ("zones", "sectors", "allocations", "firms_final", "cities", "belts"):
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes(), name
    # province.parquet holds the optimiser's build/solve seconds, which are timings
    import pandas as pd

    pa = pd.read_parquet(a / "province.parquet").filter(regex="^(?!optimizer_(build|solve)_s)")
    pb = pd.read_parquet(b / "province.parquet").filter(regex="^(?!optimizer_(build|solve)_s)")
    pd.testing.assert_frame_equal(pa, pb, check_exact=True)


# ---------------------------------------------------------------- fuzzing


LEVERS = {
    "land.link_ratio": st.floats(0, 3),
    "land.reclamation_rate": st.floats(0, 1),
    "land.new_quota_mu": st.one_of(st.none(), st.floats(0, 2e5)),
    "exit.mode": st.sampled_from(["mandatory", "market", "off"]),
    "exit.rectification_years": st.integers(1, 5),
    "carbon.total_cap_mt": st.one_of(st.none(), st.floats(200, 500)),
    "evaluation.benchmark": st.sampled_from(["zone", "city", "province"]),
    "economy.growth_multiplier": st.floats(0, 2),
}
BROKEN = st.sampled_from(
    [
        ("land.link_ratio", "lots"),
        ("land.reclamation_rate", 1.5),
        ("land.new_quota_mu", -10),
        ("exit.mode", "sometimes"),
        ("exit.rectification_years", 0),
        ("years.base", 2030),
        ("carbon.intensity_reduction_vs_bas", 0.2),
        ("optimizer.solver", "cplex"),
        ("evaluation.class_shares.A", 0.9),
        ("integration.year", 2050),
        ("economy.grid_factor_t_per_mwh", {"2020x": 0.5}),
    ]
)


def _write(tmp: Path, overrides: dict) -> Path:
    doc: dict = {"extends": str(BASELINE)}
    for dotted, value in overrides.items():
        node = doc
        *parents, last = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    path = tmp / "fuzz.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.fixed_dictionaries({}, optional=LEVERS))
def test_fuzz_valid_scenarios_run(tmp_path_factory, capsys, values):
    tmp = tmp_path_factory.mktemp("ok")
    scen = _write(tmp, values)
    out = tmp / "run"
    code, _, err = _cli(capsys, "run", str(scen), *QUICK, "--out", str(out))
    assert code == 0, err
    assert (out / "manifest.json").is_file()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(broken=BROKEN, values=st.fixed_dictionaries({}, optional=LEVERS))
def test_fuzz_broken_scenarios_exit_2_without_folder(tmp_path_factory, capsys, broken, values):
    tmp = tmp_path_factory.mktemp("bad")
    key, value = broken
    scen = _write(tmp, {**values, key: value})
    out = tmp / "run"
    code, _, err = _cli(capsys, "run", str(scen), *QUICK, "--out", str(out))
    assert code == 2
    assert key.split(".")[0] in err and "Traceback" not in err
    assert not out.exists() and not list(tmp.glob(".tmp-*"))


# ---------------------------------------------------------------- found in review


def test_force_replaces_only_run_folders(tmp_path, capsys):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("a planner's notes", encoding="utf-8")
    code, _, err = _cli(capsys, "run", str(BASELINE), *QUICK, "--out", str(precious), "--force")
    assert code == 2 and "not a zonesim run folder" in err
    assert (precious / "notes.txt").read_text(encoding="utf-8") == "a planner's notes"
    # a real run folder is replaced, and nothing is left aside
    run = tmp_path / "run"
    assert _cli(capsys, "run", str(BASELINE), *QUICK, "--out", str(run))[0] == 0
    assert _cli(capsys, "run", str(BASELINE), *QUICK, "--out", str(run), "--force")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious", "run"]


def test_stale_cleanup_touches_only_zonesim_temp_folders(tmp_path, capsys):
    other = tmp_path / ".tmp-other-tool-999999"
    other.mkdir()
    dead = tmp_path / ".tmp-zonesim-old-999999"
    dead.mkdir()
    assert _cli(capsys, "run", str(BASELINE), *QUICK, "--out", str(tmp_path / "r"))[0] == 0
    assert other.exists() and not dead.exists()


def test_out_under_a_file_fails_before_running(tmp_path, capsys):
    f = tmp_path / "o.txt"
    f.write_text("x", encoding="utf-8")
    t = time.monotonic()
    code, _, err = _cli(capsys, "run", str(BASELINE), "--out", str(f / "sub"))
    assert code == 2 and "is a file" in err and time.monotonic() - t < 5


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("economy.sector_growth={steal: 0.01}", "unknown sector 'steal'"),
        ("optimizer.bans=[{sector: chemical, belt: yangtze}]", "unknown sector 'chemical'"),
        ("name=../escape", "name"),
        ("data.firms=nope.csv", "no such file"),
        (
            "carbon.zone_caps_mt={G321O14: 2}",
            "carbon.zone_caps_mt.G321O14: unknown zone_id 'G321O14' (zone_id of the zone file); "
            "did you mean G3211",
        ),
        ("evaluation.exempt_sectors=[water]", "evaluation.exempt_sectors[0]: unknown sector"),
        (
            "sector_policy.relocations=[{sector: chemicals, from_belt: yangtze, "
            "to_belt: coastal, start: 2022, to_flag: null, to_flag_only: true}]",
            "sector_policy.relocations.0: to_flag_only needs a to_flag",
        ),
        # a --set below a key the file wrote: the message blames --set, not the file line
        (
            "land.recovery_instrument.x=1",
            "land.recovery_instrument: Input should be 'free' or 'buyback' (given: {'x': 1}) "
            "(--set)",
        ),
        # a check across sections names its key and who set it, not "(top level)"
        ("integration.year=2030", "- integration.year 2030 must lie in the simulated years"),
    ],
)
def test_validate_catches_what_run_would_hit(capsys, override, expected):
    code, _, err = _cli(capsys, "validate", str(BASELINE), "--set", override)
    assert code == 2 and expected in err and "Traceback" not in err


def test_accepted_partial_levers_run(tmp_path, capsys):
    code, _, err = _cli(
        capsys,
        "run",
        str(BASELINE),
        *QUICK,
        "--set",
        "land.demand_multiplier=null",
        "--set",
        "evaluation.land_tax_surcharge_wan_per_mu={D: 2}",
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 0, err


# a run that stops (exit 3) in its first year: the cap is far below existing emissions
STOPS = [
    *("--set", "carbon.total_cap_mt=100"),
    *("--set", "carbon.enforcement=[]"),
    *("--set", "optimizer.on_infeasible=stop"),
]


def test_scorecard_of_a_run_stopped_in_its_first_year(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "stopped"
    code, _, _ = _cli(capsys, "run", str(BASELINE), *QUICK, *STOPS, "--out", str(out))
    assert code == 3
    sc = pd.read_csv(out / "scorecard.csv")
    assert sc["met"].isna().all() and sc["achieved"].isna().all()


def test_stopped_run_that_cannot_be_saved_exits_3_with_a_message(tmp_path, monkeypatch, capsys):
    import errno

    from sim.runs import store

    def full(df, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(store, "write_parquet", full)
    out = tmp_path / "stopped"
    code, _, err = _cli(capsys, "run", str(BASELINE), *QUICK, *STOPS, "--out", str(out))
    assert code == 3
    assert "could not be saved" in err and "No space left on device" in err
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".tmp-*"))


# ---------------------------------------------------------------- ensembles and executors

ENS = ["--set", "data.firm_scale=0.02", "--set", "years.end=2022"]


@pytest.mark.slow
def test_ensemble_is_identical_on_every_executor_and_resumes(tmp_path, capsys):
    """Members depend on the scenario and their index only: the serial and the process
    executor write byte-identical member files, and a resumed ensemble recomputes only
    what is missing, to the same bytes."""
    serial, pool = tmp_path / "serial", tmp_path / "pool"
    args = ["ensemble", str(BASELINE), "--runs", "3", *ENS]
    assert _cli(capsys, *args, "--executor", "serial", "--out", str(serial))[0] == 0
    assert (
        _cli(capsys, *args, "--executor", "process", "--workers", "2", "--out", str(pool))[0] == 0
    )
    names = sorted(p.name for p in (serial / "members").iterdir())
    assert names == ["00000.parquet", "00001.parquet", "00002.parquet"]
    for name in names:
        assert (serial / "members" / name).read_bytes() == (pool / "members" / name).read_bytes()
    # members differ from one another (their own seeds)
    import pandas as pd

    t = pd.read_parquet(serial / "ensemble.parquet")
    assert t.groupby("member")["co2_t"].last().nunique() == 3
    # resume: drop one member, run again; only it is recomputed, to the same bytes
    lost = serial / "members" / "00001.parquet"
    before = lost.read_bytes()
    lost.unlink()
    code, _, err = _cli(capsys, *args, "--executor", "serial", "--out", str(serial))
    assert code == 0 and "resuming" in err and err.count("done (member") == 1
    assert lost.read_bytes() == before


def test_ensemble_refuses_another_ensembles_folder(tmp_path, capsys):
    out = tmp_path / "e"
    assert (
        _cli(
            capsys,
            "ensemble",
            str(BASELINE),
            "--runs",
            "1",
            *ENS,
            "--executor",
            "serial",
            "--out",
            str(out),
        )[0]
        == 0
    )
    code, _, err = _cli(
        capsys, "ensemble", str(BASELINE), "--runs", "1", *ENS, "--set", "seed=7", "--out", str(out)
    )
    assert code == 2 and "another ensemble" in err


def _ensemble(capsys, out: Path, runs: int) -> tuple[int, str]:
    """A serial ensemble of one simulated year per member, into `out`."""
    quick = ["--set", "data.firm_scale=0.02", "--set", "years.end=2021"]
    args = ["ensemble", str(BASELINE), "--runs", str(runs), *quick, "--executor", "serial"]
    code, _, err = _cli(capsys, *args, "--out", str(out))
    return code, err


def _member_files(out: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "members").iterdir()}


def test_ensemble_grows_with_more_runs(tmp_path, capsys):
    """--runs 3 into a 2-run ensemble adds member 2 only; members 0 and 1 are kept."""
    import json

    import pandas as pd

    out = tmp_path / "e"
    assert _ensemble(capsys, out, 2)[0] == 0
    before = _member_files(out)
    code, err = _ensemble(capsys, out, 3)
    assert code == 0, err
    assert err.count("done (member") == 1 and "3/3 done (member 2," in err
    after = _member_files(out)
    assert sorted(after) == ["00000.parquet", "00001.parquet", "00002.parquet"]
    assert {k: after[k] for k in before} == before  # not rewritten
    assert json.loads((out / "ensemble.json").read_text(encoding="utf-8"))["runs"] == 3
    assert sorted(pd.read_parquet(out / "ensemble.parquet")["member"].unique()) == [0, 1, 2]


def test_ensemble_with_fewer_runs_aggregates_only_those(tmp_path, capsys):
    """--runs 2 into a 3-run ensemble computes nothing, combines members 0 and 1 only
    and keeps member 2's file; a missing member among the first two is recomputed and
    counted against 2, not 3."""
    import json

    import pandas as pd

    from sim.experiments.ensemble import quantiles

    out = tmp_path / "e"
    assert _ensemble(capsys, out, 3)[0] == 0
    before = _member_files(out)
    code, err = _ensemble(capsys, out, 2)
    assert code == 0, err
    assert "done (member" not in err
    assert _member_files(out) == before
    table = pd.read_parquet(out / "ensemble.parquet")
    assert sorted(table["member"].unique()) == [0, 1]
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "summary.csv"), quantiles(table), check_dtype=False
    )
    assert json.loads((out / "ensemble.json").read_text(encoding="utf-8"))["runs"] == 3
    # progress counts only the members asked for: 2/2, never 3/2
    (out / "members" / "00001.parquet").unlink()
    code, err = _ensemble(capsys, out, 2)
    assert code == 0, err
    assert err.count("done (member") == 1 and "2/2 done (member 1," in err
    assert (out / "members" / "00002.parquet").read_bytes() == before["00002.parquet"][0]


def test_ensemble_removes_stale_member_temp_files(tmp_path, capsys):
    out = tmp_path / "e"
    assert _ensemble(capsys, out, 1)[0] == 0
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a writer that was killed: its pid is gone
    stale = out / "members" / f".tmp-zonesim-00001.parquet-{proc.pid}"
    stale.write_bytes(b"half a parquet")
    live = out / "members" / f".tmp-zonesim-00001.parquet-{os.getppid()}"
    live.write_bytes(b"being written by a living process")
    code, err = _ensemble(capsys, out, 1)
    assert code == 0, err
    assert not stale.exists() and live.exists()
    assert sorted(p.name for p in (out / "members").glob("*.parquet")) == ["00000.parquet"]


def test_ensemble_draws_outside_a_lever_range_are_named_before_anything_runs(tmp_path, capsys):
    """A normal distribution can draw outside the lever's range: the ensemble names each
    such member, lever and value, says how to fix it, and leaves no folder."""
    scen = tmp_path / "u.yaml"
    scen.write_text(
        f"extends: {BASELINE}\n"
        "uncertainty:\n  land.link_ratio: {dist: normal, mean: 0.0, sd: 5.0}\n",
        encoding="utf-8",
    )
    out = tmp_path / "e"
    args = ["ensemble", str(scen), "--runs", "3", *ENS, "--executor", "serial"]
    code, _, err = _cli(capsys, *args, "--out", str(out))
    assert code == 2 and "Traceback" not in err
    assert "member 0 (land.link_ratio=-0.10409)" in err
    assert "is below the allowed minimum 0.0" in err and "narrow the distribution" in err
    assert "(uncertainty draw)" in err and "(--set)" not in err  # the draw set it
    assert not out.exists()


@pytest.mark.parametrize(
    ("lever", "expected", "hint"),
    [
        # a drawn class share breaks the sum to 1: not a range problem, no range hint
        ("evaluation.class_shares.D: {dist: uniform, low: 0.1, high: 0.2}", "sum to 1", False),
        # a sector the data do not hold: refused by the data check, before any member
        (
            "economy.sector_growth.chemicalz: {dist: uniform, low: 0, high: 0.1}",
            "uncertainty.economy.sector_growth.chemicalz: unknown sector 'chemicalz'",
            False,
        ),
    ],
)
def test_ensemble_draws_that_cannot_run_are_refused_with_the_right_advice(
    tmp_path, capsys, lever, expected, hint
):
    scen = tmp_path / "u.yaml"
    scen.write_text(f"extends: {BASELINE}\nuncertainty:\n  {lever}\n", encoding="utf-8")
    out = tmp_path / "e"
    args = ["ensemble", str(scen), "--runs", "2", *ENS, "--executor", "serial"]
    code, _, err = _cli(capsys, *args, "--out", str(out))
    assert code == 2 and "Traceback" not in err
    assert expected in err
    assert ("narrow the distribution" in err) is hint
    assert not out.exists()


def test_dask_executor_without_dask_says_how_to_install(tmp_path, capsys):
    pytest.importorskip("numpy")
    try:
        import dask.distributed  # noqa: F401

        pytest.skip("dask is installed here: the message is for machines without it")
    except ImportError:
        pass
    code, _, err = _cli(
        capsys,
        "ensemble",
        str(BASELINE),
        "--runs",
        "1",
        *ENS,
        "--executor",
        "dask",
        "--out",
        str(tmp_path / "d"),
    )
    assert code == 4 and "pip install 'dask[distributed]'" in err


CSV_BREAKS = st.sampled_from(["garbage", "negative", "drop_column", "duplicate", "blank", "extra"])
NUMERIC_ZONE_COLUMNS = ("approved_area_mu", "management_efficiency", "va_2020_yi")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=CSV_BREAKS,
    row=st.integers(0, 157),
    col=st.sampled_from(NUMERIC_ZONE_COLUMNS),
    junk=st.text(alphabet="abcxyz%$#亩", min_size=1, max_size=6),
)
def test_fuzz_broken_zone_csv_exits_2_naming_the_file(
    tmp_path_factory, capsys, kind, row, col, junk
):
    import pandas as pd

    tmp = tmp_path_factory.mktemp("csv")
    scen = _copy_data(tmp)
    path = tmp / "data" / "zones.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if kind == "garbage":
        df.loc[row, col] = junk
    elif kind == "negative":
        df.loc[row, col] = "-1"
    elif kind == "drop_column":
        df = df.drop(columns=[col])
    elif kind == "duplicate":
        df = pd.concat([df, df.iloc[[row]]])
    elif kind == "blank":
        df.loc[row, "city"] = ""
    else:
        df[f"x_{col}"] = "1"
    df.to_csv(path, index=False)
    out = tmp / "run"
    code, _, err = _cli(capsys, "run", str(scen), *QUICK, "--out", str(out))
    assert code == 2
    assert str(path) in err and "Traceback" not in err
    assert not out.exists() and not list(tmp.glob(".tmp-*"))
