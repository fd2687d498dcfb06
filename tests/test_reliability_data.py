"""Bad data files (issue 15, classes 3 and 10): every file a run reads is checked by
`zonesim validate` against one column specification per file; a bad value is refused
with the file, line, column, value and allowed range, exit 2, no traceback and no run
folder, at `validate` and at `run` alike."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.commands.cli import main
from sim.runs.checks import TARGET_KEYS, readme_tables, render_readme
from tests.conftest import BASELINE

QUICK = ["--set", "data.firm_scale=0.02", "--set", "years.end=2021", "--no-charts"]


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _copy(tmp: Path, extra: str = "") -> Path:
    """The shipped data copied to tmp/data and a scenario extending the baseline there."""
    shutil.copytree(BASELINE.parent / "data", tmp / "data")
    scen = tmp / "s.yaml"
    scen.write_text(f"extends: {BASELINE}\n{extra}", encoding="utf-8")
    return scen


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def _set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Put `value` in `column` on `line` (as a spreadsheet counts, header = 1)."""
    rows = _rows(path)
    rows[line - 1][rows[0].index(column)] = value
    _write(path, rows)


FIRMS = (
    "zone_id,sector,land_mu,output_wan,va_wan,tax_wan,rd_wan,employees,energy_tce,"
    "elec_share,birth_year\n"
    + "".join(
        f"{z},{s},{100 + i},{20000 + 500 * i},{5000 + 100 * i},500,50,{100 + i},1000,0.4,"
        f"{2000 + i}\n"
        for i, (z, s) in enumerate(
            [("G321014", "chemicals"), ("G321085", "services"), ("S327011", "autos")] * 6
        )
    )
)


def _assert_refused(capsys, scen: Path, tmp: Path, *fragments: str, sets=()) -> str:
    """validate and run both exit 2 with every fragment in the message, no traceback,
    no run folder; returns validate's message."""
    sets = [x for s in sets for x in ("--set", s)]
    code, _, err = _cli(capsys, "validate", str(scen), *sets)
    assert code == 2, err
    for f in fragments:
        assert f in err, f"{f!r} not in:\n{err}"
    assert "Traceback" not in err
    out = tmp / "run"
    code, _, run_err = _cli(capsys, "run", str(scen), *QUICK, *sets, "--out", str(out))
    assert code == 2 and "Traceback" not in run_err
    for f in fragments:
        assert f in run_err
    assert not out.exists() and not list(tmp.glob(".tmp-*"))
    return err


# ---------------------------------------------------------------- one cell, every file

