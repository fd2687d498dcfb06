"""The scenario package: the schema's own names agree with the model's and the
optimiser's, the import graph has no cycle, shipped scenarios are found by name from
any folder, `Scenario.at` resolves every path and `Scenario.model_inputs` is memoised."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from sim.scenario import Scenario, load_scenario, names
from sim.scenario.library import LIBRARY_DIR, copy_library, library_files, locate
from tests.conftest import BASELINE, REPO

TINY = {"data.firm_scale": 0.05, "report.charts": False}


def test_schema_names_agree_with_the_model_and_the_optimiser():
    from models.carbon import CARBON_MEASURES
    from models.evaluation import INDICATORS
    from optimize.types import BELTS

    assert names.CARBON_MEASURES == CARBON_MEASURES
    assert get_args(names.CarbonMeasure) == names.CARBON_MEASURES
    assert tuple(INDICATORS) == names.EVAL_INDICATORS
    assert frozenset(names.BELTS) == BELTS
    assert get_args(names.Belt) == names.BELTS


def _imports(path: Path, package: str) -> set[tuple[str, bool]]:
    """(module imported, at import time?) for every import in a module, resolving
    `from pkg import sub` to the submodule alone where it is one; imports under
    `if TYPE_CHECKING:` are left out (they never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[tuple[str, bool]] = set()

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            inner = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                out.update((a.name, inner) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                for a in child.names:
                    sub = REPO.joinpath(*f"{child.module}.{a.name}".split("."))
                    if sub.with_suffix(".py").is_file() or (sub / "__init__.py").is_file():
                        out.add((f"{child.module}.{a.name}", inner))  # a submodule
                    else:
                        out.add((child.module, inner))
            visit(child, inner)

    visit(tree, True)
    return {(m, t) for m, t in out if m.split(".")[0] in ("sim", "models", "optimize")}


def _graph(eager_only: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for top in ("sim", "models", "optimize"):
        for path in sorted((REPO / top).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            mod = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            graph[mod] = {m for m, at_import in _imports(path, top) if at_import or not eager_only}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if n not in graph:
                continue
            if state.get(n) == 1:
                return [*stack[stack.index(n) :], n]
            if n not in state and (found := dfs(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := dfs(m)):
            return found
    return None


def test_no_import_cycle_and_one_way_layers():
    """No cycle among modules, counting imports inside functions too; models/ and
    optimize/ never import sim/, optimize/ never imports models/, and the schema no
    module of models/ (a TYPE_CHECKING import is allowed: it never runs)."""
    graph = _graph(eager_only=False)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])
    for mod, deps in graph.items():
        if mod.startswith(("models", "optimize")):
            assert not {d for d in deps if d.startswith("sim")}, mod
        if mod.startswith("optimize"):
            assert not {d for d in deps if d.startswith("models")}, mod
    schema = {m for m, _ in _imports(REPO / "sim" / "scenario" / "schema.py", "sim")}
    assert not {m for m in schema if m.startswith(("models", "optimize"))}, schema


def test_a_shipped_scenario_is_found_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert locate("baseline") == LIBRARY_DIR / "baseline.yaml"
    assert locate("baseline.yaml") == LIBRARY_DIR / "baseline.yaml"
    by_name = load_scenario("horizon_2035")
    assert by_name == load_scenario(LIBRARY_DIR / "horizon_2035.yaml")
    assert by_name.name == "horizon_2035"
    (tmp_path / "baseline.yaml").write_text("extends: " + str(BASELINE) + "\nseed: 5\n")
    assert load_scenario("baseline.yaml").seed == 5  # a file in the folder wins


def _has_path(node: object) -> bool:
    if isinstance(node, dict):
        return (bool(node) and all(isinstance(k, int) for k in node)) or any(
            _has_path(v) for v in node.values()
        )
    if isinstance(node, list | tuple):
        return any(_has_path(v) for v in node)
    return False


def test_at_resolves_every_path_of_every_shipped_scenario():
    for path in sorted(LIBRARY_DIR.glob("*.yaml")):
        sc = load_scenario(path)
        for year in (sc.years.base, *sc.sim_years):
            resolved = sc.at(year)
            assert not _has_path(resolved.model_dump(exclude={"uncertainty"})), (path, year)
    sc = load_scenario(BASELINE)
    assert sc.at(2022).economy.grid_factor_t_per_mwh == pytest.approx(0.5978)
    assert sc.at(2024).carbon.intensity_reduction_vs_base == pytest.approx(0.18 * 4 / 5)


def test_model_inputs_are_prepared_once_per_data_and_seed():
    a = load_scenario(BASELINE, TINY)
    inputs = a.model_inputs()
    assert len(inputs.firms) > 0
    same_data = load_scenario(BASELINE, {**TINY, "land.link_ratio": 2.0})
    assert same_data.model_inputs() is inputs
    assert load_scenario(BASELINE, {**TINY, "seed": 7}).model_inputs() is not inputs


def test_batch_run_with_the_scenario_alone():
    """mesa.batch_run(ProvinceModel, {"scenario": [sc]}): the model prepares its inputs
    through Scenario.model_inputs."""
    import mesa

    from models.province import ProvinceModel
    from sim.runs.runner import run

    sc = load_scenario(BASELINE, {**TINY, "years.end": 2022})
    out = mesa.batch_run(
        ProvinceModel,
        parameters={"scenario": [sc]},
        iterations=1,
        max_steps=10,
        data_collection_period=1,
        display_progress=False,
    )
    got = {row["year"]: row["co2_t"] for row in out}
    direct = run(sc).province.set_index("year")["co2_t"]
    assert sorted(got) == [2021, 2022]
    for year, co2 in got.items():
        assert co2 == pytest.approx(direct[year], rel=1e-12)


def test_init_copies_the_library_and_never_overwrites(tmp_path):
    from sim.commands.cli import main

    dest = tmp_path / "mine"
    assert main(["init", str(dest)]) == 0
    copied = sorted(p.relative_to(dest) for p in dest.rglob("*") if p.is_file())
    assert copied == library_files()
    assert (dest / "baseline.yaml").read_bytes() == (LIBRARY_DIR / "baseline.yaml").read_bytes()
    assert (dest / "data" / "zones.csv").is_file()
    edited = dest / "baseline.yaml"
    edited.write_text("name: mine\n", encoding="utf-8")
    assert main(["init", str(dest)]) == 2  # refused: nothing copied, nothing overwritten
    assert edited.read_text(encoding="utf-8") == "name: mine\n"
    with pytest.raises(FileExistsError):
        copy_library(dest)
    # the copy is a working library: its scenarios read their own data
    sc = load_scenario(dest / "strict_carbon.yaml")
    assert sc.data_path(sc.data.zones) == dest / "data" / "zones.csv"
    assert Scenario.model_fields["source_dir"].default == str(LIBRARY_DIR)
