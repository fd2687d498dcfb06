"""Rendering and saving charts: PNG and SVG through vl-convert, offline HTML pages.

``render_chart`` turns one chart into html, png, svg or json bytes; ``save_chart``
writes them as ``stem.<fmt>``; ``save_charts`` renders a whole set and writes each
chart's PNG and SVG plus **one** offline HTML page holding every chart, with the Vega,
Vega-Lite and Vega-Embed JavaScript inlined once (no CDN, works with no network).

Speed (issue 14): the JavaScript bundle costs vl-convert 2-4 s per process to build, so
it is cached on disk (``fonts.cache_dir()/vega``, keyed by the vl-convert and Vega-Lite
versions) and, when not cached yet, built in a background thread while the PNGs and SVGs
render. Text is drawn with a cached subset of Noto Sans CJK SC (see ``fonts``), not the
19 MB collection that made each chart 2-4 × slower. The PNG is rasterised from the
SVG (scale ``PNG_SCALE``), so one layout serves both.

Every file is rendered before any is written; each goes to a temporary name in the
target folder and is renamed, so a half-written file never has the final name. Output
is byte-identical from run to run.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc

from sim.outputs.charts import fonts
from sim.outputs.charts.labels import FONT_FAMILY, AnyChart, Lang

logger = logging.getLogger(__name__)

SAVE_FORMATS = ("html", "png", "svg", "json")
PNG_SCALE = 2.0
#: The page ``save_charts`` writes with every chart of a set.
PAGE_NAME = "charts.html"
#: Seconds spent per phase by the last ``save_charts`` call (for `zonesim bench`).
last_timings: dict[str, float] = {}

# --------------------------------------------------------------------------- fonts


def ensure_cjk_font(text: str = "") -> Path | None:
    """Register the CJK font (a cached Noto Sans CJK SC subset covering ``text``).

    Returns the registered font's folder, or None when the package
    ``noto-cjk-sans-otc`` is not installed (see ``fonts.ensure_font``).
    """
    return fonts.ensure_font(text)


# --------------------------------------------------------------------------- JavaScript


def _vl_version() -> str | None:
    """The vl-convert Vega-Lite version matching altair's schema, e.g. 'v6.4.1' -> '6.4'."""
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


_bundle_lock = threading.Lock()
_bundle: str | None = None
_bundle_thread: threading.Thread | None = None
_bundle_error: BaseException | None = None
#: What marks the end of vl-convert's bundle (its default snippet): a cached file
#: without it is incomplete and is built again.
_BUNDLE_END = "window.vegaLite="


def bundle_cache_path() -> Path:
    """The disk cache of the JavaScript bundle, named by the vl-convert and Vega-Lite versions."""
    version = _vl_version() or "default"
    return fonts.cache_dir() / "vega" / f"bundle-vlconvert{vlc.__version__}-vl{version}.js"


def _load_or_build_bundle() -> str:
    path = bundle_cache_path()
    with contextlib.suppress(OSError, UnicodeDecodeError):
        text = path.read_text(encoding="utf-8")
        if _BUNDLE_END in text[-400:]:
            return text
    start = time.perf_counter()
    text = vlc.javascript_bundle(vl_version=_vl_version())
    logger.debug("built the Vega JavaScript bundle in %.2f s", time.perf_counter() - start)
    try:
        fonts.write_atomic(path, text.encode("utf-8"), make_parent=True)
    except OSError as exc:  # no cache: the next process builds it again
        logger.debug("cannot cache the Vega bundle at %s: %s", path, exc)
    return text


def _bundle_worker() -> None:
    global _bundle, _bundle_error
    try:
        text = _load_or_build_bundle()
        with _bundle_lock:
            _bundle = text
    except BaseException as exc:  # handed to the waiting caller
        _bundle_error = exc


def prepare_javascript() -> None:
    """Start loading (or building) the Vega JavaScript bundle in the background."""
    global _bundle_thread
    with _bundle_lock:
        if _bundle is not None or _bundle_thread is not None:
            return
        _bundle_thread = threading.Thread(target=_bundle_worker, name="vega-bundle", daemon=True)
        _bundle_thread.start()


