"""The report's charts (issue 14): tooltips, names, colour rule, glyphs, the shared page.

Charts are built from a real tiny run (firm_scale 0.05, 2020-2023) and rendered through
vl-convert; the assertions are about what must hold of every chart, not that code runs.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.outputs import charts
from tests.conftest import tiny_run

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "scenarios" / "data"
SECTOR_IDS = set(pd.read_csv(DATA / "sectors.csv")["sector"])
ZONE_IDS = set(pd.read_csv(DATA / "zones.csv")["zone_id"])
#: Ids that must never be shown as such in a Chinese chart.
RAW_IDS = SECTOR_IDS | {
    "activity",
    "structure",
    "energy_intensity",
    "electricity_share",
    "emission_factor",
    "retrofit",
    "green_power",
    "curtailment",
    "forced_exit",
    "interaction",
    "value_added",
    "carbon_intensity",
    "output_per_mu",
    "land_new_cumulative",
    "national_etdz",
    "yangtze",
}
CJK = re.compile(r"[\u3400-\u9fff]")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def run_view(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    """A RunView-like object of a real tiny run, with firms_final.parquet on disk."""
    result = tiny_run()
    folder = tmp_path_factory.mktemp("run")
    result.firms_final.to_parquet(folder / "firms_final.parquet")
    return types.SimpleNamespace(
        path=folder,
        name="baseline",
        province=result.province,
        zones=result.zones,
        sectors=result.sectors,
        cities=result.cities,
        allocations=result.allocations,
        scenario={},
        scorecard=result.scorecard,
        manifest={},
    )


@pytest.fixture(scope="module")
def comparison(run_view: types.SimpleNamespace) -> types.SimpleNamespace:
    """Two runs: the tiny baseline and a copy with 8 % less CO2 and 5 % more VA."""
    other = types.SimpleNamespace(**vars(run_view))
    other.name = "low carbon"
    prov = run_view.province.copy()
    prov["co2_t"] *= 0.92
    prov["value_added_yi"] *= 1.05
    other.province = prov
    rows = []
    for name, view in (("baseline", run_view), ("low carbon", other)):
        p = view.province
        for kpi, col, unit, scale in (
            ("value_added", "value_added_yi", "亿元", 1.0),
            ("co2", "co2_t", "Mt", 1e-6),
            ("carbon_intensity", "carbon_intensity_t_per_wan", "t/万元", 1.0),
        ):
            rows.append(
                pd.DataFrame(
                    {
                        "run": name,
                        "year": p["year"],
                        "kpi": kpi,
                        "unit": unit,
                        "value": p[col] * scale,
                    }
                )
            )
    kpis = pd.concat(rows, ignore_index=True)
    ref = kpis[kpis["run"] == "baseline"].set_index(["year", "kpi"])["value"]
    base = kpis.set_index(["year", "kpi"]).index.map(ref)
    kpis["diff_abs"] = kpis["value"].to_numpy() - np.asarray(base, dtype=float)
    kpis["diff_pct"] = 100.0 * kpis["diff_abs"] / np.asarray(base, dtype=float)
    return types.SimpleNamespace(
        runs=[run_view, other],
        names=["baseline", "low carbon"],
        kpis=kpis,
        decomposition=pd.DataFrame(),
    )


@pytest.fixture(scope="module")
def report_sets(
    run_view: types.SimpleNamespace, comparison: types.SimpleNamespace
) -> dict[str, list[tuple[str, str, Any]]]:
    """all_charts for one run and for two, in both languages."""
    attribution = pd.DataFrame(
        {
            "lever": ["carbon.price", "exit.mode", "interaction"],
            "kpi": "co2",
            "year": 2023,
            "value": [-1.2, -0.4, 0.1],
            "unit": "Mt",
        }
    )
    out = {}
    for lang in ("en", "zh"):
        out[f"one_{lang}"] = charts.all_charts([run_view], None, lang)
        out[f"two_{lang}"] = charts.all_charts(
            comparison.runs, comparison, lang, attribution=attribution
        )
    return out


# --------------------------------------------------------------------------- spec walking


def units(node: Any, inherited: dict[str, Any] | None = None) -> Iterator[tuple[dict, dict]]:
    """Every unit view of a Vega-Lite dict with its encoding merged over its parents'."""
    inherited = inherited or {}
    if isinstance(node, dict):
        enc = {**inherited, **(node.get("encoding") or {})}
        if "mark" in node:
            yield node, enc
        for key in ("layer", "concat", "hconcat", "vconcat"):
            for child in node.get(key, []):
                yield from units(child, enc if key == "layer" else {})
        if "spec" in node:
            yield from units(node["spec"], enc)


