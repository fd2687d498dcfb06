"""Step 11, zone integration (一区多园): small, weak provincial zones join a host.

A provincial zone merges when its approved area is at most `max_approved_area_mu`
and its output per mu is in the lowest `output_per_mu_quantile` of all zones, and (the
class mix) at most `max_class_a_share` of its rated firms are class A. The
host is in the same city: the national zone with the largest value added, else the
provincial zone with the highest output per mu that is not itself merging. A city
with no possible host keeps its zones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from models.firms import CLASS_A, CLASS_T, FirmTable
from models.units import safe_div

if TYPE_CHECKING:
    from models.zone import ZoneTable


def zone_output(
    firms: FirmTable, output_wan: np.ndarray, n_zones: int
) -> tuple[np.ndarray, np.ndarray]:
    """Output per mu (万元/mu) and value added (万元) of each zone's live firms, (Z,) each.

    From the firms' `output_wan` (the model passes output before this year's
    curtailment, which is temporary): VA = Σ output · va_ratio.
    """
    live = firms.alive()
    full = output_wan[live]
    out = np.bincount(firms.zone[live], full, minlength=n_zones)
    land = np.bincount(firms.zone[live], firms.land_mu[live], minlength=n_zones)
    va = np.bincount(firms.zone[live], full * firms.va_ratio[live], minlength=n_zones)
    per_mu = safe_div(out, land)
    return per_mu, va


def class_a_share(firms: FirmTable, n_zones: int) -> np.ndarray:
    """(Z,) share of each zone's rated (non-T) live firms in class A."""
    rated = firms.alive() & (firms.cls != CLASS_T)
    a = np.bincount(firms.zone[rated & (firms.cls == CLASS_A)], minlength=n_zones)
    n = np.bincount(firms.zone[rated], minlength=n_zones)
    return safe_div(a, n)


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


def merge(firms: FirmTable, zones: ZoneTable, merges: dict[int, int]) -> None:
    """Move each merged zone under its host, changing the firm and zone tables in place.

    The zone's live firms take the host's index (exited firms keep the zone they left
    from); its boundary, stock pool (recovered and idle), ready land and last year's
    revitalisation move to the host and become 0; the merge flows record the firms and
    the boundary moved; the zone's `host` is set.
    """
    f = firms
    live = f.alive()
    flows = zones.flows
    for zi, hi in merges.items():
        moving = live & (f.zone == zi)
        n_moved = int(moving.sum())
        flows["firms_merged_out"][zi] += n_moved
        flows["firms_merged_in"][hi] += n_moved
        flows["land_merged_out_mu"][zi] += zones.boundary_mu[zi]
        flows["land_merged_in_mu"][hi] += zones.boundary_mu[zi]
        f.zone[moving] = hi
        for pool in ("revitalised_last_mu", "boundary_mu", "stock_recovered_mu", "ready_mu"):
            col = getattr(zones, pool)
            col[hi] += col[zi]
            col[zi] = 0.0
        zones.idle_pending[hi].extend(zones.idle_pending[zi])
        zones.idle_pending[zi].clear()
        zones.host[zi] = hi
