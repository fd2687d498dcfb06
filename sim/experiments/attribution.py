"""Which lever accounts for how much of the gap between two scenarios: Shapley values.

Two runs A and B whose resolved scenarios (scenario.yaml) differ in levers L1..Ln (the
differing leaf keys; a {year: value} path is one lever). v(S) is a KPI of the run with
A's scenario and B's values for the levers in S, so v(∅) is A and v(all) is B. Lever
i's Shapley value is its marginal effect v(S ∪ {i}) − v(S) averaged over the orders in
which the levers can be switched from A's value to B's:
    φ_i = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S))
and Σ φ_i = v(all) − v(∅) exactly (efficiency). Up to six levers (2^6 = 64 runs) the sum
is exact; beyond, φ is estimated from sampled orders (seeded; each order's marginal
effects telescope to the total, so the estimates still sum exactly to it).

The interaction is what switching levers one at a time does not explain:
    interaction = (v(all) − v(∅)) − Σ_i (v({i}) − v(∅))
reported as its own row (lever "interaction"; its share of the total in `share`). It is
not added to the Shapley values, which already share it out among the levers.

The core, `shapley_values`, is a pure function of the lever names and an evaluator
(subset → values); `shapley` evaluates subsets by running the model, caching each run's
province table on disk under the hash of its resolved scenario (seed included) and the
code version, and reuses them.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

EXACT_MAX = 6
"""Levers up to which the Shapley values are computed exactly (2^n runs)."""
DEFAULT_KPIS = ("value_added", "co2")

Evaluator = Callable[[frozenset[str]], pd.Series]
"""Values (a Series, the same index every call) of the scenario with a subset of the
levers switched to B's values."""


def shapley_values(
    levers: Sequence[str],
    evaluate: Evaluator,
    *,
    exact_max: int = EXACT_MAX,
    permutations: int = 64,
    seed: int = 0,
) -> pd.DataFrame:
    """Shapley values of `levers` on the values `evaluate` returns (a pure function of it).

    Returns one column per lever (the Shapley value), `one_at_a_time` columns
    (`oat:<lever>`: v({i}) − v(∅)), `total` (v(all) − v(∅)) and `interaction` (total −
    Σ one-at-a-time), indexed as `evaluate`'s Series. Exact for up to `exact_max`
    levers, else the mean over `permutations` orders drawn with numpy's generator from
    `seed`. `evaluate` is called once per distinct subset.
    """
    names = list(dict.fromkeys(levers))
    n = len(names)
    memo: dict[frozenset[str], pd.Series] = {}

    def v(subset: frozenset[str]) -> pd.Series:
        if subset not in memo:
            memo[subset] = evaluate(subset).astype(float)
        return memo[subset]

    empty, full = frozenset(), frozenset(names)
    total = v(full) - v(empty)
    phi = {name: total * 0.0 for name in names}
    if n == 0:
        pass
    elif n <= exact_max:
        for i, name in enumerate(names):
            others = names[:i] + names[i + 1 :]
            for size in range(n):
                weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                for s in itertools.combinations(others, size):
                    subset = frozenset(s)
                    phi[name] = phi[name] + weight * (v(subset | {name}) - v(subset))
    else:
        rng = np.random.default_rng(seed)
        for _ in range(permutations):
            order = [names[j] for j in rng.permutation(n)]
            before = empty
            for name in order:
                after = before | {name}
                phi[name] = phi[name] + (v(after) - v(before)) / permutations
                before = after
    out = pd.DataFrame({name: phi[name] for name in names}, index=total.index)
    oat = {f"oat:{name}": v(frozenset([name])) - v(empty) for name in names}
    for k, s in oat.items():
        out[k] = s
    out["total"] = total
    out["interaction"] = total - (sum(oat.values()) if oat else 0.0)
    out.attrs["exact"] = n <= exact_max
    out.attrs["evaluations"] = len(memo)
    return out


# --- scenarios between two runs ----------------------------------------------------------


