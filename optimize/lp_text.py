"""The solver's CPLEX LP file, written row by row from a cache (byte-identical to Pyomo's).

`optimize.glpk` hands glpsol the text Pyomo's `LPWriter` would write with the built
model's compact labels, but most of a year's rows are the same as last year's: Pyomo
re-walks and re-formats every one (~60 ms a year on the Jiangsu case). This writer
keeps, per row, Pyomo's own linear representation (its `LinearRepnVisitor`, so every
coefficient and right-hand side is computed by the same arithmetic) and the formatted
text, and redoes a row only when it may have changed:

* its body is a new expression object (a row rebuilt by `BuiltModel._set_row`), or
* a parameter in it, or a variable's value or fixed flag, differs from those the text
  was made with (a named expression or an unknown leaf: walked every time), or
* the order of the variable components it holds changed (Pyomo sorts a row's terms by
  the order in which each variable component first appears in the file, e.g. the gap g
  comes first when it is the objective).

The right-hand side is formatted every time from the row's evaluated bounds. Rows with
many terms (the objective, the carbon rows) are walked every time (checking them would
cost as much), through a faster handler of long plain sums that gives Pyomo's result;
their text is reused when their terms are the same (the phases of an infeasible year).
The variable bounds are formatted from each variable's bounds and domain, cached on
those. Nothing here knows the row families: it writes whatever active objective and
constraints the model has, in Pyomo's order.

The layout, term order, labels and number formatting follow
`pyomo.repn.plugins.lp_writer` (Pyomo 6.10); tests/test_lp_text.py checks that the
text equals Pyomo's on province-sized years, every phase and the MIP. A component
the writer does not know (a variable or row without a compact label, a quadratic or
nonlinear term, an SOS) raises `Unsupported`, and the caller uses Pyomo's writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Any

from pyomo.common.gc_manager import PauseGC
from pyomo.common.numeric_types import native_types
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.environ import Constraint, Objective, Var, minimize
from pyomo.repn.linear import LinearBeforeChildDispatcher, LinearRepnVisitor
from pyomo.repn.util import ExprType, FileDeterminism, FileDeterminism_to_SortComponents

_SORTER = FileDeterminism_to_SortComponents(FileDeterminism.ORDERED)
_BIG_ROW = 200
"""Rows with more terms than this are walked every time instead of checked."""


class Unsupported(Exception):
    """The model has something this writer does not write like Pyomo's LPWriter."""


class _RowRecorder:
    """A var recorder for one walk: which variable components appear, in what order.

    Like Pyomo's OrderedVarRecorder it maps every unfixed variable of a component when
    the walk first meets one of them (from a per-file cache of those maps).
    """

    def __init__(self) -> None:
        self.var_map: dict[int, Any] = {}
        self.components: list[Any] = []
        self.unfixed: dict[int, dict[int, Any]] = {}
        """id(variable component) -> its unfixed variables by id (for one file)."""
        self.kept: dict[int, tuple[list[bool], dict[int, Any]]] = {}
        """id(variable component) -> (its variables' fixed flags, the unfixed map)."""
        self.datas_of: Any = None
        """The writer's `_component_datas`."""

    def reset(self) -> None:
        self.var_map.clear()
        self.components = []

    def add(self, var: Any) -> None:
        pc = var.parent_component()
        self.components.append(pc)
        found = self.unfixed.get(id(pc))
        if found is None:
            datas = self.datas_of(pc)
            flags, kept = self.kept.get(id(pc)) or (None, None)
            now = list(map(_FIXED, datas))
            if now != flags:
                kept = {id(v): v for v, f in zip(datas, now, strict=True) if not f}
                self.kept[id(pc)] = (now, kept)
            found = self.unfixed[id(pc)] = kept
        self.var_map.update(found)
        self.var_map[id(var)] = var  # a var fixed after the map was made: as Pyomo


