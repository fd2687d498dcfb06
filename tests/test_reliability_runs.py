"""Runs and ensembles that never mix, never lie, never delete and never leave orphans
(issue 15, classes 1, 5, 6, 7, 8, 9): everything through the command line."""

from __future__ import annotations

import errno
import filecmp
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.commands.cli import main
from tests.conftest import BASELINE

ZONESIM = str(Path(sys.executable).parent / "zonesim")
QUICK = ["--set", "data.firm_scale=0.02", "--set", "years.end=2021"]


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its bytes and mtime: to show nothing was touched."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _ensemble(capsys, scen: Path | str, out: Path, runs: int, *extra: str):
    args = ["ensemble", str(scen), "--runs", str(runs), *QUICK, "--executor", "serial"]
    return _cli(capsys, *args, *extra, "--out", str(out))


# ---------------------------------------------------------------- 1: never mix scenarios


def _scenario_with_parent_and_data(tmp_path: Path) -> tuple[Path, Path, Path]:
    """child.yaml extends parent.yaml extends the baseline; the data are a local copy."""
    shutil.copytree(BASELINE.parent / "data", tmp_path / "data")
    parent = tmp_path / "parent.yaml"
    parent.write_text(
        f"extends: {BASELINE}\nname: parent\nland:\n  link_ratio: 1.0\n", encoding="utf-8"
    )
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nname: child\nseed: 11\n", encoding="utf-8")
    return child, parent, tmp_path / "data"


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


