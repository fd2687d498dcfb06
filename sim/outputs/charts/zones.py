"""Zone and city charts: output per mu by zone, city totals and the map of Jiangsu."""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from sim.outputs.charts.labels import (
    BELT_COLOURS,
    GREY,
    AnyChart,
    Lang,
    check_lang,
    finish,
    label,
    localise,
    nan_to_none,
    pick_year,
    require,
)
from sim.units import MU_PER_WANMU, T_PER_MT, WAN_PER_YI

#: Measures ``jiangsu_map`` can colour cities by.
MAP_MEASURES = (
    "output_per_mu_wan",
    "carbon_intensity_t_per_wan",
    "value_added_yi",
    "output_yi",
    "co2_t",
    "land_built_mu",
    "firms_active",
)
_ZONE_COLUMNS = (
    "zone_id",
    "year",
    "name_zh",
    "name_en",
    "city",
    "belt",
    "level",
    "output_yi",
    "land_built_mu",
    "output_per_mu_wan",
)
_CITY_COLUMNS = ("year", "city", "value_added_yi", "output_yi", "co2_t", "land_built_mu")
_SUM_COLUMNS = ("value_added_yi", "output_yi", "co2_t", "land_built_mu", "firms_active")
_CITY_RATIOS = ("output_per_mu_wan", "carbon_intensity_t_per_wan")


# --------------------------------------------------------------------------- zone charts


def output_per_mu_by_zone(
    zones: pd.DataFrame, year: int | None, lang: Lang, top_n: int = 20
) -> AnyChart:
    """Output per mu (万元/mu) of the ``top_n`` zones in ``year`` (default: last), bars by belt.

    A dashed rule marks the all-zones level in 万元/mu:
        Σ output_yi · 10^4 / Σ land_built_mu
    """
    lang = check_lang(lang)
    require(zones, _ZONE_COLUMNS, "zones")
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    year = pick_year(zones, year, "zones")
    df = zones.loc[zones["year"] == year].copy()
    land = float(df["land_built_mu"].sum())
    overall = float(df["output_yi"].sum()) * WAN_PER_YI / land if land > 0 else math.nan
    total = len(df)
    df = df.sort_values("output_per_mu_wan", ascending=False).head(top_n)
    name_col = "name_zh" if lang == "zh" else "name_en"
    df["zone_label"] = df[name_col].fillna(df["zone_id"].astype(str)).astype(str)
    dupes = df["zone_label"].duplicated(keep=False)
    df.loc[dupes, "zone_label"] = df["zone_label"] + " (" + df["zone_id"].astype(str) + ")"
    df["belt_label"] = localise(df["belt"], lang)
    df["level_label"] = localise(df["level"], lang)
    df["city_label"] = df["city_zh"] if lang == "zh" and "city_zh" in df.columns else df["city"]
    keep = [
        "zone_id",
        "zone_label",
        "name_zh",
        "name_en",
        "city_label",
        "belt_label",
        "level_label",
        "output_per_mu_wan",
        "output_yi",
        "land_built_mu",
    ]
    df = df[keep]
    belts = [b for b in ("yangtze", "canal", "coastal")]
    belt_domain = [label(b, lang) for b in belts]
    extra = sorted(set(df["belt_label"]) - set(belt_domain))
    opm = label("opm", lang)
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X(
                "output_per_mu_wan:Q",
                title=opm,
                axis=alt.Axis(format=",.0f", labelOverlap="greedy", labelSeparation=8),
            ),
            # No axis title: the chart title says these are zones, and an axis title
            # beside 300-px labels is placed from measured label widths and can overprint.
            y=alt.Y("zone_label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=300)),
            color=alt.Color(
                "belt_label:N",
                title=label("belt", lang),
                scale=alt.Scale(
                    domain=belt_domain + extra,
                    range=[BELT_COLOURS[b] for b in belts] + [GREY] * len(extra),
                ),
            ),
            tooltip=[
                alt.Tooltip("name_zh:N", title=label("name_zh", lang)),
                alt.Tooltip("name_en:N", title=label("name_en", lang)),
                alt.Tooltip("zone_id:N", title=label("zone_id", lang)),
                alt.Tooltip("city_label:N", title=label("city", lang)),
                alt.Tooltip("belt_label:N", title=label("belt", lang)),
                alt.Tooltip("level_label:N", title=label("level", lang)),
                alt.Tooltip("output_per_mu_wan:Q", title=opm, format=",.1f"),
                alt.Tooltip("output_yi:Q", title=label("output_yi", lang), format=",.1f"),
                alt.Tooltip("land_built_mu:Q", title=label("land_built_mu", lang), format=",.0f"),
            ],
        )
    )
    layers: list[alt.Chart] = [bars]
    if math.isfinite(overall):
        ref = pd.DataFrame({"value": [overall], "text": [label("opm_all", lang, value=overall)]})
        rule = (
            alt.Chart(ref)
            .mark_rule(color="#333", strokeDash=[4, 3])
            .encode(
                x="value:Q",
                tooltip=[alt.Tooltip("value:Q", title=label("opm_all_tip", lang), format=",.1f")],
            )
        )
        text = (
            alt.Chart(ref)
            .mark_text(align="left", dx=4, dy=-4, baseline="bottom", color="#333", fontSize=10)
            .encode(
                x="value:Q",
                y=alt.value(0),
                text="text:N",
                tooltip=[alt.Tooltip("value:Q", title=label("opm_all_tip", lang), format=",.1f")],
            )
        )
        layers += [rule, text]
    chart = alt.layer(*layers).properties(width=460, height=alt.Step(16))
    title = label("opm_zones_title", lang, year=year, n=len(df), total=total)
    return finish(chart, title)


