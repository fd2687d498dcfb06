"""`zonesim bench`: the performance benchmark of DESIGN §9.

Measures, in one process on the same machine:
1. the firm production step (growth, density cap, efficiency, accounts and CO2) on the
   baseline's synthesised population three ways: zonesim's column store
   (models.production.produce), a plain Mesa implementation of the same rules (one
   Agent object per firm, `model.agents.do("step")`), and a bare numpy kernel of the
   same arithmetic; and the ratios between them;
2. a whole default run (set-up, simulation, optimiser, writing, charts), and the
   run-folder charts by phase (first drawing, then again with warm caches);
3. the optimiser per year (build and solve seconds) from that run.
Figures are printed, never asserted: timing belongs here, not in tests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from models import production
from models.firms import TCE_PER_MWH, FirmTable
from models.inputs import SectorArrays


class _FirmAgent(mesa.Agent):
    """One firm as a Python object: the plain-Mesa reference of the production rules."""

    def __init__(self, model: _PlainModel, row: dict[str, float]):
        super().__init__(model)
        self.__dict__.update(row)

    def step(self) -> None:
        m = self.model
        s = self.sector
        grown = self.output * max(1.0 + m.growth[s] + m.shock[self.i], 0.0)
        self.output = min(grown, self.land * m.cap[s])
        self.ei *= 1.0 - m.gain[s]
        self.va = self.output * self.va_ratio
        self.tax = self.va * self.tax_rate
        self.rd = self.output * self.rd_rate
        self.energy = self.va * self.ei
        self.elec = self.energy * self.es / TCE_PER_MWH
        self.co2 = self.energy * ((1 - self.es) * m.fuel[s] + self.es / TCE_PER_MWH * m.grid)


class _PlainModel(mesa.Model):
    def __init__(
        self,
        firms: FirmTable,
        sectors: SectorArrays,
        growth: np.ndarray,
        cap: np.ndarray,
        gain: np.ndarray,
        grid: float,
    ):
        super().__init__(rng=np.random.default_rng(0))
        self.growth, self.cap, self.gain, self.grid = growth, cap, gain, grid
        self.fuel = sectors.fuel_co2_t_per_tce
        self.shock = np.zeros(len(firms))
        for i in range(len(firms)):
            _FirmAgent(
                self,
                {
                    "i": i,
                    "sector": int(firms.sector[i]),
                    "output": float(firms.output_wan[i]),
                    "land": float(firms.land_mu[i]),
                    "ei": float(firms.energy_intensity_tce_per_wan[i]),
                    "va_ratio": float(firms.va_ratio[i]),
                    "tax_rate": float(firms.tax_rate[i]),
                    "rd_rate": float(firms.rd_rate[i]),
                    "es": float(firms.elec_share[i]),
                },
            )

    def step(self) -> None:
        self.shock = self.rng.normal(0.0, 0.05, len(self.shock))
        self.agents.do("step")


def _numpy_kernel(
    c: dict[str, np.ndarray],
    s: np.ndarray,
    growth: np.ndarray,
    cap: np.ndarray,
    gain: np.ndarray,
    fuel: np.ndarray,
    grid: float,
    shock: np.ndarray,
) -> None:
    out = np.minimum(c["output"] * np.maximum(1.0 + growth[s] + shock, 0.0), c["land"] * cap[s])
    c["output"] = out
    c["ei"] = c["ei"] * (1.0 - gain[s])
    va = out * c["va_ratio"]
    c["va"], c["tax"], c["rd"] = va, va * c["tax_rate"], out * c["rd_rate"]
    energy = va * c["ei"]
    c["elec"] = energy * c["es"] / TCE_PER_MWH
    c["co2"] = energy * ((1 - c["es"]) * fuel[s] + c["es"] / TCE_PER_MWH * grid)


def _best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def firm_step_bench(firm_scale: float, repeat: int) -> dict[str, float]:
    """Time one firm production step three ways on the baseline's firms at `firm_scale`.

    Returns seconds, the best of `repeat`: zonesim_s (models.production.produce),
    numpy_s (the bare kernel), mesa_s (plain Mesa agents, best of at most 2), and
    mesa_build_s (creating the agents, timed once); firms is the number of firms.
    """
    from sim.runs.data import prepare_inputs
    from sim.scenario import load_scenario

    scenario = load_scenario("baseline", {"data.firm_scale": firm_scale})
    inputs = prepare_inputs(scenario)
    sectors = SectorArrays.from_frame(inputs.sectors)
    firms = inputs.firms.copy()
    growth, gain = sectors.growth, sectors.efficiency_gain
    levers = scenario.at(scenario.years.base)
    cap = sectors.frontier_output_per_mu_wan * levers.economy.density_cap_factor
    grid = 0.6
    rng = np.random.default_rng(0)
    t_cols = _best(
        lambda: production.produce(firms, sectors, growth, gain, grid, 0.05, 1.5, rng), repeat
    )
    c = {
        "output": firms.output_wan.copy(),
        "land": firms.land_mu.copy(),
        "ei": firms.energy_intensity_tce_per_wan.copy(),
        "va_ratio": firms.va_ratio.copy(),
        "tax_rate": firms.tax_rate.copy(),
        "rd_rate": firms.rd_rate.copy(),
        "es": firms.elec_share.copy(),
    }
    s = firms.sector.astype(np.int64)
    t_np = _best(
        lambda: _numpy_kernel(
            c, s, growth, cap, gain, sectors.fuel_co2_t_per_tce, grid, rng.normal(0, 0.05, len(s))
        ),
        repeat,
    )
    t = time.perf_counter()
    plain = _PlainModel(firms, sectors, growth, cap, gain, grid)
    t_build = time.perf_counter() - t
    t_mesa = _best(plain.step, max(1, min(repeat, 2)))
    return {
        "firms": float(len(firms)),
        "zonesim_s": t_cols,
        "numpy_s": t_np,
        "mesa_s": t_mesa,
        "mesa_build_s": t_build,
    }


def run_bench() -> dict[str, Any]:
    """Time one whole baseline run (default scale), written to a temporary folder.

    Returns wall_s (run and write, seconds), timings (the manifest's timings_s by phase),
    optimizer (its optimizer_s_by_year rows: year, build_s, solve_s, status) and firms
    (rows of the final firm table, exited firms included).
    """
    from sim.runs.runner import run
    from sim.runs.store import write_run
    from sim.scenario import load_scenario

    scenario = load_scenario("baseline")
    cached = chart_caches()
    t = time.perf_counter()
    result = run(scenario)
    with tempfile.TemporaryDirectory() as tmp:
        write_run(result, Path(tmp) / "run")
        wall = time.perf_counter() - t
        manifest = (Path(tmp) / "run" / "manifest.json").read_text(encoding="utf-8")
        charts = chart_bench(result, Path(tmp) / "again", cached)
    import json

    m = json.loads(manifest)
    charts["run_charts_s"] = m["timings_s"].get("charts", float("nan"))
    return {
        "wall_s": wall,
        "timings": m["timings_s"],
        "optimizer": m["optimizer_s_by_year"],
        "firms": int(result.firms_final.shape[0]),
        "charts": charts,
    }


def chart_caches() -> dict[str, bool]:
    """Whether the chart caches (the Vega bundle, the CJK font subset) exist on disk now."""
    from sim.outputs.charts import fonts, render

    folder = fonts.cache_dir() / "fonts"
    return {
        "bundle": render.bundle_cache_path().is_file(),
        "font": folder.is_dir() and any(folder.glob(f"*/{fonts.SUBSET_FILE}")),
    }


_CHART_SCRIPT = """
import json, sys, time
from pathlib import Path
import pandas as pd
src, out, lang = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
t1 = time.perf_counter()
from sim.outputs import charts
charts.render.warm_up()
charts.render.prepare_javascript()
frames = {t: pd.read_parquet(src / f"{t}.parquet") for t in ("province", "zones", "sectors")}
items = charts.run_charts(frames["province"], frames["zones"], frames["sectors"], None, lang)
charts.save_charts(items, out, lang=lang)
t2 = time.perf_counter()
print(json.dumps({"total_s": t2 - t1, **charts.render.last_timings}))
"""


def chart_bench(result: Any, folder: Path, cached: dict[str, bool]) -> dict[str, Any]:
    """The run-folder charts' timing: the run's own drawing by phase, then a fresh process.

    Call right after write_run drew the charts: `first` is that drawing's seconds by
    phase (render.last_timings; the disk caches may have been cold), `fresh` the same
    charts drawn from the run's frames in a new Python process with the caches warm (what
    every later run pays; total_s from importing the chart package, as the run's is),
    `cached` whether the disk caches existed before the run, `charts` how many charts
    and `lang` their language.
    """
    import json
    import subprocess
    import sys

    from sim.outputs.charts import render

    first = dict(render.last_timings)
    lang = result.scenario.report.language
    frames = folder / "frames"
    frames.mkdir(parents=True)
    for table in ("province", "zones", "sectors"):
        getattr(result, table).to_parquet(frames / f"{table}.parquet")
    proc = subprocess.run(
        [sys.executable, "-c", _CHART_SCRIPT, str(frames), str(folder / "charts"), lang],
        capture_output=True,
        text=True,
        check=False,
    )
    fresh = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {}
    if proc.returncode != 0:
        print(f"chart timing process failed: {proc.stderr.strip()[-500:]}")
    return {
        "first": first,
        "fresh": fresh,
        "cached": cached,
        "charts": len(list((folder / "charts").glob("*.png"))),
        "lang": lang,
    }


def _print_charts(c: dict[str, Any]) -> None:
    first = c["first"]
    state = ", ".join(f"{k} {'cached' if v else 'built now'}" for k, v in c["cached"].items())
    print(
        f"\nRun-folder charts ({c['charts']} charts, {c['lang']}: PNG and SVG each, "
        f"one charts.html; disk caches before the run: {state}):"
    )
    fresh = c["fresh"]
    print(f"  {'':<24}{'in the run':>12}{'new process':>14}")
    nan = float("nan")
    rows = (
        ("total_s", "whole (build + draw)"),
        ("specs", "Altair to Vega-Lite"),
        ("font", "font, engine start"),
        ("svg", "SVG (vl-convert)"),
        ("png", "PNG from the SVG"),
        ("html_wait", "waiting for the JS"),
        ("write", "writing files"),
    )
    for key, text in rows:
        mine = c["run_charts_s"] if key == "total_s" else first.get(key, nan)
        print(f"  {text:<24}{mine:10.3f} s{fresh.get(key, nan):12.3f} s")


def main(args: argparse.Namespace) -> int:
    """Run both benchmarks and print the figures; returns 0.

    `args.firms` is the firm_scale of the production-step benchmark only (the whole run
    is the baseline as shipped); `args.repeat` is the repetitions of each timing.
    """
    print(f"zonesim bench (firm_scale {args.firms}, best of {args.repeat})")
    fs = firm_step_bench(args.firms, args.repeat)
    print(f"\nFirm production step, {int(fs['firms']):,} firms:")
    print(f"  zonesim column store  {fs['zonesim_s'] * 1e3:10.2f} ms")
    print(f"  bare numpy kernel     {fs['numpy_s'] * 1e3:10.2f} ms")
    print(
        f"  plain Mesa agents     {fs['mesa_s'] * 1e3:10.2f} ms"
        f"   (building the agents: {fs['mesa_build_s']:.2f} s)"
    )
    print(f"  Mesa / zonesim        {fs['mesa_s'] / fs['zonesim_s']:10.1f} x")
    print(f"  zonesim / numpy       {fs['zonesim_s'] / fs['numpy_s']:10.2f} x")
    rb = run_bench()
    print(f"\nWhole baseline run ({rb['firms']:,} firms incl. exited): {rb['wall_s']:.2f} s wall")
    for k, v in rb["timings"].items():
        print(f"  {k:<12} {v:8.3f} s")
    _print_charts(rb["charts"])
    print("\nOptimiser per year:")
    for row in rb["optimizer"]:
        print(
            f"  {row['year']}: build {row['build_s'] * 1e3:7.1f} ms,"
            f" solve {row['solve_s'] * 1e3:7.1f} ms"
            f"  ({row['status']})"
        )
    return 0
