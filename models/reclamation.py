"""Step 6, reclamation (盘活存量): each zone revitalises a share of its recovered stock.

    r_z = min(rate · stock_z,  budget_z / cost_per_mu),  budget_z = B · stock_z / Σ stock
Revitalised land becomes ready land. No budget (None) means the rate alone limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from models.zone import ZoneTable
    from sim.scenario import Scenario


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


def reclaim(zones: ZoneTable, year: int, levers: Scenario) -> None:
    """Run the year's reclamation in the zone table, in place.

    Idle land past its recovery lag joins the recovered stock, then each zone
    revitalises its share (revitalise, with the year's land.reclamation_rate and
    land.reclamation_budget_wan), which moves from the stock to ready land at
    land.reclamation_cost_wan_per_mu; the flows land_recovered_mu, land_revitalised_mu
    and spent_reclamation_wan record it.
    """
    land = levers.land
    cost = land.reclamation_cost_wan_per_mu
    zones.flows["land_recovered_mu"] += zones.recover_due(year)
    r = revitalise(
        zones.stock_recovered_mu.copy(), land.reclamation_rate, land.reclamation_budget_wan, cost
    )
    zones.stock_recovered_mu -= r
    zones.ready_mu += r
    zones.spent_reclamation_wan += r * cost
    zones.flows["land_revitalised_mu"] += r
    zones.flows["spent_reclamation_wan"] += r * cost
