"""Reading scenario files: YAML with a line map, `extends:` chains, `--set` overrides.

A scenario file may `extends:` another (path relative to the file) and override any
key; `--set key.path=value` overrides are applied last. Every key remembers the file
and line that wrote it, so a validation message can point there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario.keys import is_section
from sim.scenario.library import locate
from sim.scenario.messages import Lines, ScenarioError, problems
from sim.scenario.schema import Scenario


def _deep_merge(
    base: dict[str, Any], over: Mapping[str, Any], path: tuple[str, ...] = ()
) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        here = (*path, str(k))
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            # A {year: value} path replaces, never merges: a new path is a new path. An
            # empty mapping replaces too (`belt_caps_mt: {}` removes the parent's caps),
            # except an empty section (`carbon: {}`), which changes nothing.
            if not v:
                replace = not is_section(Scenario, list(here))
            else:
                replace = all(isinstance(x, int) for x in v) or all(
                    isinstance(x, int) for x in out[k]
                )
            if replace:
                out[k] = dict(v)
            else:
                out[k] = _deep_merge(dict(out[k]), v, here)
        else:
            out[k] = v
    return out


def _key_lines(node: yaml.Node, path: Path, prefix: str, out: Lines) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        name = f"{prefix}{key.value}"
        out[name] = f"{path}:{key.start_mark.line + 1}"
        _key_lines(value, path, f"{name}.", out)


def _read_yaml(path: Path, chain: tuple[Path, ...], lines: Lines | None = None) -> dict[str, Any]:
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ScenarioError(str(chain[0]), [f"extends: cycle {cycle}"])
    if not path.is_file():
        who = f"extends: in {chain[-1]} names" if chain else "scenario file"
        raise ScenarioError(str(chain[0] if chain else path), [f"{who} {path}: no such file"])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ScenarioError(str(path), [f"not valid YAML: {exc}"]) from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), ["not UTF-8 text"]) from None
    if not isinstance(raw, dict):
        raise ScenarioError(str(path), ["the top level must be a mapping of keys"])
    parent = raw.pop("extends", None)
    own: Lines = {}
    _key_lines(yaml.compose(path.read_text(encoding="utf-8")), path, "", own)
    if parent is None:
        base: dict[str, Any] = {}
    else:
        base = _read_yaml((path.parent / str(parent)).resolve(), (*chain, path), lines)
    if lines is not None:
        lines.update(own)  # the child's lines win over its parent's
    return _deep_merge(base, raw)


def parse_override(item: str) -> tuple[str, Any]:
    """Split `key.path=value` and parse the value as YAML (numbers, lists, null)."""
    if "=" not in item:
        raise ScenarioError("--set", [f"{item!r}: expected key.path=value"])
    key, _, text = item.partition("=")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = text
    return key.strip(), value


def apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys in a raw scenario dict (copying along the path)."""
    out = dict(raw)
    for dotted, value in overrides.items():
        node = out
        parts = dotted.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            child = dict(child) if isinstance(child, Mapping) else {}
            node[part] = child
            node = child
        node[parts[-1]] = value
    return out


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario file read and merged with its parents, not yet validated: validate it
    with many sets of overrides (an ensemble's members) without reading it again."""

    path: Path
    raw: dict[str, Any]
    lines: Lines

    def validate(
        self, overrides: Mapping[str, Any] | None = None, drawn: Mapping[str, Any] | None = None
    ) -> Scenario:
        """The scenario with `overrides` (dotted keys, from --set) and then an ensemble
        member's `drawn` levers applied, validated; messages name which one set a key."""
        raw = apply_overrides(apply_overrides(self.raw, overrides or {}), drawn or {})
        lines = {
            **self.lines,
            **{k: "--set" for k in (overrides or {})},
            **{k: "uncertainty draw" for k in (drawn or {})},
        }
        raw.setdefault("name", self.path.stem)
        raw["source_dir"] = str(self.path.parent)
        raw["source_file"] = str(self.path)
        try:
            return Scenario.model_validate(raw)
        except ValidationError as exc:
            raise ScenarioError(str(self.path), problems(Scenario, exc, lines)) from None


def read_scenario(path: str | Path) -> ScenarioFile:
    """Read a scenario file and the files it extends (ScenarioError if unreadable).

    `path` is a YAML file, or the name of a shipped scenario ("baseline").
    """
    path = locate(path).resolve()
    lines: Lines = {}
    raw = _read_yaml(path, (), lines)
    return ScenarioFile(path, raw, lines)


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, merge (`extends:`), override and validate a scenario file.

    `path` is a YAML file, or the name of a shipped scenario ("baseline"). Raises
    ScenarioError listing every problem with its key path, the value given, what is
    allowed, and the file and line that wrote it.
    """
    return read_scenario(path).validate(overrides)
