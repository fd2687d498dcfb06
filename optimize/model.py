"""Declare the Pyomo model once per structure and update its mutable parameters each year.

A *structure* is what decides which variables and rows exist: the zones, the sectors,
the allowed pattern, which zones have a finite link cap, which caps and shares are
present, and whether land comes in whole projects. Everything else is numbers: the
right-hand sides and per-zone values are mutable `Param`s, and the three rows with a
coefficient per pair (objective, total cap, intensity) are rebuilt from arrays when
those arrays change (see `optimize.constraints`). A new year of the same structure
therefore only overwrites numbers (DESIGN.md §9).

Built models live in a small module-level LRU cache, one lock each. Before every solve
all numbers are written from the snapshot (skipping those equal to the values last
written), so a result depends on the snapshot alone, not on earlier calls.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyomo.environ import (
    ConcreteModel,
    Constraint,
    NonNegativeIntegers,
    NonNegativeReals,
    Objective,
    Param,
    Set,
    Var,
    maximize,
    minimize,
)

from optimize import constraints as rules
from optimize.rows import FAMILY_INDEX, ROW_FAMILIES, VAR_FAMILIES
from optimize.snapshot import Snapshot

logger = logging.getLogger(__name__)

_CACHE_SIZE = 8

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.]+$")


@dataclass(frozen=True)
class Structure:
    """The shape of one year's problem; equal structures share one built model."""

    zone_ids: tuple[str, ...]
    sectors: tuple[str, ...]
    allowed: bytes
    """Packed (Z,S) effective-allowed mask."""
    link_capped: bytes
    """Packed (Z,) mask of zones with a finite link cap."""
    has_quota: bool
    has_total_cap: bool
    has_intensity_cap: bool
    share_belts: tuple[str, ...]
    """Belts with a minimum share, sorted."""
    belt_members: tuple[tuple[str, ...], ...]
    """For each belt in share_belts, the ids of its zones."""
    has_max_zone_share: bool
    projects: bool
    abatement: tuple[str, ...] = ()
    """The abatement measure-tiers j of the columns a[z,j] (() = none)."""
    floor_zones: tuple[str, ...] = ()
    """Zones with an industrial-land floor (optimizer.min_industrial_share > 0)."""
    industrial_sectors: tuple[str, ...] = ()
    """The sectors the floor counts as industrial land."""

    @property
    def has_carbon(self) -> bool:
        """Whether the year has a carbon row (total cap or intensity target)."""
        return self.has_total_cap or self.has_intensity_cap

    @property
    def has_total_land(self) -> bool:
        """Whether the model needs the total-land variable T (for the max zone share)."""
        return self.has_max_zone_share


def structure_of(snapshot: Snapshot, projects: bool = False) -> Structure:
    """The structure key of a snapshot, solved in whole projects or not."""
    belts = tuple(sorted(snapshot.min_share_by_belt))
    members = tuple(
        tuple(z for z, bs in zip(snapshot.zone_ids, snapshot.zone_belts, strict=True) if b in bs)
        for b in belts
    )
    return Structure(
        zone_ids=snapshot.zone_ids,
        sectors=snapshot.sectors,
        allowed=np.packbits(snapshot.effective_allowed).tobytes(),
        link_capped=np.packbits(np.isfinite(snapshot.link_cap_mu)).tobytes(),
        has_quota=snapshot.province_quota_mu is not None,
        has_total_cap=snapshot.total_cap_t is not None,
        has_intensity_cap=snapshot.intensity_cap_t_per_wan is not None,
        share_belts=belts,
        belt_members=members,
        has_max_zone_share=snapshot.max_zone_share is not None,
        projects=projects,
        abatement=snapshot.abatement_measures,
        floor_zones=tuple(np.array(snapshot.zone_ids)[snapshot.floor_zones].tolist()),
        industrial_sectors=()
        if snapshot.industrial_sectors is None
        else tuple(np.array(snapshot.sectors)[snapshot.industrial_sectors].tolist()),
    )


# With belt shares, the cost of a mu of new land relative to the largest net value per
# mu (optimize.constraints.net_value_rule): small against any value, above GLPK's
# optimality tolerance (1e-7) so that it breaks ties.
NEW_LAND_COST_REL = 1e-6


def new_land_cost_wan_per_mu(snapshot: Snapshot) -> float:
    """The tie-breaking cost of a mu of new land in the LP's objective (万元/mu).

    0 without belt shares. An exported problem's optimum is minus the objective less
    this × the new land.
    """
    if not snapshot.min_share_by_belt:
        return 0.0
    values = np.abs(snapshot.net_value_wan_per_mu[snapshot.effective_allowed])
    return NEW_LAND_COST_REL * max(1.0, float(values.max(initial=0.0)))


