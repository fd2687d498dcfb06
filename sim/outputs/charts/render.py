"""Altair charts of a run's tidy frames, and a saver that writes offline HTML, PNG and SVG.

Every chart function is pure: it reads the run-folder frames of DESIGN.md §10
(``province``, ``zones``, ``sectors``) and returns an Altair chart whose titles,
axes, legends and tooltips are in one language (``"en"`` or ``"zh"``) and carry
units. Reporting units follow DESIGN.md §2: money in 亿元 (en: "CNY 100m") and
per-mu money in 万元 (en: "CNY 10k"), CO2 in Mt, land in 万亩 (10^4 mu) on
province charts and mu in zone tooltips, carbon intensity in t CO2 per 万元.

Each chart is returned *configured* (``chart.configure(font=...)``) with a font
family that covers Chinese, so it renders the same way through any saver; a
configured chart cannot be put inside another ``alt.concat``: embed it on its
own (the briefing does).

``save_chart`` writes ``stem.html`` (Vega, Vega-Lite and Vega-Embed inlined: no
CDN, works offline), ``stem.png`` (scale 2) and ``stem.svg`` through vl-convert.
Glyphs come from Noto Sans CJK (PyPI ``noto-cjk-sans-otc``), registered with
vl-convert once per process. Each file is written under a temporary name in the
target folder and renamed, so a half-written file never has the final name.

The first offline HTML of a process costs about 3-4 s (vl-convert bundles the
Vega JavaScript once and caches it); after that a chart saves in tens to a few
hundred milliseconds per format.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from sim.outputs.charts.labels import CJK, AnyChart, Lang, check_lang
from sim.outputs.charts.province import carbon_intensity_vs_target, land_flows, value_added_and_co2
from sim.outputs.charts.sectors import sector_mix
from sim.outputs.charts.zones import jiangsu_map, output_per_mu_by_zone

logger = logging.getLogger(__name__)

#: The file stems a run writes under charts/ (keys of ``baseline_charts``).
BASELINE_STEMS = (
    "va_co2",
    "carbon_intensity",
    "land_flows",
    "output_per_mu_zones",
    "map_output_per_mu",
    "sector_mix",
)
SAVE_FORMATS = ("html", "png", "svg", "json")
PNG_SCALE = 2.0

# --------------------------------------------------------------------------- the set


def baseline_charts(
    province: pd.DataFrame,
    zones: pd.DataFrame,
    sectors: pd.DataFrame,
    geojson_path: str | os.PathLike[str],
    lang: Lang,
) -> dict[str, AnyChart]:
    """The charts a run writes under charts/, keyed by file stem (``BASELINE_STEMS``).

    The zone charts (output per mu by zone, the map) show the last year of the zones frame.
    """
    lang = check_lang(lang)
    return {
        "va_co2": value_added_and_co2(province, lang),
        "carbon_intensity": carbon_intensity_vs_target(province, lang),
        "land_flows": land_flows(province, lang),
        "output_per_mu_zones": output_per_mu_by_zone(zones, None, lang),
        "map_output_per_mu": jiangsu_map(zones, geojson_path, None, lang),
        "sector_mix": sector_mix(sectors, lang),
    }


# --------------------------------------------------------------------------- saving

_font_lock = threading.Lock()
_font_dir: Path | None = None
_font_tried = False


def ensure_cjk_font() -> Path | None:
    """Register Noto Sans CJK's folder with vl-convert, once per process.

    Returns the folder, or None when the package ``noto-cjk-sans-otc`` is not installed
    or its font file is missing; a failed attempt is not retried.
    """
    global _font_dir, _font_tried
    with _font_lock:
        if _font_tried:
            return _font_dir
        _font_tried = True
        try:
            import noto_cjk_sans_otc  # the font ships as package data
        except ImportError:
            logger.warning(
                "noto-cjk-sans-otc is not installed: Chinese text cannot be drawn in PNG/SVG "
                "(install: pip install noto-cjk-sans-otc)"
            )
            return None
        font_file = Path(str(noto_cjk_sans_otc.FONT_PATH))
        if not font_file.is_file():
            logger.warning("Noto Sans CJK font file missing at %s", font_file)
            return None
        vlc.register_font_directory(str(font_file.parent))
        _font_dir = font_file.parent
        logger.debug("registered CJK font directory %s", _font_dir)
        return _font_dir


def _vl_version() -> str | None:
    """The vl-convert Vega-Lite version matching altair's schema, e.g. 'v6.4.1' -> '6.4'."""
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _chart_title(spec: Mapping[str, Any], default: str) -> str:
    title = spec.get("title")
    if isinstance(title, Mapping):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title) if title else default


def render_chart(
    chart: AnyChart | Mapping[str, Any], formats: Sequence[str] = ("html", "png", "svg")
) -> dict[str, bytes]:
    """A chart (or its Vega-Lite dict) rendered in each of ``formats``: html, png, svg, json.

    The Vega-Lite spec is compiled to Vega once; the PNG (scale ``PNG_SCALE``) is
    rasterised from the SVG, which is what vl-convert would do anyway, so asking for
    both costs one layout, not two.
    """
    bad = [f for f in formats if f not in SAVE_FORMATS]
    if bad:
        raise ValueError(f"chart format(s) {', '.join(bad)} not one of {', '.join(SAVE_FORMATS)}")
    spec = chart if isinstance(chart, Mapping) else chart.to_dict()
    wanted = list(dict.fromkeys(formats))
    version = _vl_version()
    out: dict[str, bytes] = {}
    if "json" in wanted:
        out["json"] = json.dumps(spec, ensure_ascii=False, indent=2).encode("utf-8")
    if "html" in wanted:
        page = vlc.vegalite_to_html(spec, vl_version=version, bundle=True)
        page = page.replace(
            "<title>Chart</title>",
            f"<title>{html_lib.escape(_chart_title(spec, 'zonesim'))}</title>",
            1,
        )
        out["html"] = page.encode("utf-8")
    if "svg" in wanted or "png" in wanted:
        if ensure_cjk_font() is None and CJK.search(json.dumps(spec, ensure_ascii=False)):
            raise RuntimeError(
                "this chart has Chinese text but the Noto Sans CJK font is not installed, so "
                "PNG/SVG would show empty boxes: pip install noto-cjk-sans-otc"
            )
        svg = vlc.vega_to_svg(vlc.vegalite_to_vega(spec, vl_version=version))
        if "svg" in wanted:
            out["svg"] = svg.encode("utf-8")
        if "png" in wanted:
            out["png"] = vlc.svg_to_png(svg, scale=PNG_SCALE)
    return {fmt: out[fmt] for fmt in wanted}


def save_chart(
    chart: AnyChart,
    out_dir: str | os.PathLike[str],
    stem: str,
    formats: Sequence[str] = ("html", "png", "svg"),
) -> list[Path]:
    """Write ``out_dir/stem.<fmt>`` for each format and return the paths in that order.

    html is offline (JavaScript inlined), png is at scale 2, svg keeps text as
    text in the Noto Sans CJK font stack, json is the Vega-Lite spec. All formats
    are rendered before any file is written; each file goes to a temporary name in
    ``out_dir`` and is renamed into place.
    """
    if not stem or Path(stem).name != stem or stem.startswith("."):
        raise ValueError(f"chart stem {stem!r} must be a plain file name")
    start = time.perf_counter()
    rendered = render_chart(chart, formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, data in rendered.items():
        path = out / f"{stem}.{fmt}"
        _write_atomic(path, data)
        paths.append(path)
    logger.debug("saved %s (%s) in %.3f s", stem, ", ".join(rendered), time.perf_counter() - start)
    return paths
