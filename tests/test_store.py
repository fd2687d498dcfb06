"""The run folder writer under failures and races: nothing a user computed is lost,
and nothing that is not a run is moved."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.runs import store
from tests.conftest import small_scenario


@pytest.fixture(scope="module")
def quick_result():
    from sim.runs.runner import run

    return run(small_scenario(**{"data.firm_scale": 0.02, "years.end": 2021}))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".tmp-", ".old-")))


def _fail_on_call(monkeypatch, n: int, exc: BaseException) -> list[tuple]:
    """Make the n-th os.rename call raise `exc`; return the list of calls seen."""
    real = os.rename
    calls: list[tuple] = []

    def rename(src, dst, *args, **kwargs):
        calls.append((Path(src), Path(dst)))
        if len(calls) == n:
            raise exc
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    return calls


def _user_folder(path: Path) -> None:
    path.mkdir()
    (path / "notes.txt").write_text("a planner's notes", encoding="utf-8")


# ---------------------------------------------------------------- --force replace


@pytest.mark.parametrize(
    "exc",
    [OSError(errno.EIO, "Input/output error"), KeyboardInterrupt()],
    ids=["oserror", "ctrl-c"],
)
def test_failed_replace_puts_the_earlier_run_back(tmp_path, monkeypatch, quick_result, exc):
    out = tmp_path / "run"
    store.write_run(quick_result, out, charts=False)
    manifest = (out / "manifest.json").read_bytes()
    calls = _fail_on_call(monkeypatch, 2, exc)  # 1: old run aside, 2: new run into place
    with pytest.raises(type(exc)):
        store.write_run(quick_result, out, force=True, charts=False)
    monkeypatch.undo()
    assert calls[0][1].name.startswith(".old-zonesim-") and calls[1][1] == out
    assert (out / "manifest.json").read_bytes() == manifest  # the earlier run, intact
    assert (out / "province.parquet").is_file()
    assert _leftovers(tmp_path) == []  # not left aside, temp folder removed


def test_replace_rechecks_that_the_folder_is_still_a_run(tmp_path, monkeypatch, quick_result):
    """A run folder swapped for a user's folder after the first check is not moved aside."""
    out = tmp_path / "run"
    store.write_run(quick_result, out, charts=False)

    def swap() -> None:  # called while the new run folder is being written
        shutil.rmtree(out)
        _user_folder(out)

    monkeypatch.setattr(store, "git_commit", swap)
    with pytest.raises(FileExistsError, match="not a zonesim run folder"):
        store.write_run(quick_result, out, force=True, charts=False)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "a planner's notes"
    assert _leftovers(tmp_path) == []


def test_force_still_replaces_a_run(tmp_path, quick_result):
    out = tmp_path / "run"
    store.write_run(quick_result, out, charts=False)
    (out / "stale.txt").write_text("from the earlier run", encoding="utf-8")
    assert store.write_run(quick_result, out, force=True, charts=False) == out
    assert (out / "manifest.json").is_file() and not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


# ---------------------------------------------------------------- names taken meanwhile


def test_explicit_out_created_meanwhile_is_an_error(tmp_path, monkeypatch, quick_result):
    """An explicit --out taken while the run was written: an error naming where the
    finished run was kept, never a silent other name; the other folder is untouched."""
    out = tmp_path / "run"
    monkeypatch.setattr(store, "git_commit", lambda: _user_folder(out))
    with pytest.raises(FileExistsError) as info:
        store.write_run(quick_result, out, charts=False)
    kept = tmp_path / "run-2"
    assert str(out) in str(info.value) and str(kept) in str(info.value)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert (kept / "manifest.json").is_file()  # the computed run is not lost
    assert _leftovers(tmp_path) == []


def test_automatic_name_taken_meanwhile_gets_a_suffix(tmp_path, monkeypatch, quick_result):
    auto = tmp_path / "baseline-20250101-000000"
    monkeypatch.setattr(store, "new_run_dir", lambda name: auto)
    monkeypatch.setattr(store, "git_commit", lambda: _user_folder(auto))
    folder = store.write_run(quick_result, charts=False)
    assert folder == tmp_path / f"{auto.name}-2" and (folder / "manifest.json").is_file()
    assert sorted(p.name for p in auto.iterdir()) == ["notes.txt"]


# ---------------------------------------------------------------- stale temp cleanup


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temp_files_and_folders_are_removed(tmp_path):
    dead = _dead_pid()
    stale_dir = tmp_path / f".tmp-zonesim-run-{dead}"
    stale_dir.mkdir()
    stale_file = tmp_path / f".tmp-zonesim-00003.parquet-{dead}"
    stale_file.write_bytes(b"half a parquet")
    live = tmp_path / f".tmp-zonesim-00004.parquet-{os.getppid()}"  # a living writer
    live.write_bytes(b"being written")
    other = tmp_path / f".tmp-other-{dead}"
    other.write_bytes(b"not ours")
    removed = store.remove_stale_temp(tmp_path)
    assert sorted(removed) == sorted([stale_dir, stale_file])
    assert not stale_dir.exists() and not stale_file.exists()
    assert live.exists() and other.exists()
