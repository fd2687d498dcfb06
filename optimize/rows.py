"""The table of the LP's row and variable families.

Names in solver files, dual decoding and `Allocation.binding` all read it. Each row
family is one constraint of `optimize.constraints`, declared by
`optimize.model.build_model` when the year has it. A family has a compact label
(``zl3``, the name of zone 3's land row in the solver's file), a readable one
(``zone_land(G321014)`` in an exported file), its index (zone, belt, pair or none),
its sense in the maximisation (so the sign of a binding row's dual), the
`Allocation` field that receives its duals, and, for a MIP (which has no duals),
how to tell that it binds from the solution alone.

Two limits of the year are not rows: the project demand ``x[z,s] ≤ max_land_mu`` is
a bound on each x, and a ban (or an investment floor) removes the pair's variable.
Neither has a dual nor appears in `binding`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from optimize.snapshot import Snapshot

Index = Literal["zone", "belt", "pair", "scalar", "measure", "abate"]

SLACK_REL = 1e-6
"""Relative tolerance of a row: a MIP row binds when its slack is within it of the row's
scale; a solution breaks a carbon row when it misses it by more (× existing CO2)."""


@dataclass(frozen=True)
class MipPoint:
    """A MIP solution as the binding tests need it (arrays by zone position)."""

    snapshot: Snapshot
    zone_land: np.ndarray
    """(Z,) land allocated in each zone (mu)."""
    new_land: np.ndarray
    """(Z,) the LP's n: new construction land of each zone (mu)."""
    co2_added_t: float
    va_added_wan: float
    carbon_gap_t: float
    belt_members: tuple[tuple[str, ...], ...]
    """For each belt with a minimum share (sorted), the ids of its zones."""
    abated_t: float = 0.0
    """Σ a: t CO2 abated (issue 13)."""
    va_lost_wan: float = 0.0
    """Σ λ·a: existing value added lost to curtailment and forced exit (万元)."""
    pair_land: np.ndarray | None = None
    """(Z,S) land of each pair (mu), for the industrial-land floor."""


