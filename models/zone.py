"""The zone agent: identity, land pools and the money it spends on land.

Land inside a zone's boundary is always
    boundary = built (active firms) + stock (idle awaiting recovery + recovered)
               + ready + undeveloped,
and only new construction land moves undeveloped land into use (DESIGN §3).
Built land is not stored here: it is the land of the zone's live firms.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import mesa

if TYPE_CHECKING:
    from models.inputs import ZoneId


class Zone(mesa.Agent):
    """A development zone (开发区)."""

    def __init__(self, model: mesa.Model, idx: int, row: dict[str, Any]):
        super().__init__(model)
        self.idx = idx
        self.zone_id: ZoneId = row["zone_id"]
        self.name_zh: str = row["name_zh"]
        self.name_en: str = row["name_en"]
        self.city: str = row["city"]
        self.city_zh: str = row["city_zh"]
        self.belt: str = row["belt"]
        self.belts: frozenset[str] = frozenset(str(row["belts"]).split(";"))
        self.level: str = row["level"]
        self.approved_area_mu = float(row["approved_area_mu"])
        self.boundary_mu = float(row["boundary_mu"])
        self.management_efficiency = float(row["management_efficiency"])
        self.flags = {f: bool(row[f]) for f in ("chemical_park", "eco_park", "intl_coop_park")}
        self.leading_sectors = tuple(s for s in str(row["leading_sectors"]).split(";") if s)
        # Stock pool: recovered land ready to be revitalised, plus idle land of exited
        # firms still in recovery (year it becomes available, mu).
        self.stock_recovered_mu = float(row["stock_mu"])
        self.idle_pending: deque[tuple[int, float]] = deque()
        self.ready_mu = float(row["ready_mu"])
        self.revitalised_last_mu = 0.0
        self.host_zone_id: ZoneId | None = None
        self.spent_reclamation_wan = 0.0
        self.spent_buyback_wan = 0.0
        self.spent_carbon_wan = 0.0

    @property
    def merged(self) -> bool:
        return self.host_zone_id is not None

    @property
    def idle_mu(self) -> float:
        return sum(mu for _, mu in self.idle_pending)

    @property
    def stock_mu(self) -> float:
        return self.stock_recovered_mu + self.idle_mu

    def receive_idle(self, available_year: int, mu: float) -> None:
        """Land of exited firms enters the stock pool; it can be revitalised from
        `available_year` on (the recovery lag)."""
        if mu > 0:
            self.idle_pending.append((available_year, mu))

    def recover_due(self, year: int) -> float:
        """Move idle land whose recovery lag has passed into the recovered stock."""
        moved = 0.0
        keep: deque[tuple[int, float]] = deque()
        for avail, mu in self.idle_pending:
            if avail <= year:
                moved += mu
            else:
                keep.append((avail, mu))
        self.idle_pending = keep
        self.stock_recovered_mu += moved
        return moved
