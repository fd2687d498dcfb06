"""Step 6, reclamation (盘活存量): each zone revitalises a share of its recovered stock.

    r_z = min(rate · stock_z,  budget_z / cost_per_mu),  budget_z = B · stock_z / Σ stock
Revitalised land becomes ready land. No budget (None) means the rate alone limits.
"""

from __future__ import annotations

import numpy as np


def revitalise(
    stock_mu: np.ndarray,
    rate: float,
    budget_wan: float | None,
    cost_wan_per_mu: float,
) -> np.ndarray:
    """Mu revitalised in each zone this year."""
    want = rate * stock_mu
    if budget_wan is None or cost_wan_per_mu <= 0:
        return want
    total = stock_mu.sum()
    if total <= 0:
        return np.zeros_like(stock_mu)
    afford = budget_wan * stock_mu / total / cost_wan_per_mu
    return np.minimum(want, afford)
