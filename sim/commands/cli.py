"""The `zonesim` command line.

A scenario is a YAML file or the name of a shipped one (`zonesim run baseline`); run
folders go under ./results unless --out says where. `zonesim init DIR` copies the
shipped scenarios and their data into DIR for editing.

Exit codes: 0 success; 2 bad input (scenario or data); 3 a hard constraint could not be
met in stop mode; 4 an environment problem (e.g. no solver). Anything else is a bug.
No traceback for 2, 3 or 4 unless --debug.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_ENV = 0, 2, 3, 4

def _err(msg: str) -> None:
    print(f"zonesim: {msg}", file=sys.stderr)


def _load(args: argparse.Namespace) -> Any:
    from sim.scenario import load_scenario, parse_override

    overrides = dict(parse_override(s) for s in (args.set or []))
    if getattr(args, "seed", None) is not None:
        overrides["seed"] = args.seed
    return load_scenario(args.scenario, overrides)


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.runs.data import load_dataset

    scenario = _load(args)
    ds = load_dataset(scenario)
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
    from sim.runs.runner import run
    from sim.runs.store import write_run

    started = datetime.now(UTC).isoformat(timespec="seconds")
    scenario = _load(args)
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
    return EXIT_OK


def cmd_allocate(args: argparse.Namespace) -> int:
    from models.province import ProvinceModel
    from optimize import write_problem
    from sim.runs.data import prepare_inputs

    scenario = _load(args)
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
    print(f"wrote {out} as the minimisation of the negated objective (its optimum is minus "
          f"the above); solve it with: {solve} {out}, or any LP reader")
    return EXIT_OK


def cmd_ensemble(args: argparse.Namespace) -> int:
    from sim.experiments.ensemble import run_ensemble
    from sim.runs.store import new_run_dir
    from sim.scenario import parse_override

    scenario = _load(args)  # validate first: a bad scenario costs no time
    overrides = dict(parse_override(s) for s in (args.set or []))
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
        workers=args.workers,
        address=args.address,
        progress=progress,
    )
    print(
        f"{table['member'].nunique()} members; quantiles in {folder / 'summary.csv'}",
        file=sys.stderr,
    )
    print(folder)
    return EXIT_OK


def cmd_backcast(args: argparse.Namespace) -> int:
    from sim.experiments.backcast import backcast_command

    return backcast_command(args)


def cmd_doctor(args: argparse.Namespace) -> int:
    from sim.commands.doctor import main as doctor_main
    from sim.runs.store import results_dir

    return doctor_main(results_dir())


def cmd_init(args: argparse.Namespace) -> int:
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
    from sim.commands.bench import main as bench_main

    return bench_main(args)


def positive_int(text: str) -> int:
    """argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
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
    sp.add_argument("--runs", type=positive_int, required=True, help="number of members")
    sp.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        default="process",
        help="where members run (default: a local process pool)",
    )
    sp.add_argument("--workers", type=positive_int, help="processes (default: the number of cores)")
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
    sp.add_argument("--firms", type=float, default=1.0, help="firm_scale of the benchmark run")
    sp.add_argument("--repeat", type=int, default=3, help="repetitions of each timing")
    sp.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the `zonesim` command line and return its exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from optimize import InfeasibleError, SolverMissingError
    from sim.runs.data import DataError
    from sim.scenario import ScenarioError

    try:
        return int(args.func(args))
    except (ScenarioError, DataError) as exc:
        if args.debug:
            raise
        _err(str(exc))
        return EXIT_INPUT
    except InfeasibleError as exc:
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
        return EXIT_INFEASIBLE
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
