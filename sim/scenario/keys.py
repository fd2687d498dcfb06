"""Schema introspection: which dotted keys exist, which are levers, what type each takes.

Every function takes the root model (the `Scenario` class) as its first argument, so
this module does not import the schema (the schema's own validators call it).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from sim.scenario.names import EVAL_INDICATORS

Root = type[BaseModel]

VALUE_MAPPINGS = frozenset(
    {
        "evaluation.weights",
        "evaluation.small_firm_weights",
        "evaluation.class_shares",
        "evaluation.surcharge_yuan_per_kwh",
        "evaluation.land_tax_surcharge_wan_per_mu",
        "evaluation.fossil_surcharge_yuan_per_tce",
        "evaluation.water_surcharge_yuan_per_m3",
        "economy.grid_factor_t_per_mwh",
        "economy.province_gdp_growth",
        "economy.labour_productivity_growth",
        "carbon.intensity_reduction_vs_base",
        "carbon.belt_caps_mt",
        "carbon.belt_intensity_reduction_vs_base",
        "carbon.zone_caps_mt",
        "carbon.zone_intensity_reduction_vs_base",
    }
)
"""Groups whose children are values (a mapping given as one lever), not levers."""


def schema_keys(model: Root, prefix: str = "") -> list[str]:
    """Dotted keys of every lever, in schema order (sub-models expanded)."""
    keys = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        full = f"{prefix}{name}"
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and full not in VALUE_MAPPINGS:
            keys.extend(schema_keys(ann, f"{full}."))
        else:
            keys.append(full)
    return keys


@cache
def valid_keys(model: Root, prefix: str = "") -> tuple[str, ...]:
    """Every dotted key a scenario file may write: sections and the keys inside them."""
    keys: list[str] = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        full = f"{prefix}{name}"
        keys.append(full)
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys.extend(valid_keys(ann, f"{full}."))
    return tuple(keys)


def annotation(root: Root, parts: list[str]) -> Any:
    """The schema type at a dotted key (through sub-models and name-keyed mappings)."""
    ann: Any = root
    for part in parts:
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            info = ann.model_fields.get(part)
            if info is None:
                return None
            ann = info.annotation
        elif getattr(ann, "__origin__", None) is dict:
            ann = ann.__args__[1]
        else:
            return None
    return ann


def number_range(root: Root, parts: list[str]) -> Any:
    """The `Range` (sim.scenario.schema) of the number at `parts`; None if no number.

    `parts` names a field, or an entry of a mapping lever.
    """
    ann: Any = root
    found: list[Any] = []
    for part in parts:
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            info = ann.model_fields.get(part)
            if info is None:
                return None
            found = list(info.metadata)  # a top-level Annotated's metadata lives here
            ann = info.annotation
        elif get_origin(ann) is dict:
            found, ann = [], get_args(ann)[1]
        else:
            return None
    stack = [ann]
    while stack:  # through unions (X | None) and Annotated[X, Range, ...]
        t = stack.pop()
        found.extend(getattr(t, "__metadata__", ()))
        stack.extend(a for a in getattr(t, "__args__", ()) if get_origin(t) is not dict)
    return next((m for m in found if hasattr(m, "hi") and hasattr(m, "text")), None)


def counts_whole(root: Root, parts: list[str]) -> bool:
    """Is the lever at `parts` counted in whole numbers (years, a year, a seed)?"""

    def leaves(t: Any) -> set[Any]:  # the plain types a value may take ({year: v}: v's)
        if getattr(t, "__origin__", None) is dict:
            return leaves(t.__args__[1])
        args = getattr(t, "__args__", ())  # a union, or Annotated[X, ...] (args (X,))
        return set().union(*(leaves(a) for a in args)) if args else {t}

    found = leaves(annotation(root, parts))
    return int in found and float not in found


def is_mapping_lever(root: Root, parts: list[str]) -> bool:
    """Is the schema field at `parts` a dict of levers keyed by name (not a sub-model)?"""
    model: Any = root
    for part in parts:
        info = model.model_fields.get(part) if isinstance(model, type) else None
        if info is None:
            return False
        model = info.annotation
    if getattr(model, "__origin__", None) is not dict:
        return False
    value_type = model.__args__[1]
    return not (isinstance(value_type, type) and issubclass(value_type, BaseModel))


def is_section(root: Root, parts: list[str]) -> bool:
    """Is the schema field at `parts` a section of the scenario (a sub-model)?

    A section is a sub-model such as `carbon`, rather than a value or a mapping keyed by
    name or year.
    """
    ann = annotation(root, parts)
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def entry_names(root: Root, parts: list[str]) -> tuple[str, ...] | None:
    """The names the mapping lever at `parts` may hold, when the schema fixes them.

    Belts, classes, indicators; None when they are data names or `parts` is no mapping
    lever (sectors and zones are checked against the data: sim.runs.data.check_names).
    """
    if not parts or not is_mapping_lever(root, parts):
        return None
    if parts[-1] in ("weights", "small_firm_weights"):
        return tuple(EVAL_INDICATORS)
    key_type = annotation(root, parts).__args__[0]
    return tuple(get_args(key_type)) if get_origin(key_type) is Literal else None


def lever_default(root: Root, dumped: dict[str, Any], key: str) -> tuple[bool, Any]:
    """(is `key` a lever, its default) in the dumped scenario `dumped`.

    An entry of a mapping lever counts even when the default lacks it
    (economy.sector_growth.chemicals, evaluation.weights.rd_share).
    """
    node: Any = dumped
    parts = key.split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, dict):
            return False, None
        if part not in node:
            return i == len(parts) - 1 and i > 0 and is_mapping_lever(root, parts[:i]), None
        node = node[part]
    return True, node
