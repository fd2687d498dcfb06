"""Benchmark of the yearly allocation (DESIGN.md §9): build and solve time per year.

`bench_allocate()` solves `years` years of one random province-sized instance (same
structure every year, numbers drifting), so year 1 pays for declaring the Pyomo model
and later years only update parameters. Target: build + solve ≤ 0.15 s per year with
GLPK on 158 zones × 18 sectors.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import numpy as np

from optimize.allocate import allocate
from optimize.glpk import find_glpsol
from optimize.model import clear_cache
from optimize.snapshot import Snapshot, SolveOptions
from optimize.types import BELTS

logger = logging.getLogger(__name__)

TARGET_SECONDS_PER_YEAR = 0.15


def random_snapshot(
    rng: np.random.Generator,
    n_zones: int = 158,
    n_sectors: int = 18,
    year: int = 2021,
    *,
    projects: bool = False,
    abatement: bool = False,
) -> Snapshot:
    """A random but plausible province-sized year with every kind of constraint present.

    `projects` draws project sizes (for `SolveOptions(projects=True)`); `abatement` adds
    the model's 8 abatement measure-tiers per zone (`random_abatement`), as the model's
    capped years have them.
    """
    belts = sorted(BELTS)
    zone_belts = []
    for _ in range(n_zones):
        first = belts[int(rng.integers(len(belts)))]
        # About one zone in ten sits in two belts, like Nantong's.
        second = belts[int(rng.integers(len(belts)))] if rng.random() < 0.1 else first
        zone_belts.append(frozenset({first, second}))
    va = rng.uniform(20.0, 400.0, (n_zones, n_sectors))
    co2 = rng.uniform(0.0, 30.0, (n_zones, n_sectors))
    allowed = rng.random((n_zones, n_sectors)) < 0.9
    link = rng.uniform(50.0, 800.0, n_zones)
    link[rng.random(n_zones) < 0.2] = np.inf
    existing_co2 = 3.0e8
    existing_va = 1.0e9
    return Snapshot(
        year=year,
        zone_ids=tuple(f"Z{i:03d}" for i in range(n_zones)),
        sectors=tuple(f"S{j:02d}" for j in range(n_sectors)),
        zone_belts=tuple(zone_belts),
        va_per_mu=va,
        co2_per_mu=co2,
        allowed=allowed,
        ready_mu=rng.uniform(0.0, 300.0, n_zones),
        link_cap_mu=link,
        space_mu=rng.uniform(100.0, 3000.0, n_zones),
        province_quota_mu=20_000.0,
        existing_co2_t=existing_co2,
        existing_va_wan=existing_va,
        total_cap_t=existing_co2 + 2.0e5,
        intensity_cap_t_per_wan=existing_co2 / existing_va * 1.01,
        carbon_price_wan_per_t=0.005,
        min_share_by_belt={"coastal": 0.25},
        max_zone_share=0.05,
        project_size_mu=rng.uniform(20.0, 200.0, n_sectors) if projects else None,
        **(random_abatement(rng, n_zones, existing_co2) if abatement else {}),
    )


ABATEMENT_TIERS = (
    "retrofit_1",
    "retrofit_2",
    "retrofit_3",
    "green_power",
    "curtailment_1",
    "curtailment_2",
    "forced_exit_1",
    "forced_exit_2",
)
"""The measure-tiers of the model's abatement columns (models/abatement.py), as benched."""