Slack = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(slack, scale, non-empty) over a family's index; a row binds where the slack is at
most SLACK_REL × max(1, |scale|) and the row is non-empty (not 0 ≤ 0)."""


@dataclass(frozen=True)
class RowFamily:
    """One family of LP rows."""

    component: str
    """Name of the Pyomo component in `optimize.model.build_model`."""
    short: str
    """Compact label prefix in solver files; with the position: "zl3"."""
    label: str
    """Readable name in exported files and in `Allocation.binding` ("zone_land[Z1]")."""
    index: Index
    sense: Literal["<=", ">=", "=="]
    """Sense in the maximisation: a binding ≤ row has a dual > 0, a ≥ row a dual < 0."""
    shadow: str | None = None
    """The `Allocation` field (and frame column) that receives the duals."""
    mip_slack: Callable[[MipPoint], Slack | None] | None = None
    """How a MIP solution shows the row binds; None: never reported (definitions)."""

    @property
    def reported(self) -> bool:
        """Whether the family appears in `Allocation.binding`."""
        return self.mip_slack is not None


@dataclass(frozen=True)
class VarFamily:
    """One family of LP variables."""

    component: str
    short: str
    label: str
    index: Index


def carbon_excesses(
    s: Snapshot, co2_added: float, va_added: float, abated_t: float = 0.0, va_lost_wan: float = 0.0
) -> dict[str, float]:
    """Each carbon row's activity minus its right-hand side at an allocation (t CO2).

    total_cap: E_exist − Σa + r·Σe·x − Cap; intensity_cap: E_exist − Σa + r·Σe·x −
    I·(VA_exist − Σλ·a + r·Σv·x), with `co2_added` = Σe·x and `va_added` = Σv·x at full
    output, r = `Snapshot.first_year_share`, `abated_t` = Σa and `va_lost_wan` = Σλ·a.
    """
    out: dict[str, float] = {}
    r = s.first_year_share
    emissions = s.existing_co2_t - abated_t + r * co2_added
    if s.total_cap_t is not None:
        out["total_cap"] = emissions - s.total_cap_t
    if s.intensity_cap_t_per_wan is not None:
        out["intensity_cap"] = emissions - s.intensity_cap_t_per_wan * (
            s.existing_va_wan - va_lost_wan + r * va_added
        )
    return out


def _one(value: float | bool) -> np.ndarray:
    return np.array([value])


def _zone_land(p: MipPoint) -> Slack:
    room = p.snapshot.ready_mu + p.new_land
    return room - p.zone_land, room, p.zone_land > 0


def _link_cap(p: MipPoint) -> Slack:
    finite = np.isfinite(p.snapshot.link_cap_mu)
    cap = np.where(finite, p.snapshot.link_cap_mu, 0.0)
    return cap - p.new_land, cap, finite & (p.new_land > 0)


def _space(p: MipPoint) -> Slack:
    space = p.snapshot.space_mu
    return space - p.new_land, space, p.new_land > 0


def _province_quota(p: MipPoint) -> Slack | None:
    quota = p.snapshot.province_quota_mu
    if quota is None:
        return None
    used = p.new_land.sum()
    return _one(quota - used), _one(quota), _one(bool(used > 0))


def _carbon(name: str) -> Callable[[MipPoint], Slack | None]:
    def slack(p: MipPoint) -> Slack | None:
        excess = carbon_excesses(
            p.snapshot, p.co2_added_t, p.va_added_wan, p.abated_t, p.va_lost_wan
        ).get(name)
        if excess is None:
            return None
        return _one(p.carbon_gap_t - excess), _one(p.snapshot.existing_co2_t), _one(True)

    slack.__name__ = f"_{name}"
    return slack


def _min_belt_share(p: MipPoint) -> Slack | None:
    s = p.snapshot
    new_total = float(p.new_land.sum())
    if new_total <= 0:
        return None
    zones = np.array(s.zone_ids)
    belts = sorted(s.min_share_by_belt)
    slack = np.array(
        [
            p.new_land[np.isin(zones, np.array(members))].sum() - s.min_share_by_belt[b] * new_total
            for b, members in zip(belts, p.belt_members, strict=True)
        ]
    )
    return slack, np.full(len(belts), new_total), np.ones(len(belts), dtype=bool)


def _industrial_floor(p: MipPoint) -> Slack | None:
    s = p.snapshot
    if s.min_industrial_share is None or s.industrial_sectors is None or p.pair_land is None:
        return None
    ind = (p.pair_land * s.industrial_sectors[None, :]).sum(axis=1)
    slack = ind - s.min_industrial_share * p.zone_land
    return slack, p.zone_land, s.floor_zones & (p.zone_land > 0)


def _max_zone_share(p: MipPoint) -> Slack | None:
    total = float(p.zone_land.sum())
    share = p.snapshot.max_zone_share
    if total <= 0 or share is None:
        return None
    return share * total - p.zone_land, np.full(p.zone_land.shape, total), p.zone_land > 0


ROW_FAMILIES: tuple[RowFamily, ...] = (
    RowFamily("zone_total", "zt", "zone_total", "zone", "=="),
    RowFamily(
        "zone_land", "zl", "zone_land", "zone", "<=", "shadow_zone_land_wan_per_mu", _zone_land
    ),
    RowFamily("link_cap", "lk", "link_cap", "zone", "<=", "shadow_link_cap_wan_per_mu", _link_cap),
    RowFamily("space", "sp", "space", "zone", "<=", "shadow_space_wan_per_mu", _space),
    RowFamily(
        "province_quota",
        "pq",
        "province_quota",
        "scalar",
        "<=",
        "shadow_province_quota_wan_per_mu",
        _province_quota,
    ),
    RowFamily(
        "total_cap",
        "tc",
        "total_cap",
        "scalar",
        "<=",
        "shadow_total_cap_wan_per_t",
        _carbon("total_cap"),
    ),
    RowFamily(
        "intensity_cap",
        "ic",
        "intensity_cap",
        "scalar",
        "<=",
        "shadow_intensity_cap_wan_per_t",
        _carbon("intensity_cap"),
    ),
    RowFamily("total_land_def", "td", "total_land_def", "scalar", "=="),
    RowFamily("new_used", "nu", "new_used", "zone", "<="),
    RowFamily("min_belt_share", "ms", "min_belt_share", "belt", ">=", mip_slack=_min_belt_share),
    RowFamily(
        "max_zone_share_row", "mz", "max_zone_share", "zone", "<=", mip_slack=_max_zone_share
    ),
    RowFamily("project_lumps", "pl", "project_lumps", "pair", "=="),
    # Abatement (issue 13): the tonnes of each measure-tier, A[j] = Σ_z a[z,j].
    RowFamily("abatement_def", "ad", "abatement_total", "measure", "=="),
    RowFamily(
        "industrial_floor",
        "if",
        "industrial_floor",
        "zone",
        ">=",
        "shadow_industrial_floor_wan_per_mu",
        _industrial_floor,
    ),
)
"""Every row family, in the order `build_model` declares them (which is the order of
the rows in a solver file) and `binding` lists them."""

VAR_FAMILIES: tuple[VarFamily, ...] = (
    VarFamily("x", "x", "x", "pair"),
    VarFamily("n", "n", "n", "zone"),
    VarFamily("y", "y", "y", "zone"),
    VarFamily("carbon_gap", "g", "carbon_gap", "scalar"),
    VarFamily("total_land", "t", "total_land", "scalar"),
    VarFamily("k", "k", "k", "pair"),
    # Abatement (issue 13): a[z,j] t abated in zone z by measure-tier j; A[j] its total.
    VarFamily("a", "a", "a", "abate"),
    VarFamily("abated", "at", "abated", "measure"),
)

SHADOW_FAMILIES: tuple[RowFamily, ...] = tuple(f for f in ROW_FAMILIES if f.shadow)
"""The families whose duals `Allocation` reports, in its field and column order."""

FAMILY_INDEX: dict[str, Index] = {f.short: f.index for f in (*ROW_FAMILIES, *VAR_FAMILIES)}


def _element(index: Index, pos: int, zone_ids: tuple[str, ...], belts: tuple[str, ...]) -> str:
    # Only reported families (zone or belt rows) are labelled here.
    return zone_ids[pos] if index == "zone" else belts[pos]


def _labels(
    family: RowFamily, positions: np.ndarray, zone_ids: tuple[str, ...], belts: tuple[str, ...]
) -> list[str]:
    if family.index == "scalar":
        return [family.label] if positions.size else []
    return [
        f"{family.label}[{_element(family.index, i, zone_ids, belts)}]" for i in positions.tolist()
    ]


def binding_lp(
    duals: dict[str, np.ndarray], zone_ids: tuple[str, ...], belts: tuple[str, ...], tol: float
) -> list[str]:
    """Reported rows with a non-zero dual of the sign of their sense (beyond `tol`)."""
    out: list[str] = []
    for family in ROW_FAMILIES:
        if not family.reported or family.short not in duals:
            continue
        d = duals[family.short]
        hit = d < -tol if family.sense == ">=" else d > tol
        out += _labels(family, np.flatnonzero(hit), zone_ids, belts)
    return out


def binding_mip(point: MipPoint, belts: tuple[str, ...]) -> list[str]:
    """Reported rows that hold with equality at a MIP solution and are not empty (0 ≤ 0)."""
    out: list[str] = []
    for family in ROW_FAMILIES:
        found = family.mip_slack(point) if family.mip_slack is not None else None
        if found is None:
            continue
        slack, scale, nonempty = found
        tight = np.asarray(slack) <= SLACK_REL * np.maximum(1.0, np.abs(scale))
        out += _labels(family, np.flatnonzero(tight & nonempty), point.snapshot.zone_ids, belts)
    return out


def shadows(duals: dict[str, np.ndarray] | None, nz: int) -> dict[str, np.ndarray | float | None]:
    """The `Allocation` shadow fields from duals by family (None: a MIP, which has none).

    A zone family without rows this year (no finite link cap) reads 0; a province-level
    one None. A MIP gives NaN per zone and None for the province-level rows.
    """
    out: dict[str, np.ndarray | float | None] = {}
    for family in SHADOW_FAMILIES:
        assert family.shadow is not None
        if family.index == "zone":
            if duals is None:
                out[family.shadow] = np.full(nz, np.nan)
            else:
                out[family.shadow] = duals.get(family.short, np.zeros(nz))
        else:
            have = duals is not None and family.short in duals
            out[family.shadow] = float(duals[family.short][0]) if have else None  # type: ignore[index]
    return out