EDITS = {
    # what is edited -> (edit, what the message must name)
    "scenario": (
        lambda c, p, d: _append(c, "carbon:\n  total_cap_mt: 400\n"),
        ["scenario key carbon.total_cap_mt: was null, is 400", "child.yaml:5"],
    ),
    "parent": (
        lambda c, p, d: p.write_text(
            p.read_text(encoding="utf-8").replace("link_ratio: 1.0", "link_ratio: 1.2"),
            encoding="utf-8",
        ),
        ["scenario key land.link_ratio: was 1.0, is 1.2", "parent.yaml:4"],
    ),
    "set": (None, ['scenario key exit.mode: was "mandatory", is "market"', "--set"]),
    "zones data": (
        lambda c, p, d: (d / "zones.csv").write_text(
            (d / "zones.csv").read_text(encoding="utf-8").replace(",17055.0,", ",17056.0,", 1),
            encoding="utf-8",
        ),
        ["zones.csv (data.zones) changed since the ensemble started"],
    ),
    "sector data": (  # the same values with CRLF line ends: other bytes
        lambda c, p, d: (d / "sectors.csv").write_bytes(
            (d / "sectors.csv").read_bytes().replace(b"\n", b"\r\n")
        ),
        ["sectors.csv (data.sectors) changed since the ensemble started"],
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_resume_after_an_edit_of_scenario_parent_set_or_data_is_refused(tmp_path, capsys, edit):
    """Members 0..k made with one scenario are never combined with members made with
    another: a resume after an edit of the file, its parent, a --set or a data file is
    refused with exit 2, naming what changed, and writes nothing."""
    child, parent, data = _scenario_with_parent_and_data(tmp_path)
    out = tmp_path / "e"
    code, _, err = _ensemble(capsys, child, out, 1)
    assert code == 0, err
    before = _state(out)
    change, expected = EDITS[edit]
    extra: list[str] = []
    if change is None:
        extra = ["--set", "exit.mode=market"]
    else:
        change(child, parent, data)
    code, _, err = _ensemble(capsys, child, out, 2, *extra)
    assert code == 2, err
    assert "another ensemble" in err and "Traceback" not in err
    for word in expected:
        assert word in err, (word, err)
    assert _state(out) == before  # no member added, no file rewritten


def test_resume_after_an_edit_that_changes_nothing_resolved_goes_on(tmp_path, capsys):
    """A comment or a reordering changes no resolved key and no data byte: resumed."""
    child, _, _ = _scenario_with_parent_and_data(tmp_path)
    out = tmp_path / "e"
    assert _ensemble(capsys, child, out, 1)[0] == 0
    child.write_text(
        "# the same scenario\nseed: 11\nname: child\nextends: parent.yaml\n", encoding="utf-8"
    )
    code, _, err = _ensemble(capsys, child, out, 2)
    assert code == 0, err
    assert err.count("done (member") == 1


# ---------------------------------------------------------------- 5: failure is not success

FAILING = [
    "--set",
    "optimizer.projects=true",
    "--set",
    "optimizer.time_limit_s=0.5",
    "--set",
    "data.firm_scale=0.02",
    "--set",
    "years.end=2021",
    "--set",
    "land.demand_multiplier=null",
    "--no-charts",
]  # GLPK finds no whole-project allocation of the full province in half a second when
# investors' demand is unbounded (every pair open); with demand capped at the growth need
# and the 2021 state of issue 12 items 4-7 it solves the capped MIP in 0.2 s


@pytest.mark.parametrize(
    ("on_failure", "code", "status"),
    [("degrade", 5, "degraded"), ("continue", 0, "complete"), ("stop", 5, "stopped")],
)
def test_failed_allocation_years_degrade_the_run(tmp_path, capsys, on_failure, code, status):
    out = tmp_path / "run"
    args = ["run", str(BASELINE), *FAILING, "--set", f"optimizer.on_failure={on_failure}"]
    got, _, err = _cli(capsys, *args, "--out", str(out))
    assert got == code, err
    assert "Traceback" not in err
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == status
    assert list(m["failed_years"]) == ["2021"]
    assert "no whole-project allocation within the time limit" in m["failed_years"]["2021"]
    assert m["optimizer_s_by_year"][0]["status"] == "error"
    # the summary line says which years and why
    assert "2021" in err and "time limit" in err
    if status == "degraded":
        assert "run degraded: the land allocation failed in 1 year(s): 2021" in err
        assert m["message"].startswith("the land allocation failed in 1 year(s): 2021")


def test_a_degraded_ensemble_exits_5_naming_members_and_years(tmp_path, capsys):
    out = tmp_path / "e"
    args = ["ensemble", str(BASELINE), "--runs", "1", *FAILING[:-1], "--executor", "serial"]
    code, _, err = _cli(capsys, *args, "--out", str(out))
    assert code == 5, err
    assert "ensemble degraded" in err and "member 0: 2021" in err


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        # distinct belts, no zone in both: the shares sum above 1
        ("{canal: 0.6, coastal: 0.5}", "canal 0.6 + coastal 0.5 = 1.1 of the new land"),
        ("{yangtze: 0.9, canal: 0.3, coastal: 0.1}", "canal 0.3 + yangtze 0.9 = 1.2"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "run", "ensemble"])
def test_belt_minimum_shares_that_cannot_all_hold_are_refused(
    tmp_path, capsys, shares, expected, command
):
    out = tmp_path / "out"
    args = [command, str(BASELINE), *QUICK[:2], "--set", f"optimizer.min_share_by_belt={shares}"]
    if command != "validate":
        args += ["--out", str(out)]
    if command == "ensemble":
        args += ["--runs", "1", "--executor", "serial"]
    code, _, err = _cli(capsys, *args)
    assert code == 2, err
    assert "optimizer.min_share_by_belt (--set)" in err and expected in err
    assert "allowed:" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        (["optimizer.max_zone_share=0.001"], "0.001 × 158 zones = 0.158 < 1"),
        (
            ["optimizer.max_zone_share=0.01", "optimizer.min_share_by_belt={coastal: 0.5}"],
            "the coastal belt's 40 zones can take at most 40 × 0.01 = 0.4 of the land",
        ),
    ],
)
def test_a_maximum_zone_share_no_allocation_can_meet_is_refused(tmp_path, capsys, sets, expected):
    """Below 1/zones (or below a belt's share over its zones) the only allocation left is
    no land at all: refused with the smallest share allowed."""
    out = tmp_path / "run"
    args = ["run", str(BASELINE), *QUICK, *(x for s in sets for x in ("--set", s))]
    code, _, err = _cli(capsys, *args, "--out", str(out))
    assert code == 2, err
    assert "optimizer.max_zone_share (--set)" in err and expected in err
    assert "allowed: at least" in err and "Traceback" not in err
    assert not out.exists()


def test_belt_shares_that_overlapping_zones_can_meet_are_accepted(capsys):
    """Nantong's zones are in the Yangtze and the coastal belt: 0.7 + 0.4 can hold."""
    code, out, err = _cli(
        capsys,
        "validate",
        str(BASELINE),
        "--set",
        "optimizer.min_share_by_belt={yangtze: 0.7, coastal: 0.4}",
    )
    assert code == 0, err and "valid" in out


def test_belt_share_refusal_names_the_file_and_line(tmp_path, capsys):
    scen = tmp_path / "shares.yaml"
    scen.write_text(
        f"extends: {BASELINE}\noptimizer:\n  min_share_by_belt: {{canal: 0.7, coastal: 0.4}}\n",
        encoding="utf-8",
    )
    code, _, err = _cli(capsys, "validate", str(scen))
    assert code == 2 and f"optimizer.min_share_by_belt ({scen}:3)" in err