def javascript_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script that sets window.vegaEmbed etc.

    From memory, else the disk cache, else vl-convert (2-4 s, then cached).
    """
    global _bundle_thread, _bundle_error
    prepare_javascript()
    thread = _bundle_thread
    if thread is not None:
        thread.join()
    with _bundle_lock:
        _bundle_thread = None
        if _bundle_error is not None:
            exc, _bundle_error = _bundle_error, None
            raise exc
        assert _bundle is not None
        return _bundle


# --------------------------------------------------------------------------- warm-up

_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None
_warmed = False
#: A small chart with the marks, axes and legends the charts use: drawing it once starts
#: vl-convert's JavaScript engine and compiles Vega's code paths.
_WARM_SPEC: dict[str, Any] = {
    "data": {"values": [{"x": "a", "y": 1.0, "c": "p"}, {"x": "b", "y": 2.0, "c": "q"}]},
    "hconcat": [
        {
            "layer": [
                {
                    "mark": "bar",
                    "encoding": {
                        "x": {"field": "x", "type": "nominal", "title": "x"},
                        "y": {"field": "y", "type": "quantitative", "stack": "zero"},
                        "color": {"field": "c", "type": "nominal"},
                    },
                },
                {
                    "mark": {"type": "line", "point": True},
                    "encoding": {
                        "x": {"field": "x", "type": "nominal"},
                        "y": {"field": "y", "type": "quantitative"},
                    },
                },
                {
                    "mark": "text",
                    "encoding": {
                        "x": {"field": "x", "type": "nominal"},
                        "y": {"field": "y", "type": "quantitative"},
                        "text": {"field": "c", "type": "nominal"},
                    },
                },
            ]
        },
        {
            "mark": "rect",
            "encoding": {
                "x": {"field": "x", "type": "nominal"},
                "y": {"field": "c", "type": "nominal"},
                "color": {"field": "y", "type": "quantitative"},
            },
        },
    ],
    "config": {"font": FONT_FAMILY},
}


def _warm_worker() -> None:
    global _warmed
    try:
        svg = vlc.vega_to_svg(vlc.vegalite_to_vega(_WARM_SPEC, vl_version=_vl_version()))
        vlc.svg_to_png(svg, scale=PNG_SCALE)
    except Exception as exc:  # only a warm-up: the real drawing reports any error
        logger.debug("chart warm-up failed: %s", exc)
    _warmed = True


def warm_up() -> None:
    """Start vl-convert's engine in the background (while Python builds the charts).

    The first chart a process draws costs about a second more than the next (the
    JavaScript engine starts and compiles Vega); drawing a small chart in a thread while
    the caller builds its charts hides that. ``save_charts`` waits for it to finish
    before drawing, so no two drawings overlap.
    """
    global _warm_thread
    with _warm_lock:
        if _warmed or _warm_thread is not None:
            return
        _warm_thread = threading.Thread(target=_warm_worker, name="vl-convert-warm-up", daemon=True)
        _warm_thread.start()


def _wait_warm_up() -> None:
    global _warm_thread
    with _warm_lock:
        thread = _warm_thread
    if thread is not None:
        thread.join()
        with _warm_lock:
            _warm_thread = None


# --------------------------------------------------------------------------- HTML

_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: {font}; margin: 24px; color: #222; }}
h1 {{ font-size: 20px; font-weight: 600; }}
section {{ margin: 0 0 36px 0; }}
.vega-embed {{ max-width: 100%; overflow-x: auto; }}
.chart-error {{ color: #b00; white-space: pre-wrap; }}
</style>
<script>{bundle}</script>
</head>
<body>
{heading}{sections}
<script>
const zonesimSpecs = {specs};
for (const [id, spec] of Object.entries(zonesimSpecs)) {{
  vegaEmbed("#" + id, spec, {{renderer: "svg", actions: false}}).catch((err) => {{
    const box = document.getElementById(id);
    box.className = "chart-error";
    box.textContent = String(err);
    console.error(err);
  }});
}}
</script>
</body>
</html>
"""


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element (no '</' that could end it)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def html_page(
    items: Sequence[tuple[str, str, Mapping[str, Any]]],
    title: str,
    lang: Lang = "en",
    heading: bool = True,
) -> str:
    """One offline page with every chart: ``items`` are (key, title, Vega-Lite dict).

    The JavaScript is inlined once; each chart is embedded as SVG in a <section> whose
    element id is ``chart-<key>``. ``heading`` puts ``title`` as the page's <h1>.
    """
    specs: dict[str, Mapping[str, Any]] = {}
    sections = []
    for key, chart_title, spec in items:
        ident = f"chart-{key}"
        if ident in specs:
            raise ValueError(f"two charts have the key {key!r}")
        specs[ident] = spec
        sections.append(
            f'<section aria-label="{html_lib.escape(chart_title)}"><div id="{ident}"></div>'
            "</section>\n"
        )
    bundle = javascript_bundle().replace("</script", "<\\/script")
    return _PAGE.format(
        lang=lang,
        title=html_lib.escape(title),
        font=FONT_FAMILY,
        bundle=bundle,
        heading=f"<h1>{html_lib.escape(title)}</h1>\n" if heading else "",
        sections="".join(sections),
        specs=_script_json(specs),
    )