CELLS = [
    # (file, line, column, value, what the message says about it)
    (
        "zones.csv",
        2,
        "va_2020_yi",
        "inf",
        "'inf' is not finite; allowed: a number > 0 and ≤ 100000 (亿元)",
    ),
    ("zones.csv", 3, "approved_area_mu", "1e400", "'1e400' is not finite; allowed: a number > 0"),
    ("zones.csv", 4, "zone_id", "", "empty; allowed: non-empty"),
    (
        "zones.csv",
        5,
        "management_efficiency",
        "1e9",
        "1000000000.0 is too large; allowed: a number ≥ 0.5 and ≤ 2",
    ),
    (
        "zones.csv",
        6,
        "management_efficiency",
        "nan",
        "'nan' is not a number; allowed: a number ≥ 0.5",
    ),
    ("zones.csv", 7, "va_2020_yi", "", "empty; allowed: a number > 0"),
    ("zones.csv", 8, "chemical_park", "True", "'True' is not a number; allowed: 0 or 1"),
    ("zones.csv", 9, "eco_park", "2", "'2' is not 0 or 1"),
    ("zones.csv", 10, "va_2020_yi", "0", "0.0 is too small; allowed: a number > 0"),
    (
        "zones.csv",
        11,
        "belts",
        "yangtze;sea",
        "unknown belt 'sea'; allowed: yangtze, canal, coastal",
    ),
    ("zones.csv", 12, "approved_yyyymm", "201913", "'201913' is not a date"),
    ("sectors.csv", 2, "va_ratio", "0", "0.0 is too small; allowed: a number ≥ 0.01 and ≤ 1"),
    (
        "sectors.csv",
        3,
        "energy_intensity_tce_per_wan",
        "1e308",
        "1e+308 is too large; allowed: a number ≥ 0 and ≤ 50",
    ),
    ("sectors.csv", 4, "elec_share", "-inf", "'-inf' is not finite; allowed: a number ≥ 0 and ≤ 1"),
    (
        "sectors.csv",
        5,
        "firm_output_mean_wan",
        "0.0001",
        "0.0001 is too small; allowed: a number ≥ 1",
    ),
    ("sectors.csv", 6, "growth", "NaN", "'NaN' is not a number"),
    ("sectors.csv", 7, "sector", "", "empty; allowed: non-empty, unique"),
    ("sectors.csv", 8, "project_size_mu", "0.001", "0.001 is too small; allowed: a number ≥ 1"),
    ("cities.csv", 3, "gdp_2020_yi", "inf", "'inf' is not finite"),
    ("cities.csv", 4, "city", "", "empty; allowed: non-empty"),
    ("cities.csv", 5, "co2_ceads_year", "2019.5", "2019.5 is not a whole number"),
    ("calibration_targets.csv", 2, "value", "inf", "'inf' is not finite; allowed: a number ≥ 0"),
    ("calibration_targets.csv", 3, "value", "", "empty; allowed: a number ≥ 0"),
    ("calibration_targets.csv", 4, "value", "-1", "-1.0 is negative; allowed: a number ≥ 0"),
    ("abatement_tiers.csv", 2, "cost_yuan_per_t", "inf", "'inf' is not finite; allowed: a number"),
    ("abatement_tiers.csv", 3, "share_of_co2_per_year", "1.5", "1.5 is too large; allowed"),
    ("abatement_tiers.csv", 4, "sector", "steal", "unknown sector 'steal' (did you mean steel?)"),
    ("abatement_tiers.csv", 5, "measure", "curtail", "unknown measure 'curtail'"),
]


@pytest.mark.parametrize(("name", "line", "column", "value", "says"), CELLS)
def test_a_bad_cell_names_file_line_column_value_and_range(
    tmp_path, capsys, name, line, column, value, says
):
    scen = _copy(tmp_path)
    path = tmp_path / "data" / name
    _set_cell(path, line, column, value)
    _assert_refused(capsys, scen, tmp_path, str(path), f"line {line}, column {column}: {says}")


FIRM_CELLS = [
    (2, "birth_year", "inf", "'inf' is not finite; allowed: a whole number ≥ 1600 and ≤ 2020"),
    (3, "birth_year", "2010.7", "2010.7 is not a whole number"),
    (4, "birth_year", "2021", "2021.0 is too large; allowed: a whole number ≥ 1600 and ≤ 2020"),
    (5, "zone_id", "", "empty; allowed: a zone_id of zones.csv"),
    (6, "zone_id", "G321O14", "unknown zone_id 'G321O14'"),
    (7, "sector", "service", "unknown sector 'service' (did you mean services?)"),
    (8, "va_wan", "inf", "'inf' is not finite"),
    (9, "land_mu", "0", "0.0 is too small; allowed: a number ≥ 0.01"),
    (10, "va_wan", "1e6", "1000000.0 is above output_wan"),
    (11, "energy_tce", "1e308", "1e+308 is too large"),
    (12, "elec_share", "True", "'True' is not a number"),
    (13, "employees", "", "empty"),
]


@pytest.mark.parametrize(("line", "column", "value", "says"), FIRM_CELLS)
def test_a_bad_firm_cell_is_named(tmp_path, capsys, line, column, value, says):
    scen = _copy(tmp_path, "data:\n  firms: data/firms.csv\n")
    path = tmp_path / "data" / "firms.csv"
    path.write_text(FIRMS, encoding="utf-8")
    _set_cell(path, line, column, value)
    _assert_refused(capsys, scen, tmp_path, str(path), f"line {line}, column {column}: {says}")


