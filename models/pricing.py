"""Step 4, differentiated prices: surcharges by class and the carbon price lower margins.

surcharge (万元) = electricity (MWh) · 1000 kWh/MWh · surcharge (yuan/kWh) / 10^4
carbon cost (万元) = carbon price (万元/t) · CO2 (t)   (when carbon.carbon_price_on_margins)
margin = base margin − (surcharge + carbon cost) / output

Margins act in every exit mode (issue 13). In market mode the exit hazard already rises
with the margin lost. In mandatory (and off) mode exits used to read the rating alone,
so surcharges and a carbon price changed nothing but energy use; now a firm that the
surcharges and the carbon price push into loss exits with the market hazard of that
loss, h = market_hazard_per_margin_loss · (max(0, −margin) − max(0, −base margin))
(`margin_exit_rows`): a firm already loss-making before them is judged on the extra loss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from models.firms import CLASS_T, FirmTable
from models.inputs import SectorArrays
from models.units import WAN_PER_MWH_AT_YUAN_PER_KWH, YUAN_PER_WAN, safe_div

if TYPE_CHECKING:
    from sim.scenario import Scenario

CLASSES = "ABCD"  # the rated classes a surcharge table may name (class T pays none)


def surcharges_wan(
    elec_mwh: np.ndarray, cls: np.ndarray, yuan_per_kwh_by_class: np.ndarray
) -> np.ndarray:
    """Yearly electricity surcharge of each firm (万元); class T pays none."""
    rate = np.append(yuan_per_kwh_by_class, 0.0)[cls]
    return elec_mwh * rate * WAN_PER_MWH_AT_YUAN_PER_KWH


def margins(
    base_margin: np.ndarray, surcharge_wan: np.ndarray, output_wan: np.ndarray
) -> np.ndarray:
    """Profit margin on output after surcharges."""
    loss = safe_div(surcharge_wan, output_wan)
    return base_margin - loss


def other_surcharges_wan(
    land_mu: np.ndarray,
    fossil_tce: np.ndarray,
    water_m3: np.ndarray,
    cls: np.ndarray,
    land_wan_per_mu_by_class: np.ndarray,
    fossil_yuan_per_tce_by_class: np.ndarray,
    water_yuan_per_m3_by_class: np.ndarray,
) -> np.ndarray:
    """Yearly land, fossil fuel and water surcharges of each firm (万元); class T pays none.

    Rates by class: land-use tax surcharge (万元/mu), fossil fuel (gas) surcharge
    (yuan/tce) and water surcharge (yuan/m³):
        surcharge = land · r_land + (fossil · r_fossil + water · r_water) / 10^4
    """
    land_rate = np.append(land_wan_per_mu_by_class, 0.0)[cls]
    fossil_rate = np.append(fossil_yuan_per_tce_by_class, 0.0)[cls]
    water_rate = np.append(water_yuan_per_m3_by_class, 0.0)[cls]
    return land_mu * land_rate + (fossil_tce * fossil_rate + water_m3 * water_rate) / YUAN_PER_WAN


def efficiency_investment(
    surcharge_wan: np.ndarray, output_wan: np.ndarray, response: float, most: float = 0.1
) -> np.ndarray:
    """Extra yearly fall of energy intensity a firm buys to escape its surcharges.

    In proportion to the share of output lost to surcharges, at most `most` a year:
        extra = clip(response · surcharge / output, 0, most)
    """
    loss = safe_div(surcharge_wan, output_wan)
    return np.clip(response * loss, 0.0, most)


def price(firms: FirmTable, sectors: SectorArrays, levers: Scenario) -> None:
    """Set every live firm's surcharges (万元) and margin, in place in the firm table.

    Rates come from the year's `levers.evaluation` tables; margin = base margin −
    surcharge / output.
    """
    ev = levers.evaluation
    f = firms
    live = np.flatnonzero(f.alive())

    def by_class(table: dict[str, float]) -> np.ndarray:
        return np.array([table.get(c, 0.0) for c in CLASSES])

    f.surcharge_wan[live] = surcharges_wan(
        f.elec_mwh[live], f.cls[live], by_class(ev.surcharge_yuan_per_kwh)
    ) + other_surcharges_wan(
        f.land_mu[live],
        f.energy_tce[live] * (1.0 - f.elec_share[live]),
        f.va_wan[live] * sectors.water_m3_per_wan[f.sector[live]],
        f.cls[live],
        by_class(ev.land_tax_surcharge_wan_per_mu),
        by_class(ev.fossil_surcharge_yuan_per_tce),
        by_class(ev.water_surcharge_yuan_per_m3),
    )
    charged = f.surcharge_wan[live]
    price = levers.carbon.carbon_price_wan_per_t
    if price > 0 and levers.carbon.carbon_price_on_margins:
        charged = charged + price * f.co2_t[live]
    f.margin[live] = margins(f.base_margin[live], charged, f.output_wan[live])


def margin_exit_rows(firms: FirmTable, levers: Scenario, draws: np.ndarray) -> np.ndarray:
    """Rows of firms pushed into loss by surcharges and the carbon price that close.

    Outside market mode only (market mode's hazard already counts the margin lost):
        h = market_hazard_per_margin_loss · (max(0, −margin) − max(0, −base_margin))
    a firm closes when its draw (uniform [0, 1), one per firm-table row) < h; class T
    (not rated) is exempt like in market mode.
    """
    cfg = levers.exit
    live = np.flatnonzero(firms.alive())
    if cfg.mode == "market" or len(live) == 0:
        return live[:0]
    m, base = firms.margin[live], firms.base_margin[live]
    pushed = np.maximum(0.0, -m) - np.maximum(0.0, -base)
    hazard = np.clip(cfg.market_hazard_per_margin_loss * pushed, 0.0, 1.0)
    return live[(firms.cls[live] != CLASS_T) & (draws[live] < hazard)]


def invest_in_efficiency(firms: FirmTable, response: float) -> None:
    """Lower the energy intensity of firms that paid surcharges last year.

    By efficiency_investment, in place in the firm table: ei' = ei · (1 − extra).
    """
    live = np.flatnonzero(firms.alive())
    extra = efficiency_investment(firms.surcharge_wan[live], firms.output_wan[live], response)
    firms.energy_intensity_tce_per_wan[live] *= 1.0 - extra