def build_model(structure: Structure, allowed: np.ndarray) -> ConcreteModel:
    """Declare the Pyomo model for a structure; parameters start at 0 (see `BuiltModel`)."""
    zone_ids, sectors = structure.zone_ids, structure.sectors
    zi, si = np.nonzero(allowed)
    pairs = [(zone_ids[a], sectors[b]) for a, b in zip(zi.tolist(), si.tolist(), strict=True)]
    link_zones = [
        z
        for z, cap in zip(
            zone_ids,
            np.unpackbits(
                np.frombuffer(structure.link_capped, dtype=np.uint8), count=len(zone_ids)
            ).astype(bool),
            strict=True,
        )
        if cap
    ]

    m = ConcreteModel(name="zonesim_land_quota")
    m.zones = Set(initialize=zone_ids, ordered=True)
    m.sectors = Set(initialize=sectors, ordered=True)
    m.pairs = Set(initialize=pairs, dimen=2, ordered=True)
    m.link_capped_zones = Set(initialize=link_zones, ordered=True)
    m.share_belts = Set(initialize=structure.share_belts, ordered=True)
    # Plain dicts, not Pyomo sets: the rules only iterate over them.
    m.pairs_of_zone = {z: [] for z in zone_ids}
    for p in pairs:
        m.pairs_of_zone[p[0]].append(p)
    m.zones_of_belt = dict(zip(structure.share_belts, structure.belt_members, strict=True))

    n_pairs = len(pairs)
    # Pair-level coefficients (see optimize.constraints): arrays, rows rebuilt on change.
    m.coef = {
        "net_value": np.zeros(n_pairs),
        "co2": np.zeros(n_pairs),
        "intensity": np.zeros(n_pairs),
    }
    m.ready_mu = Param(m.zones, mutable=True, initialize=0.0)
    m.link_cap_mu = Param(m.link_capped_zones, mutable=True, initialize=0.0)
    m.space_mu = Param(m.zones, mutable=True, initialize=0.0)
    m.province_quota_mu = Param(mutable=True, initialize=0.0)
    m.existing_co2_t = Param(mutable=True, initialize=0.0)
    m.total_cap_t = Param(mutable=True, initialize=0.0)
    m.intensity_headroom_t = Param(mutable=True, initialize=0.0)
    m.min_share = Param(m.share_belts, mutable=True, initialize=0.0)
    m.max_zone_share = Param(mutable=True, initialize=1.0)
    m.new_land_cost = Param(mutable=True, initialize=0.0)
    m.project_size_mu = Param(m.sectors, mutable=True, initialize=1.0)

    m.x = Var(m.pairs, within=NonNegativeReals, doc="land to sector s in zone z (mu)")
    m.x_list = [m.x[p] for p in pairs]
    m.n = Var(m.zones, within=NonNegativeReals, doc="new construction land of zone z (mu)")
    m.y = Var(m.zones, within=NonNegativeReals, doc="land allocated in zone z (mu)")
    m.carbon_gap = Var(within=NonNegativeReals, doc="CO2 enforcement must remove (t)")
    m.carbon_gap.fix(0.0)
    _declare_abatement(m, structure)

    m.net_value = Objective(rule=rules.net_value_rule, sense=maximize)
    m.zone_total = Constraint(m.zones, rule=rules.zone_total_rule)
    m.zone_land = Constraint(m.zones, rule=rules.zone_land_rule)
    m.link_cap = Constraint(m.link_capped_zones, rule=rules.link_cap_rule)
    m.space = Constraint(m.zones, rule=rules.space_rule)
    if structure.has_quota:
        m.province_quota = Constraint(rule=rules.province_quota_rule)
    if structure.has_total_cap:
        m.total_cap = Constraint(rule=rules.total_cap_rule)
    if structure.has_intensity_cap:
        m.intensity_cap = Constraint(rule=rules.intensity_cap_rule)
    if structure.has_carbon:
        m.carbon_enforcement = Objective(rule=rules.carbon_enforcement_rule, sense=minimize)
        m.carbon_enforcement.deactivate()
    if structure.share_belts:
        m.new_used = Constraint(m.zones, rule=rules.new_used_rule)
        m.min_belt_share = Constraint(m.share_belts, rule=rules.min_belt_share_rule)
    if structure.has_total_land:
        m.total_land = Var(within=NonNegativeReals, doc="total land allocated (mu)")
        m.total_land_def = Constraint(rule=rules.total_land_rule)
        m.max_zone_share_row = Constraint(m.zones, rule=rules.max_zone_share_rule)
    if structure.projects:
        m.k = Var(m.pairs, within=NonNegativeIntegers, doc="whole projects (count)")
        m.project_lumps = Constraint(m.pairs, rule=rules.project_lumps_rule)
    if structure.abatement:
        m.abatement_def = Constraint(m.measures, rule=rules.abatement_def_rule)
    if structure.floor_zones:
        m.floor_zones = Set(initialize=structure.floor_zones, ordered=True)
        m.industrial_sectors = set(structure.industrial_sectors)
        m.min_industrial_share = Param(m.floor_zones, mutable=True, initialize=0.0)
        m.industrial_floor = Constraint(m.floor_zones, rule=rules.industrial_floor_rule)
    return m


