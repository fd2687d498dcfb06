"""The abatement cost tiers (issue 13): scenarios/data/abatement_tiers.csv, checked.

One row per sector × retrofit cost tier: the cost per t CO2 abated (元/t, a marginal
abatement cost curve from published Chinese figures or labelled estimates) and the
share of the sector's CO2 the tier can abate in a year. Sources are in the file's
`source`/`note` columns and in scenarios/data/sources.csv. models/abatement.py turns
the tiers into the optimiser's abatement columns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TIER_COLUMNS = ("sector", "measure", "tier", "cost_yuan_per_t", "share_of_co2_per_year")
MEASURES = ("retrofit",)


def load_abatement_tiers(path: str | Path, sectors: pd.DataFrame) -> pd.DataFrame:
    """The tier table, checked: every sector of `sectors` has the same tiers 1..K.

    Raises ValueError naming the file, the line and what is allowed.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as exc:
        raise ValueError(f"{path}: cannot be read ({exc})") from None
    missing = [c for c in TIER_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: lacks columns {missing}; needs {list(TIER_COLUMNS)}")
    problems: list[str] = []
    for i, row in df.iterrows():
        line = int(str(i)) + 2
        if row["measure"] not in MEASURES:
            problems.append(f"line {line}: measure {row['measure']!r}; allowed: {MEASURES}")
        if not float(row["cost_yuan_per_t"]) >= 0:
            problems.append(f"line {line}: cost_yuan_per_t must be >= 0")
        if not 0 <= float(row["share_of_co2_per_year"]) <= 1:
            problems.append(f"line {line}: share_of_co2_per_year must be a share (0..1)")
    known = set(sectors["sector"])
    unknown = sorted(set(df["sector"]) - known)
    if unknown:
        problems.append(f"unknown sectors {unknown}; allowed: the sectors of sectors.csv")
    tiers = sorted(set(df["tier"].astype(int)))
    for s in sectors["sector"]:
        have = sorted(df.loc[df["sector"] == s, "tier"].astype(int))
        if have != tiers:
            problems.append(f"sector {s}: tiers {have}, expected {tiers} like the others")
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems[:5]))
    totals = df.groupby("sector")["share_of_co2_per_year"].sum()
    if (totals > 1).any():
        raise ValueError(f"{path}: the tiers of {list(totals[totals > 1].index)} add up to "
                         "more than the sector's CO2")
    out = df.loc[:, list(TIER_COLUMNS)].copy()
    out["tier"] = out["tier"].astype(int)
    return out.sort_values(["measure", "tier", "sector"]).reset_index(drop=True)