def shown_fields(encoding: dict[str, Any]) -> set[str]:
    """Fields a unit draws as text (axes, legends, text marks, tooltips)."""
    fields = set()
    for channel, spec in encoding.items():
        for item in spec if isinstance(spec, list) else [spec]:
            if (
                isinstance(item, dict)
                and isinstance(item.get("field"), str)
                and (item.get("type") in ("nominal", "ordinal") or channel == "text")
            ):
                fields.add(item["field"])
    return fields


def unit_rows(spec: dict[str, Any], unit: dict[str, Any], parent_data: Any) -> list[dict]:
    data = unit.get("data", parent_data)
    if isinstance(data, dict) and "name" in data:
        return spec.get("datasets", {}).get(data["name"], [])
    if isinstance(data, dict) and isinstance(data.get("values"), list):
        return data["values"]
    return []


def all_units_with_rows(spec: dict[str, Any]) -> Iterator[tuple[dict, dict, list[dict]]]:
    def walk(node: Any, enc: dict, data: Any) -> Iterator[tuple[dict, dict, list[dict]]]:
        if not isinstance(node, dict):
            return
        data = node.get("data", data)
        enc = {**enc, **(node.get("encoding") or {})}
        if "mark" in node:
            yield node, enc, unit_rows(spec, node, data)
        for key in ("layer", "concat", "hconcat", "vconcat"):
            for child in node.get(key, []):
                yield from walk(child, enc if key == "layer" else {}, data)

    yield from walk(spec, {}, None)


