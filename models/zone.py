"""The zones: a column store of identity, land pools and spending, with Zone agents.

The ZoneTable holds the columns; each Zone agent is a view of one of its rows.

Land inside a zone's boundary is always
    boundary = built (active firms) + stock (idle awaiting recovery + recovered)
               + ready + undeveloped,
and only new construction land moves undeveloped land into use (DESIGN §3).
Built land is not stored here: it is the land of the zone's live firms.

Every process works on whole columns (`zones.ready_mu`, `zones.in_belt("coastal")`);
`Zone` (a mesa.Agent) reads and writes one row, for a reader or a Mesa tool.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from models.inputs import ZONE_FLAGS

if TYPE_CHECKING:
    from models.inputs import SectorArrays, ZoneId

# This year's flows by zone: columns of the zone table in zones.parquet.
FLOW_KEYS = (
    "firms_entered",
    "firms_exited",
    "firms_exited_low_efficiency",
    "firms_exited_carbon",
    "firms_exited_margin",  # pushed into loss by surcharges and the carbon price (issue 13)
    "land_new_mu",
    "land_relocated_mu",
    "relocation_lost_output_wan",
    "firms_merged_in",
    "firms_merged_out",
    "land_merged_in_mu",
    "land_merged_out_mu",
    "land_ready_used_mu",
    "land_revitalised_mu",
    "land_recovered_mu",
    "land_exited_mu",
    "land_link_cap_mu",
    "spent_reclamation_wan",
    "spent_buyback_wan",
    "spent_carbon_wan",
    "abatement_planned_t",  # the allocation's abatement applied in the zone (issue 13)
    "abatement_planned_cost_wan",  # its cost: money, and VA lost to curtailment and exit
    "carbon_gap_zone_t",
    "shadow_price_land_wan_per_mu",
)


class ZoneTable(Sequence["Zone"]):
    """Development zones (开发区) as arrays indexed by zone number (firms' `zone` column).

    Identity columns are tuples of text; the land pools (boundary_mu, stock_recovered_mu,
    ready_mu, revitalised_last_mu, mu) and spending totals (spent_*_wan) are float arrays;
    `host` is the index of the zone a zone was merged into (−1: not merged); `flows`
    holds this year's flows (FLOW_KEYS). Idle land of exited firms waits in
    `idle_pending[z]` as (year it becomes available, mu) until its recovery lag passes.
    """

    def __init__(self, frame: pd.DataFrame):
        rows = frame.to_dict("records")
        self.n = len(rows)
        self.zone_id: tuple[ZoneId, ...] = tuple(r["zone_id"] for r in rows)
        self.name_zh: tuple[str, ...] = tuple(r["name_zh"] for r in rows)
        self.name_en: tuple[str, ...] = tuple(r["name_en"] for r in rows)
        self.city: tuple[str, ...] = tuple(r["city"] for r in rows)
        self.city_zh: tuple[str, ...] = tuple(r["city_zh"] for r in rows)
        self.belt: tuple[str, ...] = tuple(r["belt"] for r in rows)  # its own belt
        self.belts: tuple[frozenset[str], ...] = tuple(
            frozenset(str(r["belts"]).split(";")) for r in rows
        )  # every belt it lies in (a Nantong zone: Yangtze and coastal)
        self.level: tuple[str, ...] = tuple(r["level"] for r in rows)
        self.leading_sectors: tuple[tuple[str, ...], ...] = tuple(
            tuple(s for s in str(r["leading_sectors"]).split(";") if s) for r in rows
        )
        self.approved_area_mu = np.array([float(r["approved_area_mu"]) for r in rows])
        self.management_efficiency = np.array([float(r["management_efficiency"]) for r in rows])
        self.flags = {f: np.array([bool(r[f]) for r in rows], dtype=bool) for f in ZONE_FLAGS}
        self.boundary_mu = np.array([float(r["boundary_mu"]) for r in rows])
        self.stock_recovered_mu = np.array([float(r["stock_mu"]) for r in rows])
        self.ready_mu = np.array([float(r["ready_mu"]) for r in rows])
        self.revitalised_last_mu = np.zeros(self.n)
        self.spent_reclamation_wan = np.zeros(self.n)
        self.spent_buyback_wan = np.zeros(self.n)
        self.spent_carbon_wan = np.zeros(self.n)
        self.host = np.full(self.n, -1, dtype=np.int64)
        self.idle_pending: list[deque[tuple[int, float]]] = [deque() for _ in rows]
        self.flows = {k: np.zeros(self.n) for k in FLOW_KEYS}
        self.agents: list[Zone] = []

    # ------------------------------------------------------------------ rows as agents
    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[Zone]:
        return iter(self.agents)

    def __getitem__(self, i: int) -> Zone:  # type: ignore[override]
        return self.agents[i]

    def add_agents(self, model: mesa.Model) -> None:
        """Register one Zone agent per row with `model`."""
        self.agents = [Zone(model, self, i) for i in range(self.n)]

    # ------------------------------------------------------------------ masks
    @property
    def merged(self) -> np.ndarray:
        """(Z,) zones merged into a host (一区多园)."""
        return self.host >= 0

    @property
    def national(self) -> np.ndarray:
        """(Z,) national-level zones."""
        return np.array([lv != "provincial" for lv in self.level])

    def in_belt(self, belt: str) -> np.ndarray:
        """(Z,) zones that lie in `belt` (their own belt or another)."""
        return np.array([belt in b for b in self.belts])

    def flag(self, name: str) -> np.ndarray:
        """(Z,) zones with the flag `name` (chemical_park, eco_park, intl_coop_park)."""
        return self.flags[name].copy()

    def leading(self, sectors: SectorArrays) -> np.ndarray:
        """(Z,S) 1 where the sector is one of the zone's leading sectors, else 0."""
        out = np.zeros((self.n, len(sectors.names)))
        for z, names in enumerate(self.leading_sectors):
            for name in names:
                out[z, sectors.index(name)] = 1.0
        return out

    @property
    def host_zone_id(self) -> list[ZoneId | None]:
        """The id of each zone's host, None where the zone was not merged."""
        return [self.zone_id[h] if h >= 0 else None for h in self.host]

    # ------------------------------------------------------------------ land pools
    def idle_mu(self) -> np.ndarray:
        """(Z,) idle land of exited firms still in recovery (mu)."""
        return np.array([sum(mu for _, mu in q) for q in self.idle_pending], dtype=np.float64)

    def stock_mu(self) -> np.ndarray:
        """(Z,) stock pool: recovered land plus idle land in recovery (mu)."""
        return self.stock_recovered_mu + self.idle_mu()

    def receive_idle(self, land_mu: np.ndarray, available_year: int) -> None:
        """Put land of exited firms ((Z,) mu) into the stock pool as idle land.

        It can be revitalised from `available_year` on (the recovery lag).
        """
        for z in np.flatnonzero(land_mu > 0):
            self.idle_pending[z].append((available_year, float(land_mu[z])))

    def recover_due(self, year: int) -> np.ndarray:
        """Move idle land whose recovery lag has passed into the recovered stock.

        Returns the (Z,) mu moved.
        """
        moved = np.zeros(self.n)
        for z, pending in enumerate(self.idle_pending):
            got = 0.0
            keep: deque[tuple[int, float]] = deque()
            for avail, mu in pending:
                if avail <= year:
                    got += mu
                else:
                    keep.append((avail, mu))
            self.idle_pending[z] = keep
            self.stock_recovered_mu[z] += got
            moved[z] = got
        return moved

    def reset_flows(self) -> None:
        """Zero this year's flows (start of a step)."""
        for v in self.flows.values():
            v[:] = 0.0


def _column(name: str, doc: str) -> property:
    """A read-write property for one row of a ZoneTable state column."""

    def get(self: Zone) -> float:
        return float(getattr(self.table, name)[self.idx])

    def set(self: Zone, value: float) -> None:
        getattr(self.table, name)[self.idx] = value

    return property(get, set, doc=doc)


def _text(name: str) -> property:
    """A read-only property for one row of a ZoneTable identity column."""

    def get(self: Zone) -> Any:
        return getattr(self.table, name)[self.idx]

    return property(get, doc=f"The zone's {name}.")


class Zone(mesa.Agent):
    """A development zone (开发区): a view of row `idx` of the model's ZoneTable."""

    def __init__(self, model: mesa.Model, table: ZoneTable, idx: int):
        super().__init__(model)
        self.table = table
        self.idx = idx

    zone_id = _text("zone_id")
    name_zh = _text("name_zh")
    name_en = _text("name_en")
    city = _text("city")
    city_zh = _text("city_zh")
    belt = _text("belt")
    belts = _text("belts")
    level = _text("level")
    leading_sectors = _text("leading_sectors")
    approved_area_mu = _column("approved_area_mu", "Approved area (mu).")
    management_efficiency = _column("management_efficiency", "Frontier factor of the zone.")
    boundary_mu = _column("boundary_mu", "Land inside the boundary (mu).")
    stock_recovered_mu = _column("stock_recovered_mu", "Recovered stock land (mu).")
    ready_mu = _column("ready_mu", "Ready land (mu).")
    revitalised_last_mu = _column("revitalised_last_mu", "Last year's revitalisation (mu).")
    spent_reclamation_wan = _column("spent_reclamation_wan", "Spent on reclamation (万元).")
    spent_buyback_wan = _column("spent_buyback_wan", "Spent buying land back (万元).")
    spent_carbon_wan = _column("spent_carbon_wan", "Spent on retrofits (万元).")

    @property
    def flags(self) -> dict[str, bool]:
        """The zone's flags (chemical_park, eco_park, intl_coop_park)."""
        return {f: bool(v[self.idx]) for f, v in self.table.flags.items()}

    @property
    def host_zone_id(self) -> ZoneId | None:
        """The host the zone was merged into, None if it was not."""
        h = int(self.table.host[self.idx])
        return self.table.zone_id[h] if h >= 0 else None

    @property
    def merged(self) -> bool:
        """Whether the zone was merged into a host."""
        return bool(self.table.host[self.idx] >= 0)

    @property
    def idle_mu(self) -> float:
        """Idle land in recovery (mu)."""
        return sum(mu for _, mu in self.table.idle_pending[self.idx])

    @property
    def stock_mu(self) -> float:
        """The stock pool: recovered plus idle land (mu)."""
        return self.stock_recovered_mu + self.idle_mu
