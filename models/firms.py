"""The firm population, stored column-wise: one numpy array per attribute, rows = firms.

Every rule of the yearly step works on whole columns at once (DESIGN §2, §9);
`FirmTable.view(i)` gives a readable record of one firm. Exited firms keep their
row (with `status == EXITED` and their exit year) so that the end state lists
every firm that ever lived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ACTIVE, RECTIFYING, EXITED = 0, 1, 2
STATUS_NAMES = ("active", "rectifying", "exited")
CLASS_NAMES = ("A", "B", "C", "D", "T")
CLASS_A, CLASS_B, CLASS_C, CLASS_D, CLASS_T = range(5)
EXIT_NONE, EXIT_MANDATORY, EXIT_MARKET, EXIT_CARBON, EXIT_RELOCATED, EXIT_DEADLINE = range(6)
EXIT_REASONS = (
    "",
    "low_efficiency_mandatory",
    "low_efficiency_market",
    "carbon_forced",
    "relocated",
    "deadline_recovered",
)

# 当量值 (calorific equivalent) of electricity: 0.1229 tce per MWh (GB/T 2589).
TCE_PER_MWH = 0.1229

# name -> dtype. Money in 万元, land in mu, energy in tce, electricity in MWh, CO2 in t.
COLUMNS: dict[str, Any] = {
    "zone": np.int32,  # index into the model's zone table
    "sector": np.int16,  # index into the sector table
    "land_mu": np.float64,
    "output_wan": np.float64,  # 营业收入
    "capacity_output_wan": np.float64,  # a new project's full output; 0 once ramped up
    "idle_until": np.int16,  # a supplied project left idle: recovered in this year (0: none)
    "va_wan": np.float64,
    "tax_wan": np.float64,
    "rd_wan": np.float64,
    "employees": np.float64,
    "energy_intensity_tce_per_wan": np.float64,  # tce per 万元 VA
    "elec_share": np.float64,  # electricity's share of energy (tce, 当量值)
    "energy_tce": np.float64,
    "elec_mwh": np.float64,
    "co2_t": np.float64,
    "green_co2_t": np.float64,  # this year's CO2 avoided by green power bought (t; off co2_t)
    "va_ratio": np.float64,  # VA / output, firm's own
    "tax_rate": np.float64,  # tax / VA, firm's own
    "rd_rate": np.float64,  # R&D / output, firm's own
    "base_margin": np.float64,  # profit / output before surcharges
    "margin": np.float64,  # profit / output after surcharges
    "surcharge_wan": np.float64,
    "birth_year": np.int16,
    "exempt": np.int8,  # 1: never rated (class T), e.g. a water, power or gas utility
    "score": np.float64,
    "cls": np.int8,  # CLASS_NAMES
    "years_in_d": np.int16,  # consecutive D ratings, this one included
    "productivity": np.float64,  # log deviation of output per mu from the firm's level, AR(1)
    "status": np.int8,  # STATUS_NAMES
    "exit_year": np.int16,  # -1 while alive
    "exit_reason": np.int8,  # EXIT_REASONS
}


@dataclass(frozen=True)
class FirmView:
    """A readable record of one firm (a copy: changing it changes nothing)."""

    index: int
    values: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


class FirmTable:
    """Column store of firms with amortised appends (capacity doubles)."""

    def __init__(self, n: int = 0, capacity: int | None = None):
        cap = max(capacity or n, 16)
        self._cols = {name: np.zeros(cap, dtype=dt) for name, dt in COLUMNS.items()}
        self._cols["exit_year"][:] = -1
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            cols[name][: self.n] = value
        else:
            super().__setattr__(name, value)

    @property
    def capacity(self) -> int:
        """Rows allocated (at least the number of firms); appends past it grow the table."""
        return len(self._cols["zone"])

    def append(self, **columns: np.ndarray) -> np.ndarray:
        """Add rows; columns not given are zero (exit_year -1). Returns the new indices."""
        k = len(next(iter(columns.values())))
        unknown = set(columns) - set(COLUMNS)
        if unknown:
            raise KeyError(f"unknown firm columns: {sorted(unknown)}")
        need = self.n + k
        if need > self.capacity:
            cap = max(need, 2 * self.capacity)
            for name, col in self._cols.items():
                grown = np.zeros(cap, dtype=col.dtype)
                grown[: self.n] = col[: self.n]
                if name == "exit_year":
                    grown[self.n :] = -1
                self._cols[name] = grown
        start = self.n
        self.n = need
        for name, values in columns.items():
            self._cols[name][start:need] = values
        return np.arange(start, need)

    def alive(self) -> np.ndarray:
        """Mask of firms that produce this year (active or rectifying)."""
        return self.status != EXITED

    def view(self, i: int) -> FirmView:
        """One firm as a readable record."""
        if not 0 <= i < self.n:
            raise IndexError(f"firm {i} out of range 0..{self.n - 1}")
        return FirmView(i, {name: col[i].item() for name, col in self._cols.items()})

    def columns(self) -> dict[str, np.ndarray]:
        """All columns, trimmed to the live length (views, not copies)."""
        return {name: col[: self.n] for name, col in self._cols.items()}

    def copy(self) -> FirmTable:
        """An independent copy of the table (same rows and capacity, new arrays)."""
        out = FirmTable(self.n, self.capacity)
        for name, col in self._cols.items():
            out._cols[name][:] = col
        return out
