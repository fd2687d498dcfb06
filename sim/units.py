"""Unit factors used by sim/'s tables and messages: defined once, in models/units.py."""

from __future__ import annotations

from models.units import MU_PER_WANMU, PERSONS_PER_WAN, T_PER_MT, WAN_PER_YI

__all__ = ["MU_PER_WANMU", "PERSONS_PER_WAN", "T_PER_MT", "WAN_PER_YI"]
