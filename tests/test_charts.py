"""sim.outputs.charts: real rendering through vl-convert, on small synthetic run frames."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import altair as alt
import numpy as np
import pandas as pd
import pytest

from sim.outputs import charts

ROOT = Path(__file__).resolve().parents[1]
GEOJSON = ROOT / "scenarios" / "data" / "jiangsu_cities.geojson"
YEARS = (2021, 2022, 2023)
CJK = re.compile(r"[\u3400-\u9fff]")

# (zone_id, name_zh, name_en, city, city_zh, belt, level, land_built_mu, output_yi in 2021)
ZONES = (
    (
        "Z01",
        "南京经济技术开发区",
        "Nanjing ETDZ",
        "Nanjing",
        "南京市",
        "yangtze",
        "national_etdz",
        30000.0,
        900.0,
    ),
    (
        "Z02",
        "江宁经济技术开发区",
        "Jiangning ETDZ",
        "Nanjing",
        "南京市",
        "yangtze",
        "national_etdz",
        45000.0,
        1100.0,
    ),
    (
        "Z03",
        "苏州工业园区",
        "Suzhou Industrial Park",
        "Suzhou",
        "苏州市",
        "yangtze",
        "national_other",
        60000.0,
        3000.0,
    ),
    (
        "Z04",
        "苏州高新技术产业开发区",
        "Suzhou New District",
        "Suzhou",
        "苏州市",
        "yangtze",
        "national_hitech",
        20000.0,
        500.0,
    ),
    (
        "Z05",
        "徐州经济技术开发区",
        "Xuzhou ETDZ",
        "Xuzhou",
        "徐州市",
        "canal",
        "national_etdz",
        25000.0,
        400.0,
    ),
    (
        "Z06",
        "沛县经济开发区",
        "Peixian Economic Zone",
        "Xuzhou",
        "徐州市",
        "canal",
        "provincial",
        12000.0,
        90.0,
    ),
)


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Province, zones and sectors frames of a 3-year run, 6 zones in 3 of the 13 cities."""
    zone_rows = []
    for k, year in enumerate(YEARS):
        for i, (zid, zh, en, city, city_zh, belt, level, land, out) in enumerate(ZONES):
            output = out * (1.06 + 0.01 * i) ** k
            land_mu = land * (1 + 0.02 * k)
            va = output * 0.28
            co2 = 4.0e5 * (i + 1) * (0.97**k)
            zone_rows.append(
                {
                    "zone_id": zid,
                    "year": year,
                    "name_zh": zh,
                    "name_en": en,
                    "city": city,
                    "city_zh": city_zh,
                    "belt": belt,
                    "level": level,
                    "value_added_yi": va,
                    "output_yi": output,
                    "co2_t": co2,
                    "land_built_mu": land_mu,
                    "output_per_mu_wan": output * 1e4 / land_mu,
                    "carbon_intensity_t_per_wan": co2 / (va * 1e4),
                    "firms_active": 200 + 10 * i + k,
                    "host_zone_id": None,
                }
            )
    zones = pd.DataFrame(zone_rows)
    by_year = zones.groupby("year")
    province = pd.DataFrame({"year": list(YEARS)})
    for col in ("value_added_yi", "output_yi", "co2_t", "land_built_mu", "firms_active"):
        province[col] = by_year[col].sum().to_numpy()
    province["tax_yi"] = province["output_yi"] * 0.05
    province["land_stock_mu"] = [9000.0, 8000.0, 6500.0]
    province["land_ready_mu"] = [1500.0, 2200.0, 2600.0]
    province["land_new_mu"] = [4000.0, 3800.0, 3500.0]
    province["land_revitalised_mu"] = [1200.0, 1500.0, 1900.0]
    province["firms_entered"] = [30, 25, 28]
    province["firms_exited"] = [10, 12, 9]
    province["energy_tce"] = province["co2_t"] / 2.4
    province["carbon_intensity_t_per_wan"] = province["co2_t"] / (province["value_added_yi"] * 1e4)
    province["energy_intensity_tce_per_wan"] = province["energy_tce"] / (
        province["value_added_yi"] * 1e4
    )
    province["carbon_gap_t"] = 0.0
    province["shadow_price_land_wan_per_mu"] = 12.0
    province["shadow_price_carbon_wan_per_t"] = 0.0
    base = province["carbon_intensity_t_per_wan"].iloc[0]
    province["carbon_intensity_target_t_per_wan"] = [np.nan, base * 0.964, base * 0.928]
    province["carbon_cap_t"] = np.nan
    province["output_per_mu_wan"] = province["output_yi"] * 1e4 / province["land_built_mu"]

    sector_rows = [
        {
            "sector": sector,
            "name_en": en,
            "name_zh": zh,
            "year": year,
            "value_added_yi": va * (1.05**k),
            "co2_t": co2 * (0.98**k),
            "land_built_mu": 30000.0,
            "output_per_mu_wan": 300.0,
        }
        for sector, en, zh, va, co2 in (
            ("integrated_circuits", "Integrated circuits", "集成电路", 900.0, 2.0e5),
            ("steel", "Steel", "钢铁", 500.0, 4.0e6),
            ("chemicals", "Chemicals", "化工", 700.0, 2.5e6),
            ("services", "Services", "服务业", 300.0, 1.0e5),
        )
        for k, year in enumerate(YEARS)
    ]
    return province, zones, pd.DataFrame(sector_rows)


