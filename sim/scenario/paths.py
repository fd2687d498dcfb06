"""Time paths: a lever given as a number or as {year: value}, and its value in a year.

A {year: value} path is interpolated linearly between the given years and held flat
outside them; None means no limit.

`resolve` turns a whole scenario into its values in one year (`Scenario.at(year)`).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

TimePath = float | dict[int, float]
"""A number, or {year: number} interpolated linearly and held flat outside."""

LimitPath = float | dict[int, float | None]
"""A limit that may be absent in some years: {2022: null, 2023: 368} means no limit
up to 2022, then 368 (interpolated towards the next number, flat after the last)."""


def path_value(path: Any, year: int) -> float | None:
    """Value of a time path in `year`.

    A number, or {year: value} interpolated linearly between given years and held flat
    outside them: v(y) = v0 + (v1 − v0)·(y − y0)/(y1 − y0) for y0 ≤ y < y1. None means no
    limit: as the whole path, or as a year's value (no limit from that year until the
    next given year).
    """
    if path is None:
        return None
    if not isinstance(path, dict):
        return float(path)
    years = sorted(path)
    before = [y for y in years if y <= year]
    if not before:  # before the first given year: its value, flat
        first = path[years[0]]
        return None if first is None else float(first)
    y0 = before[-1]
    v0 = path[y0]
    if v0 is None:
        return None
    after = [y for y in years if y > year]
    if not after or path[after[0]] is None:
        return float(v0)
    y1 = after[0]
    w = (year - y0) / (y1 - y0)
    return float(v0 * (1 - w) + path[y1] * w)


def check_path(
    value: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    positive: bool = False,
    allowed: str = "",
) -> Any:
    """Range-check every number of a time path (a scalar or {year: value}).

    Each number must be finite and lie in [lo, hi] (above lo, not equal, if `positive`);
    a mapping needs at least one year, every year in 1990-2100. `allowed` (what the
    lever takes, in words) ends a message. Returns `value`; raises ValueError.
    """
    values = value.values() if isinstance(value, dict) else [value]
    tail = f"; allowed: {allowed}" if allowed else ""
    for v in values:
        if v is None:
            continue
        if not math.isfinite(v):
            raise ValueError(f"{v} is not a finite number{tail}")
        if positive and lo is not None and v <= lo:
            raise ValueError(f"{v} must be above {lo}{tail}")
        if lo is not None and v < lo:
            raise ValueError(f"{v} is below the allowed minimum {lo}{tail}")
        if hi is not None and v > hi:
            raise ValueError(f"{v} is above the allowed maximum {hi}{tail}")
    if isinstance(value, dict):
        if not value:
            raise ValueError("a {year: value} path needs at least one year")
        for y in value:
            if not 1990 <= y <= 2100:
                raise ValueError(f"year {y} is outside 1990-2100")
    return value


def knot_years(*paths: Any) -> list[int | None]:
    """The years at which a sum or order of several paths must be checked.

    Every year any of them gives (between those years each path is linear, so a check
    at the knots covers every year); [None] if all are plain numbers.
    """
    years = sorted({y for p in paths if isinstance(p, dict) for y in p})
    return years or [None]


def value_at(path: Any, year: int | None) -> float:
    """A path's value in `year` as a float (any year for a plain number: `year` None)."""
    return float(path_value(path, year if year is not None else 0))


def resolve(node: Any, year: int) -> Any:
    """`node` with every {year: value} path replaced by its value in `year`.

    Sub-models are rebuilt unvalidated (their values passed validation as paths); a path
    of whole numbers gives the interpolated value rounded to the nearest whole number
    (⌊v + 0.5⌋).
    """
    if isinstance(node, BaseModel):
        values = {name: resolve(getattr(node, name), year) for name in type(node).model_fields}
        return type(node).model_construct(**values)
    if isinstance(node, dict):
        if node and all(isinstance(k, int) for k in node):
            v = path_value(node, year)
            whole = all(isinstance(x, int) for x in node.values() if x is not None)
            return v if v is None or not whole else math.floor(v + 0.5)
        return {k: resolve(v, year) for k, v in node.items()}
    if isinstance(node, tuple):
        return tuple(resolve(v, year) for v in node)
    return node
