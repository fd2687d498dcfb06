"""Step 10, dual carbon control (双控): total cap and intensity target, enforced in order.

With E the zones' CO2 and VA their value added this year, the gaps are
    gap_total = max(0, E − Cap_t),   gap_intensity = max(0, E − I_t · VA).
Measures, in the configured order, each taking firms from the most carbon-intensive
(t CO2 per 万元 VA) down until both gaps close:
    retrofit     cut a firm's energy intensity by up to `retrofit_max_share` (cost per t);
    curtailment  有序用电: cut this year's output of C/D firms by up to `curtailment_max_share`;
    forced_exit  close the most carbon-intensive D firms.
A firm cut by a fraction f lowers E by f·co2 and, when it loses output, VA by f·va, so it
closes the intensity gap by f·(co2 − I·va). What no measure can close is the carbon gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.firms import CLASS_C, CLASS_D

# The enforcement measures, in their default order; each has a column of the tonnes it
# removed and one of what it cost in province.parquet (carbon_<x>_<measure>_<unit>).
CARBON_MEASURES = ("retrofit", "curtailment", "forced_exit")
CARBON_MEASURE_COLS = (("cut", "t"), ("cost", "wan"))


def gaps(
    co2_t: float, va_wan: float, cap_t: float | None, intensity_t_per_wan: float | None
) -> tuple[float, float]:
    """(gap to the total cap, gap to the intensity target) in t CO2; 0 when met or absent,
    or when below 10^-9 of the emissions (the rounding left by the measures' sums)."""
    tol = 1e-9 * max(abs(co2_t), 1.0)
    g_total = 0.0 if cap_t is None else co2_t - cap_t
    g_int = 0.0 if intensity_t_per_wan is None else co2_t - intensity_t_per_wan * va_wan
    return (g_total if g_total > tol else 0.0), (g_int if g_int > tol else 0.0)


def take_prefix(
    gain_total: np.ndarray, gain_int: np.ndarray, need_total: float, need_int: float, whole: bool
) -> np.ndarray:
    """Fraction (0..1) of each candidate's full measure to apply, candidates in priority
    order, so that the cumulative gains reach both needs with the shortest prefix.
    `whole` rounds the last one up (a firm closes or it does not)."""
    take = np.zeros(len(gain_total))
    if len(take) == 0 or (need_total <= 0 and need_int <= 0):
        return take
    cum_t, cum_i = np.cumsum(gain_total), np.cumsum(gain_int)
    k_t = np.searchsorted(cum_t, need_total) if need_total > 0 else -1
    k_i = np.searchsorted(cum_i, need_int) if need_int > 0 else -1
    k = max(k_t, k_i)
    if k >= len(take):  # every candidate in full is not enough
        take[:] = 1.0
        return take
    take[:k] = 1.0
    prev_t = cum_t[k - 1] if k > 0 else 0.0
    prev_i = cum_i[k - 1] if k > 0 else 0.0
    part = 0.0
    if need_total > prev_t and gain_total[k] > 0:
        part = max(part, (need_total - prev_t) / gain_total[k])
    if need_int > prev_i and gain_int[k] > 0:
        part = max(part, (need_int - prev_i) / gain_int[k])
    take[k] = 1.0 if whole else min(1.0, part)
    return take


@dataclass
class CarbonActions:
    """What enforcement does to firms (indices into the firm table) and what it achieved."""

    gap_before_t: float = 0.0
    retrofit_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    retrofit_share: np.ndarray = field(default_factory=lambda: np.zeros(0))
    curtail_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    curtail_share: np.ndarray = field(default_factory=lambda: np.zeros(0))
    exit_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    removed_t: dict[str, float] = field(default_factory=dict)
    cost_wan: dict[str, float] = field(default_factory=dict)
    gap_after_t: float = 0.0


def enforce(
    rows: np.ndarray,
    co2_t: np.ndarray,
    va_wan: np.ndarray,
    cls: np.ndarray,
    cap_t: float | None,
    intensity_t_per_wan: float | None,
    order: tuple[str, ...],
    retrofit_max_share: float | np.ndarray,
    retrofit_cost_wan_per_t: float,
    curtailment_max_share: float | np.ndarray,
) -> CarbonActions:
    """Plan enforcement for the live firms `rows` (arrays aligned with rows). The most
    shares may be one number or one per row (what a firm has left of its yearly limit
    after earlier passes). Each measure is listed at most once in `order`."""
    co2_t, va_wan = co2_t.astype(np.float64), va_wan.astype(np.float64)  # copies we update
    r_max = np.broadcast_to(np.asarray(retrofit_max_share, dtype=np.float64), co2_t.shape)
    c_max = np.broadcast_to(np.asarray(curtailment_max_share, dtype=np.float64), co2_t.shape)
    E, VA = float(co2_t.sum()), float(va_wan.sum())
    g_t, g_i = gaps(E, VA, cap_t, intensity_t_per_wan)
    acts = CarbonActions(gap_before_t=max(g_t, g_i))
    target = intensity_t_per_wan or 0.0
    for measure in order:
        if g_t <= 0 and g_i <= 0:
            break
        # intensities as they stand after the measures before this one
        inten = np.divide(co2_t, va_wan, out=np.zeros_like(co2_t), where=va_wan > 0)
        by_intensity = np.argsort(-inten, kind="stable")
        if measure == "retrofit":
            cand = by_intensity
            gain = co2_t[cand] * r_max[cand]
            take = take_prefix(gain, gain, g_t, g_i, whole=False)
            used = take * r_max[cand] > 0
            acts.retrofit_rows = rows[cand[used]]
            acts.retrofit_share = take[used] * r_max[cand[used]]
            cut = float((gain * take).sum())
            co2_t[cand] -= gain * take
            acts.removed_t[measure] = cut
            acts.cost_wan[measure] = cut * retrofit_cost_wan_per_t
            E -= cut
        else:
            allowed = (
                (cls == CLASS_D)
                if measure == "forced_exit"
                else (cls == CLASS_C) | (cls == CLASS_D)
            )
            allowed &= co2_t > 0  # a firm that emits nothing closes no gap
            if g_i > 0:
                allowed &= inten > target
            cand = by_intensity[allowed[by_intensity]]
            share = 1.0 if measure == "forced_exit" else c_max[cand]
            gain_t = co2_t[cand] * share
            gain_i = (co2_t[cand] - target * va_wan[cand]) * share
            take = take_prefix(gain_t, gain_i, g_t, g_i, whole=measure == "forced_exit")
            used = take * share > 0
            cut = float((gain_t * take).sum())
            lost_va = float((va_wan[cand] * share * take).sum())
            co2_t[cand] *= 1.0 - share * take
            va_wan[cand] *= 1.0 - share * take
            if measure == "forced_exit":
                acts.exit_rows = rows[cand[used]]
            else:
                acts.curtail_rows = rows[cand[used]]
                acts.curtail_share = (take * share)[used]
            acts.removed_t[measure] = cut
            acts.cost_wan[measure] = lost_va
            E -= cut
            VA -= lost_va
        g_t, g_i = gaps(E, VA, cap_t, intensity_t_per_wan)
    acts.gap_after_t = max(g_t, g_i)
    return acts