# ---------------------------------------------------------------- 6: --force deletes only runs


def _web_app(folder: Path) -> None:
    folder.mkdir()
    (folder / "manifest.json").write_text('{"name": "my app", "start_url": "/"}', "utf-8")
    (folder / "index.html").write_text("<html></html>", "utf-8")


def _other_tool(folder: Path) -> None:
    folder.mkdir()
    (folder / "manifest.json").write_text(
        json.dumps({"tool": "othertool", "status": "complete", "scenario_hash": "0" * 64}),
        "utf-8",
    )
    (folder / "scenario.yaml").write_text("a: 1\n", "utf-8")
    (folder / "province.parquet").write_bytes(b"PAR1")


def _run_missing_its_tables(folder: Path, run: Path) -> None:
    shutil.copytree(run, folder)
    (folder / "province.parquet").unlink()
    (folder / "mine.txt").write_text("added by hand", "utf-8")


def _broken_manifest(folder: Path, run: Path) -> None:
    shutil.copytree(run, folder)
    (folder / "manifest.json").write_text('{"tool": "zonesim", ', "utf-8")


def _a_file(folder: Path) -> None:
    folder.write_text("not a folder", "utf-8")


@pytest.fixture(scope="module")
def a_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "run"
    assert main(["run", str(BASELINE), *QUICK, "--no-charts", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(
    ("make", "missing"),
    [
        (lambda f, r: _web_app(f), "no scenario.yaml; no province.parquet"),
        (lambda f, r: _other_tool(f), "does not say it was written by zonesim"),
        (_run_missing_its_tables, "no province.parquet"),
        (_broken_manifest, "manifest.json is not readable JSON"),
        (lambda f, r: _a_file(f), "it is not a folder"),
        (lambda f, r: f.symlink_to(r, target_is_directory=True), "symbolic link"),
    ],
    ids=["web-app", "other-tool", "no-province", "broken-manifest", "file", "symlink"],
)
def test_force_refuses_anything_but_a_run_folder(tmp_path, capsys, a_run, make, missing):
    target = tmp_path / "target"
    make(target, a_run)
    before = _state(target) if target.is_dir() and not target.is_symlink() else None
    raw = target.read_bytes() if target.is_file() else None
    run_before = _state(a_run)
    code, _, err = _cli(capsys, "run", str(BASELINE), *QUICK, "--out", str(target), "--force")
    assert code == 2, err
    assert f"{target} exists and is not a zonesim run folder" in err and missing in err
    assert "nothing was deleted" in err and "Traceback" not in err
    if before is not None:
        assert _state(target) == before
    if raw is not None:
        assert target.read_bytes() == raw
    assert _state(a_run) == run_before  # a link's target is untouched too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


def test_force_replaces_a_run_folder(tmp_path, capsys, a_run):
    target = tmp_path / "target"
    shutil.copytree(a_run, target)
    code, _, err = _cli(
        capsys, "run", str(BASELINE), *QUICK, "--no-charts", "--out", str(target), "--force"
    )
    assert code == 0, err
    m = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert m["tool"] == "zonesim" and m["status"] == "complete"


# ---------------------------------------------------------------- 7: atomic ensemble files


def test_a_damaged_member_is_recomputed_to_the_same_bytes(tmp_path, capsys):
    out = tmp_path / "e"
    assert _ensemble(capsys, BASELINE, out, 3)[0] == 0
    members = out / "members"
    good = {p.name: p.read_bytes() for p in members.iterdir()}
    table = (out / "ensemble.parquet").read_bytes()
    (members / "00000.parquet").write_bytes(good["00000.parquet"][:500])  # truncated
    (members / "00001.parquet").write_bytes(good["00002.parquet"])  # another member's rows
    pd.DataFrame({"member": [2]}).to_parquet(members / "00002.parquet")  # columns missing
    code, _, err = _ensemble(capsys, BASELINE, out, 3)
    assert code == 0, err
    assert "Traceback" not in err and err.count("done (member") == 3
    assert "00000.parquet is damaged (not readable Parquet" in err
    assert "00001.parquet is damaged (rows of another member" in err
    assert "00002.parquet is damaged (column(s)" in err
    assert {p.name: p.read_bytes() for p in members.iterdir()} == good
    assert (out / "ensemble.parquet").read_bytes() == table


@pytest.mark.parametrize(
    "record",
    ['{"runs": 2, "scen', "", "[1, 2]", '{"runs": 2}', "\xff\xfe"],
    ids=["truncated", "empty", "not-an-object", "older-zonesim", "not-utf8"],
)
def test_a_broken_ensemble_json_is_named_not_a_traceback(tmp_path, capsys, record):
    out = tmp_path / "e"
    assert _ensemble(capsys, BASELINE, out, 1)[0] == 0
    (out / "ensemble.json").write_bytes(record.encode("latin-1"))
    before = _state(out)
    code, _, err = _ensemble(capsys, BASELINE, out, 2)
    assert code == 2, err
    assert f"{out / 'ensemble.json'}" in err and "Traceback" not in err
    assert "choose another --out" in err
    assert _state(out) == before


def test_a_full_disk_during_the_final_write_keeps_the_earlier_table(tmp_path, capsys, monkeypatch):
    """ensemble.parquet is written to a temporary file and renamed: a write that fails
    midway leaves the earlier table readable and no temporary file behind."""
    from sim.experiments import ensemble

    out = tmp_path / "e"
    assert _ensemble(capsys, BASELINE, out, 1)[0] == 0
    before = (out / "ensemble.parquet").read_bytes()
    real = ensemble.write_parquet

    def disk_full(df, path):
        if "ensemble.parquet" in path.name:
            path.write_bytes(b"PAR1 half")
            raise OSError(errno.ENOSPC, "No space left on device")
        real(df, path)

    monkeypatch.setattr(ensemble, "write_parquet", disk_full)
    code, _, err = _ensemble(capsys, BASELINE, out, 2)
    assert code == 4 and "No space left on device" in err and "Traceback" not in err
    assert (out / "ensemble.parquet").read_bytes() == before
    assert not [p for p in out.rglob(".tmp-zonesim-*")]
    monkeypatch.undo()
    assert _ensemble(capsys, BASELINE, out, 2)[0] == 0  # member 1 was kept: only combined
    assert pd.read_parquet(out / "ensemble.parquet")["member"].nunique() == 2


# ---------------------------------------------------------------- 8: orphans and limits


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_kill_9_of_an_ensemble_leaves_no_worker_behind(tmp_path):
    out = tmp_path / "e"
    proc = subprocess.Popen(
        [
            ZONESIM,
            "ensemble",
            str(BASELINE),
            "--runs",
            "8",
            "--executor",
            "process",
            "--workers",
            "2",
            "--set",
            "data.firm_scale=0.05",
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        while not list((out / "members").glob("0*.parquet")):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no member was written in time"
            time.sleep(0.2)
        workers = _children(proc.pid)
        assert len(workers) >= 2, workers  # the pool's workers, found before the kill
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)]
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in _children(proc.pid):
            os.kill(w, signal.SIGKILL)


def test_more_workers_than_cores_are_capped_with_a_warning(tmp_path, capsys):
    out = tmp_path / "e"
    args = ["ensemble", str(BASELINE), "--runs", "1", *QUICK, "--executor", "process"]
    code, _, err = _cli(capsys, *args, "--workers", "999", "--out", str(out))
    assert code == 0, err
    from sim.experiments.ensemble import usable_cores

    assert f"--workers 999 is more than the {usable_cores()} core(s) here" in err


def test_too_many_runs_are_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "e"
    code, _, err = _ensemble(capsys, BASELINE, out, 100_001)
    assert code == 2 and "--runs 100001: allowed 1 to 100,000" in err
    assert not out.exists()


# ---------------------------------------------------------------- 9: byte for byte


@pytest.mark.slow  # two runs with charts in subprocesses: ~20-40 s
def test_every_file_but_the_manifest_is_byte_identical_across_runs(tmp_path):
    """Two runs of one scenario, in other folders, other working directories and other
    hash seeds: every table, summary, the resolved scenario and every chart are equal
    byte for byte; the timings are in the manifest only."""
    folders = []
    for seed, cwd in (("1", tmp_path), ("4242", Path("/"))):
        out = tmp_path / f"hash{seed}" / "run"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        args = [
            ZONESIM,
            "run",
            str(BASELINE),
            "--set",
            "data.firm_scale=0.02",
            "--set",
            "years.end=2022",
            "--out",
            str(out),
        ]
        proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        folders.append(out)
    a, b = folders
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    assert "charts/va_co2.png" in files and "province.parquet" in files
    assert sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file()) == files
    differ = [
        f for f in files if f != "manifest.json" and not filecmp.cmp(a / f, b / f, shallow=False)
    ]
    assert differ == []
    prov = pd.read_parquet(a / "province.parquet")
    assert not [c for c in prov.columns if c.endswith(("_build_s", "_solve_s"))]
    m = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    assert [r["year"] for r in m["optimizer_s_by_year"]] == [2021, 2022]
    assert all(r["build_s"] >= 0 and r["solve_s"] >= 0 for r in m["optimizer_s_by_year"])