def titles(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("data", "datasets", "values"):
                continue
            if key in ("title", "subtitle"):
                if isinstance(value, str):
                    yield value
                elif isinstance(value, dict):
                    for sub in ("text", "subtitle"):
                        if isinstance(value.get(sub), str):
                            yield value[sub]
            yield from titles(value)
    elif isinstance(node, list):
        for item in node:
            yield from titles(item)


def displayed_text(spec: dict[str, Any]) -> str:
    """Titles, labels and every value of a field drawn as text: what a PNG can show."""
    parts = list(titles(spec))
    for _, enc, rows in all_units_with_rows(spec):
        fields = shown_fields(enc)
        for row in rows:
            for f in fields:
                value = row
                for piece in f.split("."):
                    value = value.get(piece) if isinstance(value, dict) else None
                if isinstance(value, str):
                    parts.append(value)
    return "\n".join(parts)


# --------------------------------------------------------------------------- tests


def test_every_mark_of_every_chart_has_a_tooltip(
    report_sets: dict[str, list], run_view: types.SimpleNamespace
) -> None:
    made = [c for items in report_sets.values() for _, _, c in items]
    made += list(
        charts.baseline_charts(
            run_view.province, run_view.zones, run_view.sectors, None, "zh"
        ).values()
    )
    checked = 0
    for chart in made:
        spec = chart.to_dict()
        for unit, enc in units(spec):
            mark = unit["mark"]
            has = "tooltip" in enc or (isinstance(mark, dict) and "tooltip" in mark)
            assert has, f"a {mark} mark in {charts.render.chart_title(spec)!r} has no tooltip"
            checked += 1
    assert checked > 60


def test_report_sets_hold_the_expected_charts(report_sets: dict[str, list]) -> None:
    one = [k for k, _, _ in report_sets["one_en"]]
    two = [k for k, _, _ in report_sets["two_zh"]]
    for key in ("trajectories", "lmdi", "land", "map", "per_mu_class", "allocation"):
        assert key in one
    for key in ("trajectories", "lmdi", "wedges_levers", "land", "map_1", "map_2"):
        assert key in two
    for items in report_sets.values():
        keys = [k for k, _, _ in items]
        assert len(keys) == len(set(keys)), "keys are file stems: unique"
        for key, title, _ in items:
            assert re.fullmatch(r"[a-z0-9_]+", key)
            assert title, f"{key} has no title"


def test_chinese_charts_show_names_not_ids(report_sets: dict[str, list]) -> None:
    for which in ("one_zh", "two_zh"):
        for key, title, chart in report_sets[which]:
            text = displayed_text(chart.to_dict())
            assert CJK.search(title), f"{key}: untranslated title {title!r}"
            words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
            raw = sorted(words & RAW_IDS)
            assert not raw, f"{key} shows raw ids {raw}"
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", text.replace("carbon.price", "")), (
                f"{key} shows an id-like word: {re.findall(r'[a-z]+_[a-z_]+', text)[:5]}"
            )
    heat = dict((k, c) for k, _, c in report_sets["one_zh"])["allocation"].to_dict()
    shown = displayed_text(heat)
    assert "集成电路" in shown or "钢铁" in shown  # sector names from sectors.csv name_zh
    wedge = dict((k, c) for k, _, c in report_sets["two_zh"])["wedges_levers"].to_dict()
    assert "碳排放：carbon.price" in displayed_text(wedge)
    units_text = "\n".join(displayed_text(c.to_dict()) for _, _, c in report_sets["two_zh"])
    for unit in ("亿元", "万吨", "万元/亩", "元/吨"):
        assert unit in units_text, f"zh unit {unit} missing"


def test_names_come_from_the_data_files() -> None:
    zh = charts.names("sector", "zh")
    assert zh["integrated_circuits"] == "集成电路"
    assert charts.names("sector", "en")["integrated_circuits"] == "Integrated circuits"
    assert charts.names("city", "zh")["Suzhou"] == "苏州"
    assert charts.names("zone", "zh")["G321014"] == "南京经济技术开发区"
    frame = pd.DataFrame({"sector": ["x_y"], "name_zh": ["某行业"], "name_en": [None]})
    assert charts.names("sector", "zh", frame) == {"x_y": "某行业"}
    assert charts.names("sector", "en", frame) == {"x_y": "x_y"}
    with pytest.raises(ValueError, match="'firm'"):
        charts.names("firm", "zh")