def _plain_linear(visitor: Any, child: Any) -> tuple[bool, Any]:
    """Pyomo's `_before_linear` for a long Σ c·x of distinct variables (a pair_sum).

    The same result (the same dict, built in term order; a fixed variable's c·value
    added to the constant in term order) with few Python calls per term; anything else
    (a parameter coefficient, a repeated variable, a zero coefficient, a constant term)
    goes to Pyomo's own handler.
    """
    args = child.args
    if not args or set(map(type, args)) != {MonomialTermExpression}:
        return LinearBeforeChildDispatcher._before_linear(visitor, child)
    pairs = list(map(_ARGS, args))
    coefs = [p[0] for p in pairs]
    variables = [p[1] for p in pairs]
    ids = list(map(id, variables))
    if not set(map(type, coefs)) <= {float, int} or not all(coefs) or len(set(ids)) != len(ids):
        return LinearBeforeChildDispatcher._before_linear(visitor, child)
    var_map = visitor.var_map
    ans = visitor.Result()
    flags = list(map(_FIXED, variables))
    if any(flags):
        at = [i for i, f in enumerate(flags) if f and ids[i] not in var_map]
        for i in at:
            value = variables[i]._value
            if value.__class__ not in (float, int):
                return LinearBeforeChildDispatcher._before_linear(visitor, child)
            ans.constant += coefs[i] * value
        for i in reversed(at):
            del coefs[i], variables[i], ids[i]
    missing = set(ids).difference(var_map)
    if missing:
        position = dict(zip(ids, range(len(ids)), strict=True))
        while missing:
            # The first variable (in term order) not yet mapped; adding it maps its
            # whole component, as Pyomo's recorder does.
            i = min(map(position.__getitem__, missing))
            visitor.var_recorder.add(variables[i])
            missing = missing.difference(var_map)
    ans.constant += 0  # Pyomo adds the (here empty) sum of constant terms
    ans.linear = dict(zip(ids, coefs, strict=True))
    if ans.linear:
        return False, (ExprType.LINEAR, ans)
    return False, (ExprType.CONSTANT, ans.constant)


_ARGS = attrgetter("_args_")
_FIXED = attrgetter("_fixed")
_LB = attrgetter("_lb")
_UB = attrgetter("_ub")
_DOMAIN = attrgetter("_domain")


class _Dispatcher(LinearBeforeChildDispatcher):
    def __init__(self) -> None:
        super().__init__()
        self[LinearExpression] = _plain_linear


class _Visitor(LinearRepnVisitor):
    """Pyomo's linear visitor with a faster (same-result) handler for long sums."""

    before_child_dispatcher = _Dispatcher()

    def _filter_zeros(self, ans: Any) -> None:
        # Pyomo's, with a C-level test first: most rows have no zero coefficient.
        if not all(ans.linear.values()):
            super()._filter_zeros(ans)


@dataclass
class _Row:
    """One row (or the objective) as Pyomo's visitor represented it, and its text."""

    body: Any
    bounds: tuple[Any, Any]
    linear: dict[int, Any]
    offset: Any
    components: list[Any]
    params: list[Any] | None = None
    """Mutable parameters of the body (None: a big row, never reused)."""
    param_values: tuple[Any, ...] = ()
    vars_: list[Any] = field(default_factory=list)
    var_state: tuple[Any, ...] = ()
    ranks: tuple[int, ...] | None = None
    text: str = ""
    order: list[int] = field(default_factory=list)
    """The row's variable ids in written (sorted) order."""


def _leaves(body: Any) -> tuple[list[Any], list[Any]] | None:
    """(parameters, variables) an expression's value depends on; None if something else.

    A row's text can be reused while these keep their values (and the variables their
    fixed flags): the expression is a tree of operators over them and numbers. A named
    expression (whose content can change under the same object) or any other leaf
    makes the row one that is walked every time.
    """
    params: list[Any] = []
    variables: list[Any] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if node.__class__ in native_types:
            continue
        if node.is_expression_type():
            if node.is_named_expression_type():
                return None
            stack.extend(node.args)
        elif node.is_variable_type():
            variables.append(node)
        elif node.is_parameter_type():
            params.append(node)
        elif not node.is_constant():
            return None
    return params, variables


def _var_state(variables: list[Any]) -> tuple[Any, ...]:
    """Which variables are fixed, and at what values."""
    flags = tuple(map(_FIXED, variables))
    if not any(flags):
        return flags
    return flags + tuple(v._value for v, f in zip(variables, flags, strict=True) if f)


