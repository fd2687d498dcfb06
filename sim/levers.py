"""The lever table: every key of the scenario schema with its default and the comment
baseline.yaml gives it (meaning, unit, source). `python -m sim.levers` prints it as the
Markdown table of scenarios/README.md; a test checks the two agree.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sim.config import SCENARIO_DIR, Scenario

# Groups whose children are values (a mapping given as one lever), not levers.
VALUE_MAPPINGS = {
    "evaluation.weights",
    "evaluation.small_firm_weights",
    "evaluation.class_shares",
    "evaluation.surcharge_yuan_per_kwh",
    "evaluation.land_tax_surcharge_wan_per_mu",
    "evaluation.fossil_surcharge_yuan_per_tce",
    "economy.grid_factor_t_per_mwh",
    "economy.province_gdp_growth",
    "carbon.intensity_reduction_vs_base",
    "carbon.belt_caps_mt",
}


def schema_keys(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Dotted keys of every lever, in schema order (sub-models expanded)."""
    keys = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        full = f"{prefix}{name}"
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and full not in VALUE_MAPPINGS:
            keys.extend(schema_keys(ann, f"{full}."))
        else:
            keys.append(full)
    return keys


def yaml_comments(path: Path = SCENARIO_DIR / "baseline.yaml") -> dict[str, str]:
    """key path -> the comment on its line in baseline.yaml (indentation = nesting)."""
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
    for key in schema_keys():
        value = _default(sc, key)
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        rows.append((key, text or "(empty)", comments.get(key, "")))
    return rows


def markdown() -> str:
    lines = ["| key | default | meaning, unit, source of the default |", "|---|---|---|"]
    for key, default, comment in lever_rows():
        safe = comment.replace("|", "\\|")
        lines.append(f"| `{key}` | `{default}` | {safe} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
