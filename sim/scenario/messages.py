"""Validation errors rewritten for a planner: one line per problem.

Each line gives the key path, the value given, what is allowed, and the file and line
(or the --set) that wrote it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from sim.scenario.keys import Root, annotation, number_range, valid_keys

Lines = dict[str, str]
"""key path ("land.link_ratio") -> where it was written ("file.yaml:12", "--set")."""


SHOWN = 20
"""Most problems a message lists (a screenful); it says how many more there are."""


class ScenarioError(ValueError):
    """A scenario that cannot be read or validated.

    The message lists the first SHOWN problems and how many more there are
    (`problems` holds them all).
    """

    def __init__(self, file: str, problems: list[str]):
        self.file = file
        self.problems = problems
        shown = [f"  - {p}" for p in problems[:SHOWN]]
        if len(problems) > SHOWN:
            shown.append(f"  ... and {len(problems) - SHOWN} more")
        body = "\n".join(shown)
        super().__init__(f"{file}: {len(problems)} problem(s)\n{body}")


OVERRIDES = ("--set", "uncertainty draw")
"""What `Lines` holds for a key set by an override rather than a file."""

# pydantic's names for the branches of "a number or a {year: number} path"
_BRANCHES = {
    "float",
    "int",
    "dict[int,float]",
    "dict[int,int]",
    "dict[int,nullable[float]]",
    "function-after[_ordered(), Years]",
}


_NOT_A_NUMBER = {
    "float_type",
    "float_parsing",
    "dict_type",
    "int_parsing",
    "int_type",
    "int_from_float",
    "finite_number",
}
_YAML11_WORDS = {"yes", "no", "on", "off", "y", "n"}
"""Booleans in YAML 1.1, words in the YAML 1.2 zonesim reads."""


def where(loc: str, lines: Lines, overridden: list[str] | None = None) -> str:
    """The file:line of the longest prefix of `loc` that a file wrote, else ''.

    An override (--set, an ensemble draw) of `loc` or of a key below it is named instead:
    it changed the value that failed. `overridden`: the keys of `lines` an override
    wrote (found once per message, so each lookup costs the few overrides, not every
    key of the file).
    """
    if overridden is None:
        overridden = [k for k, v in lines.items() if v in OVERRIDES]
    below = [lines[k] for k in overridden if k.startswith(f"{loc}.")]
    if below and lines.get(loc) not in OVERRIDES:
        return f" ({below[0]})"
    parts = loc.split(".")
    for n in range(len(parts), 0, -1):
        hit = lines.get(".".join(parts[:n]))
        if hit:
            return f" ({hit})"
    return ""


def describe(
    root: Root,
    err: Mapping[str, Any],
    lines: Lines,
    overridden: list[str] | None = None,
    hints: bool = True,
) -> str | None:
    """The problem `err` in one line, with where it was set; None when it says nothing.

    None is for a number-or-path lever given a mapping, where the scalar branch's
    complaint says nothing (the mapping's own errors say it). `hints`: suggest the
    nearest key for an unknown one (problems beyond the shown ones skip it: thousands
    of unknown keys stay fast).
    """
    raw_loc = [str(p) for p in err["loc"]]
    in_union = any(p in _BRANCHES for p in raw_loc)
    kind = err["type"]
    given = err.get("input")
    branch = next((p for p in reversed(raw_loc) if p in _BRANCHES), "")
    if branch in ("float", "int") and raw_loc[-1] == branch and isinstance(given, Mapping):
        return None
    in_path = branch.startswith("dict[int,")
    if in_path and raw_loc[-1] == "[key]":
        raw_loc.pop()
        kind, err = "year_key", {**err, "msg": "expected a year (such as 2025) as the key"}
    loc = ".".join(p for p in raw_loc if p not in _BRANCHES and not p.startswith("function-"))
    if kind == "extra_forbidden":
        keys = valid_keys(root)
        if loc.startswith("uncertainty.") and len(raw_loc) == 3:  # a distribution's key
            keys = list(annotation(root, ["uncertainty", raw_loc[1]]).model_fields)
            near = difflib.get_close_matches(raw_loc[-1], keys, n=1, cutoff=0.5) if hints else []
            hint = f"; did you mean {near[0]}?" if near else f"; allowed: {', '.join(keys)}"
            return f"{loc}: unknown key of a distribution{hint}{where(loc, lines, overridden)}"
        near = difflib.get_close_matches(loc, keys, n=1, cutoff=0.6) if hints else []
        hint = f"; did you mean {near[0]}?" if near else ""
        return f"{loc}: unknown key{hint}{where(loc, lines, overridden)}"
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "finite_number":
        msg = "expected a finite number (.nan and .inf are not allowed)"
    if in_union and kind in ("float_type", "float_parsing", "dict_type", "int_parsing", "int_type"):
        msg = "expected a number" if in_path else "expected a number or a {year: number} mapping"
    if not in_union and kind in ("float_type", "float_parsing"):
        msg = "expected a number"
    if not in_union and kind in ("int_type", "int_parsing", "int_from_float"):
        msg = "expected a whole number"
    if in_union and kind == "int_from_float":
        msg = (
            "expected a whole number"
            if in_path
            else "expected a whole number of years, or a {year: whole number} mapping"
        )
    if kind in _NOT_A_NUMBER and "allowed:" not in msg:
        parts = loc.split(".")
        rng = number_range(root, parts) or number_range(root, parts[:-1])
        if rng is not None:
            msg = f"{msg}; allowed: {rng.text()}"
        if isinstance(given, str) and given.lower() in _YAML11_WORDS:
            msg += (
                f" ({given!r} is a word: only true/false are booleans, and no boolean is a "
                "number; write null for no limit)"
            )
    if not loc:  # a check across sections: name who set each key its message names
        keys = dict.fromkeys(re.findall(r"\b[a-z_]+(?:\.[\w]+)+", msg))
        found = [(k, where(k, lines, overridden)) for k in keys]
        found = [(k, w) for k, w in found if w]
        if len(found) == 1:
            return f"{msg}{found[0][1]}"
        named = "; ".join(f"{k}: {w[2:-1]}" for k, w in found)
        return f"{msg} ({named})" if found else msg
    shown = repr(given)
    if len(shown) > 80:
        shown = shown[:76] + " …" + shown[-1]
    return f"{loc}: {msg} (given: {shown}){where(loc, lines, overridden)}"


def problems(root: Root, exc: ValidationError, lines: Lines) -> list[str]:
    """The problems of a validation error, one line each.

    A value no branch of "number or {year: number}" takes is reported once.
    """
    out = []
    seen = set()
    overridden = [k for k, v in lines.items() if v in OVERRIDES]
    for err in exc.errors():
        text = describe(root, err, lines, overridden, hints=len(out) < SHOWN)
        if text is None:
            continue
        branches = [str(p) for p in err["loc"] if str(p) in _BRANCHES]
        key = text.split(":", 1)[0] if branches else text
        if key not in seen:
            seen.add(key)
            out.append(text)
    return out
