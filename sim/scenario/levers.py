"""The lever table: every key of the scenario schema, its default, comment and effect.

The comment is the one baseline.yaml gives the key (meaning, unit, source); the effect
is what raising it does.

What raising a lever does, and how that is checked, is data: lever_effects.yaml next
to this module, read here and by tests/test_lever_directions.py.
`python -m sim.scenario.levers` prints the Markdown table of scenarios/README.md;
`--write` puts it into that README in place of the old table (a test checks the two
agree).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from sim.scenario.keys import annotation, number_range, schema_keys
from sim.scenario.library import LIBRARY_DIR
from sim.scenario.schema import NAME_RULE, Scenario
from sim.scenario.yamlfile import read_yaml_file

EFFECTS_FILE = Path(__file__).resolve().parent / "lever_effects.yaml"


@dataclass(frozen=True)
class Sweep:
    """A lever's documented direction.

    The direction test runs a small seeded case at `low` and at `high` (both with
    `context` set) and checks that `outcome` (a province.parquet column, or
    "allocations.<column>"), summed over the simulated years (`measure` "sum") or taken
    in the first simulated year ("first"), moves the way `effect` says: "up" = higher
    at `high`; "down" = lower.
    """

    low: Any
    high: Any
    outcome: str
    effect: Literal["up", "down"]
    text: str
    measure: Literal["sum", "first"] = "sum"
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LeverEffects:
    """The contents of lever_effects.yaml: how each lever's effect is documented.

    A direction per lever (`sweeps`), else the test that checks what it does
    (`checked_by`: key -> "tests/file.py::test"), else why there is no single direction
    (`no_direction`).
    """

    sweeps: dict[str, Sweep]
    checked_by: dict[str, str]
    no_direction: dict[str, str]


@cache
def lever_effects(path: Path = EFFECTS_FILE) -> LeverEffects:
    """Read the lever effects file (lever_effects.yaml by default)."""
    raw = read_yaml_file(path, what="lever effects file")
    return LeverEffects(
        sweeps={k: Sweep(**v) for k, v in raw["sweeps"].items()},
        checked_by=dict(raw["checked_by"]),
        no_direction=dict(raw["no_direction"]),
    )


def yaml_comments(path: Path = LIBRARY_DIR / "baseline.yaml") -> dict[str, str]:
    """The comments of baseline.yaml by key path: key path -> the comment on its line.

    Key paths are dotted ("land.link_ratio"), the nesting read from the indentation.
    """
    out: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(\s*)([A-Za-z_][\w]*):(.*)$", line)
        if not m:
            continue
        indent, key, rest = len(m.group(1)), m.group(2), m.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        full = ".".join([k for _, k in stack] + [key])
        stack.append((indent, key))
        comment = rest.split("#", 1)[1].strip() if "#" in rest else ""
        if comment:
            out[full] = comment
    return out


def _default(scenario: Scenario, key: str) -> Any:
    node: Any = scenario.model_dump(mode="json")
    for part in key.split("."):
        node = node[part]
    return node


def lever_rows() -> list[tuple[str, str, str]]:
    """(key, default, comment) for every lever."""
    sc = Scenario()
    comments = yaml_comments()
    rows = []
    for key in schema_keys(Scenario):
        value = _default(sc, key)
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        rows.append((key, text or "(empty)", comments.get(key, "")))
    return rows


def effect(key: str) -> str:
    """What raising the lever does, as the table prints it, and how that is checked."""
    effects = lever_effects()
    if key in effects.sweeps:
        sw = effects.sweeps[key]
        arrow = "↑" if sw.effect == "up" else "↓"
        return f"{sw.text} ({sw.outcome} {arrow} from {_short(sw.low)} to {_short(sw.high)})"
    if key in effects.checked_by:
        return f"checked by `{effects.checked_by[key]}`"
    if key in effects.no_direction:
        return f"no single direction: {effects.no_direction[key]}"
    return ""


def allowed(key: str) -> str:
    """What a lever takes, in words; "" if it cannot be said briefly.

    A number's range (each entry's, for a mapping of numbers), the words of a choice,
    or true or false; "" for anything else.
    """
    if key == "name":
        return NAME_RULE
    parts = key.split(".")
    rng = number_range(Scenario, parts)
    if rng is not None:
        return rng.text()
    ann = annotation(Scenario, parts)
    if ann is bool:
        return "true or false"
    if get_origin(ann) is Literal:
        return " \\| ".join(get_args(ann))
    entry = next(iter(getattr(ann, "model_fields", {})), "NAME")  # a sub-model's entries
    rng = number_range(Scenario, [*parts, entry])
    return "" if rng is None else f"each entry: {rng.text()}"


def _short(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False).replace("|", "\\|")


def markdown() -> str:
    """The lever table of scenarios/README.md, in Markdown."""
    lines = [
        "| key | default | allowed | meaning, unit, source of the default "
        "| raising it (checked on a small case) |",
        "|---|---|---|---|---|",
    ]
    for key, default, comment in lever_rows():
        safe = comment.replace("|", "\\|")
        lines.append(f"| `{key}` | `{default}` | {allowed(key)} | {safe} | {effect(key)} |")
    return "\n".join(lines)


def unswept_keys() -> list[str]:
    """Schema keys that still lack a documented direction, a checking test or a reason.

    data: and years: keys are left out: they are the case's set-up, not levers.
    """
    effects = lever_effects()
    return [
        k
        for k in schema_keys(Scenario)
        if not k.startswith(("data.", "years."))
        and k not in effects.sweeps
        and k not in effects.checked_by
        and k not in effects.no_direction
    ]


def write_readme(readme: Path = LIBRARY_DIR / "README.md") -> bool:
    """Replace the lever table in `readme` by `markdown()`; True if the file changed."""
    text = readme.read_text(encoding="utf-8")
    table = re.compile(r"^\| key \| default \|.*?(?=\n(?!\|))", re.M | re.S)
    if not table.search(text):
        raise ValueError(f"{readme}: no lever table (a line starting '| key | default |')")
    new = table.sub(lambda _: markdown(), text, count=1)
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> int:
    """Print the lever table, or with --write put it into scenarios/README.md."""
    p = argparse.ArgumentParser(prog="python -m sim.scenario.levers", description=__doc__)
    p.add_argument("--write", action="store_true", help="update scenarios/README.md")
    args = p.parse_args(argv)
    if args.write:
        changed = write_readme()
        print(f"{LIBRARY_DIR / 'README.md'}: {'updated' if changed else 'unchanged'}")
    else:
        print(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