# --------------------------------------------------------------------------- rendering


def chart_title(spec: Mapping[str, Any], default: str = "") -> str:
    """The title text of a Vega-Lite dict (lines joined by spaces), else ``default``."""
    title = spec.get("title")
    if isinstance(title, Mapping):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title) if title else default


def _spec(chart: AnyChart | Mapping[str, Any], validate: bool = True) -> dict[str, Any]:
    return dict(chart) if isinstance(chart, Mapping) else chart.to_dict(validate=validate)


def _check_formats(formats: Sequence[str]) -> list[str]:
    bad = [f for f in formats if f not in SAVE_FORMATS]
    if bad:
        raise ValueError(f"chart format(s) {', '.join(bad)} not one of {', '.join(SAVE_FORMATS)}")
    return list(dict.fromkeys(formats))


_SVG_ID = re.compile(r'id="((gradient_|clip|pattern_)(\d+))"')


def _number_ids(svg: str) -> str:
    """The SVG with its gradient, clip and pattern ids numbered from 1 in order of appearance.

    Vega numbers them with a counter that lives as long as the process, so without this
    a chart's SVG would depend on how many charts the process drew before it.
    """
    renames: dict[str, str] = {}
    counts: dict[str, int] = {}
    for match in _SVG_ID.finditer(svg):
        old, prefix = match.group(1), match.group(2)
        if old not in renames:
            counts[prefix] = counts.get(prefix, 0) + 1
            renames[old] = f"{prefix}{counts[prefix]}"
    if not renames or all(k == v for k, v in renames.items()):
        return svg
    pattern = re.compile(
        r'(id="|url\(#|href="#)(' + "|".join(map(re.escape, renames)) + r')(?=[")])'
    )
    return pattern.sub(lambda m: m.group(1) + renames[m.group(2)], svg)


def _svg(spec: Mapping[str, Any]) -> str:
    """The chart drawn as SVG, with a CJK font registered that covers its text."""
    text = json.dumps(spec, ensure_ascii=False)
    _wait_warm_up()
    if ensure_cjk_font(text) is None and fonts.CJK_RE.search(text):
        raise RuntimeError(
            "this chart has Chinese text but the Noto Sans CJK font is not installed, so "
            "PNG/SVG would show empty boxes: pip install noto-cjk-sans-otc"
        )
    return _number_ids(vlc.vega_to_svg(vlc.vegalite_to_vega(spec, vl_version=_vl_version())))