class CompactLPWriter:
    """Writes one built model's active problem as Pyomo's LPWriter would (compact labels)."""

    def __init__(self, names: dict[int, str]) -> None:
        self._names = names
        self._recorder = _RowRecorder()
        self._recorder.datas_of = self._component_datas
        self._visitor = _Visitor({}, var_recorder=self._recorder)
        self._rows: dict[int, _Row] = {}
        self._positions: dict[int, dict[int, int]] = {}
        """id(variable component) -> id(var data) -> position in the component."""
        self._bounds: dict[int, tuple[Any, str, str]] = {}
        """id(var data) -> (bounds key, bounds line, "i"/"b"/"")."""
        self._domains: dict[int, tuple[Any, tuple[Any, Any]]] = {}
        self._datas: dict[int, tuple[Any, list[Any]]] = {}
        self._comp_bounds: dict[int, tuple[Any, ...]] = {}
        """id(variable component) -> (bounds signature, its lines, integers, binaries, the
        lines up to the upper bound, whether no domain has an upper bound)."""
        self._one = Var(name="ONE_VAR_CONSTANT", bounds=(1, 1))
        self._one.construct()
        self._one_id = id(self._one)
        self._labels = {**names, self._one_id: "ONE_VAR_CONSTANT"}

    # --- one row -------------------------------------------------------------------
    def _walk(self, body: Any, bounds: tuple[Any, Any], cacheable: bool) -> _Row:
        rec = self._recorder
        rec.reset()
        self._visitor.subexpression_cache.clear()
        repn = self._visitor.walk_expression(body)
        if repn.nonlinear is not None or getattr(repn, "quadratic", None):
            raise Unsupported("a nonlinear term")
        row = _Row(
            body=body,
            bounds=bounds,
            linear=repn.linear,
            offset=repn.constant,
            components=rec.components,
        )
        if cacheable and len(repn.linear) <= _BIG_ROW:
            leaves = _leaves(body)
            if leaves is not None:
                row.params, row.vars_ = leaves
                row.param_values = tuple(p.value for p in row.params)
                row.var_state = _var_state(row.vars_)
        return row

    def _row(self, key: Any, body: Any, bounds: tuple[Any, Any]) -> _Row:
        row = self._rows.get(id(key))
        if (
            row is not None
            and row.params is not None
            and row.body is body
            and all(p.value == v for p, v in zip(row.params, row.param_values, strict=True))
            and _var_state(row.vars_) == row.var_state
        ):
            row.bounds = bounds  # only the right-hand side's text depends on them
            return row
        old = row
        row = self._walk(body, bounds, cacheable=True)
        if (
            old is not None
            and old.text
            and old.linear == row.linear
            and list(map(type, old.linear.values())) == list(map(type, row.linear.values()))
        ):
            # The same terms (a rebuilt row, or a phase of the same year): the same text
            # if its components keep their order (checked by `_terms`).
            row.text, row.order, row.ranks = old.text, old.order, old.ranks
        self._rows[id(key)] = row
        return row

    # --- the file --------------------------------------------------------------------
    def write(self, model: Any) -> tuple[str, list[str], list[str]]:
        """(LP text, row labels in file order, column labels in first-use order).

        glpsol numbers rows in file order and columns by first appearance. The garbage
        collector is paused meanwhile, as in Pyomo's writer.
        """
        with PauseGC():
            return self._write(model)

    def _write(self, model: Any) -> tuple[str, list[str], list[str]]:
        self._recorder.unfixed = {}
        names = self._names
        objectives = list(model.component_data_objects(Objective, active=True, sort=_SORTER))
        if len(objectives) != 1:
            raise Unsupported("not exactly one active objective")
        obj = objectives[0]
        if not _safe(obj.name):
            raise Unsupported("an objective name the LP format does not accept")
        entries: list[tuple[str, str, _Row, Any]] = []
        obj_row = self._row(obj, obj.expr, (None, None))
        if obj_row.offset or not obj_row.linear:
            # Pyomo writes an objective constant (or an empty objective) on a fixed var.
            obj_row = _Row(
                body=obj_row.body,
                bounds=obj_row.bounds,
                linear={**obj_row.linear, self._one_id: obj_row.offset},
                offset=0,
                components=[self._one, *obj_row.components],
            )
        for con in model.component_data_objects(Constraint, active=True, sort=_SORTER):
            lb, body, ub = con.to_bounded_expression(True)
            if lb is None and ub is None:
                continue
            label = names.get(id(con))
            if label is None:
                raise Unsupported(f"row {con.name} has no compact label")
            row = self._row(con, body, (lb, ub))
            if not row.linear:
                row = _Row(
                    body=row.body,
                    bounds=row.bounds,
                    linear={self._one_id: 0},
                    offset=row.offset,
                    components=[self._one],
                )
            entries.append((label, "", row, con))
        ranks = self._ranks(obj_row, [e[2] for e in entries])
        order = self._order(ranks)

        out = [
            f"\\* Source Pyomo model name={model.name} *\\\n\n",
            ("min \n%s:\n" if obj.sense == minimize else "max \n%s:\n") % obj.name,
        ]
        out.append(self._terms(obj_row, ranks, order))
        out.append("\ns.t.\n")
        row_labels: list[str] = []
        have_nontrivial = False
        for label, _, row, _con in entries:
            if row.linear.keys() != {self._one_id}:
                have_nontrivial = True
            terms = self._terms(row, ranks, order)
            lb, ub = row.bounds
            offset = row.offset
            if lb is not None:
                if ub is None:
                    name = f"c_l_{label}_"
                    out.append(f"\n{name}:\n{terms}>= {(lb - offset)!s}\n")
                    row_labels.append(name)
                elif lb == ub:
                    name = f"c_e_{label}_"
                    out.append(f"\n{name}:\n{terms}= {(lb - offset)!s}\n")
                    row_labels.append(name)
                else:
                    out.append(f"\nr_l_{label}_:\n{terms}>= {(lb - offset)!s}\n")
                    out.append(f"\nr_u_{label}_:\n{terms}<= {(ub - offset)!s}\n")
                    row_labels += [f"r_l_{label}_", f"r_u_{label}_"]
            else:
                name = f"c_u_{label}_"
                out.append(f"\n{name}:\n{terms}<= {(ub - offset)!s}\n")
                row_labels.append(name)
        if not have_nontrivial:
            raise Unsupported("no row with a variable")
        written = dict.fromkeys(chain(obj_row.order, *(e[2].order for e in entries)))
        one, names = self._one_id, self._names
        columns = ["ONE_VAR_CONSTANT" if vid == one else names[vid] for vid in written]
        out.append("\nbounds")
        out += self._bound_lines(written)
        out.append("\nend\n")
        return "".join(out), row_labels, columns

    def _ranks(self, obj_row: _Row, rows: list[_Row]) -> dict[int, int]:
        """Rank of each variable component by first appearance (objective, then rows)."""
        # Pyomo's ONE_VAR_CONSTANT is always the first column of its var map.
        ranks: dict[int, int] = {id(self._one): 0}
        self._rank_components: list[Any] = [self._one]
        for row in chain((obj_row,), rows):
            for comp in row.components:
                if id(comp) not in ranks:
                    ranks[id(comp)] = len(ranks)
                    self._rank_components.append(comp)
        return ranks

    def _order(self, ranks: dict[int, int]) -> dict[int, int]:
        """Sort key of each variable id: (component rank, position) as one integer."""
        key = tuple(ranks.items())
        cached = getattr(self, "_order_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        order: dict[int, int] = {}
        for comp in self._rank_components:
            base = ranks[id(comp)] << 32
            for vid, pos in self._component_positions(comp).items():
                order[vid] = base + pos
        self._order_cache = (key, order)
        return order

    def _component_positions(self, comp: Any) -> dict[int, int]:
        datas = self._component_datas(comp)
        pos = self._positions.get(id(comp))
        if pos is None:
            pos = {id(v): i for i, v in enumerate(datas)}
            self._positions[id(comp)] = pos
        return pos

    def _terms(self, row: _Row, ranks: dict[int, int], order: dict[int, int]) -> str:
        row_ranks = tuple(ranks[id(c)] for c in row.components)
        if row.ranks == row_ranks and row.text:
            return row.text
        names = self._labels
        keys = list(row.linear)
        ranks_of = list(map(order.__getitem__, keys))
        if ranks_of != sorted(ranks_of):
            keys = [k for _, k in sorted(zip(ranks_of, keys, strict=True))]
        coefs = list(map(row.linear.__getitem__, keys))
        try:
            labels = list(map(names.__getitem__, keys))
        except KeyError:
            raise Unsupported("a variable without a compact label") from None
        row.text = "".join(
            [
                f"{c!s} {n}\n" if c < 0 else f"+{c!s} {n}\n"
                for c, n in zip(coefs, labels, strict=True)
            ]
        )
        row.order = keys
        row.ranks = row_ranks
        return row.text

    def _bound_lines(self, written: dict[int, None]) -> list[str]:
        """The bounds section's lines (and general/binary lists) as Pyomo writes them.

        Per variable the line is cached with its bounds and domain; when only the upper
        bound changed (a plain number, as `BuiltModel._set_bounds` writes), only its
        end is formatted again.
        """
        names = self._labels
        lines: list[str] = []
        integers: list[str] = []
        binaries: list[str] = []
        cache = self._bounds
        for comp in self._rank_components:
            datas = self._component_datas(comp)
            ids = list(map(id, datas))
            signature = (
                list(map(written.__contains__, ids)),
                list(map(_LB, datas)),
                list(map(_UB, datas)),
                list(map(_DOMAIN, datas)),
            )
            same = self._comp_bounds.get(id(comp))
            if same is not None and same[0] == signature:
                lines += same[1]
                integers += same[2]
                binaries += same[3]
                continue
            if (
                same is not None
                and same[5]
                and same[0][0] == signature[0]
                and same[0][1] == signature[1]
                and same[0][3] == signature[3]
                and all(map(_plain, signature[2]))
            ):
                # Only upper bounds changed, on domains without one: Var.bounds is the
                # bound itself, so only the end of each line changes.
                ups = [u for u, w in zip(signature[2], signature[0], strict=True) if w]
                new = [
                    h + ("+inf" if u is None else str(u)) for h, u in zip(same[4], ups, strict=True)
                ]
                self._comp_bounds[id(comp)] = (signature, new, *same[2:])
                lines += new
                integers += same[2]
                binaries += same[3]
                continue
            first = (len(lines), len(integers), len(binaries))
            heads: list[str] = []
            open_top = True
            for v in datas:
                vid = id(v)
                if vid not in written:
                    continue
                lo, up, dom = v._lb, v._ub, v._domain
                c = cache.get(vid)
                if c is None or c[0] is not dom or c[1] != lo or not _plain(lo):
                    c = self._bound_line(v, names[vid])
                    cache[vid] = c
                elif c[2] != up:
                    if _plain(up):
                        dup = c[6]
                        bup = dup if up is None else (up if dup is None else min(up, dup))
                        c[2], c[3] = up, c[5] + ("+inf" if bup is None else str(bup))
                    else:
                        c = self._bound_line(v, names[vid])
                        cache[vid] = c
                lines.append(c[3])
                heads.append(c[5])
                open_top = open_top and c[6] is None
                if c[4] == "i":
                    integers.append(names[vid])
                elif c[4] == "b":
                    binaries.append(names[vid])
            if all(map(_plain, signature[1])) and all(map(_plain, signature[2])):
                self._comp_bounds[id(comp)] = (
                    signature,
                    lines[first[0] :],
                    integers[first[1] :],
                    binaries[first[2] :],
                    heads,
                    open_top,
                )
        if integers:
            lines.append("\ngeneral\n  " + "\n  ".join(integers))
        if binaries:
            lines.append("\nbinary\n  " + "\n  ".join(binaries))
        return lines

    def _bound_line(self, v: Any, name: str) -> list[Any]:
        """[domain, _lb, _ub, line, "i"/"b"/"", line up to the upper bound, domain's ub]."""
        blo, bup = v.bounds
        kind = "b" if v.is_binary() else ("i" if v.is_integer() else "")
        head = f"\n   {'-inf' if blo is None else str(blo)} <= {name} <= "
        line = head + ("+inf" if bup is None else str(bup))
        # NaN marks a non-plain upper bound: never equal, so recomputed every time.
        up = v._ub if _plain(v._ub) else float("nan")
        return [v._domain, v._lb, up, line, kind, head, self._domain_bounds(v._domain)[1]]

    def _domain_bounds(self, dom: Any) -> tuple[Any, Any]:
        found = self._domains.get(id(dom))
        if found is None or found[0] is not dom:
            found = (dom, dom.bounds())
            self._domains[id(dom)] = found
        return found[1]

    def _component_datas(self, comp: Any) -> list[Any]:
        """A variable component's data objects in Pyomo's order (kept with the component).

        The caches keyed by a component's id are dropped when the id is another
        component's (one deleted and a new one made: not done by `optimize.model`).
        """
        found = self._datas.get(id(comp))
        if found is None or found[0] is not comp:
            for cache in (self._positions, self._comp_bounds, self._recorder.kept):
                cache.pop(id(comp), None)
            datas = [self._one] if comp is self._one else list(comp.values(_SORTER))
            found = self._datas[id(comp)] = (comp, datas)
        return found[1]


def _plain(x: Any) -> bool:
    """A finite int or float, or None (a bound Var.bounds passes through unchanged)."""
    return x is None or (type(x) in (int, float) and x - x == 0)


def _safe(name: str) -> bool:
    return bool(name) and all(ch.isalnum() or ch in "_." for ch in name) and name.isascii()