def test_the_firm_file_runs_when_good(tmp_path, capsys):
    scen = _copy(tmp_path, "data:\n  firms: data/firms.csv\n")
    (tmp_path / "data" / "firms.csv").write_text(FIRMS, encoding="utf-8")
    assert _cli(capsys, "validate", str(scen))[0] == 0
    out = tmp_path / "run"
    code, _, err = _cli(capsys, "run", str(scen), *QUICK, "--out", str(out))
    assert code == 0, err
    assert (out / "province.parquet").is_file()


def test_every_problem_is_listed_up_to_a_screenful(tmp_path, capsys):
    scen = _copy(tmp_path)
    path = tmp_path / "data" / "zones.csv"
    rows = _rows(path)
    col = rows[0].index("va_2020_yi")
    for r in rows[1:31]:
        r[col] = "inf"
    _write(path, rows)
    err = _cli(capsys, "validate", str(scen))[2]
    assert "30 problem(s)" in err and "… and 10 more" in err
    assert err.count("is not finite") == 20


def test_line_numbers_count_blank_lines_as_a_spreadsheet_does(tmp_path, capsys):
    scen = _copy(tmp_path)
    path = tmp_path / "data" / "zones.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "\n")  # line 4 is blank: the zone on line 5 is the file's 4th zone
    path.write_text("".join(lines), encoding="utf-8")
    _set_cell(path, 5, "va_2020_yi", "inf")
    err = _cli(capsys, "validate", str(scen))[2]
    assert "line 5, column va_2020_yi: 'inf' is not finite" in err


def test_a_row_with_too_many_fields_is_named(tmp_path, capsys):
    scen = _copy(tmp_path)
    path = tmp_path / "data" / "sectors.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] += ",1"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _assert_refused(capsys, scen, tmp_path, str(path), "line 5", "not a well-formed CSV")


# ---------------------------------------------------------------- rules across rows


def test_duplicate_calibration_key_is_refused(tmp_path, capsys):
    scen = _copy(tmp_path)
    path = tmp_path / "data" / "calibration_targets.csv"
    rows = _rows(path)
    _write(path, [*rows, rows[1]])
    _assert_refused(
        capsys,
        scen,
        tmp_path,
        f"line {len(rows) + 1}, column key: duplicate key '{rows[1][0]}' (first on line 2)",
    )


@pytest.mark.parametrize("key", sorted(TARGET_KEYS))
def test_a_missing_calibration_target_is_named_not_a_keyerror(tmp_path, capsys, key):
    scen = _copy(tmp_path)
    path = tmp_path / "data" / "calibration_targets.csv"
    _write(path, [r for r in _rows(path) if r[0] != key])
    err = _assert_refused(capsys, scen, tmp_path, str(path), f"missing key {key}", "allowed:")
    assert "KeyError" not in err


def test_a_calibration_target_the_run_does_not_use_may_be_absent(tmp_path, capsys):
    """With a firm file there is no calibration: its targets are not needed."""
    scen = _copy(tmp_path, "data:\n  firms: data/firms.csv\n")
    (tmp_path / "data" / "firms.csv").write_text(FIRMS, encoding="utf-8")
    path = tmp_path / "data" / "calibration_targets.csv"
    _write(path, [r for r in _rows(path) if r[0] != "zone_electricity_2020_mwh"])
    assert _cli(capsys, "validate", str(scen))[0] == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("zone_electricity_2020_mwh", "0"),  # would silently drop scope-2 CO2
        ("zone_direct_co2_2020_t", "0"),
        ("zone_tax_share_of_revenue", "1.5"),
        ("jiangsu_gdp_2020_yi", "0"),  # the province's GDP path divides by it
    ],
)
def test_a_calibration_target_out_of_range_is_refused(tmp_path, capsys, key, value):
    scen = _copy(tmp_path)
    path = tmp_path / "data" / "calibration_targets.csv"
    rows = _rows(path)
    line = next(i for i, r in enumerate(rows, start=1) if r[0] == key)
    rows[line - 1][1] = value
    _write(path, rows)
    t = TARGET_KEYS[key]
    _assert_refused(
        capsys,
        scen,
        tmp_path,
        str(path),
        f"line {line}, key {key}: {float(value)} is out of "
        f"range; allowed: a number > {t.lo:g} and ≤ {t.hi:g}",
    )


