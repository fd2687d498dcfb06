r"""The rules of the land-quota LP, one module-level function per constraint (TEMOA style).

Notation (all per year): z zone, s sector, b belt; x[z,s] ≥ 0 mu of land given to
sector s in zone z (a variable only for allowed pairs); n[z] ≥ 0 mu of new
construction land drawn by zone z; y[z] = Σ_s x[z,s] the land allocated in zone z and
T = Σ_z y[z] the total (auxiliary variables that keep the rows sparse: each x appears
in one definition row instead of in every zone and share row); g ≥ 0 the carbon gap
in t (fixed at 0 except in the elastic problem of an infeasible year); k[z,s] integer
projects (MIP). Abatement (issue 13): a[z,j] ≥ 0 t CO2 abated in zone z by measure-tier
j (a retrofit cost tier, green power, a curtailment or a forced-exit tier), at most
what the tier holds for the zone's existing firms this year (a bound, `abatement_max_t`),
at c[z,j] 万元/t (for curtailment and exit: the value added lost per t, λ[z,j]); A[j] =
Σ_z a[z,j] the tonnes of measure-tier j.

First year. A project given land this year produces r = 1 / economy.entry_ramp_years
of its full output this year (`Snapshot.first_year_share`; models/entry.py), and its
VA, energy and CO2 scale with its output. The carbon rows hold this year's emissions
and VA, so they count new land at r·e[z,s] and r·v[z,s]. The objective counts new land
at full output: v[z,s] is the plan's value of a mu, one year of the project's VA once
it has ramped up, which is also what giving the land a year later loses (over the ramp
the lost output sums to one full year: 1/R in each of R years). Counting r·v instead
would make every mu of land worth a third as much against a tonne of abatement, so a
cap would be met by giving up land that is worth more than the abatement it saves.
When land is marginal the carbon dual is therefore (v − p·e) / (r·e): the VA per
tonne of this year's cap.

Every ≤ row below has a dual ≥ 0 in the maximisation: 万元 of objective per unit of
right-hand side. `optimize.model` declares the components these rules use.

Right-hand sides and the few per-zone numbers are mutable Params. The three rows with
a coefficient per pair (the objective, the total cap, the intensity target) are built
from arrays instead (`m.coef[...]`, linopy style) and rebuilt when those arrays change:
Pyomo's LP writer evaluates a mutable coefficient by walking it as an expression, which
for ~2,800 pairs × 3 rows cost more than building the three rows afresh.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pyomo.core.expr.numeric_expr import LinearExpression

Model = Any  # a pyomo ConcreteModel built by optimize.model.build_model


def pair_sum(coef: np.ndarray, xs: list[Any]) -> LinearExpression:
    """Σ_p coef[p]·x[p] over the allowed pairs, as one linear expression (zeros dropped)."""
    keep = np.flatnonzero(coef)
    values = coef[keep].tolist()
    return LinearExpression(linear_coefs=values, linear_vars=[xs[i] for i in keep.tolist()])


def net_value_rule(m: Model) -> Any:
    r"""Objective (maximise, 万元/yr): Σ (v[z,s] − p·e[z,s])·x[z,s] + Σ (p − c[z,j])·a[z,j].

    v = value added per mu at the frontier, e = CO2 per mu, both at full output (not
    the first year's share r: see the module's "First year"), p = carbon price; the
    array m.coef["net_value"] holds v − p·e for each allowed pair. The abatement term is
    minus the cost of abatement, plus the carbon price saved on each tonne abated (the
    objective is VA of new land − cost of abatement − p × emissions, less the constant
    −p·E_exist); m.coef["abate_net"] holds p − c for each zone × measure-tier. With a
    cap, the cap's dual is then what the last tonne costs beyond p: the marginal
    abatement cost is p + its dual.

    With belt shares, which count n, each mu of new land also costs ε (1e-6 of the
    largest |v − p·e|): among equal allocations the one with the least new land, so a
    zone uses its ready land before new land unless the share needs otherwise, and the
    reported split is not an arbitrary choice of the solver.
    """
    value = pair_sum(m.coef["net_value"], m.x_list)
    if len(m.a_list):
        value = value + pair_sum(m.coef["abate_net"], m.a_list)
    if len(m.share_belts) == 0:
        return value
    return value - m.new_land_cost * sum(m.n[z] for z in m.zones)


def exported_objective_rule(m: Model) -> Any:
    r"""Objective of an exported file (minimise, 万元/yr): −Σ_{z,s} (v[z,s] − p·e[z,s])·x[z,s].

    The same problem as `net_value_rule` (plus, with belt shares, ε·Σ_z n[z]) stated as
    a minimisation, min −f = −max f: an LP or MPS reader minimises when the file does
    not say otherwise, and GLPK's MPS reader rejects the OBJSENSE section that would.
    The file's optimum is therefore −`Allocation.objective_wan` (less the ε term).
    """
    return -net_value_rule(m)


def carbon_enforcement_rule(m: Model) -> Any:
    r"""Elastic objective (minimise, t CO2): g.

    Used only when the caps cannot be met: the least CO2 that enforcement must remove
    so that every carbon row holds (phase 1 of the lexicographic relaxation).
    """
    return m.carbon_gap


def zone_total_rule(m: Model, z: str) -> Any:
    r"""Definition (mu): y[z] = Σ_s x[z,s], the land allocated in zone z this year."""
    return sum(m.x[p] for p in m.pairs_of_zone[z]) - m.y[z] == 0


def zone_land_rule(m: Model, z: str) -> Any:
    r"""Zone land (mu): Σ_s x[z,s] ≤ ready[z] + n[z], written y[z] − n[z] ≤ ready[z].

    A zone places projects on its revitalised ready land (no quota needed) and on new
    construction land. Dual: 万元 per extra mu of ready land in z.
    """
    return m.y[z] - m.n[z] <= m.ready_mu[z]


def link_cap_rule(m: Model, z: str) -> Any:
    r"""Quota linking 增存挂钩 (mu): n[z] ≤ link_cap[z].

    Only for zones with a finite cap (base + link_ratio × land revitalised last year).
    """
    return m.n[z] <= m.link_cap_mu[z]


def space_rule(m: Model, z: str) -> Any:
    r"""Space (mu): n[z] ≤ space[z], the undeveloped land left inside the zone boundary."""
    return m.n[z] <= m.space_mu[z]


def province_quota_rule(m: Model) -> Any:
    r"""Province quota (mu): Σ_z n[z] ≤ Q, the province's new construction land this year."""
    return sum(m.n[z] for z in m.zones) <= m.province_quota_mu