def city_totals(zones: pd.DataFrame, year: int) -> pd.DataFrame:
    """Zones of ``year`` summed by city, with each city's output per mu and carbon intensity.

    One row per city with zones_n, Σ value_added_yi, Σ output_yi, Σ co2_t,
    Σ land_built_mu (and Σ firms_active if present), then
        output_per_mu_wan = Σ output_yi · 10^4 / Σ land_built_mu   (万元/mu)
        carbon_intensity_t_per_wan = Σ co2_t / (Σ value_added_yi · 10^4)   (t CO2 per 万元)
    NaN where a denominator is zero. Rows of zones merged into a host (host_zone_id) are summed
    as they are: the model reports their moved land and firms under the host.
    """
    require(zones, _CITY_COLUMNS, "zones")
    df = zones.loc[zones["year"] == year]
    if df.empty:
        raise ValueError(f"the zones frame has no rows for year {year}")
    sums = [c for c in _SUM_COLUMNS if c in df.columns]
    grouped = df.groupby("city", sort=True)
    out = grouped[sums].sum()
    out.insert(0, "zones_n", grouped.size())
    if "city_zh" in df.columns:
        out.insert(0, "city_zh", grouped["city_zh"].first())
    land = out["land_built_mu"].where(out["land_built_mu"] > 0)
    va_wan = (out["value_added_yi"] * WAN_PER_YI).where(out["value_added_yi"] > 0)
    out["output_per_mu_wan"] = out["output_yi"] * WAN_PER_YI / land
    out["carbon_intensity_t_per_wan"] = out["co2_t"] / va_wan
    return out.reset_index()


def _ring_centroid(ring: Sequence[Sequence[float]]) -> tuple[float, float, float]:
    """Centroid and area of a closed lon/lat ring: (lon, lat, |area|).

    By the shoelace formula, planar: fine for label placement inside one province.
    """
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if a == 0:
        xs = [p[0] for p in ring]
        ys = [p[1] for p in ring]
        return sum(xs) / len(xs), sum(ys) / len(ys), 0.0
    return cx / (3 * a), cy / (3 * a), abs(a) / 2