def test_map_colour_scale_starts_at_zero_so_an_11_percent_spread_looks_small(
    run_view: types.SimpleNamespace,
) -> None:
    zones = run_view.zones.copy()
    last = zones["year"].max()
    chart = charts.jiangsu_map(zones, None, last, "en")
    spec = chart.to_dict()
    scales = [
        enc["color"]["scale"]
        for _, enc in units(spec)
        if "color" in enc and "field" in enc["color"]
    ]
    assert len(scales) == 1
    domain = scales[0]["domain"]
    totals = charts.city_totals(zones, last)
    assert domain[0] == 0.0
    assert domain[1] == pytest.approx(totals["output_per_mu_wan"].max(), rel=1e-12)
    # Two cities 11 % apart sit 11 % of the scale's length apart, not at its two ends.
    low, high = 0.9 * domain[1], domain[1]
    assert (high - low) / (domain[1] - domain[0]) == pytest.approx(0.10, abs=1e-9)
    # every zone is a point, in its own city's polygon
    dots = [
        rows
        for unit, enc, rows in all_units_with_rows(spec)
        if unit["mark"] == "circle" or unit["mark"].get("type") == "circle"
    ]
    assert len(dots) == 1
    points = dots[0]
    year_zones = zones[zones["year"] == last]
    assert sorted(p["zone_id"] for p in points) == sorted(year_zones["zone_id"])
    geo = json.loads((DATA / "jiangsu_cities.geojson").read_text(encoding="utf-8"))
    from sim.outputs.charts.zones import _inside

    city_of = dict(zip(year_zones["zone_id"], year_zones["city"], strict=True))
    for p in points:
        feat = next(
            f for f in geo["features"] if f["properties"]["name_en"] == city_of[p["zone_id"]]
        )
        g = feat["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        assert any(bool(_inside(p["lon"], p["lat"], poly[0])) for poly in polys), p


def test_zone_bars_have_no_axis_title_to_overprint_the_names(
    run_view: types.SimpleNamespace,
) -> None:
    spec = charts.output_per_mu_by_zone(run_view.zones, None, "en").to_dict()
    ys = [
        enc["y"] for _, enc in units(spec) if "y" in enc and enc["y"].get("field") == "zone_label"
    ]
    assert ys and all(y.get("title") is None for y in ys)


def test_lmdi_waterfall_chains_its_parts_to_the_total(run_view: types.SimpleNamespace) -> None:
    parts = charts.lmdi_from_province(run_view.province)
    prov = run_view.province.sort_values("year")
    total = (prov["co2_t"].iloc[-1] - prov["co2_t"].iloc[0]) / 1e6
    assert parts["value"].sum() == pytest.approx(total, abs=1e-9)
    spec = charts.lmdi_waterfall(parts, "zh").to_dict()
    bars = next(
        rows for unit, _, rows in all_units_with_rows(spec) if unit["mark"]["type"] == "bar"
    )
    # zh shows 万吨: Mt × 100
    running = 0.0
    for row in bars[:-1]:
        assert row["start"] == pytest.approx(running, abs=1e-9)
        running += row["value"]
        assert row["end"] == pytest.approx(running, abs=1e-9)
    assert bars[-1]["start"] == 0.0
    assert bars[-1]["end"] == pytest.approx(100 * total, rel=1e-9, abs=1e-9)
    assert bars[-1]["factor_label"] == "总变化"
    energy = parts.assign(target="energy", unit="Mtce")
    assert (
        charts.lmdi_waterfall(energy, "en")
        .to_dict()["title"]["text"]
        .startswith("Why energy use changed")
    )
    two = pd.concat([parts.assign(year_to=2022), parts], ignore_index=True)
    with pytest.raises(ValueError, match="2 decompositions"):
        charts.lmdi_waterfall(two, "en")


def test_trajectories_take_the_comparison_frame_with_a_scenario_selector(
    comparison: types.SimpleNamespace,
) -> None:
    targets = charts.targets_from_run(comparison.runs[0].province, comparison.runs[0].scorecard)
    spec = charts.trajectories(comparison.kpis, targets, "en").to_dict()
    params = [p for u, _ in units(spec) for p in u.get("params", [])] + spec.get("params", [])
    select = [p for p in params if p.get("bind", {}).get("input") == "select"]
    assert len(select) == 1
    assert select[0]["bind"]["options"] == [None, "baseline", "low carbon"]
    tips = {t["field"] for _, enc in units(spec) for t in enc.get("tooltip", [])}
    assert {"run", "value", "diff_abs", "diff_pct"} <= tips
    target_rows = [
        r for _, _, rows in all_units_with_rows(spec) for r in rows if r.get("what") == "Target"
    ]
    assert target_rows and {r["kpi"] for r in target_rows} == {"carbon_intensity"}
    # each run's own target path (Comparison.targets): equal paths are drawn once
    own = pd.concat(
        [
            targets.assign(run="baseline"),
            targets.assign(run="low carbon"),
            targets.assign(run="tight", value=targets["value"] * 0.9),
        ]
    )
    spec = charts.trajectories(comparison.kpis, own, "en").to_dict()
    rows = [
        r for _, _, rows in all_units_with_rows(spec) for r in rows if r.get("what") == "Target"
    ]
    assert {r["runs"] for r in rows} == {"baseline, low carbon", "tight"}
    drawn = {(r["runs"], r["year"], r["value"]) for r in rows}
    assert len(drawn) == 2 * (targets["kpi"] == "carbon_intensity").sum()
    # zh: Mt is drawn as 万吨 (× 100)
    zh = charts.trajectories(comparison.kpis, None, "zh").to_dict()
    co2 = [
        r
        for _, _, rows in all_units_with_rows(zh)
        for r in rows
        if r.get("kpi") == "co2" and r.get("run") == "baseline"
    ]
    first = comparison.kpis[
        (comparison.kpis["kpi"] == "co2") & (comparison.kpis["run"] == "baseline")
    ]
    assert co2[0]["value"] == pytest.approx(100 * first["value"].iloc[0], rel=1e-12)
    assert co2[0]["unit_label"] == "万吨"
    with pytest.raises(ValueError, match="lacks column"):
        charts.trajectories(comparison.kpis.drop(columns="unit"), None, "en")


def test_wedges_stack_contributions_and_mark_the_net(run_view: types.SimpleNamespace) -> None:
    frame = pd.DataFrame(
        {
            "lever": ["interaction", "a.b", "c.d", "a.b", "c.d", "interaction"],
            "kpi": "co2",
            "year": [2025, 2025, 2025, 2030, 2030, 2030],
            "value": [0.2, -1.0, -0.5, -2.0, 0.7, -0.1],
            "unit": "Mt",
        }
    )
    spec = charts.wedges(frame, "en").to_dict()
    ticks = next(rows for u, _, rows in all_units_with_rows(spec) if u["mark"]["type"] == "tick")
    assert {r["year"]: r["value"] for r in ticks} == pytest.approx({2025: -1.3, 2030: -1.4})
    colour = next(enc["color"] for _, enc in units(spec) if "color" in enc)
    assert colour["scale"]["domain"][-1] == "Interaction"
    assert colour["scale"]["range"][-1] == "#9d9d9d"
    measures = charts.measures_from_province(run_view.province)
    assert set(measures["measure"]) == {"retrofit", "green_power", "curtailment", "forced_exit"}


def test_shadow_prices_carry_units_and_say_the_land_dual_is_not_a_price(
    run_view: types.SimpleNamespace,
) -> None:
    for lang, money, land_note in (
        ("en", "CNY per t CO2", "not a land price"),
        ("zh", "元/吨", "非地价"),
    ):
        spec = charts.shadow_prices(run_view.province, lang).to_dict()
        text = "\n".join(titles(spec))
        assert land_note in text
        assert ("万元/亩" in text) if lang == "zh" else ("CNY 10k per mu" in text)
        if run_view.province.filter(like="_yuan_per_t").notna().any().any():
            assert money in text


def test_allocation_heatmap_sums_allocations_by_city_and_sector(
    run_view: types.SimpleNamespace,
) -> None:
    alloc, zones = run_view.allocations, run_view.zones
    spec = charts.allocation_heatmap(alloc, zones, "en").to_dict()
    rows = next(rows for u, _, rows in all_units_with_rows(spec) if u["mark"]["type"] == "rect")
    city = zones.drop_duplicates("zone_id").set_index("zone_id")["city"]
    expected = (
        alloc.assign(city=alloc["zone_id"].map(city)).groupby(["city", "sector"])["land_mu"].sum()
    )
    got = {(r["key"], r["sector"]): r["land_wanmu"] * 1e4 for r in rows}
    assert got == pytest.approx({k: v for k, v in expected.items() if v > 0}, rel=1e-12)


def test_output_per_mu_by_class_is_a_ratio_of_sums(run_view: types.SimpleNamespace) -> None:
    firms = pd.read_parquet(run_view.path / "firms_final.parquet")
    spec = charts.per_mu_by_class(firms, "en").to_dict()
    rows = next(rows for u, _, rows in all_units_with_rows(spec) if u["mark"]["type"] == "bar")
    live = firms[firms["status"] != "exited"]
    for row in rows:
        mine = live[live["class"] == row["class"]]
        assert row["per_mu"] == pytest.approx(mine["output_wan"].sum() / mine["land_mu"].sum())
        assert row["firms"] == len(mine)


def test_the_cjk_font_covers_every_character_of_the_chinese_charts(
    report_sets: dict[str, list], tmp_path: Path
) -> None:
    items = report_sets["two_zh"][:3]
    charts.save_charts(items, tmp_path, lang="zh")
    used = charts.registered_fonts()
    assert used, "no CJK font registered with vl-convert"
    assert all(f.suffix in (".otf", ".ttc") and f.is_file() for f in used)
    for key, _, chart in report_sets["two_zh"]:
        spec = chart.to_dict()
        charts.ensure_cjk_font(json.dumps(spec, ensure_ascii=False))
        text = displayed_text(spec)
        assert CJK.search(text)
        assert charts.missing_glyphs(text) == set(), key
    # the check can fail: a character outside Noto Sans CJK SC is reported
    assert charts.missing_glyphs("二\U0002a6d6", charts.registered_fonts()) == {"\U0002a6d6"}
    svg = (tmp_path / f"{items[0][0]}.svg").read_text(encoding="utf-8")
    assert "Noto Sans CJK SC" in svg


def test_one_offline_page_holds_every_chart_with_the_javascript_once(
    report_sets: dict[str, list], tmp_path: Path
) -> None:
    items = report_sets["one_en"]
    paths = charts.save_charts(items, tmp_path, lang="en", page_title="Run charts")
    page = (tmp_path / charts.PAGE_NAME).read_text(encoding="utf-8")
    assert paths[-1] == tmp_path / charts.PAGE_NAME
    assert page.count("window.vegaEmbed=") == 1
    assert not re.search(r"<script[^>]*\bsrc\s*=", page)
    assert not re.search(r"<link[^>]*href\s*=\s*\"https?:", page)
    for key, _, _ in items:
        assert page.count(f'id="chart-{key}"') == 1
        assert (tmp_path / f"{key}.png").stat().st_size > 5000
        assert (tmp_path / f"{key}.svg").is_file()
    assert {p.name for p in tmp_path.iterdir()} == {
        *(f"{k}.{ext}" for k, _, _ in items for ext in ("png", "svg")),
        charts.PAGE_NAME,
    }
    with pytest.raises(ValueError, match="one HTML page"):
        charts.save_charts(items, tmp_path, formats=("html",))


def test_a_charts_svg_does_not_depend_on_what_the_process_drew_before(
    run_view: types.SimpleNamespace,
) -> None:
    # Vega numbers gradient ids with a process-wide counter; the map has a gradient legend.
    chart = charts.jiangsu_map(run_view.zones, None, None, "en")
    first = charts.render_chart(chart, ("svg",))["svg"]
    again = charts.render_chart(chart, ("svg",))["svg"]
    assert first == again
    assert b'id="gradient_1"' in first and b"url(#gradient_1)" in first


def text_boxes(scenegraph: dict[str, Any], font_file: Path) -> list[tuple[tuple, str]]:
    """Every visible text item's box in pixels, its width from the font's advance widths.

    Rotated by 0 or ±90 degrees; other angles (the heatmap's -45 degree labels, which a
    band step apart cannot meet) are left out. Hidden items (opacity 0: labels Vega
    dropped for overlap) are skipped.
    """
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_file))
    cmap, hmtx, upm = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm

    def width(text: str, size: float) -> float:
        return sum(hmtx[cmap[ord(c)]][0] if ord(c) in cmap else upm for c in text) * size / upm

    found: list[tuple[tuple, str]] = []

    def walk(node: dict[str, Any], ox: float, oy: float) -> None:
        for item in node.get("items", []):
            if node.get("marktype") != "text":
                walk(item, ox + item.get("x", 0), oy + item.get("y", 0))
                continue
            text = item.get("text")
            text = " ".join(map(str, text)) if isinstance(text, list) else text
            if not text or item.get("opacity", 1) == 0:
                continue
            size = item.get("fontSize", 11)
            w = width(str(text), size)
            if item.get("limit"):
                w = min(w, item["limit"])
            h = size
            x = ox + item.get("x", 0) + item.get("dx", 0)
            y = oy + item.get("y", 0) + item.get("dy", 0)
            x0 = {"left": 0, "center": -w / 2, "right": -w}[item.get("align", "left")]
            y0 = {"top": 0, "middle": -h / 2, "bottom": -h, "alphabetic": -0.88 * h}[
                item.get("baseline", "alphabetic")
            ]
            angle = (item.get("angle") or 0) % 360
            if angle == 0:
                box = (x + x0, y + y0, x + x0 + w, y + y0 + h)
            elif angle in (90, 270):
                s = 1 if angle == 90 else -1
                xs = [x - s * yy for yy in (y0, y0 + h)]
                ys = [y + s * xx for xx in (x0, x0 + w)]
                box = (min(xs), min(ys), max(xs), max(ys))
            else:
                continue
            found.append((box, str(text)))

    walk(scenegraph["scenegraph"], 0.0, 0.0)
    return found


