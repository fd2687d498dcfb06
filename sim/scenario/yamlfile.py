"""The one YAML reader of zonesim: strict YAML 1.2 core scalars, with file and line.

Every YAML the tool reads (scenario files, the parents they extend, `--set` values,
lever_effects.yaml) goes through `read_yaml_file` or `parse_yaml_text`.

It reads YAML 1.2 core scalars: only `true`/`false` are booleans (`yes`, `no`, `on`,
`off`, `y`, `n` stay words, so `exit.mode: off` is the word "off" and `total_cap_mt: no`
is refused as not a number); `1:30` and `2021-01-01` are text, not numbers or dates;
`012` is twelve. It refuses, with the file and line: a key given twice in one mapping
(at any depth, naming both lines), a file above `MAX_BYTES`, nesting deeper than
`MAX_DEPTH`, aliases that expand to more than `MAX_NODES` values ("billion laughs") or
into themselves, and paths that are directories, symlink loops or unreadable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import yaml

from sim.scenario.messages import Lines, ScenarioError

MAX_BYTES = 1_000_000
"""Largest YAML file read (bytes); the baseline is about 16 kB."""
MAX_DEPTH = 50
"""Deepest nesting of mappings and lists; a scenario nests about 5 deep."""
MAX_NODES = 100_000
"""Most values a document may hold with every alias expanded; the baseline holds ~500."""


class _Refused(yaml.YAMLError):
    """A document the reader refuses (too deep, too big, a duplicate key)."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


try:  # libyaml's event parser, ~7x faster than PyYAML's; the composer stays PyYAML's
    from yaml._yaml import CParser as _EventParser  # (bounded depth, line marks)

    _PARSER: tuple[type, ...] = (_EventParser,)
except ImportError:  # PyYAML built without libyaml
    _PARSER = (yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser)


