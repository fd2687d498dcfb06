"""The briefing page: one self-contained HTML file with its scripts, specs and font inlined.

A ``Page`` collects sections (a heading and HTML) and charts (Vega-Lite dicts). Its
``render`` writes the whole file: the Vega, Vega-Lite and Vega-Embed bundle from
vl-convert once, every chart's spec once in a JSON block, a small script that embeds
each chart as SVG after the font has loaded, and an ``@font-face`` rule holding a
subset of Noto Sans CJK SC with exactly the characters of the page (its text and the
strings of every chart spec). Nothing is fetched: no http(s) URL for a script, a
style sheet or a font, and the embed script marks ``<body data-charts="done">`` when
every chart has settled (a failed chart shows its error in place and logs it).
"""

from __future__ import annotations

import html
import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pandas as pd

from sim.outputs.report import font as fontmod
from sim.outputs.report.text import Lang

logger = logging.getLogger(__name__)

#: The ``<meta name="generator">`` that marks a file as a zonesim briefing (so it may be
#: overwritten); ``is_report`` looks for it in the file's head.
GENERATOR = "zonesim report"
#: Where the generator meta must appear to count (bytes from the start of the file).
HEAD_BYTES = 4096


def is_report(path: Any) -> bool:
    """Whether the file at ``path`` is a zonesim briefing (its head names the generator)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}' in head


# --------------------------------------------------------------------------- text bits


def esc(value: Any) -> str:
    """``value`` as HTML text (escaped)."""
    return html.escape(str(value), quote=True)


def fmt_number(value: Any, decimals: int | None = None) -> str:
    """A number as a briefing writes it: thousands separators and sensible decimals.

    ``decimals`` fixes the decimals; else ≥ 100 has none, ≥ 1 one, smaller three
    significant digits. NaN and None give an empty cell; non-numbers are returned as text.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) or hasattr(value, "item"):
        x = float(value)
        if not math.isfinite(x):
            return ""
        if decimals is None:
            ax = abs(x)
            if ax >= 100 or ax == 0 or x == int(x):
                decimals = 0
            elif ax >= 1:
                decimals = 1
            else:
                decimals = max(0, 2 - math.floor(math.log10(ax)))
        if round(x, decimals) == 0:
            x = 0.0  # no "−0.0"
        return f"{x:,.{decimals}f}".replace("-", "\u2212")
    return str(value)


@dataclass(frozen=True)
class Column:
    """A table column: the frame's column, its header, and how a cell is written."""

    name: str
    header: str
    fmt: Callable[[Any], str] = fmt_number
    numeric: bool = True


def table(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    caption: str | None = None,
    cls: str = "",
) -> str:
    """``frame`` as an HTML table of ``columns`` (missing columns are left out).

    ``cls`` is the table's CSS class ("wide-text": fixed layout, long text wraps anywhere).
    """
    cols = [c for c in columns if c.name in frame.columns]
    head = "".join(f"<th{' class=num' if c.numeric else ''}>{esc(c.header)}</th>" for c in cols)
    rows = []
    for record in frame[[c.name for c in cols]].itertuples(index=False, name=None):
        cells = []
        for c, v in zip(cols, record, strict=True):
            text = c.fmt(v) if not (isinstance(v, float) and math.isnan(v)) else ""
            cells.append(f"<td{' class=num' if c.numeric else ''}>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table{f" class={cls}" if cls else ""}>{cap}'
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def facts(pairs: Iterable[tuple[str, Any]]) -> str:
    """A two-column definition table of (label, value) pairs; empty values are left out."""
    rows = "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in pairs if v not in (None, "")
    )
    return f'<div class="table-wrap"><table class="facts"><tbody>{rows}</tbody></table></div>'


def paragraph(text: str) -> str:
    """``text`` as an HTML paragraph; blank lines start a new paragraph."""
    parts = [p.strip() for p in str(text).split("\n\n") if p.strip()]
    return "".join(f"<p>{esc(p)}</p>" for p in parts)


# --------------------------------------------------------------------------- chart specs


def spec_strings(spec: Any) -> Iterable[str]:
    """Every string in a chart spec (keys and values): what the chart may draw."""
    if isinstance(spec, str):
        yield spec
    elif isinstance(spec, Mapping):
        for k, v in spec.items():
            yield str(k)
            yield from spec_strings(v)
    elif isinstance(spec, list | tuple):
        for v in spec:
            yield from spec_strings(v)


