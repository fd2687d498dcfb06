"""Step 2, production: output grows, energy intensity falls, accounts follow.

Output grows with its sector and a seeded firm shock, capped by the per-mu density
frontier; energy intensity falls with the efficiency gain. New projects ramp up to
their capacity instead, then grow like the others.

    output' = min(output · (1 + g_s + ε),  land · frontier_s · density_cap)
    (ramping: output' = min(capacity, output + capacity / ramp_years))
    VA      = output · va_ratio;   tax = VA · tax_rate;   R&D = output · rd_rate
    staff'  = staff · (output' / output) / (1 + p)   (p: labour productivity growth;
              ramping projects hire as their output rises)
    energy  = VA · ei,  ei' = ei · (1 − gain_s)
    CO2     = energy · ((1 − es) · fuel_s + es / 0.1229 · grid_t)
"""

from __future__ import annotations

import numpy as np

from models.firms import TCE_PER_MWH, FirmTable
from models.inputs import SectorArrays


def co2_per_tce(
    elec_share: np.ndarray, fuel_t_per_tce: np.ndarray, grid_t_per_mwh: float
) -> np.ndarray:
    """CO2 per tce of a firm's energy (t CO2/tce): fossil part × fuel + electricity × grid.

    With es the electricity share of energy, fuel in t CO2/tce and grid in t CO2/MWh
    (0.1229 tce per MWh, 当量值):
        (1 − es) · fuel + es / 0.1229 · grid
    """
    return (1.0 - elec_share) * fuel_t_per_tce + elec_share / TCE_PER_MWH * grid_t_per_mwh


def grow_output(
    output_wan: np.ndarray,
    land_mu: np.ndarray,
    growth: np.ndarray,
    shock: np.ndarray,
    cap_output_per_mu_wan: np.ndarray,
) -> np.ndarray:
    """Next year's output: sector growth plus firm shock, never negative, capped per mu."""
    grown = output_wan * np.maximum(1.0 + growth + shock, 0.0)
    return np.minimum(grown, land_mu * cap_output_per_mu_wan)


def staff(
    employees: np.ndarray, before: np.ndarray, after: np.ndarray, productivity_growth: float
) -> np.ndarray:
    """Next year's employees: they follow output, less the growth of VA per worker.

        staff' = staff · (after / before) / (1 + p)

    with p the growth of VA per worker; unchanged where before is 0.
    """
    ratio = np.where(before > 0, after / np.where(before > 0, before, 1.0), 1.0)
    return employees * ratio / (1.0 + productivity_growth)


def ramp_up(firms: FirmTable, rows: np.ndarray, ramp_years: int) -> None:
    """Ramp new projects' output up towards their capacity, in place in the firm table.

    Each adds capacity / ramp_years of output a year until it reaches its capacity;
    then it grows like every other firm (capacity is cleared). Idle projects do not ramp.
    """
    cap = firms.capacity_output_wan
    ramping = rows[(cap[rows] > 0) & (firms.idle_until[rows] == 0)]  # idle land builds nothing
    if len(ramping) == 0:
        return
    out = firms.output_wan
    out[ramping] = np.minimum(cap[ramping], out[ramping] + cap[ramping] / ramp_years)
    done = ramping[out[ramping] >= cap[ramping]]
    cap[done] = 0.0


def apply_accounts(
    firms: FirmTable, sectors: SectorArrays, grid_t_per_mwh: float, rows: np.ndarray | None = None
) -> None:
    """Recompute VA, tax, R&D, energy, electricity and CO2 of `rows` from output.

    Default rows: the live firms. Exited firms keep the accounts of their last year.
        VA = output · va_ratio,  energy = VA · ei,  MWh = energy · es / 0.1229,
        CO2 = energy · co2_per_tce
    """
    r = np.flatnonzero(firms.alive()) if rows is None else rows
    va = firms.output_wan[r] * firms.va_ratio[r]
    energy = va * firms.energy_intensity_tce_per_wan[r]
    es = firms.elec_share[r]
    firms.va_wan[r] = va
    firms.tax_wan[r] = va * firms.tax_rate[r]
    firms.rd_wan[r] = firms.output_wan[r] * firms.rd_rate[r]
    firms.energy_tce[r] = energy
    firms.elec_mwh[r] = energy * es / TCE_PER_MWH
    firms.co2_t[r] = energy * co2_per_tce(
        es, sectors.fuel_co2_t_per_tce[firms.sector[r]], grid_t_per_mwh
    )


def produce(
    firms: FirmTable,
    sectors: SectorArrays,
    growth: np.ndarray,
    efficiency_gain: np.ndarray,
    grid_t_per_mwh: float,
    shock_sd: float,
    density_cap_factor: float,
    rng: np.random.Generator,
    ramp_years: int = 1,
    productivity_growth: float = 0.0,
) -> None:
    """Advance the live firms one year, in place in the firm table.

    `growth` is the incumbents' growth; new projects instead ramp up towards their
    capacity (see ramp_up). Energy intensity falls by `efficiency_gain`, then the
    accounts are recomputed (apply_accounts).
    """
    live = np.flatnonzero(firms.alive())
    # One draw for every row, live or not, so a firm's shock does not depend on who exited.
    shock = rng.normal(0.0, shock_sd, size=len(firms)) if shock_sd > 0 else np.zeros(len(firms))
    grown = live[firms.capacity_output_wan[live] == 0]
    sg = firms.sector[grown]
    cap = sectors.frontier_output_per_mu_wan[sg] * density_cap_factor
    out = firms.output_wan
    before = out[live].copy()
    out[grown] = grow_output(out[grown], firms.land_mu[grown], growth[sg], shock[grown], cap)
    ramp_up(firms, live, ramp_years)
    firms.employees[live] = staff(firms.employees[live], before, out[live], productivity_growth)
    s = firms.sector[live]
    ei = firms.energy_intensity_tce_per_wan
    ei[live] = ei[live] * (1.0 - efficiency_gain[s])
    apply_accounts(firms, sectors, grid_t_per_mwh, live)