@pytest.fixture(scope="module")
def saved(
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, dict[str, list[Path]]]]:
    """The baseline set saved in both languages: lang -> (folder, stem -> paths)."""
    province, zones, sectors = frames
    out: dict[str, tuple[Path, dict[str, list[Path]]]] = {}
    for lang in ("en", "zh"):
        folder = tmp_path_factory.mktemp(f"charts_{lang}")
        made = charts.baseline_charts(province, zones, sectors, GEOJSON, lang)
        out[lang] = (folder, {stem: charts.save_chart(c, folder, stem) for stem, c in made.items()})
    return out


# --------------------------------------------------------------------------- helpers


def png_pixels(data: bytes) -> np.ndarray:
    """Decode an 8-bit non-interlaced PNG (what vl-convert writes) to an (h, w, channels) array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert (
            zlib.crc32(kind + body)
            == struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        )
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    assert header is not None, "PNG without IHDR"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(bytes(idat)), dtype=np.uint8)
    assert raw.size == height * (stride + 1), "PNG data length does not match its header"
    rows = raw.reshape(height, stride + 1)
    img = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:]
        if kind == 0:
            cur = line.copy()
        elif kind == 1:
            cur = (
                (np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.int64) % 256)
                .astype(np.uint8)
                .ravel()
            )
        elif kind == 2:
            cur = line + prev
        else:  # Average and Paeth depend on the pixel just decoded: go byte by byte
            cur = np.zeros(stride, dtype=np.int64)
            for x in range(stride):
                a = int(cur[x - bpp]) if x >= bpp else 0
                b = int(prev[x])
                if kind == 3:
                    pred = (a + b) // 2
                else:
                    c = int(prev[x - bpp]) if x >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (int(line[x]) + pred) % 256
            cur = cur.astype(np.uint8)
        img[y] = cur
        prev = cur
    return img.reshape(height, width, bpp)


def titles(node: Any) -> Iterator[str]:
    """Every title string of a Vega-Lite dict (chart, axis, legend, tooltip), data skipped."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("data", "datasets", "values"):
                continue
            if key == "title":
                if isinstance(value, str):
                    yield value
                elif isinstance(value, dict) and isinstance(value.get("text"), str):
                    yield value["text"]
            yield from titles(value)
    elif isinstance(node, list):
        for item in node:
            yield from titles(item)


def datasets(spec: dict[str, Any]) -> list[list[Any]]:
    """All inline data of a Vega-Lite dict: top-level datasets and any data.values."""
    found: list[list[Any]] = list(spec.get("datasets", {}).values())

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and isinstance(data.get("values"), list):
                found.append(data["values"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in spec.items() if k != "datasets"})
    return found


def map_features(chart: alt.TopLevelMixin) -> dict[str, dict[str, Any]]:
    features = [
        row
        for data in datasets(chart.to_dict())
        for row in data
        if isinstance(row, dict) and row.get("type") == "Feature"
    ]
    by_city = {f["properties"]["name_en"]: f["properties"] for f in features}
    assert len(by_city) == len(features) == 13, "each of the 13 cities once"
    return by_city


def tiny_chart(title: str) -> alt.TopLevelMixin:
    frame = pd.DataFrame({"year": [2021, 2022, 2023], "value": [1.0, 3.0, 2.0]})
    chart = (
        alt.Chart(frame, title=title)
        .mark_line()
        .encode(x=alt.X("year:O", title="年份"), y=alt.Y("value:Q", title="数值"))
        .properties(width=200, height=120)
    )
    return chart.configure(font=charts.FONT_FAMILY)