def test_a_whole_number_target_by_its_unit(tmp_path, capsys):
    scen = _copy(tmp_path)
    path = tmp_path / "data" / "calibration_targets.csv"
    rows = _rows(path)
    line = next(i for i, r in enumerate(rows, start=1) if r[0] == "zones_total")
    rows[line - 1][1] = "158.5"
    _write(path, rows)
    _assert_refused(capsys, scen, tmp_path, f"line {line}, key zones_total: 158.5", "whole")


def test_calibration_with_nothing_to_scale_is_refused(tmp_path, capsys):
    """No sector uses electricity: the electricity target cannot be met by scaling."""
    scen = _copy(tmp_path)
    path = tmp_path / "data" / "sectors.csv"
    rows = _rows(path)
    col = rows[0].index("elec_share")
    for r in rows[1:]:
        r[col] = "0"
    _write(path, rows)
    _assert_refused(
        capsys, scen, tmp_path, str(path), "zone_electricity_2020_mwh has nothing to scale"
    )


def test_sector_means_that_would_make_too_many_firms_are_refused(tmp_path, capsys):
    scen = _copy(tmp_path)
    path = tmp_path / "data" / "sectors.csv"
    rows = _rows(path)
    col = rows[0].index("firm_output_mean_wan")
    for r in rows[1:]:
        r[col] = "10"
    _write(path, rows)
    _assert_refused(capsys, scen, tmp_path, str(path), "firms; allowed: at most 3,000,000")


def test_efficiency_gain_times_its_multiplier_must_stay_below_one(tmp_path, capsys):
    scen = _copy(tmp_path)
    path = tmp_path / "data" / "sectors.csv"
    _set_cell(path, 2, "efficiency_gain", "0.1")
    _assert_refused(
        capsys,
        scen,
        tmp_path,
        "efficiency_gain",
        "below 1",
        sets=["economy.efficiency_gain_multiplier=10"],
    )


# ---------------------------------------------------------------- paths and boundaries


def test_a_mistyped_data_path_names_the_key_and_where_it_looked(tmp_path, capsys):
    scen = _copy(tmp_path, "data:\n  zones: data/zone.csv\n")
    err = _assert_refused(
        capsys,
        scen,
        tmp_path,
        str(scen),
        "data.zones: 'data/zone.csv': no such file",
        str(tmp_path / "data" / "zone.csv"),
        "did you mean",
    )
    assert str(BASELINE.parent / "data" / "zone.csv") in err


def test_a_missing_boundaries_file_is_refused_at_validate(tmp_path, capsys):
    """Before, validate said "valid" and the run failed after the simulation."""
    scen = _copy(tmp_path, "data:\n  boundaries: maps/cities.geojson\n")
    _assert_refused(capsys, scen, tmp_path, "data.boundaries: 'maps/cities.geojson': no such file")


def test_firms_synthesise_spelled_wrong_says_how_to_spell_it(tmp_path, capsys):
    scen = _copy(tmp_path)
    _assert_refused(
        capsys,
        scen,
        tmp_path,
        "data.firms: 'synthesise'",
        "write 'synthesize'",
        sets=["data.firms=synthesise"],
    )


def _first_point(feature: dict) -> list:
    node = feature["geometry"]["coordinates"]
    while isinstance(node[0], list):
        node = node[0]
    return node


