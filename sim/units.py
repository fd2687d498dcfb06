"""Unit factors of sim/'s tables and messages (DESIGN §2): money in 万元 (10^4 yuan) and
亿元 (10^8 yuan), CO2 in t and Mt, land in mu and 万亩."""

from __future__ import annotations

WAN_PER_YI = 1e4
"""万元 per 亿元: 1 亿元 = 10^4 万元."""

T_PER_MT = 1e6
"""Tonnes per megatonne."""

MU_PER_WANMU = 1e4
"""Mu per 万亩."""

PERSONS_PER_WAN = 1e4
"""Persons per 万人 (employment in 万人)."""
