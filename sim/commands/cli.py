"""The `zonesim` command line.

A scenario is a YAML file or the name of a shipped one (`zonesim run baseline`); run
folders go under ./results unless --out says where. `zonesim init DIR` copies the
shipped scenarios and their data into DIR for editing.

Exit codes: 0 success; 2 bad input (scenario or data); 3 a hard constraint could not be
met in stop mode; 4 an environment problem (e.g. no solver); 5 the land allocation failed
in some year (the run folder's status is "degraded", or "stopped" with
`optimizer.on_failure: stop`). Anything else is a bug. No traceback for 2-5 unless --debug.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_ENV, EXIT_DEGRADED = 0, 2, 3, 4, 5


def _err(msg: str) -> None:
    print(f"zonesim: {msg}", file=sys.stderr)


def _load(args: argparse.Namespace) -> Any:
    from sim.scenario import load_scenario, parse_override

    overrides = dict(parse_override(s) for s in (args.set or []))
    if getattr(args, "seed", None) is not None:
        overrides["seed"] = args.seed
    return load_scenario(args.scenario, overrides)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    from sim.scenario import parse_override

    return dict(parse_override(s) for s in (args.set or []))


def _load_checked(args: argparse.Namespace) -> tuple[Any, Any]:
    """Load the scenario and its dataset and check the settings that must hold together.

    The checks are sim.runs.runner.check_settings: what `validate` checks, before any run.
    """
    from sim.runs.data import load_dataset
    from sim.runs.runner import check_settings

    scenario = _load(args)
    ds = load_dataset(scenario)
    check_settings(scenario, ds, _overrides(args))
    return scenario, ds


def cmd_validate(args: argparse.Namespace) -> int:
    """`zonesim validate`: check a scenario and its data, and print what they hold."""
    scenario, ds = _load_checked(args)
    print(
        f"{args.scenario}: valid. {len(ds.zones)} zones "
        f"({(ds.zones['level'] != 'provincial').sum()} national), {len(ds.sectors)} sectors, "
        f"years {scenario.years.base}-{scenario.years.end}, seed {scenario.seed}"
    )
    return EXIT_OK


def _progress(year: int, model: Any) -> None:
    from sim.units import T_PER_MT, WAN_PER_YI

    row = model.province_extra[-1]
    live = model.firms.alive()
    va = model.firms.va_wan[live].sum() / WAN_PER_YI
    co2 = model.firms.co2_t[live].sum() / T_PER_MT
    status = row.get("optimizer_status", "")
    print(
        f"  {year}: VA {va:,.0f} 亿元 · CO2 {co2:,.1f} Mt · firms {live.sum():,} · "
        f"optimiser {status}",
        file=sys.stderr,
        flush=True,
    )


def cmd_run(args: argparse.Namespace) -> int:
    """`zonesim run`: one run; write its folder, print its summary, scorecard and folder.

    The folder is the last line on stdout. EXIT_DEGRADED when the land allocation failed
    in some year and the run is degraded, else EXIT_OK.
    """
    from sim.runs.runner import degraded_message, run
    from sim.runs.store import write_run

    started = datetime.now(UTC).isoformat(timespec="seconds")
    scenario, _ = _load_checked(args)
    out = Path(args.out) if args.out else None
    if out is not None:
        from sim.runs.store import check_out

        check_out(out, args.force)  # before the run, so a bad --out costs no time
    print(
        f"zonesim: {scenario.name}, {scenario.years.base}-{scenario.years.end}, "
        f"seed {scenario.seed}",
        file=sys.stderr,
    )
    t0 = time.perf_counter()
    result = run(scenario, progress=_progress)
    folder = write_run(result, out, force=args.force, charts=not args.no_charts, started=started)
    import pandas as pd

    with pd.option_context(
        "display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.3f}".format
    ):
        print(result.summary.to_string(index=False))
        print()
        print(
            result.scorecard[["target", "year", "required", "achieved", "met"]].to_string(
                index=False
            )
        )
    print(f"\n{time.perf_counter() - t0:.1f} s; run folder:", file=sys.stderr)
    print(folder)
    if result.failed_years:
        state = "degraded" if result.status == "degraded" else "complete (on_failure: continue)"
        _err(f"run {state}: {result.message or degraded_message(result.failed_years)}")
        if result.status == "degraded":
            return EXIT_DEGRADED
    return EXIT_OK


def cmd_allocate(args: argparse.Namespace) -> int:
    """`zonesim allocate`: write one simulated year's land-quota problem as .lp or .mps.

    The model is stepped up to --year; the problem is written as the minimisation of the
    negated objective (万元). EXIT_INPUT for a year outside the run or a bad --write.
    """
    from models.province import ProvinceModel
    from optimize import write_problem
    from sim.runs.data import prepare_inputs

    scenario, _ = _load_checked(args)
    if args.year not in scenario.sim_years:
        _err(
            f"--year {args.year} is outside the simulated years "
            f"{scenario.years.base + 1}-{scenario.years.end}"
        )
        return EXIT_INPUT
    out = Path(args.write)
    if out.suffix.lower() not in (".lp", ".mps"):
        _err(f"--write {out}: the file must end in .lp or .mps")
        return EXIT_INPUT
    if out.exists() and not args.force:
        _err(f"--write {out} exists; choose another name or add --force")
        return EXIT_INPUT
    if not out.parent.is_dir():
        _err(f"--write {out}: folder {out.parent} does not exist")
        return EXIT_INPUT
    model = ProvinceModel(scenario, prepare_inputs(scenario))
    while model.year < args.year:
        model.step()
    write_problem(model.last_snapshot, out, model.solve_options)
    alloc = model.allocations[-1]
    solve = "glpsol --lp" if out.suffix.lower() == ".lp" else "glpsol --freemps"
    print(f"{args.year}: objective {alloc.objective_wan:,.6f} 万元 ({alloc.status.name.lower()})")
    print(
        f"wrote {out} as the minimisation of the negated objective (its optimum is minus "
        f"the above); solve it with: {solve} {out}, or any LP reader"
    )
    return EXIT_OK


def cmd_ensemble(args: argparse.Namespace) -> int:
    """`zonesim ensemble`: many runs over seeds and uncertain levers into one folder.

    An existing ensemble folder is resumed; --workers is capped at the cores here for a
    local pool. EXIT_DEGRADED when the land allocation failed in some member's year,
    unless `optimizer.on_failure: continue` (then a warning only).
    """
    from sim.experiments.ensemble import failed_members, run_ensemble, usable_cores
    from sim.runs.store import new_run_dir

    scenario, _ = _load_checked(args)  # validate first: a bad scenario costs no time
    overrides = _overrides(args)
    cores = usable_cores()
    workers = args.workers
    local_pool = args.executor == "process" or (args.executor == "dask" and not args.address)
    if workers is not None and workers > cores and local_pool:
        _err(f"--workers {workers} is more than the {cores} core(s) here; using {cores}")
        workers = cores
    folder = Path(args.out) if args.out else new_run_dir(f"{scenario.name}-ensemble")
    resuming = (folder / "ensemble.json").is_file()
    note = ", resuming the ensemble there if it is this one" if resuming else ""
    print(
        f"zonesim: ensemble of {args.runs} runs of {scenario.name} ({args.executor}{note})"
        f" into {folder}",
        file=sys.stderr,
    )

    def progress(done: int, total: int, member: Any) -> None:
        print(
            f"  {done}/{total} done (member {member.index}, seed {member.seed})",
            file=sys.stderr,
            flush=True,
        )

    table = run_ensemble(
        args.scenario,
        args.runs,
        folder,
        base_overrides=overrides,
        executor=args.executor,
        workers=workers,
        address=args.address,
        progress=progress,
        warn=_err,
    )
    print(
        f"{table['member'].nunique()} members; quantiles in {folder / 'summary.csv'}",
        file=sys.stderr,
    )
    print(folder)
    failed = failed_members(table)
    if failed:
        listed = "; ".join(
            f"member {m}: {', '.join(map(str, ys))}" for m, ys in list(failed.items())[:10]
        ) + (f"; ... and {len(failed) - 10} more" if len(failed) > 10 else "")
        if scenario.optimizer.on_failure == "continue":
            _err(f"the land allocation failed in some years (on_failure: continue): {listed}")
        else:
            _err(
                f"ensemble degraded: the land allocation failed in {len(failed)} member(s), "
                f"no land allocated in those years ({listed}); see optimizer_status and "
                "optimizer_message in ensemble.parquet"
            )
            return EXIT_DEGRADED
    return EXIT_OK


def cmd_backcast(args: argparse.Namespace) -> int:
    """`zonesim backcast`: run a scenario over the history years against the actuals."""
    from sim.experiments.backcast import backcast_command

    return backcast_command(args)


def cmd_doctor(args: argparse.Namespace) -> int:
    """`zonesim doctor`: check the environment (solver, fonts, packages), say what to fix."""
    from sim.commands.doctor import main as doctor_main
    from sim.runs.store import results_dir

    return doctor_main(results_dir())


def cmd_init(args: argparse.Namespace) -> int:
    """`zonesim init`: copy the shipped scenarios and their data into a folder, to edit.

    EXIT_INPUT when the folder is a file.
    """
    from sim.scenario.library import LIBRARY_DIR, copy_library

    dest = Path(args.folder)
    if dest.exists() and not dest.is_dir():
        _err(f"{dest} is a file, not a folder")
        return EXIT_INPUT
    written = copy_library(dest)
    names = sorted(p.stem for p in written if p.parent == dest and p.suffix == ".yaml")
    print(f"copied {len(written)} files of the scenario library ({LIBRARY_DIR}) into {dest}:")
    print(f"  scenarios: {', '.join(names)}; data in {dest / 'data'}")
    print(f"edit one and run it with: zonesim run {dest / 'baseline.yaml'}")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    """`zonesim bench`: run the performance benchmark (DESIGN §9)."""
    from sim.commands.bench import main as bench_main

    return bench_main(args)


def _years(text: str | None) -> list[int] | None:
    """Parse --years 2025,2030 (None when not given); ValueError naming what is wrong."""
    if text is None:
        return None
    try:
        years = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ValueError(
            f"--years {text!r}: expected years separated by commas, e.g. 2025,2030"
        ) from None
    if not years:
        raise ValueError(f"--years {text!r}: no year given, e.g. --years 2025,2030")
    return years


def cmd_compare(args: argparse.Namespace) -> int:
    """`zonesim compare`: key KPIs of runs side by side, differences against the first run.

    Prints one table per year shown (--years, else the last year all runs have, and 2025
    when they have it), the levers that differ and the LMDI parts of each run's CO2
    difference from the first; writes kpis, levers, decomposition and scorecards as CSV
    and Parquet into --out (default results/compare-<UTC time>). EXIT_INPUT for a folder
    that is not a run, a year a run lacks, or an --out that is not a comparison folder.
    """
    import pandas as pd

    from sim.experiments.compare import (
        RunFolderError,
        check_compare_out,
        compare,
        decimals,
        write_comparison,
    )
    from sim.runs.store import new_run_dir

    try:
        years = _years(args.years)
        out = Path(args.out) if args.out else new_run_dir("compare")
        check_compare_out(out)  # before the work, so a bad --out costs no time
        cmp = compare(args.runs, years)
    except (RunFolderError, ValueError) as exc:
        _err(str(exc))
        return EXIT_INPUT
    shown = years or sorted({max(cmp.years), *([2025] if 2025 in cmp.years else [])})
    lang = args.lang
    units = dict(zip(cmp.kpis["kpi"], cmp.kpis["unit"], strict=False))
    for year in shown:
        table = cmp.table(year, lang)
        places = [decimals(units[k], lang) for k in dict.fromkeys(cmp.kpis["kpi"])]
        for col in table.columns[1:]:
            pctcol, sign = str(col).startswith("Δ% "), "+" if str(col).startswith("Δ") else ""
            table[col] = [
                "" if pd.isna(v) else f"{v:+,.1f}%" if pctcol else f"{v:{sign},.{d}f}"
                for v, d in zip(table[col], places, strict=True)
            ]
        if lang == "zh":
            print(f"{year}年（2020年不变价；Δ为与{cmp.names[0]}之差）：")
        else:
            print(f"{year} (money in constant 2020 prices; Δ against {cmp.names[0]}):")
        print(table.rename(columns={"kpi": ""}).to_string(index=False))
        print()
    if not cmp.levers.empty:
        print("levers that differ:")
        print(cmp.levers.to_string(index=False))
        print()
    dec = cmp.decomposition
    last = max(shown)
    between = dec[
        (dec["level"] == "factor")
        & (dec["target"] == "co2")
        & (dec["run_from"] != dec["run_to"])
        & (dec["year_to"] == last)
    ]
    if not between.empty:
        wide = between.pivot(index="run_to", columns="factor", values="value")
        wide = wide.reindex(index=cmp.names[1:], columns=list(dict.fromkeys(between["factor"])))
        wide["total"] = wide.sum(axis=1)
        print(f"why CO2 differs from {cmp.names[0]} in {last} (Mt, LMDI; parts sum to the total):")
        with pd.option_context("display.float_format", "{:+,.2f}".format, "display.width", 200):
            print(wide.rename_axis(None).rename_axis(None, axis=1).to_string())
        print()
    folder = write_comparison(cmp, out)[0].parent
    print(
        "comparison folder (kpis, levers, decomposition, scorecards as CSV and Parquet):",
        file=sys.stderr,
    )
    print(folder)
    return EXIT_OK


def cmd_attribute(args: argparse.Namespace) -> int:
    """`zonesim attribute`: each differing lever's Shapley share of the gap from A to B.

    Runs every mix of A's and B's levers the Shapley values need (exact up to six
    levers, sampled orders beyond), caching each run under --cache and reusing it.
    Prints the levers, the table (value, one-at-a-time effect, share) with the
    interaction and total rows, and writes it as CSV and Parquet when --out is given.
    EXIT_INPUT for a run folder that cannot be read, an unknown KPI or a missing year.
    """
    import pandas as pd

    from sim.experiments.attribution import lever_values, shapley
    from sim.experiments.compare import KPI_BY_NAME, RunFolderError, load_run
    from sim.runs.store import results_dir, write_atomic, write_parquet

    try:
        years = _years(args.years)
        kpis = [k for item in (args.kpi or ["value_added,co2"]) for k in item.split(",") if k]
        unknown = [k for k in kpis if k not in KPI_BY_NAME]
        if unknown:
            raise ValueError(
                f"--kpi {', '.join(unknown)}: not a KPI; allowed: {', '.join(KPI_BY_NAME)}"
            )
        a, b = load_run(args.run_a), load_run(args.run_b)
        out = Path(args.out) if args.out else None
        if out is not None:
            if out.suffix.lower() not in (".csv", ".parquet"):
                raise ValueError(f"--out {out}: the file must end in .csv or .parquet")
            if out.exists() and not args.force:
                raise ValueError(f"--out {out} exists; choose another name or add --force")
        levers = lever_values(a, b)
        print(f"{len(levers)} lever(s) differ between {a.path} (A) and {b.path} (B):")
        if not levers.empty:
            print(levers.to_string(index=False))
        cache = Path(args.cache) if args.cache else results_dir() / "attribution-cache"

        def progress(msg: str) -> None:
            print(f"  run: {msg}", file=sys.stderr, flush=True)

        table = shapley(
            a,
            b,
            kpis,
            years,
            cache,
            permutations=args.permutations,
            seed=args.seed,
            progress=progress,
        )
    except (RunFolderError, ValueError) as exc:
        _err(str(exc))
        return EXIT_INPUT
    how = "exact" if table["exact"].all() else f"{args.permutations} sampled orders"
    print(
        f"\nShapley values ({how}; the levers' values sum to the total; interaction = total "
        "minus the one-at-a-time effects, shared out among the levers, not added):"
    )
    with pd.option_context("display.width", 200, "display.float_format", "{:,.3f}".format):
        print(table.drop(columns="exact").to_string(index=False))
    print(
        f"runs made: {table.attrs['runs_made']}, reused from {cache}: {table.attrs['reused']}",
        file=sys.stderr,
    )
    if table.attrs["mismatch"]:
        _err(
            "re-running A or B did not reproduce its folder (code or data changed since it was "
            f"written?): {'; '.join(table.attrs['mismatch'][:5])}"
        )
    if out is not None:
        if out.suffix.lower() == ".csv":
            write_atomic(out, lambda tmp: table.to_csv(tmp, index=False))
        else:
            write_atomic(out, lambda tmp: write_parquet(table, tmp))
        print(out)
    return EXIT_OK


def positive_int(text: str) -> int:
    """Parse a whole number ≥ 1: an argparse `type`, so a bad value is a usage error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Build the `zonesim` argument parser: one subcommand per cmd_* function."""
    p = argparse.ArgumentParser(
        prog="zonesim",
        description="Land-use and carbon scenarios for China's development zones (开发区).",
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def scenario_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "scenario",
            help="scenario YAML file, or a shipped scenario's name, e.g. baseline",
        )
        sp.add_argument(
            "--set",
            action="append",
            metavar="KEY.PATH=VALUE",
            help="override a scenario key (repeatable), e.g. --set land.link_ratio=1.5",
        )

    sp = sub.add_parser("validate", help="check a scenario and its data; exit 0 or a clear error")
    scenario_args(sp)
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("run", help="one run; prints the run folder")
    scenario_args(sp)
    sp.add_argument("--seed", type=int, help="override the scenario's seed")
    sp.add_argument("--out", help="run folder to create (must not exist unless --force)")
    sp.add_argument("--force", action="store_true", help="replace --out if it exists")
    sp.add_argument("--no-charts", action="store_true", help="skip the charts (faster)")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("ensemble", help="many runs over seeds and uncertain levers; resumable")
    scenario_args(sp)
    sp.add_argument(
        "--runs", type=positive_int, required=True, help="number of members (at most 100,000)"
    )
    sp.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        default="process",
        help="where members run (default: a local process pool)",
    )
    sp.add_argument(
        "--workers",
        type=positive_int,
        help="processes (default and most: the number of cores; more is capped with a warning)",
    )
    sp.add_argument("--address", help="dask scheduler address (default: a local cluster)")
    sp.add_argument("--out", help="ensemble folder; an existing one is resumed")
    sp.set_defaults(func=cmd_ensemble)

    sp = sub.add_parser("allocate", help="write one year's land-quota problem as .lp or .mps")
    scenario_args(sp)
    sp.add_argument("--year", type=int, required=True, help="the simulated year to export")
    sp.add_argument("--write", required=True, metavar="FILE.lp|FILE.mps", help="file to write")
    sp.add_argument("--force", action="store_true", help="replace FILE if it exists")
    sp.set_defaults(func=cmd_allocate)

    sp = sub.add_parser(
        "backcast", help="run a scenario over the history years and compare with the actuals"
    )
    sp.add_argument(
        "scenario", nargs="?", default="baseline", help="scenario (default: the baseline)"
    )
    sp.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="override a key")
    sp.add_argument("--out", help="folder to write into (default: results/<name>-backcast-…)")
    sp.add_argument("--no-charts", action="store_true", help="skip the chart")
    sp.set_defaults(func=cmd_backcast)

    sp = sub.add_parser(
        "doctor", help="check the environment (solver, fonts, packages) and say what to fix"
    )
    sp.set_defaults(func=cmd_doctor)

    sp = sub.add_parser(
        "init", help="copy the shipped scenarios and their data into FOLDER, to edit"
    )
    sp.add_argument(
        "folder", help="folder to copy into (created if missing; refused if a file exists)"
    )
    sp.set_defaults(func=cmd_init)

    sp = sub.add_parser("bench", help="the performance benchmark (DESIGN §9)")
    sp.add_argument(
        "--firms",
        type=float,
        default=1.0,
        help="firm_scale of the production-step timing (the whole run is the shipped baseline)",
    )
    sp.add_argument("--repeat", type=int, default=3, help="repetitions of each timing")
    sp.set_defaults(func=cmd_bench)

    # issue 14: runs side by side (sim/experiments/compare.py)
    sp = sub.add_parser(
        "compare", help="key KPIs of run folders side by side, and why they differ (LMDI)"
    )
    sp.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folders; the first is the base")
    sp.add_argument("--years", help="years to keep, e.g. 2025,2030 (default: every common year)")
    sp.add_argument("--out", help="folder to write (default results/compare-<UTC time>)")
    sp.add_argument(
        "--lang", choices=("en", "zh"), default="en", help="language of the printed table"
    )
    sp.set_defaults(func=cmd_compare)

    sp = sub.add_parser(
        "attribute", help="each lever's Shapley share of the KPI gap between two runs"
    )
    sp.add_argument("run_a", metavar="RUN_A", help="run folder A (the starting point)")
    sp.add_argument("run_b", metavar="RUN_B", help="run folder B")
    sp.add_argument(
        "--kpi",
        action="append",
        help="KPIs, comma-separated or repeated (default value_added,co2; names as in "
        "zonesim compare's kpis.csv)",
    )
    sp.add_argument("--years", help="years, e.g. 2025,2030 (default: the last year of both)")
    sp.add_argument("--cache", help="folder of cached runs (default results/attribution-cache)")
    sp.add_argument(
        "--permutations",
        type=positive_int,
        default=64,
        help="sampled orders beyond six levers (default 64)",
    )
    sp.add_argument("--seed", type=int, default=0, help="seed of the sampled orders")
    sp.add_argument("--out", help="write the table to FILE.csv or FILE.parquet")
    sp.add_argument("--force", action="store_true", help="replace --out if it exists")
    sp.set_defaults(func=cmd_attribute)

    # issue 13: the cost of a carbon cap (sim/experiments/cap_curve.py)
    sp = sub.add_parser(
        "cap-curve",
        help="the cost of a carbon cap: VA lost, tonnes, marginal and average 元/t against the cap",
    )
    sp.add_argument("scenario", help="scenario YAML or shipped name")
    sp.add_argument("--caps", required=True, help="caps in Mt: HI:LO:STEP (360:280:10) or A,B,C")
    sp.add_argument("--year", type=int, default=None, help="year to price (default: the last)")
    sp.add_argument("--out", default=None, help="output folder (default results/cap_curve_…)")
    sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a lever")
    sp.add_argument("--no-charts", action="store_true", help="write the table only")
    sp.set_defaults(func=cmd_cap_curve)

    # issue 14: the briefing (sim/outputs/report)
    sp = sub.add_parser(
        "report",
        help="one offline HTML briefing of run folders (zh or en): questions, scorecard, charts",
    )
    sp.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run folders to brief on")
    sp.add_argument(
        "--out",
        required=True,
        metavar="FILE.html",
        help="file to write (an existing file is replaced only if it is a zonesim report)",
    )
    sp.add_argument(
        "--lang",
        choices=("zh", "en"),
        default=None,
        help="page language (default: the first run's report.language)",
    )
    sp.add_argument(
        "--attribution",
        action="store_true",
        help="also each lever's Shapley share of the gap from the first run (re-runs the "
        "mixes of their levers, at the run folders' scale)",
    )
    sp.add_argument(
        "--cache",
        metavar="DIR",
        help="where --attribution keeps its runs (default: results/attribution-cache)",
    )
    sp.set_defaults(func=cmd_report)
    return p


def cmd_report(args: argparse.Namespace) -> int:
    """`zonesim report`: write the offline briefing of run folders (issue 14)."""
    from sim.outputs.report import FontError, ReportError, build_report

    try:
        out = build_report(
            args.run_dirs, args.out, args.lang, attribution=args.attribution, cache_dir=args.cache
        )
    except ReportError as exc:
        _err(str(exc))
        return EXIT_INPUT
    except FontError as exc:
        _err(str(exc))
        return EXIT_ENV
    print(out)
    return EXIT_OK


def cmd_cap_curve(args: argparse.Namespace) -> int:
    """`zonesim cap-curve`: sweep a total cap over one year's allocation (issue 13)."""
    from sim.experiments.cap_curve import main as cap_curve_main

    try:
        from sim.experiments.cap_curve import parse_caps

        parse_caps(args.caps)
    except ValueError as exc:
        _err(str(exc))
        return EXIT_INPUT
    scenario = _load(args)
    charts = not args.no_charts and scenario.report.charts
    table, paths = cap_curve_main(
        scenario, args.caps, args.year, Path(args.out) if args.out else None, charts
    )
    import pandas as pd

    cols = [
        "cap_mt",
        "status",
        "tonnes_reduced_t",
        "va_lost_yi",
        "land_forgone_mu",
        "abatement_t",
        "marginal_yuan_per_t",
        "average_yuan_per_t",
    ]
    with pd.option_context("display.width", 200, "display.float_format", "{:,.1f}".format):
        print(table[cols].to_string(index=False))
    print(paths[0].parent)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the `zonesim` command line and return its exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from optimize import InfeasibleError, SolverMissingError
    from sim.experiments.ensemble import EnsembleError
    from sim.runs.data import DataError
    from sim.runs.runner import AllocationFailedError
    from sim.scenario import ScenarioError

    try:
        return int(args.func(args))
    except (ScenarioError, DataError, EnsembleError) as exc:
        if args.debug:
            raise
        _err(str(exc))
        return EXIT_INPUT
    except (InfeasibleError, AllocationFailedError) as exc:
        if args.debug:
            raise
        _err(str(exc))
        partial = getattr(exc, "partial", None)
        if partial is not None and getattr(args, "command", "") == "run":
            from sim.runs.store import write_run

            try:
                folder = write_run(
                    partial, Path(args.out) if args.out else None, force=args.force, charts=False
                )
            except OSError as write_exc:  # disk full, folder taken meanwhile, ...
                _err(f"the years computed before the stop could not be saved: {write_exc}")
            else:
                _err(f"the years computed before the stop are in {folder} (status: stopped)")
        return EXIT_DEGRADED if isinstance(exc, AllocationFailedError) else EXIT_INFEASIBLE
    except (FileExistsError, NotADirectoryError, PermissionError, FileNotFoundError) as exc:
        if args.debug:
            raise
        _err(str(exc))
        return EXIT_INPUT
    except OSError as exc:  # disk full, read-only file system, ...
        if args.debug:
            raise
        _err(f"cannot write: {exc}")
        return EXIT_ENV
    except SolverMissingError as exc:
        if args.debug:
            raise
        _err(str(exc))
        return EXIT_ENV
    except KeyboardInterrupt:
        _err("interrupted; no run folder was written")
        return 130


if __name__ == "__main__":
    sys.exit(main())