def render_chart(
    chart: AnyChart | Mapping[str, Any], formats: Sequence[str] = ("html", "png", "svg")
) -> dict[str, bytes]:
    """A chart (or its Vega-Lite dict) rendered in each of ``formats``: html, png, svg, json.

    html is a page of this chart alone with the JavaScript inlined (offline). The PNG
    (scale ``PNG_SCALE``) is rasterised from the SVG, so asking for both costs one layout.
    """
    wanted = _check_formats(formats)
    spec = _spec(chart)
    if "html" in wanted:
        prepare_javascript()
    out: dict[str, bytes] = {}
    if "json" in wanted:
        out["json"] = json.dumps(spec, ensure_ascii=False, indent=2).encode("utf-8")
    if "svg" in wanted or "png" in wanted:
        svg = _svg(spec)
        if "svg" in wanted:
            out["svg"] = svg.encode("utf-8")
        if "png" in wanted:
            out["png"] = vlc.svg_to_png(svg, scale=PNG_SCALE)
    if "html" in wanted:
        lang: Lang = "zh" if fonts.CJK_RE.search(json.dumps(spec, ensure_ascii=False)) else "en"
        page = html_page(
            [("0", chart_title(spec), spec)], chart_title(spec, "zonesim"), lang, False
        )
        out["html"] = page.encode("utf-8")
    return {fmt: out[fmt] for fmt in wanted}


def _check_stem(stem: str) -> None:
    if not stem or Path(stem).name != stem or stem.startswith("."):
        raise ValueError(f"chart stem {stem!r} must be a plain file name")


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
    _check_stem(stem)
    start = time.perf_counter()
    rendered = render_chart(chart, formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, data in rendered.items():
        path = out / f"{stem}.{fmt}"
        fonts.write_atomic(path, data)
        paths.append(path)
    logger.debug("saved %s (%s) in %.3f s", stem, ", ".join(rendered), time.perf_counter() - start)
    return paths


def save_charts(
    items: Sequence[tuple[str, str, AnyChart]],
    out_dir: str | os.PathLike[str],
    formats: Sequence[str] = ("png", "svg"),
    page: str | None = PAGE_NAME,
    page_title: str = "zonesim charts",
    lang: Lang = "en",
) -> list[Path]:
    """Render a set of charts: ``key.<fmt>`` each, and one offline page with them all.

    ``items`` are (key, title, chart) as ``all_charts`` or ``run_charts`` give them;
    ``page`` (None: no page) is the HTML file's name. Everything is rendered before
    the first file is written. Returns the written paths (charts in order, page last).
    Timings by phase go to ``last_timings``.
    """
    wanted = _check_formats(formats)
    if "html" in wanted:
        raise ValueError("save_charts writes one HTML page (page=...), not html per chart")
    for key, _, _ in items:
        _check_stem(key)
    if page is not None:
        _check_stem(page)
        prepare_javascript()  # loads or builds while the charts render
    warm_up()
    t0 = time.perf_counter()
    # Not validated against the Vega-Lite schema here (a third of the time to_dict takes):
    # the chart functions' specs are validated by the tests (tests/test_charts*.py).
    specs = [(key, title, _spec(chart, validate=False)) for key, title, chart in items]
    t1 = time.perf_counter()
    ensure_cjk_font("".join(json.dumps(s, ensure_ascii=False) for _, _, s in specs))
    _wait_warm_up()
    t2 = time.perf_counter()
    rendered: list[tuple[Path, bytes]] = []
    out = Path(out_dir)
    svg_s = png_s = 0.0
    for key, _, spec in specs:
        if "json" in wanted:
            data = json.dumps(spec, ensure_ascii=False, indent=2).encode("utf-8")
            rendered.append((out / f"{key}.json", data))
        if "svg" in wanted or "png" in wanted:
            ts = time.perf_counter()
            svg = _svg(spec)
            tp = time.perf_counter()
            svg_s += tp - ts
            if "png" in wanted:
                rendered.append((out / f"{key}.png", vlc.svg_to_png(svg, scale=PNG_SCALE)))
            png_s += time.perf_counter() - tp
            if "svg" in wanted:
                rendered.append((out / f"{key}.svg", svg.encode("utf-8")))
    t3 = time.perf_counter()
    if page is not None:
        body = html_page(specs, page_title, lang)
        rendered.append((out / page, body.encode("utf-8")))
    t4 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    for path, data in rendered:
        fonts.write_atomic(path, data)
    t5 = time.perf_counter()
    last_timings.clear()
    last_timings.update(
        {
            "specs": t1 - t0,
            "font": t2 - t1,
            "svg": svg_s,
            "png": png_s,
            "html_wait": t4 - t3,
            "write": t5 - t4,
            "total": t5 - t0,
        }
    )
    return [p for p, _ in rendered]
