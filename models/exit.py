"""Step 5, low-efficiency exit (低效退出).

Mandatory mode: a firm that stays in class D longer than the rectification window
exits. Market mode: each firm exits with hazard
    h = [class D] · h_base + slope · (surcharge / output + max(0, −margin)),
i.e. rising with the margin it loses. Exited land goes to the zone's stock pool
after the recovery lag (the model books it).
"""

from __future__ import annotations

import numpy as np

from models.firms import CLASS_D, CLASS_T


def years_in_d(prev_years: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """Consecutive years in class D, counting this one."""
    return np.where(cls == CLASS_D, prev_years + 1, 0).astype(prev_years.dtype)


def mandatory_exits(years_d: np.ndarray, rectification_years: int) -> np.ndarray:
    """Mask of firms that stayed D past the rectification window."""
    return years_d > rectification_years


def market_exits(
    cls: np.ndarray,
    margin: np.ndarray,
    surcharge_wan: np.ndarray,
    output_wan: np.ndarray,
    hazard_base: float,
    hazard_slope: float,
    draws: np.ndarray,
) -> np.ndarray:
    """Mask of firms that exit under market pressure (draws: uniform [0, 1) per firm).
    Class T (not evaluated: young firms, utilities) is never a low-efficiency exit."""
    loss = np.divide(
        surcharge_wan, output_wan, out=np.zeros_like(surcharge_wan), where=output_wan > 0
    )
    hazard = (cls == CLASS_D) * hazard_base + hazard_slope * (loss + np.maximum(0.0, -margin))
    return (cls != CLASS_T) & (draws < np.clip(hazard, 0.0, 1.0))
