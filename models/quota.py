"""Step 7, quota linking (增存挂钩): new construction land a zone may receive.

    cap_z = base_share · Q · built_z / Σ built  +  link_ratio · revitalised_z(t−1)
With no provincial quota (Q = None) the base term is unlimited (cap = ∞).
"""

from __future__ import annotations

import numpy as np


def link_caps(
    built_mu: np.ndarray,
    revitalised_last_mu: np.ndarray,
    province_quota_mu: float | None,
    base_share: float,
    link_ratio: float,
) -> np.ndarray:
    """Most new construction land each zone may receive this year (mu)."""
    if province_quota_mu is None:
        return np.full(built_mu.shape, np.inf)
    total = built_mu.sum()
    share = built_mu / total if total > 0 else np.full(built_mu.shape, 1.0 / len(built_mu))
    return base_share * province_quota_mu * share + link_ratio * revitalised_last_mu