def total_cap_rule(m: Model) -> Any:
    r"""Total CO2 cap (t): E_exist − Σ_j A[j] + Σ_{z,s} r·e[z,s]·x[z,s] − g ≤ Cap.

    r = the first year's share of full output (new land emits r·e this year); g the
    elastic gap (0 unless the year is relaxed); A[j] the tonnes abated by measure-tier
    j (none without abatement); m.coef["co2"] = r·e. Dual: 万元 per extra t of cap;
    × 10^4 the 元 per t a planner reads (the marginal abatement cost less any carbon
    price).
    """
    row = m.existing_co2_t + pair_sum(m.coef["co2"], m.x_list) - m.carbon_gap
    if len(m.a_list):
        row = row - sum(m.abated[j] for j in m.measures)
    return row <= m.total_cap_t


def intensity_cap_rule(m: Model) -> Any:
    r"""Intensity target (t): E_exist − Σa + Σ r·e·x − g ≤ I·(VA_exist − Σ λ·a + Σ r·v·x).

    r = the first year's share of full output (new land's CO2 and VA this year);
    λ[z,j] is the value added a tonne of measure-tier j removes (curtailment, exit; 0
    for retrofits and green power). Linear in x and a: written
    Σ r·(e − I·v)·x − Σ (1 − I·λ)·a − g ≤ I·VA_exist − E_exist, with
    m.coef["intensity"] = r·(e − I·v), m.coef["abate_intensity"] = −(1 − I·λ) and the
    parameter intensity_headroom_t = I·VA_exist − E_exist. (A tonne curtailed at a firm
    whose VA per t exceeds 1/I makes the row worse.) Dual: 万元 per extra t of headroom
    at unchanged VA (× (VA_exist + Σ v·x) for 万元 per unit of I).
    """
    row = pair_sum(m.coef["intensity"], m.x_list) - m.carbon_gap
    if len(m.a_list):
        row = row + pair_sum(m.coef["abate_intensity"], m.a_list)
    return row <= m.intensity_headroom_t