def _label_point(geometry: Mapping[str, Any]) -> tuple[float, float]:
    """Centroid of the largest polygon's outer ring: where a city's name is written."""
    if geometry["type"] == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        raise ValueError(f"city boundary of type {geometry['type']} is not a (Multi)Polygon")
    best = max((_ring_centroid(p[0]) for p in polygons), key=lambda c: c[2])
    return best[0], best[1]


def _read_features(geojson_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    path = Path(geojson_path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"city boundaries not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not features:
        raise ValueError(f"{path} is not a GeoJSON FeatureCollection with features")
    for i, feat in enumerate(features):
        props = feat.get("properties") or {}
        if "name_en" not in props or "name_zh" not in props:
            raise ValueError(f"{path}: feature {i} lacks properties name_en / name_zh")
    return features


#: City names moved from their polygon's centroid (degrees lon, lat) so that no two
#: names overlap at 11 px: Changzhou's English name would touch Wuxi's.
_LABEL_SHIFT = {"Changzhou": (0.0, 0.06)}

# measure -> (legend label, title name, number format, colour scheme)
_MAP_FORMAT = {
    "output_per_mu_wan": ("opm", "opm_name", ",.1f", "yellowgreenblue"),
    "carbon_intensity_t_per_wan": ("ci_short", "ci_name", ",.3f", "orangered"),
    "value_added_yi": ("va_yi", "va", ",.0f", "blues"),
    "output_yi": ("output_yi", "output_name", ",.0f", "blues"),
    "co2_t": ("co2_mt", "co2", ",.2f", "reds"),
    "land_built_mu": ("land_built_wanmu", "land_built", ",.2f", "greens"),
    "firms_active": ("firms_active", "firms_active", ",.0f", "purples"),
}


def _inside(lon: Any, lat: Any, ring: Sequence[Sequence[float]]) -> Any:
    """Whether each (lon, lat) lies inside the closed ring (ray casting; arrays or scalars)."""
    pts_x = np.asarray(lon, dtype=float)[..., None]
    pts_y = np.asarray(lat, dtype=float)[..., None]
    r = np.asarray(ring, dtype=float)
    x0, y0, x1, y1 = r[:-1, 0], r[:-1, 1], r[1:, 0], r[1:, 1]
    crosses = (y0 > pts_y) != (y1 > pts_y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = x0 + (pts_y - y0) * (x1 - x0) / (y1 - y0)
    hits = np.count_nonzero(crosses & (x_at > pts_x), axis=-1)
    return hits % 2 == 1


def _zone_points(
    geometry: Mapping[str, Any], label_at: tuple[float, float], text: str, n: int
) -> list[tuple[float, float]]:
    """``n`` schematic points inside the city's largest polygon, clear of its name.

    The data has no zone coordinates: the points are the grid points of the polygon
    nearest its name, at least a grid step apart, leaving out a box around the name so
    the name stays readable. Deterministic.
    """
    if n == 0:
        return []
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    ring = max(polygons, key=lambda p: _ring_centroid(p[0])[2])[0]
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    lon0, lat0 = label_at
    half_w = 0.07 + 0.04 * sum(2 if ord(c) > 0x2E80 else 1 for c in text)
    span = max(x1 - x0, y1 - y0)
    for step in (0.1, 0.085, 0.07, 0.055, 0.04, span / 60):
        steps = int(span / step) + 1
        grid = np.arange(steps + 1) * step
        lons, lats = np.meshgrid(x0 + grid, y0 + grid, indexing="ij")
        lons, lats = lons.ravel(), lats.ravel()
        keep = ~((np.abs(lons - lon0) < half_w) & (np.abs(lats - lat0) < 0.13))
        lons, lats = lons[keep], lats[keep]
        inside = _inside(lons, lats, ring)
        lons, lats = lons[inside], lats[inside]
        if len(lons) >= n:
            order = np.lexsort((lats, lons, np.hypot(lons - lon0, lats - lat0)))[:n]
            return [(float(lons[k]), float(lats[k])) for k in order]
    return [(lon0, lat0)] * n  # a sliver of a city: all at its name


def jiangsu_map(
    zones: pd.DataFrame,
    geojson_path: str | os.PathLike[str] | None,
    year: int | None,
    lang: Lang,
    measure: str = "output_per_mu_wan",
) -> AnyChart:
    """Choropleth of the 13 cities by ``measure`` of their zones in ``year`` (default: last).

    Zones are summed by city (``city_totals``); each GeoJSON feature gets the sums
    in its ``properties`` and the features are embedded inline, so the chart needs
    no file or network. CO2 is drawn in Mt and land in 万亩; the properties keep
    t and mu. Cities with no zone are drawn grey. A zone whose ``city`` is not a
    ``name_en`` of the GeoJSON is an error. ``geojson_path`` None is the shipped
    boundaries file.

    Colour rule: the scale is sequential from **zero** to the largest city value
    (every measure is ≥ 0), so colour distance is proportional to value: cities 11 %
    apart look 11 % apart, not like the two ends of the scale as a min-max domain would
    draw them. Each zone is a point in its city, sized by its own value of the measure
    (area from zero); the points' places are schematic (the data has no zone
    coordinates), their tooltips name the zone.
    """
    lang = check_lang(lang)
    if measure not in MAP_MEASURES:
        raise ValueError(f"map measure {measure!r} is not one of {', '.join(MAP_MEASURES)}")
    require(zones, _CITY_COLUMNS, "zones")
    if measure not in ("output_per_mu_wan", "carbon_intensity_t_per_wan"):
        require(zones, [measure], "zones")
    if geojson_path is None:
        from sim.outputs.charts.labels import default_data_dir

        geojson_path = default_data_dir() / "jiangsu_cities.geojson"
    year = pick_year(zones, year, "zones")
    totals = city_totals(zones, year).set_index("city")
    features = _read_features(geojson_path)
    known = {f["properties"]["name_en"] for f in features}
    unknown = sorted(set(totals.index) - known)
    if unknown:
        raise ValueError(
            f"zones name city {', '.join(map(str, unknown))}, not in {geojson_path}; "
            f"cities there: {', '.join(sorted(known))}"
        )
    scale = {"co2_t": 1 / T_PER_MT, "land_built_mu": 1 / MU_PER_WANMU}.get(measure, 1.0)
    key, name_key, fmt, scheme = _MAP_FORMAT[measure]
    measure_title = label(key, lang)
    year_zones = zones.loc[zones["year"] == year]
    if measure == "carbon_intensity_t_per_wan" and measure not in year_zones.columns:
        va = (year_zones["value_added_yi"] * WAN_PER_YI).where(year_zones["value_added_yi"] > 0)
        year_zones = year_zones.assign(carbon_intensity_t_per_wan=year_zones["co2_t"] / va)
    name_col = "name_zh" if lang == "zh" else "name_en"
    values: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    for feat in features:
        props = dict(feat["properties"])
        city = props["name_en"]
        props["city_label"] = props["name_zh"] if lang == "zh" else city
        if city in totals.index:
            row = totals.loc[city]
            for col in (*_SUM_COLUMNS, *_CITY_RATIOS):
                if col in row.index:
                    props[col] = nan_to_none(row[col])
            props["zones_n"] = int(row["zones_n"])
            props["co2_mt"] = nan_to_none(row["co2_t"] / T_PER_MT)
            props["map_value"] = nan_to_none(row[measure] * scale)
        else:
            props["zones_n"] = 0
            props["map_value"] = None
        values.append({"type": "Feature", "geometry": feat["geometry"], "properties": props})
        lon, lat = _label_point(feat["geometry"])
        shift = _LABEL_SHIFT.get(city, (0.0, 0.0))
        lon, lat = lon + shift[0], lat + shift[1]
        labels.append({"lon": lon, "lat": lat, "text": props["city_label"]})
        mine = year_zones[year_zones["city"] == city].sort_values("zone_id")
        where = _zone_points(feat["geometry"], (lon, lat), props["city_label"], len(mine))
        for (zlon, zlat), (_, z) in zip(where, mine.iterrows(), strict=True):
            shown = z.get(name_col)
            points.append(
                {
                    "lon": zlon,
                    "lat": zlat,
                    "zone": str(shown) if isinstance(shown, str) and shown else str(z["zone_id"]),
                    "zone_id": str(z["zone_id"]),
                    "city_label": props["city_label"],
                    "value": nan_to_none(float(z[measure]) * scale),
                }
            )
    city_values = [v["properties"]["map_value"] for v in values]
    top = max((v for v in city_values if v is not None), default=1.0)
    colour_domain = [0.0, top if top > 0 else 1.0]

    city_title = label("city", lang)
    tooltip = [
        alt.Tooltip("properties.city_label:N", title=city_title),
        alt.Tooltip("properties.map_value:Q", title=measure_title, format=fmt),
        alt.Tooltip("properties.zones_n:Q", title=label("zones_n", lang)),
        alt.Tooltip("properties.value_added_yi:Q", title=label("va_yi", lang), format=",.0f"),
        alt.Tooltip("properties.co2_mt:Q", title=label("co2_mt", lang), format=",.2f"),
        alt.Tooltip(
            "properties.land_built_mu:Q", title=label("land_built_mu", lang), format=",.0f"
        ),
    ]
    # The features go in once, at the top of the layer; the two shape layers inherit them.
    base = (
        alt.Chart()
        .mark_geoshape(fill="#e6e6e6", stroke="white", strokeWidth=0.8)
        .encode(tooltip=tooltip)
    )
    filled = (
        alt.Chart()
        .mark_geoshape(stroke="white", strokeWidth=0.8)
        .encode(
            color=alt.Color(
                "properties.map_value:Q",
                title=measure_title,
                scale=alt.Scale(scheme=scheme, domain=colour_domain, nice=False),
                legend=alt.Legend(format=fmt, orient="right", gradientLength=220),
            ),
            tooltip=tooltip,
        )
        .transform_filter("isValid(datum.properties.map_value)")
    )
    zone_title = label("zone_point", lang)
    dots = (
        alt.Chart(
            pd.DataFrame(points, columns=["lon", "lat", "zone", "zone_id", "city_label", "value"])
        )
        .mark_circle(color="#333", opacity=0.75, stroke="white", strokeWidth=0.6)
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            size=alt.Size(
                "value:Q",
                title=label("zone_dots", lang),
                scale=alt.Scale(domainMin=0, range=[0, 70]),
                legend=alt.Legend(orient="right", format=fmt, tickCount=3, titleLimit=300),
            ),
            tooltip=[
                alt.Tooltip("zone:N", title=zone_title),
                alt.Tooltip("zone_id:N", title=label("zone_id", lang)),
                alt.Tooltip("city_label:N", title=city_title),
                alt.Tooltip("value:Q", title=measure_title, format=fmt),
            ],
        )
    )
    names = alt.Chart(pd.DataFrame(labels)).encode(
        longitude="lon:Q",
        latitude="lat:Q",
        text="text:N",
        tooltip=[alt.Tooltip("text:N", title=city_title)],
    )
    halo = names.mark_text(fontSize=11, stroke="white", strokeWidth=3, strokeOpacity=0.85)
    text = names.mark_text(fontSize=11, color="#222")
    chart = (
        alt.layer(base, filled, dots, halo, text, data=alt.Data(values=values))
        .project(type="mercator")
        .properties(width=460, height=440)
        .resolve_scale(size="independent")
    )
    return finish(
        chart,
        label("map_title", lang, measure=label(name_key, lang), year=year),
        label("map_note", lang),
    )