def _geo(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "data" / "jiangsu_cities.geojson"
    return path, json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda d: d["features"][0]["properties"].pop("name_en"), "feature 0: properties.name_en"),
        (
            lambda d: d["features"].pop(4),
            "no feature with properties.name_en Suzhou (a city of the city table)",
        ),
        (
            lambda d: _first_point(d["features"][2]).__setitem__(0, float("nan")),
            "feature 2 (Xuzhou): geometry.coordinates hold a point [nan",
        ),
        (
            lambda d: d["features"][1]["geometry"].__setitem__("type", "Point"),
            "feature 1 (Wuxi): geometry type 'Point'",
        ),
        (lambda d: d.pop("features"), "not a GeoJSON FeatureCollection"),
    ],
)
def test_a_bad_boundaries_file_is_refused_at_validate(tmp_path, capsys, edit, says):
    scen = _copy(tmp_path)
    path, doc = _geo(tmp_path)
    edit(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    _assert_refused(capsys, scen, tmp_path, str(path), says)


def test_a_boundaries_file_that_is_not_json(tmp_path, capsys):
    scen = _copy(tmp_path)
    path, _ = _geo(tmp_path)
    path.write_text('{"type": "FeatureCollection",\n "features": [', encoding="utf-8")
    _assert_refused(capsys, scen, tmp_path, str(path), "line 2, character", "not valid JSON")


# ---------------------------------------------------------------- validate is cheap


def test_validate_checks_the_data_without_synthesising_firms(capsys, monkeypatch):
    import sim.runs.data as data

    def boom(*a, **k):
        raise AssertionError("validate synthesised firms")

    monkeypatch.setattr(data, "synthesize_firms", boom)
    assert _cli(capsys, "validate", str(BASELINE))[0] == 0


def test_every_shipped_scenario_validates(capsys):
    for path in sorted(BASELINE.parent.glob("*.yaml")):
        code, _, err = _cli(capsys, "validate", str(path))
        assert code == 0, err


def test_the_readme_schema_tables_are_the_checks():
    """scenarios/data/README.md's tables are generated from sim/runs/checks.py:
    `python -m sim.runs.checks` rewrites them."""
    readme = BASELINE.parent / "data" / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert text.count("<!-- schema: ") == len(readme_tables())  # every table is in it
    assert render_readme(text) == text


# ---------------------------------------------------------------- any cell, any value

HOSTILE = ["nan", "NaN", "inf", "-inf", "True", "", "1e300", "-1e300", " "]


def _small_copy(tmp: Path) -> Path:
    """12 zones (Nanjing, Wuxi, Suzhou …) and a firm file of 18 firms."""
    scen = _copy(tmp, "data:\n  firms: data/firms.csv\n")
    zones = tmp / "data" / "zones.csv"
    rows = _rows(zones)
    keep = {"G321014", "G321085", "S327011"}
    _write(zones, [rows[0], *[r for r in rows[1:] if r[0] in keep], *rows[1:10]])
    rows = _rows(zones)
    seen: set[str] = set()
    _write(zones, [r for r in rows if not (r[0] in seen or seen.add(r[0]))])
    (tmp / "data" / "firms.csv").write_text(FIRMS, encoding="utf-8")
    return scen


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["zones.csv", "sectors.csv", "firms.csv"]),
    row=st.integers(0, 11),
    col=st.integers(0, 30),
    value=st.sampled_from(HOSTILE),
)
def test_fuzz_any_cell_gives_exit_2_or_a_valid_run(tmp_path_factory, capsys, name, row, col, value):
    tmp = tmp_path_factory.mktemp("cell")
    scen = _small_copy(tmp)
    path = tmp / "data" / name
    rows = _rows(path)
    line = 2 + row % (len(rows) - 1)
    column = rows[0][col % len(rows[0])]
    _set_cell(path, line, column, value)
    code, _, err = _cli(capsys, "validate", str(scen))
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert str(tmp) in err  # names the file (or the scenario) at fault
        return
    out = tmp / "run"
    code, _, err = _cli(capsys, "run", str(scen), *QUICK, "--out", str(out))
    assert code == 0, err
    assert (out / "province.parquet").is_file()