def total_land_rule(m: Model) -> Any:
    r"""Definition (mu): T = Σ_z y[z] = Σ_{z,s} x[z,s], the total land allocated this year."""
    return sum(m.y[z] for z in m.zones) - m.total_land == 0


def new_used_rule(m: Model, z: str) -> Any:
    r"""New land is used (mu): n[z] ≤ y[z], written n[z] − y[z] ≤ 0.

    Only with belt shares, which count n: without it a belt could meet its share with
    quota it leaves empty.
    """
    return m.n[z] - m.y[z] <= 0


def min_belt_share_rule(m: Model, b: str) -> Any:
    r"""Minimum belt share of the new construction land (mu).

    Σ_{z ∈ belt b} n[z] ≥ share[b]·Σ_z n[z]. The share is of the quota (新增建设用地),
    not of ready land: each zone keeps using its own revitalised land. A zone in two
    belts (Nantong: Yangtze and coastal) counts for both. With no new land the row reads
    0 ≥ 0, so it never makes a year infeasible on its own; when the belt cannot take its
    share, less new land is given in total.
    """
    inside = set(m.zones_of_belt[b])
    return (1 - m.min_share[b]) * sum(m.n[z] for z in inside) - m.min_share[b] * sum(
        m.n[z] for z in m.zones if z not in inside
    ) >= 0


def max_zone_share_rule(m: Model, z: str) -> Any:
    r"""Maximum zone share (mu): Σ_s x[z,s] ≤ share_max·T, written y[z] − share_max·T ≤ 0."""
    return m.y[z] - m.max_zone_share * m.total_land <= 0


def abatement_def_rule(m: Model, j: str) -> Any:
    r"""Definition (t CO2): A[j] = Σ_z a[z,j], the tonnes abated by measure-tier j.

    Keeps the cap row short (J terms) and shows each measure's total in an exported file.
    """
    return sum(m.a[c] for c in m.cells_of_measure[j]) - m.abated[j] == 0


def project_lumps_rule(m: Model, z: str, s: str) -> Any:
    r"""Whole projects (MIP, mu): x[z,s] = size[s]·k[z,s], k[z,s] ∈ {0, 1, 2, …}."""
    return m.x[z, s] - m.project_size_mu[s] * m.k[z, s] == 0


def industrial_floor_rule(m: Model, z: str) -> Any:
    r"""Industrial-land floor 工业用地控制线 (mu): Σ_{s ∈ I} x[z,s] ≥ φ[z]·y[z].

    I the industrial sectors (all but services), φ[z] the floor of the zone's level
    (optimizer.min_industrial_share), y[z] = Σ_s x[z,s] the zone's new and revitalised
    land this year. Written Σ_{s ∈ I} x[z,s] − φ[z]·y[z] ≥ 0: homogeneous, so x = 0
    always meets it and it never makes a year infeasible. Only for zones with φ > 0.
    Dual ≤ 0 (a ≥ row of the maximisation): 万元 of objective per mu by which the
    industrial land may fall short of the floor; 0 where the floor does not bind.
    """
    ind = [p for p in m.pairs_of_zone[z] if p[1] in m.industrial_sectors]
    return sum(m.x[p] for p in ind) - m.min_industrial_share[z] * m.y[z] >= 0
