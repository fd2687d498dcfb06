"""Step 9, entry: allocated land becomes new projects at the zone-sector frontier.

Investors come in whole projects of the sector's real size (project_size_mu). Each year
the zones' claims on a sector's projects grow by their expected projects (the land of
the zone-sector's share of the need below, and of the replacement of exited output,
over the project size); the sector gets its claims' sum, rounded, in whole projects,
handed one at a time to the zone with the largest claim, which gives up one
(`offer_projects`: largest-remainder apportionment, carried over the years, ties by
zone order, no random draw). A project the allocation does not take (the zone's space
or quota, the industrial-land floor, a carbon row) stays in the zone's claims and is
offered again (`keep_refused`). So a zone-sector's demand is 0 or whole projects, a
sector's projects follow its growth rather than the number of zones, and over the years
they add up to its expected ones (to within half a project).

Projects are placed in real sizes at every data.firm_scale: synthetic projects of
size / firm_scale (ten real ones at 0.1) fit few zones' yearly land and a sector with
less than one in the run gets none (measured with the total floored: baseline 2025 VA
−3.5 %, CO2 −4.8 % at 0.1 against full scale).

Each zone-sector allocation of L mu becomes n = max(1, round(L / (size / firm_scale)))
firms of L / n mu each (n whole projects at full scale where the optimiser took the
demand; one firm where a zone's land or a row of the year cut the cell below a
project), with the capacity the optimiser priced, reached over the ramp years:
    capacity = land · frontier output per mu[z,s]   (allocation.frontier_output_per_mu)
    output (first year) = capacity / ramp_years

The split of growth between incumbents and new projects (issue 12): incumbents grow by
g_s · incumbent_growth_share (production.py); new projects supply the rest. A sector's
investors' demand for new land is therefore capped, over all zones, at the land whose
capacity adds that rest (`new_project_need_wan`, `cap_demand`):
    need_s = (1 − incumbent_growth_share) · max(g_s, 0) · VA_s        (万元 VA)
    Σ_z demand[z,s] · v[z,s] ≤ need_s,   v = frontier VA per mu at full output
so new land follows the province's growth path instead of the quota alone. Land freed
by exits is refilled only beyond this need by land.exit_replacement_share of the exited
output (allocation.demand, the one demand mechanism): forced exits lower output.

New projects take their sector's current average rates (VA-weighted over live firms,
i.e. after the base-year calibration and the years' productivity gains): tax, R&D and
electricity share, and VA per worker for their staff (`sector_rates`), hired as their
output ramps up.
"""

from __future__ import annotations

import numpy as np

from models.firms import CLASS_T, TCE_PER_MWH, FirmTable
from models.inputs import SectorArrays

MIN_LAND_MU = 1e-6
CLAIM_TOL = 1e-9  # rounding tolerance of a sector's claims (offer_projects)
NEW_FIRM_BASE_MARGIN = 0.08  # estimate: new projects start with a healthy margin
GOLDEN = 0.6180339887498949


def idle_projects(rows: np.ndarray, share: float) -> np.ndarray:
    """Mask of the new projects left idle after land supply.

    A deterministic low-discrepancy pick, (row · golden ratio) mod 1 < share, so no
    random draw shifts the run's stream.
    """
    return np.mod(rows * GOLDEN, 1.0) < share


def new_project_need_wan(
    firms: FirmTable, n_sectors: int, growth: np.ndarray, incumbent_share: float
) -> np.ndarray:
    """Return the VA new projects should add this year, by sector ((S,), 万元).

    It is the part of g_s · VA_s that incumbents do not grow themselves.
    """
    live = firms.alive()
    va = np.bincount(firms.sector[live], firms.va_wan[live], minlength=n_sectors)
    return (1.0 - incumbent_share) * np.maximum(growth, 0.0) * va