def _set_leaf(raw: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `raw` with the dotted leaf `key` set to `value` (removed for MISSING)."""
    from sim.experiments.compare import MISSING
    from sim.scenario.load import apply_overrides

    if value is not MISSING:
        return apply_overrides(raw, {key: value})
    *parent, last = key.split(".")
    if not parent:
        return {k: v for k, v in raw.items() if k != last}
    node: Any = raw
    for part in parent:
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    kept = {k: v for k, v in node.items() if k != last} if isinstance(node, Mapping) else {}
    return apply_overrides(raw, {".".join(parent): kept})  # the parent without `last`


def mixed_scenario(
    a: Mapping[str, Any], b: Mapping[str, Any], keys: Sequence[str], source_dir: Path
) -> Any:
    """The Scenario with A's resolved levers and B's values for `keys` (ScenarioError)."""
    from sim.experiments.compare import MISSING, flat_levers
    from sim.scenario import ScenarioError
    from sim.scenario.schema import Scenario

    raw = dict(a)
    fb = flat_levers(b)
    for k in keys:
        raw = _set_leaf(raw, k, fb.get(k, MISSING))
    raw["source_dir"] = str(source_dir)
    try:
        return Scenario.model_validate(raw)
    except Exception as exc:  # pydantic's ValidationError: a lever mix that does not hold
        raise ScenarioError(
            str(source_dir / "scenario.yaml"),
            [f"B's {', '.join(keys) or '(no levers)'} on A is not a valid scenario: {exc}"],
        ) from None


def code_version() -> str:
    """The zonesim version and a hash of its Python sources (models, optimize, sim)."""
    import models
    import optimize
    import sim

    h = hashlib.sha256()
    for pkg in (models, optimize, sim):
        root = Path(pkg.__file__).parent
        for f in sorted(root.rglob("*.py")):
            h.update(str(f.relative_to(root.parent)).encode())
            h.update(f.read_bytes())
    try:
        version = metadata.version("zonesim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"{version}+{h.hexdigest()[:16]}"


def cache_key(scenario: Any, code: str) -> str:
    """SHA-256 of the resolved scenario's YAML (seed included) and the code version."""
    return hashlib.sha256(f"{code}\n{scenario.to_yaml()}".encode()).hexdigest()


class RunCache:
    """Province tables of runs on disk, one Parquet file per cache key; counts the runs made."""

    def __init__(self, folder: Path, code: str | None = None) -> None:
        """Cache in `folder` (created on first write) for the code version `code`."""
        self.folder = Path(folder)
        self.code = code or code_version()
        self.runs_made = 0
        self.reused = 0

    def province(self, scenario: Any) -> pd.DataFrame:
        """The province table of `scenario`'s run: from the cache, else run and stored."""
        from sim.runs.runner import run
        from sim.runs.store import write_atomic, write_parquet

        key = cache_key(scenario, self.code)
        path = self.folder / f"{key}.parquet"
        if path.is_file():
            try:
                table = pd.read_parquet(path)
                self.reused += 1
                return table
            except Exception as exc:  # a damaged entry is recomputed
                log.warning("attribution cache entry %s unreadable (%s); running again", path, exc)
        table = run(scenario).province
        self.runs_made += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda tmp: write_parquet(table, tmp))
        return table