def random_abatement(
    rng: np.random.Generator, n_zones: int, existing_co2_t: float
) -> dict[str, Any]:
    """Random abatement columns like the model's: 8 measure-tiers per zone.

    Each tier can abate 0.5-3 % of the zone's equal share of `existing_co2_t`; before a
    ±30 % noise, retrofits and green power cost 50-1,000 元/t, curtailment and forced exit
    1,000-6,000 元/t (in the columns as 万元/t, with the VA lost of curtailment and exit).
    """
    nj = len(ABATEMENT_TIERS)
    per_zone = existing_co2_t / n_zones
    cost = np.array([0.005, 0.03, 0.1, 0.007, 0.15, 0.6, 0.1, 0.5])
    lost = np.array([0, 0, 0, 0, 1, 1, 1, 1.0]) * cost
    noise = rng.uniform(0.7, 1.3, (n_zones, nj))
    return {
        "abatement_measures": ABATEMENT_TIERS,
        "abatement_max_t": per_zone * rng.uniform(0.005, 0.03, (n_zones, nj)),
        "abatement_cost_wan_per_t": cost * noise,
        "abatement_va_lost_wan_per_t": lost * noise,
    }


def bench_allocate(
    n_zones: int = 158, n_sectors: int = 18, years: int = 5, seed: int = 0, solver: str = "glpk"
) -> dict[str, Any]:
    """Solve `years` years of a random instance; per-year build and solve seconds.

    Returns a dict with the instance size, the solver and its version, per-year lists
    `build_seconds` (model update + LP file), `solve_seconds` (solver + reading the
    solution) and `total_seconds` (wall clock of `allocate`), the stage lists
    `model_seconds` (declare or update), `write_seconds` (LP file), `solver_seconds`
    (glpsol process) and `read_seconds`, then `warm_mean_seconds` and
    `warm_median_seconds` (years after the first), the target and whether it is met.
    """
    clear_cache()
    rng = np.random.default_rng(seed)
    base = random_snapshot(rng, n_zones, n_sectors, abatement=True)
    options = SolveOptions(solver=solver)  # type: ignore[arg-type]
    out: dict[str, Any] = {
        "n_zones": n_zones,
        "n_sectors": n_sectors,
        "n_pairs": int(base.allowed.sum()),
        "solver": solver,
        "solver_version": _solver_version(solver),
        "years": [],
        "status": [],
        "build_seconds": [],
        "solve_seconds": [],
        "total_seconds": [],
        "model_seconds": [],
        "write_seconds": [],
        "solver_seconds": [],
        "read_seconds": [],
    }
    for t in range(years):
        growth = 1.05**t
        snap = dataclasses.replace(
            base,
            year=base.year + t,
            va_per_mu=base.va_per_mu * growth,
            ready_mu=base.ready_mu * (1.0 + 0.1 * t),
            province_quota_mu=(base.province_quota_mu or 0.0) * growth,
            total_cap_t=(base.total_cap_t or 0.0) + 1.0e4 * t,
        )
        t0 = time.perf_counter()
        alloc = allocate(snap, options)
        wall = time.perf_counter() - t0
        out["years"].append(snap.year)
        out["status"].append(alloc.status.value)
        out["build_seconds"].append(alloc.build_seconds)
        out["solve_seconds"].append(alloc.solve_seconds)
        out["total_seconds"].append(wall)
        for stage in ("model", "write", "solver", "read"):
            out[f"{stage}_seconds"].append(alloc.timings.get(stage, 0.0))
    warm = out["total_seconds"][1:] or out["total_seconds"]
    out["warm_mean_seconds"] = float(np.mean(warm))
    out["warm_median_seconds"] = float(np.median(warm))
    out["target_seconds"] = TARGET_SECONDS_PER_YEAR
    out["target_met"] = bool(out["warm_mean_seconds"] <= TARGET_SECONDS_PER_YEAR)
    logger.info(
        "allocate bench: %d×%d, warm mean %.3f s/year (target %.2f s)",
        n_zones,
        n_sectors,
        out["warm_mean_seconds"],
        TARGET_SECONDS_PER_YEAR,
    )
    return out


def _solver_version(solver: str) -> str:
    if solver == "highs":
        from importlib.metadata import version

        return f"highspy {version('highspy')}"
    glpsol = find_glpsol()
    return f"GLPK {glpsol.version} ({glpsol.executable})"
