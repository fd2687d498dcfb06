"""Units and arithmetic shared by the processes: one name per conversion factor.

Money is in 万元 (10^4 yuan) on firms and zones and in 亿元 (10^8 yuan) in reports;
CO2 in t on firms and Mt in scenario caps; electricity in MWh on firms and kWh in
price levers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

WAN_PER_YI = 1e4  # 1 亿元 = 10^4 万元
YUAN_PER_WAN = 1e4  # 1 万元 = 10^4 元
T_PER_MT = 1e6  # 1 Mt = 10^6 t
KWH_PER_MWH = 1e3
MU_PER_WANMU = 1e4  # 1 万亩 = 10^4 mu
PERSONS_PER_WAN = 1e4  # 1 万人 = 10^4 persons
# A price in yuan per kWh on MWh gives 万元 per MWh: 10^3 / 10^4 (= 0.1 exactly as a float).
WAN_PER_MWH_AT_YUAN_PER_KWH = KWH_PER_MWH / YUAN_PER_WAN


def safe_div(a: ArrayLike, b: ArrayLike, fill: float = 0.0) -> np.ndarray:
    """Divide a by b elementwise where b > 0, `fill` elsewhere (float64, broadcast shape)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    out = np.full(np.broadcast_shapes(a.shape, b.shape), fill, dtype=np.float64)
    return np.divide(a, b, out=out, where=b > 0)
