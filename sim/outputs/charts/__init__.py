"""Altair charts of a run's tidy frames, in English or Chinese, and the saver that writes them.

The charts are pure functions of the run-folder frames; the saver writes each as offline
HTML, PNG and SVG.

labels: labels, colours, units and shared helpers; province: charts by year; zones:
zones, cities and the map; sectors: the sector mix; render: the run's chart set and
saving (see render's docstring for the formats and fonts).
"""

from __future__ import annotations

from sim.outputs.charts.labels import FONT_FAMILY, AnyChart, Lang, label
from sim.outputs.charts.province import carbon_intensity_vs_target, land_flows, value_added_and_co2
from sim.outputs.charts.render import (
    BASELINE_STEMS,
    PNG_SCALE,
    SAVE_FORMATS,
    baseline_charts,
    ensure_cjk_font,
    render_chart,
    save_chart,
)
from sim.outputs.charts.sectors import SECTOR_MEASURES, sector_mix
from sim.outputs.charts.zones import MAP_MEASURES, city_totals, jiangsu_map, output_per_mu_by_zone

__all__ = [
    "BASELINE_STEMS",
    "FONT_FAMILY",
    "MAP_MEASURES",
    "PNG_SCALE",
    "SAVE_FORMATS",
    "SECTOR_MEASURES",
    "AnyChart",
    "Lang",
    "baseline_charts",
    "carbon_intensity_vs_target",
    "city_totals",
    "ensure_cjk_font",
    "jiangsu_map",
    "label",
    "land_flows",
    "output_per_mu_by_zone",
    "render_chart",
    "save_chart",
    "sector_mix",
    "value_added_and_co2",
]
