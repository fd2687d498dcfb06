"""The fixed vocabularies of the scenario schema, in the order messages and tables list them.

Belts, zone flags, carbon measures and evaluation indicators.

The model and the optimiser keep their own copies (models.carbon.CARBON_MEASURES,
models.evaluation.INDICATORS, optimize.types.BELTS) so that neither imports sim/;
tests/test_scenario_names.py asserts that each pair agrees.
"""

from __future__ import annotations

from typing import Literal

BELTS = ("yangtze", "canal", "coastal")
"""The three development belts of the plan (沿江 / 沿运河 / 沿海)."""

Belt = Literal["yangtze", "canal", "coastal"]

Flag = Literal["chemical_park", "eco_park", "intl_coop_park"]
"""Zone flags a ban or a relocation may name (columns of zones.csv)."""

CARBON_MEASURES = ("retrofit", "curtailment", "forced_exit")
"""What closes a carbon gap, in the default order of enforcement."""

CarbonMeasure = Literal["retrofit", "curtailment", "forced_exit"]

EVAL_INDICATORS = (
    "tax_per_mu",
    "output_per_mu",
    "va_per_mu",
    "va_per_tce",
    "va_per_tco2",
    "rd_share",
    "va_per_worker",
    "tax_per_kwh",
)
"""Indicators a per-mu evaluation may weigh (evaluation.weights, small_firm_weights)."""