# --------------------------------------------------------------------------- tests


def test_baseline_set_is_the_run_folder_stems(saved: dict[str, Any]) -> None:
    for lang in ("en", "zh"):
        folder, paths = saved[lang]
        assert tuple(paths) == charts.BASELINE_STEMS
        expected = {
            f"{stem}.{ext}" for stem in charts.BASELINE_STEMS for ext in ("html", "png", "svg")
        }
        # nothing but the finished files: no temporary names left behind
        assert {p.name for p in folder.iterdir()} == expected


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_baseline_chart_is_a_real_png_svg_and_offline_html(
    saved: dict[str, Any], lang: str
) -> None:
    _, paths = saved[lang]
    for stem, (html, png, svg) in paths.items():
        assert (html.suffix, png.suffix, svg.suffix) == (".html", ".png", ".svg")
        data = png.read_bytes()
        assert len(data) > 10_000, f"{stem}.png is suspiciously small"
        pixels = png_pixels(data)
        height, width, _ = pixels.shape
        assert width > 400 and height > 200, f"{stem}.png is {width}x{height}"
        packed = np.zeros(pixels.shape[:2], dtype=np.uint32)
        for channel in range(pixels.shape[2]):
            packed = (packed << 8) | pixels[:, :, channel]
        colours = np.unique(packed)
        assert len(colours) > 10, f"{stem}.png is (nearly) a single colour"
        background = np.all(pixels == pixels[0, 0], axis=2).mean()
        assert background < 0.97, f"{stem}.png is {background:.0%} background"

        root = ElementTree.fromstring(svg.read_text(encoding="utf-8"))
        assert root.tag.endswith("svg")
        assert len(list(root.iter())) > 50, f"{stem}.svg has almost no marks"

        page = html.read_text(encoding="utf-8")
        assert "vegaEmbed" in page and '"$schema"' in page, f"{stem}.html lacks the spec"
        assert "cdn" not in page.lower(), f"{stem}.html mentions a CDN"
        assert not re.search(r"<script[^>]*\bsrc\s*=", page), f"{stem}.html loads a script"
        assert len(page) > 500_000, f"{stem}.html does not inline the Vega JavaScript"
    # the page carries this run's spec: the chart title is in it
    va_co2 = paths["va_co2"][0].read_text(encoding="utf-8")
    expected = "Value added and CO2 emissions" if lang == "en" else "增加值与二氧化碳排放"
    assert expected in va_co2


def test_chinese_glyphs_render_in_png_and_svg(tmp_path: Path) -> None:
    a_png, a_svg = charts.save_chart(
        tiny_chart("碳排放强度"), tmp_path, "a", formats=("png", "svg")
    )
    (b_png,) = charts.save_chart(tiny_chart("亩均增加值"), tmp_path, "b", formats=("png",))
    a, b = png_pixels(a_png.read_bytes()), png_pixels(b_png.read_bytes())
    assert a.shape == b.shape
    differing_rows = np.flatnonzero(np.any(a != b, axis=(1, 2)))
    # Missing glyphs draw the same box for every character: the titles would be identical.
    assert differing_rows.size > 10, "the two Chinese titles render the same: glyphs missing"
    # ...and the difference is the title, at the top; the plot below is the same.
    assert differing_rows.max() < a.shape[0] * 0.25
    svg = a_svg.read_text(encoding="utf-8")
    assert "碳排放强度" in svg and "Noto Sans CJK SC" in svg
    folder = charts.ensure_cjk_font()
    assert folder is not None
    # the registered font is the cached Noto Sans CJK SC subset, holding these titles
    assert (folder / charts.fonts.SUBSET_FILE).is_file()
    assert charts.missing_glyphs("碳排放强度亩均增加值") == set()


