"""A small, documented subset of PromQL, enough to explore the demo data.

Understood (see :data:`SUBSET`):

* selectors with label matchers: ``up``, ``up{instance="web-2:9100"}``,
  ``cpu_usage_percent{job=~"node|payments", instance!="web-1:9100"}``, ``{__name__="up"}``;
* aggregations ``sum avg min max count`` with ``by (...)`` or ``without (...)`` before or after
  the argument: ``avg by (job) (cpu_usage_percent)``;
* arithmetic (``+ - * /``) and filtering comparisons (``== != > < >= <=``) between a vector and
  a number: ``up == 0``, ``100 - memory_usage_percent``, ``cpu_usage_percent > 50``;
* numbers and parentheses.

Everything else (range vectors ``[5m]``, functions such as ``rate()``, ``offset``, vector-vector
operations, ``bool``) raises :class:`SubsetError` naming what was not understood. An
expression nested deeper than :data:`MAX_DEPTH` (``((((...))))``, ``- - - - up``, a chain of
hundreds of ``+ 1``) raises :class:`~bot.core.errors.InvalidInput`: parsing and evaluation are
recursive, and chat text must not be able to exhaust the stack.
Evaluation works on a grid of timestamps; a missing sample is NaN.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.core.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
Labels = Mapping[str, str]
Vector = list[tuple[Labels, FloatArray]]

SUBSET = (
    'selectors with label matchers (`up`, `up{instance="web-2:9100"}`, `=~` `!=` `!~`), '
    "`sum`/`avg`/`min`/`max`/`count` with `by (...)` or `without (...)`, and arithmetic or "
    "comparisons with a number (`up == 0`, `cpu_usage_percent > 50`)"
)
AGGREGATIONS = ("sum", "avg", "min", "max", "count")
MAX_DEPTH = 50
"""The deepest syntax tree (and parser recursion) accepted; real queries need a handful."""
_ARITHMETIC: Mapping[str, Callable[[FloatArray, FloatArray], FloatArray]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
}  # fmt: skip
_COMPARISON: Mapping[str, Callable[[FloatArray, FloatArray], npt.NDArray[np.bool_]]] = {
    "==": operator.eq, "!=": operator.ne, ">": operator.gt,
    "<": operator.lt, ">=": operator.ge, "<=": operator.le,
}  # fmt: skip
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    | (?P<op>=~|!~|==|!=|>=|<=|[-+*/=<>(){},\[\]%^@])
    )""",
    re.VERBOSE,
)


class SubsetError(ValueError):
    """The expression is outside the subset (or is not PromQL at all)."""


@dataclass(frozen=True, slots=True)
class Matcher:
    label: str
    op: str
    value: str

    def matches(self, labels: Labels) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found


@dataclass(frozen=True, slots=True)
class Number:
    value: float


@dataclass(frozen=True, slots=True)
class Selector:
    matchers: tuple[Matcher, ...]

    @property
    def name(self) -> str | None:
        return next((m.value for m in self.matchers if m.label == "__name__" and m.op == "="), None)


@dataclass(frozen=True, slots=True)
class Aggregate:
    op: str
    labels: tuple[str, ...]
    without: bool
    expr: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Number | Selector | Aggregate | Binary


class SeriesStore(Protocol):
    """Where selectors find their data."""

    def select(self, matchers: Sequence[Matcher], times: FloatArray) -> Vector: ...


# --------------------------------------------------------------------------- parsing


def parse(expr: str) -> Node:
    """The syntax tree of ``expr``; :class:`SubsetError` when it is outside the subset."""
    parser = _Parser(_tokenize(expr))
    node = parser.expression()
    if parser.peek() is not None:
        raise SubsetError(f"unexpected {parser.peek()!r}")
    if _depth(node) > MAX_DEPTH:
        raise _too_deep()
    return node


def _too_deep() -> InvalidInput:
    return InvalidInput(
        "expression nested too deeply",
        hint=f"The demo data reads expressions at most {MAX_DEPTH} levels deep.",
    )


