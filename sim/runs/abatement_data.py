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

from sim.runs.checks import ABATEMENT, Problems, check_table

TIER_COLUMNS = ("sector", "measure", "tier", "cost_yuan_per_t", "share_of_co2_per_year")


def check_abatement_tiers(path: Path, sectors: pd.DataFrame) -> pd.DataFrame:
    """Read and check the tier table; return it sorted by measure, tier and sector.

    Every cell is checked against `checks.ABATEMENT` (finite costs, shares in 0..1, known
    sectors); across rows every sector has the same tiers 1..K of each measure and its
    tiers together abate at most the sector's CO2. Raises DataError naming the file,
    lines and columns.
    """
    df, lines = check_table(path, ABATEMENT, refs={"sector": sectors["sector"]})
    problems = Problems()
    df["tier"] = df["tier"].astype(int)
    for measure, rows in df.groupby("measure"):
        tiers = sorted(set(rows["tier"]))
        for sector in sectors["sector"]:
            have = sorted(rows.loc[rows["sector"] == sector, "tier"])
            if have != tiers:
                line = int(lines[rows.index[0]])
                problems.add(
                    f"line {line}, column tier: sector {sector!r}, measure {measure!r} has "
                    f"tiers {have}; allowed: the same tiers as every other sector, {tiers}",
                    line,
                )
    totals = df.groupby(["sector", "measure"])["share_of_co2_per_year"].sum()
    for (sector, measure), total in totals[totals > 1.0].items():
        line = int(lines[df.index[(df["sector"] == sector) & (df["measure"] == measure)][0]])
        problems.add(
            f"line {line}, column share_of_co2_per_year: the {measure} tiers of {sector!r} "
            f"add up to {total:g}; allowed: at most 1 (the sector's CO2)",
            line,
        )
    problems.raise_for(path)
    out = df.loc[:, list(TIER_COLUMNS)].copy()
    return out.sort_values(["measure", "tier", "sector"]).reset_index(drop=True)
