"""Step 3, per-mu evaluation (亩均效益评价): weighted indicator scores and A/B/C/D classes.

    score_i = 100 · Σ_k w_k · min(ind_ik / bench_gk, cap) / Σ_k w_k
where bench_gk is the benchmark of firm i's group g (zone, city or province, and
optionally the firm's sector within it, 分行业评价): the group's ratio of sums (e.g.
Σ tax / Σ land), the usual way county evaluations set it.
Classes by rank within the group and the configured shares (A best; whole firms per
group by largest remainder over the groups, `class_counts`). Class T (不参评:
firms younger than the exemption age, utilities, exempted sectors) is neither scored
nor ranked, pays no surcharge and never exits as low-efficiency.

Ratings move as results move: each firm's output per mu carries a persistent shock
    u' = ρ·u + σ·η,   output' = output · exp(u' − u) / mean
(`advance_productivity`; the mean, output-weighted, keeps the sector paths), and the
base year starts with a rating history (`burn_in`): Jiangsu's 亩均 evaluation predates
the plan, so in 2020 firms have spent different numbers of years in class D.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from models import pricing
from models.exit import accept, rectified_rows, years_in_d
from models.firms import ACTIVE, CLASS_D, CLASS_T, EXITED, RECTIFYING, FirmTable
from models.inputs import SectorArrays
from models.units import safe_div

if TYPE_CHECKING:
    from models.zone import ZoneTable
    from sim.scenario import Scenario

# indicator -> (numerator column, denominator column)
INDICATORS: dict[str, tuple[str, str]] = {
    "tax_per_mu": ("tax_wan", "land_mu"),
    "output_per_mu": ("output_wan", "land_mu"),
    "va_per_mu": ("va_wan", "land_mu"),
    "va_per_tce": ("va_wan", "energy_tce"),
    "va_per_tco2": ("va_wan", "co2_t"),
    "rd_share": ("rd_wan", "output_wan"),
    "va_per_worker": ("va_wan", "employees"),
    "tax_per_kwh": ("tax_wan", "elec_mwh"),  # small firms' green indicator (单位电耗税收)
}


def evaluate_per_mu(
    numerators: np.ndarray,
    denominators: np.ndarray,
    weights: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    class_shares: np.ndarray,
    score_cap: float,
    cutoffs: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores (0..100·cap) and classes (0=A..3=D) of the evaluated firms.

    numerators, denominators: (n, k) indicator parts; weights: (k,); group: (n,) ints.
    A higher indicator is always better (each is "value per resource"). Classes by rank
    and shares, or, with `cutoffs` (scores for A, B, C, descending), by absolute score.
    """
    n = numerators.shape[0]
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int8)
    ind = safe_div(numerators, denominators)
    bench = np.empty((n_groups, numerators.shape[1]))
    for k in range(numerators.shape[1]):
        num = np.bincount(group, numerators[:, k], minlength=n_groups)
        den = np.bincount(group, denominators[:, k], minlength=n_groups)
        bench[:, k] = safe_div(num, den)
    rel = np.minimum(safe_div(ind, bench[group]), score_cap)
    score = 100.0 * rel @ weights / weights.sum()
    if cutoffs is not None:
        cls = np.full(n, 3, dtype=np.int8)
        for c in (2, 1, 0):
            cls[score >= cutoffs[c]] = c
        return score, cls
    # Rank within group: best first; ties broken by row order, so results are stable.
    order = np.lexsort((np.arange(n), -score, group))
    sizes = np.bincount(group, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    pos = np.arange(n) - starts[group[order]]
    bounds = class_counts(sizes, np.cumsum(class_shares)[:-1])
    cls_sorted = (pos[:, None] >= bounds[group[order]]).sum(axis=1)
    cls = np.empty(n, dtype=np.int8)
    cls[order] = cls_sorted
    return score, cls


def class_counts(sizes: np.ndarray, cum_shares: np.ndarray) -> np.ndarray:
    """(G, C) firms ranked above each class boundary in each group: whole firms.

    Boundary c of group g holds cum_shares[c] · sizes[g] firms, a fraction. Each group
    gets its quota rounded down, and the firms left over (the rounded total less the
    sum of the floors) go to the groups with the largest remainders (largest-remainder
    apportionment; ties to the lower group index). Every group is then within one firm
    of its quota and the total is the configured share of all groups' firms: rounding
    each group on its own would give no D firm to any group under 10 firms (0.05 · n <
    0.5), and a province ranked in many small groups (zones, zone × sector, small firm
    scales) would have too few D firms.
    """
    quota = sizes[:, None] * cum_shares[None, :]
    counts = np.floor(quota + 1e-9)
    rest = quota - counts
    for c in range(quota.shape[1]):
        extra = round(float(quota[:, c].sum() - counts[:, c].sum()))
        if extra > 0:
            top = np.lexsort((np.arange(len(sizes)), -rest[:, c]))[:extra]
            counts[top, c] += 1
    # boundaries never cross (a group of one firm: its A count may round up alone)
    return np.minimum(np.maximum.accumulate(counts, axis=1), sizes[:, None])


def evaluate_firms(
    firms: FirmTable,
    weights: dict[str, float],
    group_of_zone: np.ndarray,
    n_groups: int,
    class_shares: np.ndarray,
    score_cap: float,
    year: int,
    exempt_age_years: int,
    cutoffs: np.ndarray | None = None,
    small_output_wan: float = 0.0,
    small_weights: dict[str, float] | None = None,
    exempt_sector: np.ndarray | None = None,
    n_sectors: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate live firms; return (rows, score, cls) for the live rows.

    Young firms, firms flagged `exempt` (utilities) and firms of sectors marked in
    `exempt_sector` ((S,) bool) get class T and score NaN. Small firms (output below
    `small_output_wan`, 规下) are scored on `small_weights` and ranked among themselves.
    With `n_sectors` > 1 (分行业评价) the groups are (benchmark unit, sector): a firm is
    compared and ranked only with firms of its own sector.
    """
    live = np.flatnonzero(firms.alive())
    age = year - firms.birth_year[live]
    exempt = firms.exempt[live] > 0
    if exempt_sector is not None:
        exempt |= exempt_sector[firms.sector[live]]
    rated = live[(age >= exempt_age_years) & ~exempt]
    score = np.full(len(live), np.nan)
    cls = np.full(len(live), CLASS_T, dtype=np.int8)
    small = (
        firms.output_wan[rated] < small_output_wan if small_weights else np.zeros(len(rated), bool)
    )
    cols = firms.columns()
    for rows, wts in ((rated[~small], weights), (rated[small], small_weights or {})):
        names = [k for k, w in wts.items() if w > 0]
        if len(rows) == 0 or not names:
            continue
        num = np.column_stack([cols[INDICATORS[k][0]][rows] for k in names])
        den = np.column_stack([cols[INDICATORS[k][1]][rows] for k in names])
        w = np.array([wts[k] for k in names])
        score_r, cls_r = evaluate_per_mu(
            num,
            den,
            w,
            group_of_zone[firms.zone[rows]] * n_sectors
            + (firms.sector[rows] if n_sectors > 1 else 0),
            n_groups * n_sectors,
            class_shares,
            score_cap,
            cutoffs,
        )
        pos = np.searchsorted(live, rows)
        score[pos] = score_r
        cls[pos] = cls_r
    return live, score, cls


def benchmark_groups(zones: ZoneTable, unit: str) -> tuple[np.ndarray, int]:
    """Benchmark group of each zone for the evaluation unit, and the number of groups.

    Returns ((Z,) group index, n_groups). Province: one group; city: one per city;
    zone: one per zone.
    """
    if unit == "province":
        return np.zeros(len(zones), dtype=np.int64), 1
    key = zones.city if unit == "city" else zones.zone_id
    _, inv = np.unique(np.array(key), return_inverse=True)
    return inv.astype(np.int64), int(inv.max()) + 1


def rate(
    firms: FirmTable,
    zones: ZoneTable,
    sectors: SectorArrays,
    levers: Scenario,
    year: int,
    firm_scale: float,
) -> None:
    """Evaluate the live firms under the year's `levers.evaluation`, in place.

    Writes score, class, years in class D and status (D: rectifying) into the firm
    table. `firm_scale` is data.firm_scale: a synthetic firm stands for 1 / firm_scale
    real ones, so the small-firm threshold (per real firm) is compared per synthetic
    firm as small_firm_output_wan / firm_scale (万元).
    """
    ev = levers.evaluation
    group, n_groups = benchmark_groups(zones, ev.benchmark)
    n_sectors = len(sectors.names) if ev.within_sector else 1
    shares = np.array([ev.class_shares.A, ev.class_shares.B, ev.class_shares.C, ev.class_shares.D])
    cutoffs = (
        None
        if ev.class_cutoffs is None
        else np.array([ev.class_cutoffs.A, ev.class_cutoffs.B, ev.class_cutoffs.C])
    )
    rows, score, cls = evaluate_firms(
        firms,
        ev.weights,
        group,
        n_groups,
        shares,
        ev.score_cap,
        year,
        ev.exempt_age_years,
        cutoffs,
        ev.small_firm_output_wan / firm_scale,
        ev.small_firm_weights,
        np.isin(np.array(sectors.names), ev.exempt_sectors),
        n_sectors,
    )
    firms.score[rows] = score
    firms.cls[rows] = cls
    firms.years_in_d[rows] = years_in_d(firms.years_in_d[rows], cls)
    firms.status[rows] = np.where(cls == CLASS_D, RECTIFYING, ACTIVE)


def productivity_step(
    u: np.ndarray, persistence: float, shock_sd: float, draws: np.ndarray
) -> np.ndarray:
    """Next year's log productivity deviation: u' = ρ·u + σ·η (η: standard normal draws)."""
    return persistence * u + shock_sd * draws


def stationary_sd(persistence: float, shock_sd: float) -> float:
    """Standard deviation of the AR(1)'s stationary distribution: σ / sqrt(1 − ρ²)."""
    return shock_sd / float(np.sqrt(max(1.0 - persistence * persistence, 1e-9)))


def advance_productivity(
    firms: FirmTable,
    persistence: float,
    shock_sd: float,
    rng: np.random.Generator,
    ceiling_wan: np.ndarray | None = None,
) -> None:
    """Move every live firm's productivity one year and scale its output, in place.

        u' = ρ·u + σ·η;   output' = output · exp(u' − u) / m
    with m the output-weighted mean of exp(u' − u) over the moved firms, so that the
    province's output is unchanged by the shocks (growth comes from step 1's drivers).
    `ceiling_wan` (by firm row) is the most output a shock may give a firm (production's
    density ceiling, less this year's growth): output a shock would put above it goes to
    the other moved firms pro rata, so shocks move output between firms and never
    destroy it (production's one-sided ceiling would otherwise cut the upper tail).
    Ramping new projects and idle projects keep their output (their u still moves).
    One draw per row of the firm table, so the stream does not depend on who exited.
    """
    draws = rng.standard_normal(len(firms))
    live = np.flatnonzero(firms.alive())
    if len(live) == 0 or shock_sd <= 0:
        return
    old = firms.productivity[live]
    new = productivity_step(old, persistence, shock_sd, draws[live])
    firms.productivity[live] = new
    moved = live[(firms.capacity_output_wan[live] == 0) & (firms.idle_until[live] == 0)]
    if len(moved) == 0:
        return
    factor = np.exp(firms.productivity[moved] - old[np.searchsorted(live, moved)])
    out = firms.output_wan[moved]
    total = out.sum()
    if total <= 0:
        return
    shocked = out * factor * (total / (out * factor).sum())
    if ceiling_wan is not None:
        shocked = _within_ceiling(shocked, np.maximum(ceiling_wan[moved], out))
    firms.output_wan[moved] = shocked


def _within_ceiling(out: np.ndarray, ceiling: np.ndarray, rounds: int = 50) -> np.ndarray:
    """Cap `out` at `ceiling`, spreading the excess pro rata over the values below theirs.

    The total stays the same while there is room under the ceilings.
    """
    out = out.copy()
    for _ in range(rounds):
        over = out > ceiling
        if not over.any():
            break
        excess = float((out[over] - ceiling[over]).sum())
        out[over] = ceiling[over]
        room = out < ceiling
        base = float(out[room].sum())
        if base <= 0:
            break
        out[room] *= 1.0 + excess / base
    return np.minimum(out, ceiling)


def burn_in(
    firms: FirmTable,
    zones: ZoneTable,
    sectors: SectorArrays,
    levers: Scenario,
    year: int,
    firm_scale: float,
    rng: np.random.Generator,
) -> None:
    """Rate the base-year firms in `evaluation.history_years` earlier years, in place.

    Each firm's productivity path is drawn backwards from a stationary start
    (u_{−K} ~ N(0, σ²/(1 − ρ²)), then K steps of the AR(1) to the base year), its
    earlier output is output_base · exp(u_t − u_base) (accounts scale with it; sector
    growth is ignored), and it is rated in each earlier year as `rate` would, counting
    consecutive D ratings; after each rating its D firms rectify as in `exit.rectify`
    (that year's surcharges and margins; an accepted rectification restarts the count;
    the land given back is not modelled before the base year). Firms in the base year
    are survivors: a firm rated D in as many consecutive years as the rectification
    window would already have left unless its rectification was accepted, so a firm
    that is in the base-year data and reached the window restarts its count. Writes
    years_in_d and productivity (u_base).
    """
    k = int(levers.evaluation.history_years)
    eco = levers.economy
    rho, sd = eco.productivity_persistence, eco.productivity_shock_sd
    n = len(firms)
    u = rng.normal(0.0, stationary_sd(rho, sd), size=n) if sd > 0 else np.zeros(n)
    path = [u]
    for _ in range(k):
        u = productivity_step(u, rho, sd, rng.standard_normal(n))
        path.append(u)
    firms.productivity[:] = path[-1]
    if k == 0:
        return
    window = int(levers.exit.rectification_years)
    past = firms.copy()
    base = firms.columns()
    count = np.zeros(n, dtype=firms.years_in_d.dtype)
    for t, u_t in enumerate(path[:-1]):
        scale = np.exp(u_t - path[-1])
        for col in ("output_wan", "va_wan", "tax_wan", "rd_wan", "energy_tce", "elec_mwh", "co2_t"):
            getattr(past, col)[:] = base[col] * scale
        past.years_in_d[:] = count
        rate(past, zones, sectors, levers, year - k + t, firm_scale)
        pricing.price(past, sectors, levers)
        accept(past.years_in_d, rectified_rows(past, levers, rng.random(n)))
        # a survivor that reached the window had its rectification accepted (else it
        # would have left before the base year): its count restarts
        count = np.where(past.years_in_d >= window, 0, past.years_in_d).astype(count.dtype)
    alive = firms.status != EXITED
    firms.years_in_d[alive] = count[alive]


def rectify_base_year(firms: FirmTable, levers: Scenario, rng: np.random.Generator) -> None:
    """Let the base year's D firms rectify, as every later year's do after their rating.

    In each simulated year the D firms of that year's rating rectify (`exit.rectify`)
    before the next rating; the base year is rated at set-up, so without this its D
    firms met their next rating with no chance to rectify, and every D firm of 2020
    counted one rating closer to exit than a later year's: 2021-22 exits were twice
    the later years' (271 and 270 at full scale, capped by recovery capacity, against
    60-140). As in `burn_in`, the land a rectification gives back before the first
    simulated year is not modelled; the count restarts (`accept`).
    """
    accept(firms.years_in_d, rectified_rows(firms, levers, rng.random(len(firms))))