def _depth(node: Node) -> int:
    """The depth of ``node``'s tree, without recursion (a long ``+`` chain is deep too)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(current, Aggregate):
            stack.append((current.expr, depth + 1))
        elif isinstance(current, Binary):
            stack.extend(((current.left, depth + 1), (current.right, depth + 1)))
    return deepest


def _tokenize(expr: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position, text = 0, expr.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.lastgroup is None:
            raise SubsetError(f"cannot read {text[position:].strip()[:20]!r}")
        tokens.append((found.lastgroup, found.group(found.lastgroup)))
        position = found.end()
    return tokens


class _Parser:
    """Recursive descent: comparison < additive < multiplicative < unary < primary."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self._tokens = tokens
        self._at = 0
        self._nesting = 0

    def peek(self) -> str | None:
        return self._tokens[self._at][1] if self._at < len(self._tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self._at >= len(self._tokens):
            raise SubsetError(
                "the expression ends too early" + (f"; expected {expected!r}" if expected else "")
            )
        token = self._tokens[self._at]
        if expected is not None and token[1] != expected:
            raise SubsetError(f"expected {expected!r} but found {token[1]!r}")
        self._at += 1
        return token

    def expression(self) -> Node:
        return self._binary(0)

    def _binary(self, level: int) -> Node:
        groups = (tuple(_COMPARISON), ("+", "-"), ("*", "/"))
        if level == len(groups):
            return self._unary()
        node = self._binary(level + 1)
        while self.peek() in groups[level]:
            op = self.take()[1]
            if self.peek() == "bool":
                raise SubsetError("the `bool` modifier is not supported")
            node = Binary(op, node, self._binary(level + 1))
        return node

    def _unary(self) -> Node:
        """Every recursion (parentheses, aggregations, signs) passes here, so the nesting
        is counted here."""
        self._nesting += 1
        if self._nesting > MAX_DEPTH:
            raise _too_deep()
        try:
            if self.peek() in ("-", "+"):
                sign = self.take()[1]
                operand = self._unary()
                return Binary("*", Number(-1.0 if sign == "-" else 1.0), operand)
            return self._primary()
        finally:
            self._nesting -= 1

    def _primary(self) -> Node:
        kind, text = self.take()
        if kind == "number":
            return Number(float(text))
        if text == "(":
            node = self.expression()
            self.take(")")
            return node
        if text == "{":
            return self._selector(None)
        if kind == "ident":
            if text in AGGREGATIONS:
                return self._aggregate(text)
            if self.peek() == "(":
                raise SubsetError(f"functions such as {text}() are not supported")
            return self._selector(text)
        raise SubsetError(f"unexpected {text!r}")

    def _aggregate(self, op: str) -> Node:
        labels, without = self._grouping()
        self.take("(")
        inner = self.expression()
        self.take(")")
        if labels is None:
            labels, without = self._grouping()
        return Aggregate(op, labels or (), without, inner)

    def _grouping(self) -> tuple[tuple[str, ...] | None, bool]:
        if self.peek() not in ("by", "without"):
            return None, False
        without = self.take()[1] == "without"
        self.take("(")
        labels: list[str] = []
        while self.peek() != ")":
            kind, text = self.take()
            if kind != "ident":
                raise SubsetError(f"expected a label name but found {text!r}")
            labels.append(text)
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        return tuple(labels), without

    def _selector(self, name: str | None) -> Node:
        matchers = [Matcher("__name__", "=", name)] if name else []
        if name is None or self.peek() == "{":
            if name is not None:
                self.take("{")
            matchers.extend(self._matchers())
        if self.peek() == "[":
            raise SubsetError("range vectors such as [5m] are not supported")
        if self.peek() in ("offset", "@"):
            raise SubsetError(f"`{self.peek()}` is not supported")
        if not any(not m.matches({}) for m in matchers):
            raise SubsetError("a selector needs a metric name or a matcher that is not empty")
        return Selector(tuple(matchers))

    def _matchers(self) -> list[Matcher]:
        matchers: list[Matcher] = []
        while self.peek() != "}":
            kind, label = self.take()
            if kind != "ident":
                raise SubsetError(f"expected a label name but found {label!r}")
            op = self.take()[1]
            if op not in ("=", "!=", "=~", "!~"):
                raise SubsetError(f"expected =, !=, =~ or !~ after {label} but found {op!r}")
            kind, raw = self.take()
            if kind != "string":
                raise SubsetError(f"expected a quoted value after {label}{op}")
            matchers.append(_matcher(label, op, _unquote(raw)))
            if self.peek() == ",":
                self.take(",")
            elif self.peek() != "}":
                raise SubsetError(f"expected ',' or '}}' but found {self.peek()!r}")
        self.take("}")
        return matchers


def _matcher(label: str, op: str, value: str) -> Matcher:
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise SubsetError(f"invalid regular expression {value!r}: {exc}") from None
    return Matcher(label, op, value)


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    if raw[0] == "`":
        return body
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


# --------------------------------------------------------------------------- evaluation


def evaluate(node: Node, store: SeriesStore, times: FloatArray) -> Vector | FloatArray:
    """``node`` on the ``times`` grid: a vector (labels, values) or a scalar array."""
    with np.errstate(all="ignore"):
        return _evaluate(node, store, times)


def _evaluate(node: Node, store: SeriesStore, times: FloatArray) -> Vector | FloatArray:
    if isinstance(node, Number):
        return np.full(times.shape, node.value)
    if isinstance(node, Selector):
        return store.select(node.matchers, times)
    if isinstance(node, Aggregate):
        inner = _evaluate(node.expr, store, times)
        if not isinstance(inner, list):
            raise SubsetError(f"{node.op}() needs a series, not a number")
        return _aggregate(node, inner)
    return _binary(node, _evaluate(node.left, store, times), _evaluate(node.right, store, times))


def _binary(
    node: Binary, left: Vector | FloatArray, right: Vector | FloatArray
) -> Vector | FloatArray:
    if isinstance(left, list) and isinstance(right, list):
        raise SubsetError("operations between two series are not supported; use a number")
    if not isinstance(left, list) and not isinstance(right, list):
        if node.op in _COMPARISON:
            raise SubsetError("comparing two numbers needs `bool`, which is not supported")
        return _ARITHMETIC[node.op](left, right)
    vector, scalar, vector_first = (
        (left, right, True) if isinstance(left, list) else (right, left, False)
    )
    assert isinstance(vector, list)
    assert not isinstance(scalar, list)
    result: Vector = []
    for labels, values in vector:
        a, b = (values, scalar) if vector_first else (scalar, values)
        if node.op in _COMPARISON:
            result.append((labels, np.where(_COMPARISON[node.op](a, b), values, np.nan)))
        else:
            dropped = {k: v for k, v in labels.items() if k != "__name__"}
            result.append((dropped, _ARITHMETIC[node.op](a, b)))
    return result


def _aggregate(node: Aggregate, vector: Vector) -> Vector:
    groups: dict[tuple[tuple[str, str], ...], list[FloatArray]] = {}
    for labels, values in vector:
        groups.setdefault(_group_key(node, labels), []).append(values)
    return [(dict(key), _reduce(node.op, np.vstack(rows))) for key, rows in groups.items()]


def _group_key(node: Aggregate, labels: Labels) -> tuple[tuple[str, str], ...]:
    if node.without:
        dropped = {*node.labels, "__name__"}
        return tuple(sorted((k, v) for k, v in labels.items() if k not in dropped))
    return tuple((k, labels[k]) for k in sorted(node.labels) if labels.get(k))


def _reduce(op: str, rows: FloatArray) -> FloatArray:
    present = ~np.isnan(rows)
    count = present.sum(axis=0).astype(np.float64)
    if op == "count":
        reduced = count
    elif op in ("sum", "avg"):
        total = np.where(present, rows, 0.0).sum(axis=0)
        reduced = total if op == "sum" else total / np.where(count > 0, count, 1.0)
    else:
        fill = np.inf if op == "min" else -np.inf
        picked = np.where(present, rows, fill)
        reduced = picked.min(axis=0) if op == "min" else picked.max(axis=0)
    result: FloatArray = np.where(count > 0, reduced, np.nan)
    return result
