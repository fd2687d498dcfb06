"""The briefing: one offline HTML file comparing run folders, in Chinese or English.

``build_report(run_dirs, out_file, lang=None)`` writes it (``zonesim report``). build:
what the page holds and the input checks; page: the HTML file, with the Vega bundle,
the chart specs and the font inlined; font: the Noto Sans CJK subset; text: the
page's words in both languages and the scenario questions.
"""

from __future__ import annotations

from sim.outputs.report.build import ReportError, build_report
from sim.outputs.report.font import FAMILY, FontError

__all__ = ["FAMILY", "FontError", "ReportError", "build_report"]
