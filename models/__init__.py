"""zonesim: the Mesa model of zones and firms (one module per yearly process).

`models.ProvinceModel` is the mesa.Model; the process modules are pure functions of
arrays that it applies in the order of DESIGN §3.
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
