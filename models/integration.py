"""Step 11, zone integration (一区多园): small, weak provincial zones join a host.

A provincial zone merges when its approved area is at most `max_approved_area_mu`
and its output per mu is in the lowest `output_per_mu_quantile` of all zones, and (the
class mix) at most `max_class_a_share` of its rated firms are class A. The
host is in the same city: the national zone with the largest value added, else the
provincial zone with the highest output per mu that is not itself merging. A city
with no possible host keeps its zones.
"""

from __future__ import annotations

import numpy as np


def select_merges(
    city: np.ndarray,
    national: np.ndarray,
    approved_area_mu: np.ndarray,
    output_per_mu: np.ndarray,
    value_added: np.ndarray,
    active: np.ndarray,
    max_approved_area_mu: float,
    output_per_mu_quantile: float,
    class_a_share: np.ndarray | None = None,
    max_class_a_share: float = 1.0,
) -> dict[int, int]:
    """{merged zone index: host zone index} among the active zones."""
    if not active.any():
        return {}
    cut = np.quantile(output_per_mu[active], output_per_mu_quantile)
    weak = active & ~national & (approved_area_mu <= max_approved_area_mu) & (output_per_mu <= cut)
    if class_a_share is not None:
        weak &= class_a_share <= max_class_a_share
    merges: dict[int, int] = {}
    for c in np.unique(city[weak]):
        in_city = active & (city == c)
        nat = np.flatnonzero(in_city & national)
        if len(nat):
            host = int(nat[np.argmax(value_added[nat])])
        else:
            prov = np.flatnonzero(in_city & ~weak)
            if not len(prov):
                continue
            host = int(prov[np.argmax(output_per_mu[prov])])
        for z in np.flatnonzero(weak & (city == c)):
            merges[int(z)] = host
    return merges
