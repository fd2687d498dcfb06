"""Altair charts of runs and comparisons, in English or Chinese, and the savers that write them.

The chart functions are pure: they take the run-folder frames (or the comparison's long
frames) and a language and return Altair charts with a tooltip on every mark.

labels: labels, names (``names(kind, lang, data)``), units and shared helpers;
province: charts by year; zones: zones, cities and the map; sectors: the sector mix;
comparison: trajectories, wedges, the LMDI waterfall; allocation: the allocation
heatmap, shadow prices, output per mu by class, land by run; sets: the run folder's
set and ``all_charts`` for a report; fonts: the CJK font subset; render: PNG, SVG and
offline HTML (see render's docstring for the formats, caches and timing).
"""

from __future__ import annotations

from sim.outputs.charts import fonts
from sim.outputs.charts.allocation import (
    allocation_heatmap,
    land_by_run,
    per_mu_by_class,
    shadow_prices,
)
from sim.outputs.charts.comparison import (
    lmdi_from_province,
    lmdi_waterfall,
    measures_from_province,
    targets_from_run,
    trajectories,
    wedges,
)
from sim.outputs.charts.fonts import missing_glyphs, registered_fonts
from sim.outputs.charts.labels import (
    FONT_FAMILY,
    AnyChart,
    Lang,
    kpi_name,
    label,
    names,
    unit_label,
)
from sim.outputs.charts.province import carbon_intensity_vs_target, land_flows, value_added_and_co2
from sim.outputs.charts.render import (
    PAGE_NAME,
    PNG_SCALE,
    SAVE_FORMATS,
    ensure_cjk_font,
    html_page,
    javascript_bundle,
    render_chart,
    save_chart,
    save_charts,
)
from sim.outputs.charts.sectors import SECTOR_MEASURES, sector_mix
from sim.outputs.charts.sets import (
    BASELINE_STEMS,
    all_charts,
    baseline_charts,
    run_charts,
    write_run_charts,
)
from sim.outputs.charts.zones import MAP_MEASURES, city_totals, jiangsu_map, output_per_mu_by_zone

__all__ = [
    "BASELINE_STEMS",
    "FONT_FAMILY",
    "MAP_MEASURES",
    "PAGE_NAME",
    "PNG_SCALE",
    "SAVE_FORMATS",
    "SECTOR_MEASURES",
    "AnyChart",
    "Lang",
    "all_charts",
    "allocation_heatmap",
    "baseline_charts",
    "carbon_intensity_vs_target",
    "city_totals",
    "ensure_cjk_font",
    "fonts",
    "html_page",
    "javascript_bundle",
    "jiangsu_map",
    "kpi_name",
    "label",
    "land_by_run",
    "land_flows",
    "lmdi_from_province",
    "lmdi_waterfall",
    "measures_from_province",
    "missing_glyphs",
    "names",
    "output_per_mu_by_zone",
    "per_mu_by_class",
    "registered_fonts",
    "render_chart",
    "run_charts",
    "save_chart",
    "save_charts",
    "sector_mix",
    "shadow_prices",
    "targets_from_run",
    "trajectories",
    "unit_label",
    "value_added_and_co2",
    "wedges",
    "write_run_charts",
]
