"""Issue 15, classes 2, 3 (levers, --set, uncertainty draws), 4 and 10: YAML traps,
non-finite numbers, hostile files, names and --set forms are refused at `validate` and
at `run` with exit 2, a message naming the file, line, key and what is allowed, no
traceback and no run folder."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.commands.cli import main
from sim.scenario import load_scenario, read_scenario
from sim.scenario.keys import number_range
from sim.scenario.library import LIBRARY_DIR
from sim.scenario.messages import SHOWN
from sim.scenario.schema import Scenario

BASELINE = LIBRARY_DIR / "baseline.yaml"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run `zonesim ARGS` in-process; (exit code, stdout + stderr)."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def child(folder: Path, body: str, name: str = "case.yaml") -> Path:
    """A scenario file in `folder` that extends the shipped baseline."""
    path = folder / name
    path.write_text(f"extends: {BASELINE}\n{body}", encoding="utf-8")
    return path


def refused(capsys: pytest.CaptureFixture[str], folder: Path, scenario: str, *extra: str) -> str:
    """`validate` and `run` both exit 2 with no traceback and no run folder; the message."""
    os.chdir(folder)
    code, out = cli(capsys, "validate", scenario, *extra)
    assert code == 2, out
    assert "Traceback" not in out
    code_run, out_run = cli(capsys, "run", scenario, *extra, "--no-charts")
    assert code_run == 2, out_run
    assert "Traceback" not in out_run
    assert not (folder / "results").exists()
    return out


@pytest.fixture(autouse=True)
def _keep_cwd():
    here = os.getcwd()
    yield
    os.chdir(here)


# class 2: YAML 1.1 scalars and duplicate keys -----------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "key", "allowed"),
    [
        ("carbon:\n  total_cap_mt: no   # no cap\n", 3, "carbon.total_cap_mt", "null (no limit)"),
        ("land:\n  link_ratio: yes\n", 3, "land.link_ratio", "a number from 0 to 10"),
        ("land:\n  link_ratio: on\n", 3, "land.link_ratio", "a number from 0 to 10"),
        ("land:\n  link_ratio: true\n", 3, "land.link_ratio", "a number from 0 to 10"),
        ("seed: false\n", 2, "seed", "a whole number from 0"),
    ],
)
def test_yaml11_words_and_booleans_are_not_numbers(capsys, tmp_path, body, line, key, allowed):
    path = child(tmp_path, body)
    out = refused(capsys, tmp_path, str(path))
    assert f"{key}:" in out and f"{path}:{line}" in out and allowed in out


def test_documented_words_of_string_levers_are_accepted_unquoted(capsys, tmp_path):
    path = child(tmp_path, "exit:\n  mode: off\n")
    code, out = cli(capsys, "validate", str(path))
    assert code == 0, out
    assert load_scenario(path).exit.mode == "off"
    assert load_scenario("baseline", {"exit.mode": "off"}).exit.mode == "off"


@pytest.mark.parametrize(
    ("body", "key", "lines"),
    [
        (
            "land:\n  link_ratio: 1.2\nexit:\n  mode: market\nland:\n  link_ratio: 2\n",
            "land",
            "2 and 6",
        ),
        ("land:\n  new_quota_mu: {2021: 40000, 2021: 10}\n", "land.new_quota_mu.2021", "line 3"),
        (
            "land:\n  new_quota_mu:\n    2021: 40000\n    2021.0: 10\n",
            "land.new_quota_mu.2021",
            "4 and 5",
        ),
        (
            "optimizer:\n  bans:\n    - {sector: chemicals, belt: yangtze, belt: canal}\n",
            "optimizer.bans.0.belt",
            "line 4",
        ),
    ],
)
def test_a_key_given_twice_is_refused_naming_both_lines(capsys, tmp_path, body, key, lines):
    path = child(tmp_path, body)
    out = refused(capsys, tmp_path, str(path))
    assert f"{key}: key given twice" in out
    assert f"on {'lines ' if 'and' in lines else ''}{lines}" in out
    assert str(path) in out


def test_a_duplicate_key_in_a_parent_is_refused_naming_the_parent(capsys, tmp_path):
    parent = child(tmp_path, "land:\n  link_ratio: 1\n  link_ratio: 2\n", "parent.yaml")
    kid = tmp_path / "kid.yaml"
    kid.write_text("extends: parent.yaml\nname: kid\n", encoding="utf-8")
    out = refused(capsys, tmp_path, str(kid))
    assert f"{parent}:4" in out and "land.link_ratio: key given twice" in out


# class 3: non-finite and degenerate numbers (levers, --set, uncertainty draws) ---------


@pytest.mark.parametrize(
    ("body", "key", "allowed"),
    [
        ("land:\n  link_ratio: .nan\n", "land.link_ratio", "from 0 to 10"),
        ("land:\n  link_ratio: nan\n", "land.link_ratio", "from 0 to 10"),
        ("optimizer:\n  time_limit_s: .inf\n", "optimizer.time_limit_s", "at most 86400"),
        ("optimizer:\n  time_limit_s: 0\n", "optimizer.time_limit_s", "above 0 and at most 86400"),
        ("land:\n  reclamation_cost_wan_per_mu: .inf\n", "reclamation_cost_wan_per_mu", "to 10000"),
        ("land:\n  new_quota_mu: {2021: -.inf}\n", "land.new_quota_mu", "from 0 to 10000000"),
        ("land:\n  new_quota_mu: 1e400\n", "land.new_quota_mu", "from 0 to 10000000"),
        (
            "evaluation:\n  class_shares: {A: .nan, B: 0.4, C: 0.35, D: 0.05}\n",
            "evaluation.class_shares.A",
            "from 0 to 1",
        ),
        ("data:\n  firm_scale: .inf\n", "data.firm_scale", "above 0 and at most 20"),
        (
            "uncertainty:\n  land.link_ratio: {dist: choice, values: [.nan]}\n",
            "uncertainty.land.link_ratio",
            "finite",
        ),
        (
            "uncertainty:\n  land.link_ratio: {dist: choice, values: [1, -3]}\n",
            "uncertainty.land.link_ratio",
            "from 0 to 10",
        ),
        (
            "uncertainty:\n  land.link_ratio: {dist: uniform, low: 0, high: .inf}\n",
            "uncertainty.land.link_ratio.high",
            "finite",
        ),
        (
            "uncertainty:\n  economy.sector_growth.chemicals: {dist: normal, mean: 3, sd: 0.1}\n",
            "uncertainty.economy.sector_growth.chemicals",
            "from -0.5 to 1",
        ),
    ],
)
def test_non_finite_and_out_of_range_numbers_are_refused(capsys, tmp_path, body, key, allowed):
    path = child(tmp_path, body)
    out = refused(capsys, tmp_path, str(path))
    assert f"{key}" in out and allowed in out and f"{path}:" in out


@pytest.mark.parametrize(
    "item", ["land.link_ratio=.nan", "land.link_ratio=yes", "optimizer.time_limit_s=.inf"]
)
def test_set_values_follow_the_same_rules(capsys, tmp_path, item):
    out = refused(capsys, tmp_path, "baseline", "--set", item)
    assert item.split("=")[0] in out and "(--set)" in out and "allowed:" in out


def test_every_numeric_lever_has_a_finite_documented_range():
    for key, _ in numeric_leaves():
        parts = key.split(".")
        rng = number_range(Scenario, parts) or number_range(Scenario, parts[:-1])
        assert rng is not None, key
        assert math.isfinite(rng.lo) and math.isfinite(rng.hi), key
        assert rng.text() in f"allowed: {rng.text()}"


# class 4: hostile YAML -----------------------------------------------------------------


def test_an_alias_bomb_is_refused_before_it_expands(capsys, tmp_path):
    rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        rows.append(f"{cur}: &{cur} [{', '.join([f'*{prev}'] * 9)}]")
    path = child(tmp_path, "\n".join(rows) + "\ndescription: *j\n")
    out = refused(capsys, tmp_path, str(path))
    assert "aliases (*name) expand to more than 100,000 values" in out


def test_an_alias_into_itself_is_refused(capsys, tmp_path):
    path = child(tmp_path, "description: &d [1, *d]\n")
    assert "refers to a value that contains it" in refused(capsys, tmp_path, str(path))


@pytest.mark.parametrize("nest", ["[" * 20000 + "]" * 20000, "{a: " * 20000 + "1" + "}" * 20000])
def test_deep_nesting_is_refused_without_recursion_error(capsys, tmp_path, nest):
    path = child(tmp_path, f"description: {nest}\n")
    out = refused(capsys, tmp_path, str(path))
    assert "nested more than 50 levels deep" in out and f"{path}:2" in out


def test_deep_block_nesting_is_refused(capsys, tmp_path):
    body = "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "  " * 200 + "x: 1\n"
    path = child(tmp_path, body)
    assert "nested more than 50 levels deep" in refused(capsys, tmp_path, str(path))


def test_ten_thousand_unknown_keys_give_a_bounded_message(capsys, tmp_path):
    path = child(tmp_path, "land:\n" + "".join(f"  key_{i}: {i}\n" for i in range(10_000)))
    out = refused(capsys, tmp_path, str(path))
    assert "10000 problem(s)" in out and f"and {10_000 - SHOWN} more" in out
    assert len(out.splitlines()) < SHOWN + 10
    assert f"land.key_0: unknown key ({path}:3)" in out


def test_a_file_above_the_size_limit_is_refused(capsys, tmp_path):
    path = child(tmp_path, "# " + "x" * 1_100_000 + "\n")
    assert "larger than 1,000,000 bytes" in refused(capsys, tmp_path, str(path))


def test_a_symlink_loop_a_folder_and_a_missing_parent_are_clear_errors(capsys, tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    assert "cannot be read" in refused(capsys, tmp_path, str(tmp_path / "a.yaml"))
    (tmp_path / "dir.yaml").mkdir()
    assert "is a folder" in refused(capsys, tmp_path, str(tmp_path / "dir.yaml"))
    kid = tmp_path / "kid.yaml"
    kid.write_text("extends: a.yaml\n", encoding="utf-8")
    assert "cannot be read" in refused(capsys, tmp_path, str(kid))
    kid.write_text("extends: dir.yaml\n", encoding="utf-8")
    assert "is a folder" in refused(capsys, tmp_path, str(kid))


def test_yaml_that_is_not_valid_names_the_line(capsys, tmp_path):
    path = child(tmp_path, "land:\n  link_ratio: [1\nexit: {}\n")
    out = refused(capsys, tmp_path, str(path))
    assert "not valid YAML" in out and f"{path}:4" in out


# class 10: names and --set forms -------------------------------------------------------


def test_a_child_without_a_name_is_named_after_its_file(capsys, tmp_path):
    path = child(tmp_path, "land:\n  link_ratio: 1.2\n", "my_variant.yaml")
    assert load_scenario(path).name == "my_variant"
    assert load_scenario(path, {"name": "other"}).name == "other"


@pytest.mark.parametrize(
    ("file", "name"),
    [
        ("my scenario (v2).yaml", "my_scenario_v2"),
        ("基线 方案.yaml", "基线_方案"),
        ("  .yaml", "scenario"),
    ],
)
def test_any_file_name_gives_a_safe_run_name(capsys, tmp_path, file, name):
    path = child(tmp_path, "land:\n  link_ratio: 1.2\n", file)
    code, out = cli(capsys, "validate", str(path))
    assert code == 0, out
    assert load_scenario(path).name == name


@pytest.mark.parametrize("bad", ["my scenario", "../../etc", "a/b", ".hidden", ""])
def test_a_name_that_cannot_name_a_folder_is_refused(capsys, tmp_path, bad):
    path = child(tmp_path, f"name: {bad!r}\n")
    out = refused(capsys, tmp_path, str(path))
    assert "name: a name names the run folder: letters, digits" in out and f"{path}:2" in out


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ("=5", "no key before '='"),
        ("a.b", "no '='"),
        (".x=1", "has an empty part"),
        ("land..link_ratio=1", "has an empty part"),
        ("land.link_ratio=", "no value after '='"),
        ("land.new_quota_mu={2021: 1, 2021: 2}", "key given twice"),
        ("description=" + "[" * 100 + "]" * 100, "nested more than 50 levels deep"),
    ],
)
def test_malformed_set_items_are_named(capsys, tmp_path, item, says):
    out = refused(capsys, tmp_path, "baseline", "--set", item)
    assert f"--set {item!r}" in out and says in out


def test_validate_checks_the_data_a_run_reads(capsys, tmp_path):
    path = child(tmp_path, "data:\n  zones: no_such_zones.csv\n")
    out = refused(capsys, tmp_path, str(path))
    assert "no_such_zones.csv" in out


# hypothesis: any numeric leaf of the baseline, broken --------------------------------


def numeric_leaves() -> list[tuple[str, Any]]:
    """(dotted key, value) of every number in the baseline as its file and its parents
    give it, mapping entries and path years included."""
    out: list[tuple[str, Any]] = []

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}{k}.")
        elif isinstance(node, int | float) and not isinstance(node, bool):
            out.append((prefix[:-1], node))

    raw = read_scenario("baseline").raw
    walk(raw, "")
    return out


LEAVES = numeric_leaves()
BAD = [math.nan, math.inf, -math.inf, True, False, "", "dup"]


def broken_file(folder: Path, key: str, bad: Any) -> Path:
    """A copy of the baseline with the leaf `key` replaced by `bad`, or given twice."""
    raw = read_scenario("baseline").raw
    parts = key.split(".")
    node = raw
    for p in parts[:-1]:
        node = node[int(p) if isinstance(next(iter(node)), int) else p]
    last: Any = int(parts[-1]) if isinstance(next(iter(node)), int) else parts[-1]
    path = folder / "broken.yaml"
    if bad == "dup":  # the leaf's line written a second time, right below itself
        node[last] = "DUPLICATE_ME"
        text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
        lines = []
        for line in text.splitlines():
            lines.append(line.replace("DUPLICATE_ME", "1"))
            if "DUPLICATE_ME" in line:
                lines.append(lines[-1])
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        node[last] = bad
        path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_the_leaves_cover_levers_mapping_entries_and_path_years():
    keys = {k for k, _ in LEAVES}
    assert {"land.link_ratio", "evaluation.class_shares.A"} <= keys
    assert "economy.grid_factor_t_per_mwh.2022" in keys
    assert {"seed", "years.end", "optimizer.time_limit_s", "data.firm_scale"} <= keys


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(leaf=st.sampled_from(LEAVES), bad=st.sampled_from(BAD))
def test_any_numeric_leaf_broken_is_refused_at_validate(capsys, leaf, bad):
    key = leaf[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = broken_file(folder, key, bad)
        os.chdir(folder)
        code, out = cli(capsys, "validate", str(path))
        assert code == 2, (key, bad, out)
        assert "Traceback" not in out
        shown = key.rsplit(".", 1)[0] if key.rsplit(".", 1)[-1].isdigit() else key
        assert shown in out, (key, bad, out)
        assert f"{path}:" in out
        assert not (folder / "results").exists()
