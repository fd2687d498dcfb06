"""zonesim: the Mesa model of zones and firms (one module per yearly process).

`models.ProvinceModel` is the mesa.Model. It keeps the firms in a column store
(models.firms.FirmTable) and the zones in another (models.zone.ZoneTable, whose rows
the Zone agents view), and applies the processes in the order of DESIGN §3. Each
process module holds its policy as functions of arrays that return what they decide
(e.g. evaluation.evaluate_per_mu, exit.market_exits, carbon.enforce); the functions
that apply a decision change the firm and zone tables in place, and their docstrings
say so (e.g. production.produce, exit.close_firms, carbon.apply_pass,
integration.merge). The year's levers come from `scenario.at(year)` only.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["ModelInputs", "ProvinceModel"]
_EXPORTS = {"ProvinceModel": "models.province", "ModelInputs": "models.inputs"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'models' has no attribute {name!r}")