class StrictLoader(
    yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver, *_PARSER
):
    """A safe loader with YAML 1.2 core scalars and a bound on nesting depth."""

    # only the resolvers below (add_implicit_resolver copies a class's own dict)
    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}

    def __init__(self, stream: str):
        if _PARSER[0] is yaml.reader.Reader:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
        else:
            _PARSER[0].__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node as PyYAML does; _Refused if nested deeper than MAX_DEPTH."""
        # the composer recurses once per level: refuse before Python's recursion limit
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(
                    mark.line + 1,
                    f"nested more than {MAX_DEPTH} levels deep (a scenario nests about 5)",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_CORE = [  # YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution)
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
        list("-+0123456789"),
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
]
for _tag, _pattern, _first in _CORE:
    StrictLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader: StrictLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)  # decimal, leading zeros included (YAML 1.2: 012 is twelve)


def _construct_float(loader: StrictLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _expanded_size(root: yaml.Node) -> int:
    """The number of nodes of the document with every alias expanded.

    Counted without expanding (each node once, children's sizes memoised); _Refused
    above MAX_NODES or when an alias contains itself.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            kids = _children(node)
            total = 1 + sum(size[id(k)] for k in kids)
            if total > MAX_NODES:
                what = "aliases (*name) expand to" if len(size) < MAX_NODES else "the file holds"
                raise _Refused(
                    node.start_mark.line + 1,
                    f"{what} more than {MAX_NODES:,} values; a scenario holds a few hundred",
                )
            size[key] = total
            continue
        if key in size:
            continue
        if key in on_path:
            raise _Refused(
                node.start_mark.line + 1, "an alias (*name) refers to a value that contains it"
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)
    return size[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _key(loader: StrictLoader, node: yaml.Node) -> tuple[str, str] | None:
    """(name, identity) of a mapping key; None for a merge `<<` or a non-plain key.

    The name is the key as a key path prints it; the identity is what makes two keys
    the same key (1, 1.0 and "1" are; a dict or a year mapping would merge them).
    """
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:merge":
        return None
    value = loader.construct_object(node)
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(loader.construct_object(node)), str(value)


def _line_map(
    loader: StrictLoader, root: yaml.Node, where: str, lines: Lines | None = None
) -> Lines:
    """Key path ("land.link_ratio") -> "file:line" for every key of the document.

    Refuses a key given twice in one mapping (1 and 1.0 and "1" are the same key),
    naming both lines. Linear in the expanded size (bounded by `_expanded_size`).
    """
    out: Lines = {} if lines is None else lines
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, yaml.SequenceNode):  # entries as pydantic names them: bans.0
            stack.extend((v, f"{prefix}{i}.") for i, v in enumerate(node.value))
        if not isinstance(node, yaml.MappingNode):
            continue
        first: dict[str, tuple[int, str]] = {}
        for key, value in node.value:
            found = _key(loader, key)
            if found is None:
                continue
            text, ident = found
            line = key.start_mark.line + 1
            name = f"{prefix}{text}"
            if ident in first:
                was, as_written = first[ident]
                both = f"lines {was} and {line}" if was != line else f"line {line}"
                also = f" (as {text})" if text != as_written else ""
                raise _Refused(
                    line,
                    f"{prefix}{as_written}: key given twice{also}, on {both}; a key may "
                    "appear once in a mapping (the second would silently replace the "
                    "first): keep one",
                )
            first[ident] = (line, text)
            out[name] = f"{where}:{line}"
            stack.append((value, f"{name}."))
    return out


def _load(text: str, where: str, lines: Lines | None) -> Any:
    loader = StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _expanded_size(root)
        _line_map(loader, root, where, lines)
        return loader.construct_document(root)
    finally:
        if hasattr(loader, "dispose"):
            loader.dispose()


def _problem(where: str, exc: yaml.YAMLError) -> str:
    """One line: what is wrong, and where (file:line, column)."""
    if isinstance(exc, _Refused):
        at = f" ({where}:{exc.line})" if exc.line else ""
        return f"{exc.message}{at}"
    if not isinstance(exc, yaml.MarkedYAMLError):
        return f"not valid YAML: {exc}"
    mark = exc.problem_mark or exc.context_mark
    at = f" ({where}:{mark.line + 1}, column {mark.column + 1})" if mark else ""
    if "maximum nesting depth" in str(exc.problem):  # libyaml's own bound (1000 levels)
        return f"nested more than {MAX_DEPTH} levels deep (a scenario nests about 5){at}"
    what = "; ".join(str(p) for p in (exc.context, exc.problem) if p)
    return f"not valid YAML: {what}{at}"


def read_text(path: Path, *, what: str = "scenario file") -> str:
    """The text of a YAML file, read as UTF-8.

    ScenarioError (naming `path`) for a missing file, a directory, a symlink loop, an
    unreadable file, one above MAX_BYTES or not UTF-8.
    """
    try:
        if path.is_dir():
            raise ScenarioError(str(path), [f"{what} {path} is a folder; give a YAML file"])
        if path.exists() and not path.is_file():  # a FIFO or a device would block or never end
            raise ScenarioError(str(path), [f"{what} {path} is not a regular file"])
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except ScenarioError:
        raise
    except FileNotFoundError:
        raise ScenarioError(str(path), [f"{what} {path}: no such file"]) from None
    except PermissionError:
        raise ScenarioError(
            str(path), [f"{what} {path}: permission denied (cannot read it)"]
        ) from None
    except (OSError, RuntimeError) as exc:  # ELOOP (symlink loop), EIO, ...
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ScenarioError(str(path), [f"{what} {path} cannot be read: {reason}"]) from None
    if len(data) > MAX_BYTES:
        raise ScenarioError(
            str(path),
            [f"{what} {path} is larger than {MAX_BYTES:,} bytes; a scenario is a few kB"],
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), [f"not UTF-8 text (byte {exc.start})"]) from None


def read_yaml_file(path: Path, lines: Lines | None = None, *, what: str = "scenario file") -> Any:
    """The document of a YAML file (None if empty).

    `lines` (if given) is filled with "key.path" -> "file:line". A file that cannot be
    read or is refused raises ScenarioError naming the file and line.
    """
    text = read_text(path, what=what)
    try:
        return _load(text, str(path), lines)
    except yaml.YAMLError as exc:
        raise ScenarioError(str(path), [_problem(str(path), exc)]) from None


def parse_yaml_text(text: str, source: str, label: str) -> Any:
    """Parse a YAML value typed on the command line (a `--set` value).

    The same rules as a file apply. yaml.YAMLError for text that is not YAML (the
    caller may take it as a word); ScenarioError from `source` ("--set") naming `label`
    (the item) for a refused document (too deep, too many aliases, a key given twice).
    """
    if len(text) > MAX_BYTES:
        raise ScenarioError(source, [f"{label}: longer than {MAX_BYTES:,} characters"])
    try:
        return _load(text, source, None)
    except _Refused as exc:
        raise ScenarioError(source, [f"{label}: {exc.message}"]) from None
