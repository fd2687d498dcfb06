"""Jiangsu's published history (scenarios/data/jiangsu_history.csv): load and check it.

One row per indicator and year: indicator, unit, year, value, source, note, grade.
Every row carries its source; grade says what it is: `primary` (a government, statistics
bureau or grid-company text, or a near-verbatim repost), `secondary` (a news or summary
page) or `estimate` (derived by the zonesim developers; the derivation is in `source`,
which then starts with "derived"). The back-cast (sim/experiments/backcast.py) holds
the model against these values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.scenario.library import LIBRARY_DIR

HISTORY_FILE = LIBRARY_DIR / "data" / "jiangsu_history.csv"
HISTORY_COLUMNS = ("indicator", "unit", "year", "value", "source", "note", "grade")
GRADES = ("primary", "secondary", "estimate")


class HistoryError(ValueError):
    """The history file breaks one of its rules (the message lists every problem)."""


def check_history(df: pd.DataFrame) -> list[str]:
    """Problems of a history table (empty when it is valid)."""
    problems = []
    missing = [c for c in HISTORY_COLUMNS if c not in df.columns]
    if missing:
        return [f"missing columns {missing}"]
    for i, row in df.iterrows():
        where = f"row {i + 2} ({row['indicator']} {row['year']})"
        if not isinstance(row["source"], str) or not row["source"].strip():
            problems.append(f"{where}: no source")
        if row["grade"] not in GRADES:
            problems.append(f"{where}: grade {row['grade']!r} is not one of {GRADES}")
        derived = isinstance(row["source"], str) and row["source"].startswith("derived")
        if derived != (row["grade"] == "estimate"):
            problems.append(f"{where}: a derived value must be graded estimate, and only it")
        if pd.isna(pd.to_numeric(row["value"], errors="coerce")):
            problems.append(f"{where}: value {row['value']!r} is not a number")
    dup = df.duplicated(["indicator", "year"], keep=False)
    for _, row in df[dup].iterrows():
        problems.append(f"{row['indicator']} {row['year']}: listed twice")
    return problems


def load_history(path: str | Path | None = None) -> pd.DataFrame:
    """The history table, checked (HistoryError lists what is wrong)."""
    p = Path(path) if path is not None else HISTORY_FILE
    df = pd.read_csv(p, dtype={"note": str}, keep_default_na=False, na_values={"value": [""]})
    problems = check_history(df)
    if problems:
        raise HistoryError(f"{p}: " + "; ".join(problems))
    df["value"] = df["value"].astype(float)
    df["year"] = df["year"].astype(int)
    return df


def actual(history: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """The rows of one indicator: year, value, grade, source."""
    rows = history[history["indicator"] == indicator]
    return rows[["year", "value", "grade", "source"]].reset_index(drop=True)
