"""Reading scenario files: YAML with a line map, `extends:` chains, `--set` overrides.

A scenario file may `extends:` another (path relative to the file) and override any
key; `--set key.path=value` overrides are applied last. Every key remembers the file
and line that wrote it, so a validation message can point there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario.keys import is_section
from sim.scenario.library import locate
from sim.scenario.messages import Lines, ScenarioError, problems
from sim.scenario.schema import Scenario, name_from_file
from sim.scenario.yamlfile import parse_yaml_text, read_yaml_file


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


def _resolve(path: Path) -> Path:
    """`path` made absolute with symlinks resolved; ScenarioError for a symlink loop."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:  # RuntimeError: Python 3.11's symlink loop
        raise ScenarioError(str(path), [f"{path} cannot be read: {exc}"]) from None


def _read_yaml(path: Path, chain: tuple[Path, ...], lines: Lines | None = None) -> dict[str, Any]:
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ScenarioError(str(chain[0]), [f"extends: cycle {cycle}"])
    if chain and not path.exists():
        raise ScenarioError(str(chain[0]), [f"extends: in {chain[-1]} names {path}: no such file"])
    own: Lines = {}
    raw = read_yaml_file(path, own, what="extends: file" if chain else "scenario file")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ScenarioError(str(path), ["the top level must be a mapping of keys"])
    parent = raw.pop("extends", None)
    if parent is None:
        base: dict[str, Any] = {}
    elif not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(
            str(path),
            [
                f"extends: expected the file name of the parent scenario, e.g. baseline.yaml "
                f"(given: {parent!r}) ({own.get('extends', path)})"
            ],
        )
    else:
        base = _read_yaml(_resolve(path.parent / parent), (*chain, path), lines)
        # a scenario's name is its own (default: its file name), never its parent's
        base.pop("name", None)
        if lines is not None:
            lines.pop("name", None)
    if lines is not None:
        lines.update(own)  # the child's lines win over its parent's
    return _deep_merge(base, raw)


_KEY_PART = re.compile(r"^[^\s.=]+$")


def parse_override(item: str) -> tuple[str, Any]:
    """Split a --set item `key.path=value` into the key and the parsed value.

    The value is parsed as YAML (numbers, lists, null) with the scenario files' rules;
    text that is not YAML is taken as a word. ScenarioError naming the --set for a
    missing `=`, key or value, or an empty part of the key.
    """
    example = "expected KEY.PATH=VALUE, e.g. --set land.link_ratio=1.5"
    if "=" not in item:
        raise ScenarioError("--set", [f"--set {item!r}: no '='; {example}"])
    key, _, text = item.partition("=")
    key = key.strip()
    if not key:
        raise ScenarioError("--set", [f"--set {item!r}: no key before '='; {example}"])
    if not all(_KEY_PART.match(part) for part in key.split(".")):
        raise ScenarioError(
            "--set",
            [
                f"--set {item!r}: key {key!r} has an empty part or a space between its dots; "
                f"{example}"
            ],
        )
    if not text.strip():
        raise ScenarioError(
            "--set",
            [
                f"--set {item!r}: no value after '='; give one (null for no limit), e.g. "
                f"--set {key}=null"
            ],
        )
    try:
        value = parse_yaml_text(text, "--set", f"--set {item!r}")
    except yaml.YAMLError:
        value = text
    return key, value


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
    """A scenario file read and merged with its parents, not yet validated.

    Validate it with many sets of overrides (an ensemble's members) without reading it
    again.
    """

    path: Path
    raw: dict[str, Any]
    lines: Lines

    def validate(
        self, overrides: Mapping[str, Any] | None = None, drawn: Mapping[str, Any] | None = None
    ) -> Scenario:
        """Apply `overrides` and then `drawn`, and validate the result as a Scenario.

        `overrides` are dotted keys from --set; `drawn` are an ensemble member's drawn
        levers. ScenarioError messages name which one set a key.
        """
        raw = apply_overrides(apply_overrides(self.raw, overrides or {}), drawn or {})
        lines = {
            **self.lines,
            **{k: "--set" for k in (overrides or {})},
            **{k: "uncertainty draw" for k in (drawn or {})},
        }
        raw.setdefault("name", name_from_file(self.path))
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
    path = _resolve(locate(path))
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