def cap_demand(
    demand_mu: np.ndarray | None, va_per_mu_wan: np.ndarray, need_wan: np.ndarray
) -> np.ndarray | None:
    """Investors' (Z,S) demand scaled down, sector by sector, to the new-project need.

        demand'[z,s] = demand[z,s] · min(1, need_s / Σ_z demand[z,s] · v[z,s])
    None (unbounded demand) stays None. It is the land the zones expect to receive:
    `offer_projects` turns it into whole projects.
    """
    if demand_mu is None:
        return None
    supply = (demand_mu * va_per_mu_wan).sum(axis=0)
    factor = np.where(supply > need_wan, need_wan / np.where(supply > 0, supply, 1.0), 1.0)
    return demand_mu * factor[None, :]


def offer_projects(claims: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Whole projects offered to each zone-sector this year, (Z,S) counts.

    `claims` (Z,S), carried over the years and changed in place, grows by this year's
    `expected` projects (fractions, ≥ 0). Sector s gets its claims' sum rounded,
        K_s = floor(Σ_z claims[z,s] + 1/2),
    projects, handed out one at a time to the zone with the largest claim (the first
    in zone order on a tie), whose claim falls by one. With claims ≥ 0 this is the
    largest-remainder (Hamilton) apportionment of K_s. Over the years a sector's
    projects equal its expected ones to within half a project (rounding, not flooring,
    so none is lost on average), and no claim falls to −1 or below (a project goes only
    to the largest claim while the claims add up to at least 1/2, so to one > 0).
    Deterministic: no random draw.
    """
    claims += expected
    left = np.floor(claims.sum(axis=0) + 0.5 + CLAIM_TOL).astype(np.int64)
    left = np.maximum(left, 0)
    counts = np.zeros(claims.shape, dtype=np.int64)
    cols = np.arange(claims.shape[1])
    while (left > 0).any():
        active = cols[left > 0]
        best = np.argmax(claims[:, active], axis=0)
        counts[best, active] += 1
        claims[best, active] -= 1.0
        left[active] -= 1
    return counts


def keep_refused(
    claims: np.ndarray,
    rows: np.ndarray,
    offered_mu: np.ndarray | None,
    taken_mu: np.ndarray,
    size_mu: np.ndarray,
) -> None:
    """Return the projects the allocation did not take to the zones' claims, in place.

    A project offered to a zone-sector (`offered_mu`, the snapshot's demand, over the
    zones `rows` of `claims`) that found no land there this year, for the zone's space,
    its quota, the industrial-land floor or a carbon row, waits in the zone's pipeline
    (项目等地) and is offered again:
        claims[z,s] += (offered[z,s] − taken[z,s]) / size_s    (≥ 0)
    """
    if offered_mu is None:
        return
    refused = np.maximum(offered_mu - np.nan_to_num(taken_mu), 0.0)
    claims[rows] += refused / size_mu[None, :]


def sector_rates(firms: FirmTable, sectors: SectorArrays) -> dict[str, np.ndarray]:
    """(S,) current averages of live firms, for new projects (the table's where none).

    tax_rate and VA per worker weighted by VA, rd_rate by output, elec_share by energy.
    """
    live = firms.alive()
    s, n = firms.sector[live], len(sectors.names)
    va = np.bincount(s, firms.va_wan[live], minlength=n)
    out = np.bincount(s, firms.output_wan[live], minlength=n)
    energy = np.bincount(s, firms.energy_tce[live], minlength=n)

    def avg(num: np.ndarray, den: np.ndarray, table: np.ndarray) -> np.ndarray:
        ok = den > 0
        return np.where(ok, num / np.where(ok, den, 1.0), table)

    return {
        "tax_rate": avg(np.bincount(s, firms.tax_wan[live], minlength=n), va, sectors.tax_rate),
        "rd_rate": avg(np.bincount(s, firms.rd_wan[live], minlength=n), out, sectors.rd_share),
        "elec_share": avg(
            np.bincount(s, firms.elec_mwh[live], minlength=n) * TCE_PER_MWH,
            energy,
            sectors.elec_share,
        ),
        "va_per_worker_wan": avg(
            va, np.bincount(s, firms.employees[live], minlength=n), sectors.va_per_worker_wan
        ),
    }


def new_firms(
    land_mu: np.ndarray,
    zone_index: np.ndarray,
    output_per_mu_wan: np.ndarray,
    sectors: SectorArrays,
    ei_new: np.ndarray,
    base_margin: float,
    year: int,
    ramp_years: int = 1,
    firm_scale: float = 1.0,
    rates: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Columns of the firms created from a (Z,S) allocation of land (mu).

    zone_index maps the allocation's rows to model zone indices; output_per_mu_wan is
    the allocation's (Z,S) frontier (万元/mu). A cell's land becomes firms of the
    sector's typical project size divided by `firm_scale`: with fewer synthetic firms
    (data.firm_scale < 1) a new firm stands for about as many real projects as an
    existing firm stands for real firms. Every cell with land gets at least one firm and
    cells hold one or two real projects, so at small scales entrants count more than at
    full scale (baseline 2021-25, entrants / firm_scale against full scale's 2,247:
    3.8× at 0.2, 7.5× at 0.1, 14.6× at 0.05), and class shares, which go by count,
    weigh them more.

        n = max(1, round(L / (size_s / firm_scale))),  land = L / n,
        capacity = land · output_per_mu[z,s],  output (first year) = capacity / ramp_years
    """
    z, s = np.nonzero(land_mu > MIN_LAND_MU)
    total = land_mu[z, s]
    size = sectors.project_size_mu[s] / firm_scale
    count = np.maximum(1, np.rint(total / size)).astype(np.int64)
    rz = np.repeat(z, count)
    rs = np.repeat(s, count)
    land = np.repeat(total / count, count)
    capacity = land * output_per_mu_wan[rz, rs]
    output = capacity / ramp_years
    r = rates or {
        "tax_rate": sectors.tax_rate,
        "rd_rate": sectors.rd_share,
        "elec_share": sectors.elec_share,
        "va_per_worker_wan": sectors.va_per_worker_wan,
    }
    return {
        "zone": zone_index[rz],
        "sector": rs,
        "land_mu": land,
        "output_wan": output,
        "capacity_output_wan": capacity if ramp_years > 1 else np.zeros(len(rs)),
        "va_ratio": sectors.va_ratio[rs],
        "tax_rate": r["tax_rate"][rs],
        "rd_rate": r["rd_rate"][rs],
        "employees": output * sectors.va_ratio[rs] / r["va_per_worker_wan"][rs],
        "energy_intensity_tce_per_wan": ei_new[rs],
        "elec_share": r["elec_share"][rs],
        "base_margin": np.full(len(rs), base_margin),
        "margin": np.full(len(rs), base_margin),
        "birth_year": np.full(len(rs), year),
        "cls": np.full(len(rs), CLASS_T),
        "exit_year": np.full(len(rs), -1),
    }


def open_projects(
    firms: FirmTable,
    land_mu: np.ndarray,
    zone_index: np.ndarray,
    output_per_mu_wan: np.ndarray,
    sectors: SectorArrays,
    ei_new: np.ndarray,
    year: int,
    ramp_years: int,
    firm_scale: float,
) -> np.ndarray:
    """Append the new firms of a (Z,S) allocation to the firm table and return their rows.

    In place; see new_firms for the arguments. Their accounts are not yet set.
    """
    cols = new_firms(
        land_mu,
        zone_index,
        output_per_mu_wan,
        sectors,
        ei_new,
        NEW_FIRM_BASE_MARGIN,
        year,
        ramp_years,
        firm_scale,
        sector_rates(firms, sectors),
    )
    return firms.append(**cols)


def leave_idle(firms: FirmTable, rows: np.ndarray, share: float, deadline_year: int) -> None:
    """Mark the idle picks among new projects `rows` (idle_projects) in the firm table.

    In place: no output, and recovered in `deadline_year` if still idle (限期开发).
    """
    idle = rows[idle_projects(rows, share)]
    firms.output_wan[idle] = 0.0
    firms.employees[idle] = 0.0
    firms.idle_until[idle] = deadline_year
