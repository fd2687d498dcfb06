"""Step 7, quota linking (增存挂钩): new construction land a zone may receive.

    cap_z = base_share · Q · built_z / Σ built  +  link_ratio · revitalised_z(t−1)
With no provincial quota (Q = None) the base term is unlimited (cap = ∞).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from models.firms import FirmTable

if TYPE_CHECKING:
    from models.zone import ZoneTable
    from sim.scenario import Scenario


def link_caps(
    built: np.ndarray,
    revitalised_last_mu: np.ndarray,
    province_quota_mu: float | None,
    base_share: float,
    link_ratio: float,
) -> np.ndarray:
    """Most new construction land each zone may receive this year (mu)."""
    if province_quota_mu is None:
        return np.full(built.shape, np.inf)
    total = built.sum()
    share = built / total if total > 0 else np.full(built.shape, 1.0 / len(built))
    return base_share * province_quota_mu * share + link_ratio * revitalised_last_mu


def built_mu(firms: FirmTable, n_zones: int) -> np.ndarray:
    """(Z,) land of each zone's live firms (mu)."""
    live = firms.alive()
    return np.bincount(firms.zone[live], firms.land_mu[live], minlength=n_zones)


def link_quota(firms: FirmTable, zones: ZoneTable, levers: Scenario) -> np.ndarray:
    """This year's caps: link_caps with the year's land levers.

    From each zone's built land (its live firms') and last year's revitalisation; then,
    in place in the zone table, this year's revitalisation becomes next year's
    `revitalised_last_mu`, and the cap is recorded in the land_link_cap_mu flow (NaN
    where unlimited).
    """
    land = levers.land
    caps = link_caps(
        built_mu(firms, len(zones)),
        zones.revitalised_last_mu.copy(),
        land.new_quota_mu,
        land.link_base_share,
        land.link_ratio,
    )
    zones.revitalised_last_mu[:] = zones.flows["land_revitalised_mu"]
    zones.flows["land_link_cap_mu"] += np.where(np.isfinite(caps), caps, np.nan)
    return caps