def _declare_abatement(m: ConcreteModel, structure: Structure) -> None:
    """The abatement columns a[z,j] ≥ 0 and their totals A[j] (issue 13; empty without)."""
    measures = structure.abatement
    m.measures = Set(initialize=measures, ordered=True)
    cells = [(z, j) for z in structure.zone_ids for j in measures]
    m.abate_cells = Set(initialize=cells, dimen=2, ordered=True)
    m.a = Var(
        m.abate_cells, within=NonNegativeReals, doc="t CO2 abated in zone z by measure-tier j"
    )
    m.a_list = [m.a[c] for c in cells]
    m.abated = Var(m.measures, within=NonNegativeReals, doc="t CO2 abated by measure-tier j")
    m.cells_of_measure = {j: [(z, j) for z in structure.zone_ids] for j in measures}
    m.coef["abate_net"] = np.zeros(len(cells))
    m.coef["abate_intensity"] = np.zeros(len(cells))


class Labeler:
    """Names for the solver file: compact ("x12", "zl3") or readable ("x(G3201,steel)").

    Readable names are used only when every zone id, sector and belt is made of
    characters that the CPLEX LP and free MPS formats accept; otherwise positions.
    """

    def __init__(self, names: dict[int, str]) -> None:
        self._names = names
        self._extra = 0

    def __call__(self, obj: Any) -> str:
        """The name of a Pyomo component data object in the file."""
        name = self._names.get(id(obj))
        if name is None:
            # Objectives and Pyomo's ONE_VAR_CONSTANT helper.
            name = obj.name if _SAFE_ID.match(obj.name) else f"u{self._extra}"
            self._extra += 1
        return name