def shapley(
    run_a: Any,
    run_b: Any,
    kpis: Sequence[str] = DEFAULT_KPIS,
    years: Sequence[int] | None = None,
    cache_dir: str | Path = "results/attribution-cache",
    *,
    permutations: int = 64,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Each differing lever's Shapley contribution to the KPIs' gap from run A to run B.

    `run_a`, `run_b`: RunViews or run folders. `kpis`: names of compare.KPIS; `years`:
    default the last year both runs have. Returns rows lever, kpi, year, value, unit,
    one_at_a_time, share (of the total) and exact (bool); a row `interaction` (total −
    Σ one-at-a-time; not part of the Shapley sum) and a row `total` (v(B) − v(A) as
    re-run; the Shapley values of the levers sum to it). `attrs`: levers, runs_made,
    reused, and `mismatch` (KPIs where A or B re-run differ from their folders, e.g.
    the code changed since they were written).
    """
    from sim.experiments.compare import (
        KPI_BY_NAME,
        RunFolderError,
        RunView,
        differing_levers,
        kpi_values,
        load_run,
    )

    a = run_a if isinstance(run_a, RunView) else load_run(run_a)
    b = run_b if isinstance(run_b, RunView) else load_run(run_b)
    unknown = [k for k in kpis if k not in KPI_BY_NAME]
    if unknown:
        raise RunFolderError(
            f"--kpi {', '.join(unknown)}: not a KPI; allowed: {', '.join(KPI_BY_NAME)}"
        )
    common = sorted(set(a.years) & set(b.years))
    ys = [max(common)] if years is None else sorted({int(y) for y in years})
    missing = [y for y in ys if y not in common]
    if missing:
        raise RunFolderError(
            f"no year {', '.join(map(str, missing))} in both runs (years both have: "
            f"{common[0]}-{common[-1]})"
        )
    levers = differing_levers([a.scenario, b.scenario])
    cache = RunCache(Path(cache_dir))
    a_raw = {k: v for k, v in a.scenario.items()}
    index = pd.MultiIndex.from_product([list(kpis), ys], names=["kpi", "year"])

    seen: dict[frozenset[str], pd.Series] = {}

    def evaluate(subset: frozenset[str]) -> pd.Series:
        if subset in seen:
            return seen[subset]
        keys = [k for k in levers if k in subset]
        scenario = mixed_scenario(a_raw, b.scenario, keys, a.path)
        if progress:
            progress(f"levers of B: {', '.join(keys) or '(none: A)'}")
        table = kpi_values(cache.province(scenario)).set_index(["kpi", "year"])["value"]
        seen[subset] = table.reindex(index)
        return seen[subset]

    parts = shapley_values(levers, evaluate, permutations=permutations, seed=seed)
    # the re-run endpoints against the folders: the same code and data give the same values
    mismatch = []
    for view, subset in ((a, frozenset()), (b, frozenset(levers))):
        stored = kpi_values(view.province).set_index(["kpi", "year"])["value"].reindex(index)
        again = evaluate(subset)
        off = ~np.isclose(stored.to_numpy(), again.to_numpy(), rtol=1e-9, atol=1e-9, equal_nan=True)
        mismatch += [f"{view.path}: {k} {y}" for (k, y), bad in zip(index, off, strict=True) if bad]
    rows = []
    for kpi, year in index:
        unit = KPI_BY_NAME[kpi].unit
        total = float(parts.loc[(kpi, year), "total"])
        for lever in levers:
            value = float(parts.loc[(kpi, year), lever])
            oat = float(parts.loc[(kpi, year), f"oat:{lever}"])
            rows.append((lever, kpi, year, value, unit, oat, value / total if total else math.nan))
        inter = float(parts.loc[(kpi, year), "interaction"])
        if levers:
            rows.append(
                (
                    "interaction",
                    kpi,
                    year,
                    inter,
                    unit,
                    math.nan,
                    inter / total if total else math.nan,
                )
            )
        rows.append(("total", kpi, year, total, unit, math.nan, 1.0 if total else math.nan))
    cols = ["lever", "kpi", "year", "value", "unit", "one_at_a_time", "share"]
    out = pd.DataFrame(rows, columns=cols)
    out["exact"] = bool(parts.attrs["exact"])
    out.attrs.update(
        levers=levers, runs_made=cache.runs_made, reused=cache.reused, mismatch=mismatch
    )
    return out


def lever_values(run_a: Any, run_b: Any) -> pd.DataFrame:
    """The differing levers with A's and B's values as text (lever, a, b)."""
    from sim.experiments.compare import MISSING, differing_levers, flat_levers, show_value

    fa, fb = flat_levers(run_a.scenario), flat_levers(run_b.scenario)
    keys = differing_levers([run_a.scenario, run_b.scenario])
    return pd.DataFrame(
        {
            "lever": keys,
            "a": [show_value(fa.get(k, MISSING), 60) for k in keys],
            "b": [show_value(fb.get(k, MISSING), 60) for k in keys],
        }
    )