def test_no_two_labels_overlap(
    report_sets: dict[str, list], run_view: types.SimpleNamespace
) -> None:
    import vl_convert as vlc

    made = {f"{which}/{key}": c for which, items in report_sets.items() for key, _, c in items}
    for lang in ("en", "zh"):
        for key, chart in charts.baseline_charts(
            run_view.province, run_view.zones, run_view.sectors, None, lang
        ).items():
            made[f"run_{lang}/{key}"] = chart
    for name, chart in made.items():
        spec = chart.to_dict()
        charts.ensure_cjk_font(json.dumps(spec, ensure_ascii=False))
        vega = vlc.vegalite_to_vega(spec, vl_version=charts.render._vl_version())
        boxes = text_boxes(vlc.vega_to_scenegraph(vega), charts.registered_fonts()[-1])
        assert len(boxes) > 5, name
        for i, (a, ta) in enumerate(boxes):
            for b, tb in boxes[i + 1 :]:
                if ta == tb and abs(a[0] - b[0]) < 0.01 and abs(a[1] - b[1]) < 0.01:
                    continue  # a halo under its text
                across = min(a[2], b[2]) - max(a[0], b[0])
                down = min(a[3], b[3]) - max(a[1], b[1])
                assert across <= 1 or down <= 1, f"{name}: {ta!r} overlaps {tb!r}"


def test_characters_beyond_the_first_subset_still_render() -> None:
    """A name outside the shipped data (a scenario called 鑫 or 淼) gets its glyphs drawn."""
    import altair as alt

    from tests.test_charts import png_pixels

    assert not {"鑫", "淼"} & charts.fonts.base_characters()
    charts.ensure_cjk_font("年")  # the shipped characters' subset first

    def tiny(title: str) -> Any:
        frame = pd.DataFrame({"year": [2021, 2022], "value": [1.0, 2.0]})
        return (
            alt.Chart(frame, title=title)
            .mark_line()
            .encode(x=alt.X("year:O", title="年份"), y="value:Q", tooltip=["year:O"])
            .properties(width=200, height=100)
            .configure(font=charts.FONT_FAMILY)
        )

    a = png_pixels(charts.render_chart(tiny("鑫鑫鑫"), ("png",))["png"])
    b = png_pixels(charts.render_chart(tiny("淼淼淼"), ("png",))["png"])
    # missing glyphs would draw the same box for both titles
    assert np.flatnonzero(np.any(a != b, axis=(1, 2))).size > 10
    assert charts.missing_glyphs("鑫淼") == set()