@dataclass
class BuiltModel:
    """A declared model plus the maps from solver names back to array positions."""

    structure: Structure
    model: ConcreteModel
    allowed: np.ndarray
    pair_index: tuple[np.ndarray, np.ndarray]
    """(zone positions, sector positions) of the allowed pairs, in variable order."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    compact_names: dict[int, str] = field(default_factory=dict)
    readable_names: dict[int, str] | None = None
    decode: dict[str, tuple[str, int]] = field(default_factory=dict)
    """compact label -> (family short label, position)."""
    var_datas: dict[str, list[Any]] = field(default_factory=dict)
    row_datas: dict[str, list[Any]] = field(default_factory=dict)
    last: dict[str, Any] = field(default_factory=dict)
    """Values last written into each parameter family (to write only what changed)."""
    param_datas: dict[str, list[Any]] = field(default_factory=dict)
    highs: Any = None
    """A persistent HiGHS interface bound to this model, created on first use."""
    lp_writer: Any = None
    """`optimize.lp_text.CompactLPWriter` of this model, created on first GLPK solve."""
    dual_start: bool = False
    """Whether the slack basis is dual feasible: every x with a positive objective
    coefficient has a finite upper bound (investors' demand), so GLPK's dual simplex
    starts in its phase 2 (`optimize.glpk.solve_glpk`)."""

    @property
    def n_pairs(self) -> int:
        """Number of allowed pairs, i.e. of x variables."""
        return int(self.pair_index[0].size)

    def family_size(self, short: str) -> int:
        """Length of the array that holds a row or variable family by position."""
        kind = FAMILY_INDEX[short]
        if kind == "zone":
            return len(self.structure.zone_ids)
        if kind == "belt":
            return len(self.structure.share_belts)
        if kind == "measure":
            return len(self.structure.abatement)
        if kind == "abate":
            return len(self.structure.zone_ids) * len(self.structure.abatement)
        return self.n_pairs if kind == "pair" else 1

    def compact_labeler(self) -> Labeler:
        """Names by family label and position ("x12", "zl3"), as the solvers read them."""
        return Labeler(self.compact_names)

    def readable_labeler(self) -> Labeler:
        """Names by family label and ids ("zone_land(G321014)") for exported files."""
        if self.readable_names is None:
            self.readable_names = _readable_names(self)
        return Labeler(self.readable_names)

    def update(self, snapshot: Snapshot) -> None:
        """Write the snapshot's numbers into the mutable parameters (changed entries only)."""
        s, m = snapshot, self.model
        zi, si = self.pair_index
        abate = bool(self.structure.abatement)
        self._set_row(
            {
                "net_value": s.net_value_wan_per_mu[zi, si],
                "abate_net": s.abatement_net_wan_per_t.ravel(),
            },
            m.net_value,
            rules.net_value_rule,
        )
        # the carbon rows count new land's first year: r × its full-output CO2 and VA
        r = s.first_year_share
        if s.total_cap_t is not None:
            self._set_row({"co2": r * s.co2_per_mu[zi, si]}, m.total_cap, rules.total_cap_rule)
        if s.intensity_cap_t_per_wan is not None:
            i_cap = s.intensity_cap_t_per_wan
            rows = {"intensity": r * (s.co2_per_mu[zi, si] - i_cap * s.va_per_mu[zi, si])}
            if abate:
                assert s.abatement_va_lost_wan_per_t is not None
                rows["abate_intensity"] = -(1.0 - i_cap * s.abatement_va_lost_wan_per_t.ravel())
            self._set_row(rows, m.intensity_cap, rules.intensity_cap_rule)
            m.intensity_headroom_t.value = i_cap * s.existing_va_wan - s.existing_co2_t
        if abate:
            assert s.abatement_max_t is not None
            self._set_bounds(s.abatement_max_t.ravel(), "a_ub", m.a_list)
        self._set("ready", s.ready_mu)
        self._set("space", s.space_mu)
        self._set("link", s.link_cap_mu[np.isfinite(s.link_cap_mu)])
        if self.structure.share_belts:
            self._set(
                "min_share", np.array([s.min_share_by_belt[b] for b in self.structure.share_belts])
            )
            m.new_land_cost.value = new_land_cost_wan_per_mu(s)
        if self.structure.floor_zones:
            assert s.min_industrial_share is not None
            self._set("floor", s.min_industrial_share[s.floor_zones])
        if self.structure.projects:
            assert s.project_size_mu is not None
            self._set("size", s.project_size_mu)
        self._set_bounds(None if s.max_land_mu is None else s.max_land_mu[zi, si])
        gains = s.net_value_wan_per_mu[zi, si] > 0
        self.dual_start = bool(np.isfinite(self.last["x_ub"][gains]).all())
        m.province_quota_mu.value = s.province_quota_mu or 0.0
        m.existing_co2_t.value = s.existing_co2_t
        m.total_cap_t.value = s.total_cap_t or 0.0
        m.max_zone_share.value = s.max_zone_share if s.max_zone_share is not None else 1.0
        self.set_phase("normal")

    def set_phase(self, phase: str, gap_t: float = 0.0) -> None:
        """Select the problem: "normal", "min_gap" (phase 1) or "relaxed" (phase 2, g fixed)."""
        m = self.model
        if phase == "min_gap":
            m.carbon_gap.unfix()
            m.net_value.deactivate()
            m.carbon_enforcement.activate()
            return
        m.carbon_gap.fix(gap_t if phase == "relaxed" else 0.0)
        if self.structure.has_carbon:
            m.carbon_enforcement.deactivate()
        m.net_value.activate()

    def _set_row(self, families: dict[str, np.ndarray], component: Any, rule: Any) -> None:
        """Rebuild a row from its coefficient arrays (by family) if any array changed."""
        new = {k: np.asarray(v, dtype=np.float64) for k, v in families.items()}
        if all(
            self.last.get(k) is not None and np.array_equal(self.last[k], v) for k, v in new.items()
        ):
            return
        for k, v in new.items():
            self.model.coef[k] = v.copy()
            self.last[k] = self.model.coef[k]
        component.set_value(rule(self.model))

    def _set_bounds(
        self, upper: np.ndarray | None, key: str = "x_ub", variables: list[Any] | None = None
    ) -> None:
        """Set the upper bounds of a variable list where they changed.

        x[z,s] ≤ max_land_mu[z,s] (project demand) by default, or a[z,j] ≤
        abatement_max_t[z,j]; inf or None = none.
        """
        variables = self.model.x_list if variables is None else variables
        values = np.full(len(variables), np.inf) if upper is None else np.asarray(upper, float)
        old = self.last.get(key)
        if old is not None and np.array_equal(old, values):
            return
        for var, ub in zip(variables, values.tolist(), strict=True):
            var.setub(None if ub == np.inf else ub)
        self.last[key] = values.copy()

    def _set(self, family: str, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        datas = self.param_datas[family]
        old = self.last.get(family)
        changed = np.arange(values.size) if old is None else np.flatnonzero(values != old)
        vals = values.tolist()
        for i in changed.tolist():
            datas[i].value = vals[i]
        self.last[family] = values.copy()


def _compact_names(bm: BuiltModel) -> None:
    m = bm.model
    names: dict[int, str] = {}
    decode: dict[str, tuple[str, int]] = {}
    for families, store in ((VAR_FAMILIES, bm.var_datas), (ROW_FAMILIES, bm.row_datas)):
        for family in families:
            comp = getattr(m, family.component, None)
            if comp is None:
                continue
            short = family.short
            datas = list(comp.values())
            store[short] = datas
            for data, pos in zip(datas, _positions(bm, family.index, comp), strict=True):
                label = f"{short}{pos}"
                names[id(data)] = label
                decode[label] = (short, pos)
    bm.compact_names = names
    bm.decode = decode


def _positions(bm: BuiltModel, kind: str, comp: Any) -> list[int]:
    """Array position of each element of a component (its keys follow the model's sets)."""
    keys = list(comp.keys())
    if kind == "zone":
        zpos = {z: i for i, z in enumerate(bm.structure.zone_ids)}
        return [zpos[z] for z in keys]
    if kind == "belt":
        return [bm.structure.share_belts.index(b) for b in keys]
    if kind == "measure":
        return [bm.structure.abatement.index(j) for j in keys]
    return list(range(len(keys)))  # pairs in variable order, or the one scalar


def _readable_names(bm: BuiltModel) -> dict[int, str]:
    st = bm.structure
    ids = (*st.zone_ids, *st.sectors, *st.share_belts, *st.abatement)
    if not all(_SAFE_ID.match(i) for i in ids):
        return bm.compact_names
    names: dict[int, str] = {}
    for family in (*VAR_FAMILIES, *ROW_FAMILIES):
        comp = getattr(bm.model, family.component, None)
        if comp is None:
            continue
        label = family.label
        for key, data in comp.items():
            if key is None:
                names[id(data)] = label
            elif isinstance(key, tuple):
                names[id(data)] = f"{label}({','.join(key)})"
            else:
                names[id(data)] = f"{label}({key})"
    return names


def _make(structure: Structure, allowed: np.ndarray) -> BuiltModel:
    m = build_model(structure, allowed)
    zi, si = np.nonzero(allowed)
    bm = BuiltModel(structure=structure, model=m, allowed=allowed, pair_index=(zi, si))
    _compact_names(bm)
    bm.param_datas = {
        "ready": [m.ready_mu[z] for z in m.zones],
        "space": [m.space_mu[z] for z in m.zones],
        "link": [m.link_cap_mu[z] for z in m.link_capped_zones],
        "min_share": [m.min_share[b] for b in m.share_belts],
        "size": [m.project_size_mu[s] for s in m.sectors],
        "floor": [m.min_industrial_share[z] for z in getattr(m, "floor_zones", ())],
    }
    return bm


_cache: OrderedDict[Structure, BuiltModel] = OrderedDict()
_cache_lock = threading.Lock()


def get_built(snapshot: Snapshot, projects: bool = False) -> tuple[BuiltModel, bool]:
    """The built model for the snapshot's structure (cached or new) and whether it is new.

    The caller must hold `BuiltModel.lock` while updating and solving.
    """
    key = structure_of(snapshot, projects)
    with _cache_lock:
        bm = _cache.get(key)
        if bm is not None:
            _cache.move_to_end(key)
            return bm, False
    bm = _make(key, np.array(snapshot.effective_allowed))
    with _cache_lock:
        existing = _cache.get(key)
        if existing is not None:
            return existing, False
        _cache[key] = bm
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    logger.debug(
        "built model for %d zones x %d sectors (%d pairs)",
        len(key.zone_ids),
        len(key.sectors),
        bm.n_pairs,
    )
    return bm, True


def clear_cache() -> None:
    """Forget every built model (the next allocation of each structure builds afresh)."""
    with _cache_lock:
        _cache.clear()