def _font_keys(spec: Any, family: str) -> Any:
    """``spec`` with every font-family setting (``font``, ``*Font``) set to ``family``."""
    if isinstance(spec, Mapping):
        out = {}
        for k, v in spec.items():
            if (k == "font" or k.endswith("Font")) and isinstance(v, str):
                out[k] = family
            else:
                out[k] = _font_keys(v, family)
        return out
    if isinstance(spec, list):
        return [_font_keys(v, family) for v in spec]
    return spec


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def prepare_spec(spec: Mapping[str, Any], family: str) -> dict[str, Any]:
    """A chart's Vega-Lite dict as the page embeds it.

    The page's font family in the config and every font setting; no ``$schema`` (the
    bundle's Vega-Lite compiles it; the URL is not needed offline). Raises ValueError
    if the spec loads data from a URL (the page must carry its data).
    """
    out = _font_keys(dict(spec), family)
    out.pop("$schema", None)
    config = dict(out.get("config") or {})
    config["font"] = family
    out["config"] = config
    if any(isinstance(d, Mapping) and "url" in d for d in _data_blocks(out)):
        raise ValueError("a chart loads its data from a URL; the briefing needs inline data")
    return _json_safe(out)


def _data_blocks(spec: Any) -> Iterable[Any]:
    if isinstance(spec, Mapping):
        for k, v in spec.items():
            if k == "data":
                yield v
            yield from _data_blocks(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from _data_blocks(v)


class _TextCollector(HTMLParser):
    """The visible text and the title/alt attributes of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "alt", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(fragment: str) -> list[str]:
    """The text pieces of an HTML fragment a reader sees (not scripts or styles)."""
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    return collector.parts


# --------------------------------------------------------------------------- the page

_CSS = """
:root { --ink: #1f2328; --muted: #59636e; --rule: #d0d7de; --band: #f6f8fa; --accent: #4c78a8; }
* { box-sizing: border-box; }
html, body, button, input, select, table, #vg-tooltip-element, .vg-tooltip {
  font-family: '{family}', sans-serif !important;
}
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.6; font-size: 15px; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 64px; }
header.top { border-bottom: 3px solid var(--accent); margin-bottom: 18px; padding-bottom: 10px; }
h1 { font-size: 26px; margin: 0 0 4px; line-height: 1.3; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px;
     border-bottom: 1px solid var(--rule); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p { margin: 6px 0 10px; }
.muted, caption, .note { color: var(--muted); font-size: 13px; }
caption { text-align: left; padding: 4px 0; caption-side: top; }
nav.toc ol { columns: 2; margin: 4px 0 0; padding-left: 22px; font-size: 14px; }
nav.toc a { color: var(--accent); text-decoration: none; }
.table-wrap { overflow-x: auto; margin: 8px 0 14px; }
.pair { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
table { border-collapse: collapse; font-size: 13px; min-width: 40%; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 10px; vertical-align: top;
         text-align: left; }
thead th { background: var(--band); position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.facts th { width: 14em; font-weight: normal; color: var(--muted); }
td { overflow-wrap: break-word; }
td:first-child, th:first-child { min-width: 8em; }
table.wide-text { table-layout: fixed; width: 100%; }
table.wide-text td { overflow-wrap: anywhere; }
.question { border-left: 4px solid var(--accent); background: var(--band); padding: 8px 14px;
            margin: 8px 0; }
.question b { display: block; }
figure.chart { margin: 18px 0 26px; }
figure.chart figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
.chart-body { overflow-x: auto; min-height: 60px; }
.chart-error { color: #b42318; white-space: pre-wrap; font-size: 13px; }
details summary { cursor: pointer; color: var(--accent); }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--rule);
         padding-top: 8px; }
@media print { figure.chart, table { break-inside: avoid; } nav.toc { display: none; } }
"""

_EMBED_JS = """
(function () {
  "use strict";
  var FAMILY = %(family)s;
  var FAILED = %(failed)s;
  var specs = JSON.parse(document.getElementById("zonesim-specs").textContent);
  var fontReady = (document.fonts && document.fonts.load)
    ? document.fonts.load("16px '" + FAMILY + "'", %(sample)s).catch(function () { return null; })
    : Promise.resolve(null);
  fontReady.then(function () {
    return Promise.all(specs.map(function (spec, i) {
      var el = document.getElementById("chart-" + i);
      return vegaEmbed(el, spec, { renderer: "svg", actions: false, mode: "vega-lite" })
        .then(function () { el.setAttribute("data-rendered", "1"); })
        .catch(function (err) {
          el.classList.add("chart-error");
          el.textContent = FAILED + " " + (err && err.message ? err.message : err);
          console.error(err);
        });
    }));
  }).then(function () { document.body.setAttribute("data-charts", "done"); });
})();
"""


@dataclass
class Page:
    """A briefing page being assembled: sections in order and the charts they hold."""

    lang: Lang
    title: str
    subtitle: str = ""
    sections: list[tuple[str, str, str]] = field(default_factory=list)
    specs: list[dict[str, Any]] = field(default_factory=list)
    footer: str = ""

    def chart(self, spec: Mapping[str, Any], label: str, caption: str = "") -> str:
        """Register a chart and return the HTML that places it.

        ``label`` names it for screen readers; ``caption`` is a note shown under it (the
        chart's own title is its heading).
        """
        index = len(self.specs)
        self.specs.append(prepare_spec(spec, fontmod.FAMILY))
        note = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
        return (
            f'<figure class="chart"><div class="chart-body" id="chart-{index}" role="img" '
            f'aria-label="{esc(label)}"></div>{note}</figure>'
        )

    def section(self, anchor: str, heading: str, body: str) -> None:
        """Add a section (``anchor`` is its id for the table of contents)."""
        self.sections.append((anchor, heading, body))

    def body_html(self, contents_heading: str) -> str:
        """The page's ``<main>``: header, table of contents, sections and footer."""
        toc = "".join(f'<li><a href="#{esc(a)}">{esc(h)}</a></li>' for a, h, _ in self.sections)
        parts = [
            f'<header class="top"><h1>{esc(self.title)}</h1>',
            f'<div class="muted">{esc(self.subtitle)}</div></header>'
            if self.subtitle
            else "</header>",
            f'<nav class="toc"><b>{esc(contents_heading)}</b><ol>{toc}</ol></nav>',
        ]
        for anchor, heading, body in self.sections:
            parts.append(f'<section id="{esc(anchor)}"><h2>{esc(heading)}</h2>{body}</section>')
        if self.footer:
            parts.append(f"<footer>{esc(self.footer)}</footer>")
        return "<main>" + "".join(parts) + "</main>"

    def characters(self, body: str, extra: Iterable[str] = ()) -> str:
        """Every character the page can draw: its text, the charts' strings, ``extra``."""
        texts = [*visible_text(body), self.title, *extra]
        for spec in self.specs:
            texts.extend(spec_strings(spec))
        return fontmod.page_chars(texts)

    def render(self, contents_heading: str, chart_failed: str, bundle: str) -> str:
        """The whole HTML file as text (fonts, scripts and specs inlined).

        ``bundle`` is the Vega, Vega-Lite and Vega-Embed JavaScript (sim.outputs.charts'
        ``javascript_bundle``), inlined once for every chart.
        """
        if "</script" in bundle.lower():  # would end the inline <script> early
            raise ValueError("the Vega JavaScript bundle contains '</script'")
        body = self.body_html(contents_heading)
        chars = self.characters(body, [chart_failed])
        font_bytes = fontmod.subset_font(chars)
        lacking = fontmod.missing_chars(chars, font_bytes)
        if lacking:
            logger.warning("the CJK font has no glyph for %r; browsers fall back", lacking)
        specs_json = json.dumps(self.specs, ensure_ascii=False, separators=(",", ":"))
        specs_json = specs_json.replace("<", "\\u003c")  # no "</script" or "<!--" inside
        sample = "".join(c for c in chars if ord(c) > 0x2E80)[:40] or "Aa"
        script = _EMBED_JS % {
            "family": json.dumps(fontmod.FAMILY),
            "failed": json.dumps(chart_failed, ensure_ascii=False),
            "sample": json.dumps(sample, ensure_ascii=False),
        }
        css = _CSS.replace("{family}", fontmod.FAMILY)
        lang_attr = "zh-CN" if self.lang == "zh" else "en"
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{lang_attr}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="generator" content="{GENERATOR}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(self.title)}</title>\n"
            f"<style>\n{fontmod.font_face_css(font_bytes)}{css}</style>\n"
            "</head>\n<body>\n"
            f"{body}\n"
            f'<script type="application/json" id="zonesim-specs">{specs_json}</script>\n'
            f'<script id="zonesim-vega">{bundle}</script>\n'
            f'<script id="zonesim-embed">{script}</script>\n'
            "</body>\n</html>\n"
        )