def test_labels_follow_the_language(frames: tuple[pd.DataFrame, ...]) -> None:
    province, zones, sectors = frames
    en = charts.baseline_charts(province, zones, sectors, GEOJSON, "en")
    zh = charts.baseline_charts(province, zones, sectors, GEOJSON, "zh")
    for stem in charts.BASELINE_STEMS:
        en_titles = list(titles(en[stem].to_dict()))
        zh_titles = list(titles(zh[stem].to_dict()))
        assert len(en_titles) >= 3 and len(zh_titles) == len(en_titles), stem
        assert not [t for t in en_titles if CJK.search(t)], f"Chinese in the en {stem}"
        assert not [t for t in zh_titles if not CJK.search(t)], f"untranslated in the zh {stem}"
    assert {"CO2 (Mt)", "Value added (CNY 100m)", "Year"} <= set(titles(en["va_co2"].to_dict()))
    assert {"二氧化碳排放（百万吨）", "增加值（亿元）", "年份"} <= set(
        titles(zh["va_co2"].to_dict())
    )
    assert "Output per mu (CNY 10k/mu)" in set(titles(en["map_output_per_mu"].to_dict()))
    # zone bars are labelled with the zone names of the language
    zh_rows = [
        r for d in datasets(zh["output_per_mu_zones"].to_dict()) for r in d if "zone_label" in r
    ]
    assert {r["zone_label"] for r in zh_rows} <= {z[1] for z in ZONES}
    with pytest.raises(ValueError, match="'fr'"):
        charts.value_added_and_co2(province, "fr")  # type: ignore[arg-type]


def test_map_binds_the_sums_of_each_citys_zones(frames: tuple[pd.DataFrame, ...]) -> None:
    _, zones, _ = frames
    props = map_features(charts.jiangsu_map(zones, GEOJSON, 2022, "en"))
    year = zones[zones["year"] == 2022]
    for city in ("Nanjing", "Suzhou", "Xuzhou"):
        mine = year[year["city"] == city]
        got = props[city]
        assert got["zones_n"] == len(mine) == 2
        for col in ("value_added_yi", "output_yi", "co2_t", "land_built_mu", "firms_active"):
            assert got[col] == pytest.approx(mine[col].sum(), rel=1e-12), (city, col)
        per_mu = mine["output_yi"].sum() * 1e4 / mine["land_built_mu"].sum()
        assert got["output_per_mu_wan"] == pytest.approx(per_mu, rel=1e-12)
        assert got["map_value"] == pytest.approx(per_mu, rel=1e-12)
        # a ratio of sums, not the mean of the zones' ratios
        assert got["map_value"] != pytest.approx(mine["output_per_mu_wan"].mean(), rel=1e-6)
    for city in set(props) - {"Nanjing", "Suzhou", "Xuzhou"}:
        assert props[city]["map_value"] is None and props[city]["zones_n"] == 0
    co2 = map_features(charts.jiangsu_map(zones, GEOJSON, 2022, "zh", measure="co2_t"))
    assert co2["Suzhou"]["map_value"] == pytest.approx(
        year.loc[year["city"] == "Suzhou", "co2_t"].sum() / 1e6, rel=1e-12
    )
    assert co2["Suzhou"]["city_label"] == "苏州市"


def test_map_rejects_a_city_not_in_the_boundaries(frames: tuple[pd.DataFrame, ...]) -> None:
    _, zones, _ = frames
    bad = zones.copy()
    bad.loc[bad["zone_id"] == "Z06", "city"] = "Peixian"
    with pytest.raises(ValueError, match="Peixian"):
        charts.jiangsu_map(bad, GEOJSON, None, "en")


def test_zone_bars_are_the_top_n_of_the_year(frames: tuple[pd.DataFrame, ...]) -> None:
    _, zones, _ = frames
    chart = charts.output_per_mu_by_zone(zones, 2022, "en", top_n=3)
    rows = [r for d in datasets(chart.to_dict()) for r in d if "zone_label" in r]
    expected = zones[zones["year"] == 2022].nlargest(3, "output_per_mu_wan")["zone_id"]
    assert [r["zone_id"] for r in rows] == list(expected)


def test_intensity_chart_has_base_level_and_target_only_where_given(
    frames: tuple[pd.DataFrame, ...],
) -> None:
    province, _, _ = frames
    rows = [
        r for d in datasets(charts.carbon_intensity_vs_target(province, "en").to_dict()) for r in d
    ]
    base = province["carbon_intensity_t_per_wan"].iloc[0]
    base_rows = [r for r in rows if r["series"] == "Base-year level (2021)"]
    assert [r["year"] for r in base_rows] == list(YEARS)
    assert all(r["value"] == pytest.approx(base) for r in base_rows)
    assert [r["year"] for r in rows if r["series"] == "Target path"] == [2022, 2023]


def test_save_chart_writes_nothing_when_a_format_is_unknown(tmp_path: Path) -> None:
    out = tmp_path / "charts"
    with pytest.raises(ValueError, match="bmp"):
        charts.save_chart(tiny_chart("x"), out, "x", formats=("html", "bmp"))
    assert not out.exists() or not any(out.iterdir())
    with pytest.raises(ValueError, match="plain file name"):
        charts.save_chart(tiny_chart("x"), out, "../x")
