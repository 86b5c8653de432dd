"""Scalar kernels: a schedule's formula compiled to straight-line Python for one time.

``s(t)`` runs the formula through the :data:`~lrplan._schedules._ops.SCALAR`
namespace: every operation is an attribute lookup and a method call, and every
parameter an attribute read. That generality costs about 0.3 µs per value, most
of a scheduler's step. A *kernel* is the same formula with all of that resolved
once: :func:`compile_kernel` runs ``_at`` with a tracing namespace (``t`` is a
symbol that records every operation done on it), and writes the recorded
operations out as a Python function whose parameters are literals and whose
operations are inlined from the very templates :data:`SCALAR`'s methods are
compiled from (:data:`~lrplan._schedules._ops.SCALAR_TEMPLATES`). Nothing is
written twice: a kernel performs the same floating-point operations, on the same
operands, in the same order as ``s(t)``, so it returns the same bits.

Operations that involve no symbol (``self.start - self.end``) are computed by
Python while tracing, exactly as ``s(t)`` computes them. Every operation becomes one
statement, so ``where(c, a, b)`` evaluates both ``a`` and ``b`` first, as the
method call does (an exception in either is raised either way). Phase selection
(:meth:`Ops.piecewise`, :meth:`Ops.phase`) becomes an ``if``/``elif`` chain that
evaluates only the phase in use, and :meth:`Ops.raise_if` an ``if ...: raise``.

A formula that branches in Python on a value that depends on ``t`` (``if t > 3``)
cannot be traced: the symbol refuses to be a ``bool`` (or a float, an index, a hash
key), tracing stops, and :func:`compile_kernel` returns ``None``; the caller then
evaluates through ``SCALAR`` as before. A compiled kernel is also checked against
``s(t)`` at a few times (both ends, every boundary and its neighbours, large
times) before it is returned, so a formula that traces but reads ``t`` in a way the
tracer cannot see (an ``isinstance`` test) is caught and falls back too.

Example:
    >>> import lrplan as lp
    >>> from lrplan._schedules._kernel import compile_kernel
    >>> s = lp.warmup(lp.Cosine(steps=90, end=0.1), steps=10)
    >>> k = compile_kernel(s)
    >>> all(k(float(t)) == s(t) for t in range(200))
    True
"""

from __future__ import annotations

import ast
import dataclasses
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from ._ops import (
    SCALAR,
    SCALAR_BUILTINS,
    SCALAR_COERCE,
    SCALAR_GLOBALS,
    SCALAR_TEMPLATES,
    Ops,
)

__all__ = [
    "Traced",
    "compile_kernel",
    "compile_kernels",
    "compile_rechain",
    "compiled",
    "kernel_source",
    "trace",
    "trace_rechain",
]

#: Give up (fall back to ``SCALAR``) past this many statements: a very long
#: sequence of phases is better served by ``SCALAR.piecewise``'s binary search.
MAX_STATEMENTS = 2000

#: Compiled code objects by source text, so that equal formulas compile once.
_CODE_CACHE: dict[str, Any] = {}
_CODE_CACHE_MAX = 1024


class Untraceable(Exception):
    """The formula used a traced value in a way that has no straight-line form."""


class _Sym:
    """A traced value: the name of the local variable that will hold it.

    ``kind`` is what Python type the value certainly has: ``"float"``, ``"int"``,
    ``"num"`` (an int or a float) or ``"any"``. A float result is returned as it is
    (``float(x)`` of a float is ``x``), and known floats skip conversions.
    """

    __slots__ = ("kind", "name", "tr")

    def __init__(self, tr: _Trace, name: str, kind: str) -> None:
        self.tr = tr
        self.name = name
        self.kind = kind

    # -- arithmetic and comparisons record an operation --------------------------------

    # (binop may return an operand itself: x * 1.0 is x)
    def __add__(self, o: Any) -> Any:
        return self.tr.binop("+", self, o)

    def __radd__(self, o: Any) -> Any:
        return self.tr.binop("+", o, self)

    def __sub__(self, o: Any) -> Any:
        return self.tr.binop("-", self, o)

    def __rsub__(self, o: Any) -> Any:
        return self.tr.binop("-", o, self)

    def __mul__(self, o: Any) -> Any:
        return self.tr.binop("*", self, o)

    def __rmul__(self, o: Any) -> Any:
        return self.tr.binop("*", o, self)

    def __truediv__(self, o: Any) -> Any:
        return self.tr.binop("/", self, o)

    def __rtruediv__(self, o: Any) -> Any:
        return self.tr.binop("/", o, self)

    def __floordiv__(self, o: Any) -> Any:
        return self.tr.binop("//", self, o)

    def __rfloordiv__(self, o: Any) -> Any:
        return self.tr.binop("//", o, self)

    def __mod__(self, o: Any) -> Any:
        return self.tr.binop("%", self, o)

    def __rmod__(self, o: Any) -> Any:
        return self.tr.binop("%", o, self)

    def __pow__(self, o: Any) -> Any:
        return self.tr.binop("**", self, o)

    def __rpow__(self, o: Any) -> Any:
        return self.tr.binop("**", o, self)

    def __neg__(self) -> Any:
        return self.tr.unary("-", self)

    def __pos__(self) -> Any:
        return self.tr.unary("+", self)

    def __abs__(self) -> Any:
        return self.tr.assign(f"abs({self.name})", self.kind)

    def __lt__(self, o: Any) -> Any:
        return self.tr.binop("<", self, o)

    def __le__(self, o: Any) -> Any:
        return self.tr.binop("<=", self, o)

    def __gt__(self, o: Any) -> Any:
        return self.tr.binop(">", self, o)

    def __ge__(self, o: Any) -> Any:
        return self.tr.binop(">=", self, o)

    def __eq__(self, o: Any) -> Any:  # type: ignore[override]
        return self.tr.binop("==", self, o)

    def __ne__(self, o: Any) -> Any:  # type: ignore[override]
        return self.tr.binop("!=", self, o)

    # -- anything that would need the value now cannot be traced ---------------------

    def _refuse(self, *_: Any) -> Any:
        raise Untraceable("a traced value was used as a Python value")

    __bool__ = _refuse
    __float__ = _refuse
    __int__ = _refuse
    __index__ = _refuse
    __hash__ = _refuse  # type: ignore[assignment]
    __iter__ = _refuse
    __len__ = _refuse
    __getitem__ = _refuse
    __array__ = _refuse
    __round__ = _refuse
    __trunc__ = _refuse
    __floor__ = _refuse
    __ceil__ = _refuse


_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})


class _Trace(Ops):
    """The tracing namespace: each operation on a symbol appends one statement."""

    is_vector = False
    pi = math.pi

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1
        self.consts: dict[str, Any] = {}
        self._const_ids: dict[int, str] = {}
        self._count = 0
        # Common subexpressions: an operation already recorded in this branch (or an
        # enclosing one) on the same operands gives the same bits; reuse its result.
        self._memo: dict[tuple[Any, ...], _Sym] = {}

    # -- code emission ---------------------------------------------------------------

    def _fresh(self) -> str:
        self._count += 1
        return f"v{self._count}"

    def emit(self, code: str) -> None:
        if len(self.lines) > MAX_STATEMENTS:
            raise Untraceable("formula too long for a kernel")
        pad = "    " * self.depth
        self.lines.extend(pad + line for line in code.splitlines())

    def lit(self, value: Any) -> str:
        """The source text for ``value``: a symbol's name, a literal, or a bound name."""
        if isinstance(value, _Sym):
            if value.tr is not self:
                raise Untraceable("a symbol from another trace")
            return value.name
        if value is True or value is False or value is None:
            return repr(value)
        if type(value) is int:
            return f"({value})" if value < 0 else repr(value)
        if type(value) is float and math.isfinite(value):
            text = repr(value)
            return f"({text})" if text.startswith("-") else text
        # inf, nan, numpy scalars, tuples, callables: bound by name, as the very object.
        name = self._const_ids.get(id(value))
        if name is None:
            name = f"c{len(self.consts)}"
            self.consts[name] = value
            self._const_ids[id(value)] = name
        return name

    def _record(self, key: tuple[Any, ...], code: str, kind: str) -> _Sym:
        """Emit ``code`` (``{out}`` is the result) once per ``key`` in this scope."""
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        out = _Sym(self, self._fresh(), kind)
        self.emit(code.format(out=out.name))
        self._memo[key] = out
        return out

    def assign(self, expr: str, kind: str) -> _Sym:
        code = "{out} = " + expr.replace("{", "{{").replace("}", "}}")
        return self._record(("=", expr), code, kind)

    def binop(self, op: str, a: Any, b: Any) -> Any:
        ka, kb = _kind(a), _kind(b)
        # Exact identities on floats (IEEE: x * 1 = x / 1 = x - 0 = x, signed zeros,
        # infinities and NaN included); on an int they would convert, so floats only.
        if ka == "float" and ((op in {"*", "/"} and _is_one(b)) or (op == "-" and _is_pos_zero(b))):
            return a
        if kb == "float" and op == "*" and _is_one(a):
            return b
        if (
            op == "**"
            and type(a) in (int, float)
            and a >= 0
            and (kb == "float" or (type(a) is float and kb in ("int", "num")))
        ):
            kind = "float"  # a known base >= 0 to a real power: a float (never complex)
        elif op in _COMPARISONS or "any" in (ka, kb) or op not in _ARITH:
            kind = "any"
        elif op == "/" or "float" in (ka, kb):
            kind = "float"
        elif ka == kb == "int":
            kind = "int"
        else:
            kind = "num"
        la, lb = self.lit(a), self.lit(b)
        return self._record((op, la, lb), f"{{out}} = {la} {op} {lb}", kind)

    def unary(self, op: str, a: _Sym) -> _Sym:
        return self.assign(f"{op}{a.name}", a.kind)

    def template(self, name: str, args: Sequence[Any], kind: str) -> Any:
        if not any(isinstance(a, _Sym) for a in args):
            return getattr(SCALAR, name)(*args)  # no symbol: computed now, as SCALAR does
        texts = []
        for i, a in enumerate(args):
            conv = SCALAR_COERCE.get((name, i))
            if conv is not None and not isinstance(a, _Sym):
                a = conv(a)  # a constant: converted now
            elif conv is not None and not (conv is float and a.kind == "float"):
                a = self.assign(f"{self.lit(conv)}({a.name})", "any")
            texts.append(self.lit(a))
        _, code = SCALAR_TEMPLATES[name]
        code = _fold(code.format(*texts, out="OUT")).replace("OUT", "{out}")
        return self._record((name, *texts), code, kind)

    def builtin(self, name: str, x: Any) -> Any:
        fn = SCALAR_BUILTINS[name]
        if not isinstance(x, _Sym):
            return fn(x)
        return self.assign(f"{self.lit(fn)}({x.name})", "float")

    # -- the operations ----------------------------------------------------------------

    def cos(self, x: Any) -> Any:
        return self.builtin("cos", x)

    def sqrt(self, x: Any) -> Any:
        return self.builtin("sqrt", x)

    def tanh(self, x: Any) -> Any:
        return self.builtin("tanh", x)

    def log(self, x: Any) -> Any:
        return self.builtin("log", x)

    def floor(self, x: Any) -> Any:
        return self.template("floor", (x,), "float")

    def mul0(self, a: Any, b: Any) -> Any:
        return self.template("mul0", (a, b), "float" if "float" in (_kind(a), _kind(b)) else "any")

    def exp(self, x: Any) -> Any:
        return self.template("exp", (x,), "float")

    def expm1(self, x: Any) -> Any:
        return self.template("expm1", (x,), "float")

    def power(self, base: Any, exponent: Any) -> Any:
        if type(base) in (int, float) and base == 1:
            return 1.0  # float(1) ** x is 1.0 for every x, NaN and inf included (numpy too)
        # float ** float is complex for a negative base: a float only for a known base >= 0
        known = not isinstance(base, _Sym) and isinstance(base, int | float) and base >= 0
        return self.template("power", (base, exponent), "float" if known else "any")

    def minimum(self, a: Any, b: Any) -> Any:
        return self.template("minimum", (a, b), _kind_of(a, b))

    def maximum(self, a: Any, b: Any) -> Any:
        return self.template("maximum", (a, b), _kind_of(a, b))

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return self.template("where", (cond, a, b), _kind_of(a, b))

    def mod(self, a: Any, b: Any) -> Any:
        return self.template("mod", (a, b), "float")  # math.fmod returns a float

    def count_le(self, sorted_points: Sequence[float], t: Any) -> Any:
        return self.template("count_le", (sorted_points, t), "any")

    def piecewise(
        self, t: Any, starts: Sequence[float], pieces: Sequence[Callable[[Any], Any]]
    ) -> Any:
        if not isinstance(t, _Sym):
            return SCALAR.piecewise(t, starts, pieces)
        # SCALAR's rule, i = bisect_right(starts, t) - 1, on sorted starts with
        # starts[0] <= t: piece i holds exactly when starts[i] <= t < starts[i + 1].
        # Pieces past len(starts) can never be chosen.
        if list(starts) != sorted(starts) or len(starts) > len(pieces) or not starts:
            raise Untraceable("piecewise needs sorted starts, one per piece")
        pieces = pieces[: len(starts)]
        last = len(pieces) - 1
        conds = [f"{t.name} < {self.lit(starts[i + 1])}" for i in range(last)]
        return self._branches(conds, [self._shifted(p, t, starts[i]) for i, p in enumerate(pieces)])

    def phase(self, t: Any, ends: Sequence[float], pieces: Sequence[Callable[[Any], Any]]) -> Any:
        if not isinstance(t, _Sym):
            return SCALAR.phase(t, ends, pieces)
        # SCALAR's rule: the first piece whose end is >= t, else the last piece.
        conds = [f"{t.name} <= {self.lit(ends[i])}" for i in range(min(len(pieces) - 1, len(ends)))]
        bodies = [_call_with(p, t) for p in pieces]
        return self._branches(conds, [*bodies[: len(conds)], bodies[-1]])

    def raise_if(self, cond: Any, error: Callable[[Any], Exception], arg: Any) -> None:
        if not isinstance(cond, _Sym):
            SCALAR.raise_if(cond, error, arg)
            return
        self.emit(f"if {cond.name}:\n    raise {self.lit(error)}({self.lit(arg)})")

    # -- control flow --------------------------------------------------------------------

    def _shifted(self, piece: Callable[[Any], Any], t: _Sym, start: float) -> Callable[[], Any]:
        # SCALAR evaluates pieces[i](t - starts[i]); so does the branch.
        return lambda: piece(self.binop("-", t, start))

    def _branches(self, conds: list[str], bodies: list[Callable[[], Any]]) -> _Sym:
        """``if conds[0]: bodies[0]() elif ...: ... else: bodies[-1]()`` into one result."""
        out = self._fresh()
        kinds = set()
        outer = self._memo
        for i, body in enumerate(bodies):
            if len(bodies) > 1:
                head = "if" if i == 0 else "elif"
                self.emit(f"{head} {conds[i]}:" if i < len(conds) else "else:")
                self.depth += 1
                self._memo = dict(outer)  # what a branch computes stays in the branch
            value = body()
            kinds.add(_kind(value))
            self.emit(f"{out} = {self.lit(value)}")
            if len(bodies) > 1:
                self.depth -= 1
        self._memo = outer
        if len(kinds) == 1:
            return _Sym(self, out, kinds.pop())
        return _Sym(self, out, "num" if kinds <= {"float", "int", "num"} else "any")


def _call_with(piece: Callable[[Any], Any], t: _Sym) -> Callable[[], Any]:
    return lambda: piece(t)


_ARITH = frozenset({"+", "-", "*", "/", "//", "%"})

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class _Folder(ast.NodeTransformer):
    """Fold what a template decides on constants alone (``1.0 == 0 or x == 0`` is
    ``x == 0``): comparisons of two constants, leading constants of ``and``/``or``,
    and ``a if c else b`` with a constant ``c``. Python evaluates each of them to the
    same result at run time; arithmetic on constants Python's compiler folds itself."""

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if (
            len(node.ops) == 1
            and type(node.ops[0]) in _COMPARE
            and isinstance(node.left, ast.Constant)
            and isinstance(node.comparators[0], ast.Constant)
        ):
            left: Any = node.left.value
            right: Any = node.comparators[0].value
            value = _COMPARE[type(node.ops[0])](left, right)
            return ast.copy_location(ast.Constant(bool(value)), node)
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        values = list(node.values)
        decides = bool if isinstance(node.op, ast.Or) else (lambda v: not v)
        while len(values) > 1 and isinstance(values[0], ast.Constant):
            if decides(values[0].value):
                return values[0]  # ``True or x`` is True; ``False and x`` is False
            values.pop(0)
        if len(values) == 1:
            return values[0]
        node.values = values
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant):
            return node.body if node.test.value else node.orelse
        return node


def _fold(code: str) -> str:
    if "==" not in code and "<" not in code and ">" not in code and " if " not in code:
        return code
    return ast.unparse(_Folder().visit(ast.parse(code)))


def _kind(x: Any) -> str:
    if isinstance(x, _Sym):
        return x.kind
    if type(x) is float:
        return "float"
    return "int" if type(x) is int else "any"


def _kind_of(a: Any, b: Any) -> str:
    """The kind of a value that is either ``a`` or ``b``."""
    ka, kb = _kind(a), _kind(b)
    if ka == kb:
        return ka
    return "num" if {ka, kb} <= {"float", "int", "num"} else "any"


def _is_one(x: Any) -> bool:
    return type(x) is float and x == 1.0


def _is_pos_zero(x: Any) -> bool:
    return type(x) is float and x == 0.0 and math.copysign(1.0, x) == 1.0


@dataclasses.dataclass(frozen=True)
class Traced:
    """A traced formula: the body of ``def kernel(t):`` (lines indented by four
    spaces), the names or literals it returns, and the constants it reads by name."""

    lines: tuple[str, ...]
    returns: tuple[str, ...]
    consts: dict[str, Any]

    def source(self) -> str:
        ret = self.returns[0] if len(self.returns) == 1 else "(" + ", ".join(self.returns) + ")"
        body = "".join(line + "\n" for line in self.lines)
        return f"def kernel(t):\n{body}    return {ret}\n"


def _safe(node: ast.AST) -> bool:
    """Whether evaluating ``node`` can never raise (so dropping it changes nothing):
    names, numbers, ``+ - *``, comparisons, division by a non-zero number constant,
    and conditionals of those. Float arithmetic overflows to inf rather than raising."""
    if isinstance(node, ast.Name | ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _safe(node.operand)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add | ast.Sub | ast.Mult):
            return _safe(node.left) and _safe(node.right)
        if isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod):
            d = node.right
            if not (isinstance(d, ast.Constant) and type(d.value) in (int, float)):
                return False
            value: Any = d.value
            return value != 0 and math.isfinite(value) and _safe(node.left)
        return False
    if isinstance(node, ast.Compare):
        return _safe(node.left) and all(_safe(c) for c in node.comparators)
    if isinstance(node, ast.BoolOp):
        return all(_safe(v) for v in node.values)
    if isinstance(node, ast.IfExp):
        return _safe(node.test) and _safe(node.body) and _safe(node.orelse)
    return False


def _drop_dead(lines: list[str], returns: list[str]) -> list[str]:
    """Remove assignments nobody reads whose evaluation cannot raise (see ``_safe``):
    a formula computes, say, a cycle index that only a disabled option would use."""
    src = (
        "def _f(t):\n"
        + "".join(line + "\n" for line in lines)
        + "    return ("
        + ", ".join(returns)
        + ",)\n"
    )
    tree = ast.parse(src)
    changed = True
    while changed:
        changed = False
        used = {
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if not isinstance(body, list):
                continue
            keep = [
                st
                for st in body
                if not (
                    isinstance(st, ast.Assign)
                    and len(st.targets) == 1
                    and isinstance(st.targets[0], ast.Name)
                    and st.targets[0].id not in used
                    and _safe(st.value)
                )
            ]
            if len(keep) != len(body):
                node.body = keep or [ast.Pass()]  # type: ignore[attr-defined]
                changed = True
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    return ["    " + line for st in fn.body[:-1] for line in ast.unparse(st).splitlines()]


def trace(*schedules: Any) -> Traced | None:
    """Trace the formulas of ``schedules`` on one symbolic time, or ``None`` if one
    can't be traced. What they share (a constant, an operation) is computed once."""
    tr = _Trace()
    t = _Sym(tr, "t", "float")
    rets = []
    for s in schedules:
        try:
            out = s._at(t, tr)
        except Exception:  # Untraceable, or a formula that fails on a symbol
            return None
        if isinstance(out, _Sym):
            rets.append(out.name if out.kind == "float" else f"float({out.name})")
        elif isinstance(out, int | float) and not isinstance(out, bool):
            rets.append(tr.lit(float(out)))  # a constant formula
        else:
            return None
    return Traced(tuple(_drop_dead(tr.lines, rets)), tuple(rets), tr.consts)


def kernel_source(*schedules: Any) -> tuple[str, dict[str, Any]] | None:
    """The kernel's source and its bound constants, or ``None`` if it can't be traced.

    With several schedules the kernel returns a tuple of their values.
    """
    traced = trace(*schedules)
    return None if traced is None else (traced.source(), traced.consts)


def compiled(src: str, name: str) -> Any:
    """``compile(src)``, cached by source text (equal formulas compile once)."""
    code = _CODE_CACHE.get(src)
    if code is None:
        code = compile(src, f"<lrplan {name}>", "exec")
        if len(_CODE_CACHE) >= _CODE_CACHE_MAX:
            _CODE_CACHE.clear()
        _CODE_CACHE[src] = code
    return code


def _sample_times(s: Any) -> list[float]:
    times = {0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 7.0, 10.0, 100.0, 1e3, 1e4, 1e6, 1e9, 1e15}
    try:
        marks = [*s.boundaries(), *([s.duration] if s.duration else [])]
    except Exception:  # sampling is best effort
        marks = []
    for b in marks[:64]:
        if isinstance(b, int | float) and math.isfinite(b) and b >= 0:
            times.update({float(b), b + 1.0, b + 0.5, 2.0 * b})
            if b >= 1.0:
                times.add(b - 1.0)
    return sorted(times)


def _same(a: Any, b: Any) -> bool:
    if type(a) is not float or type(b) is not float:
        return False
    if a != a:  # NaN
        return b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def compile_kernel(s: Any) -> Callable[[float], float] | None:
    """``s``'s formula as a function of one float time, or ``None`` if it can't be traced.

    The kernel takes a validated float ``t >= 0`` and returns exactly ``s(t)``
    (bit for bit; it raises where ``s(t)`` raises).
    """
    kernel: Callable[[float], float] | None = _compile((s,))
    return kernel


def compile_kernels(*schedules: Any) -> Callable[[float], tuple[float, ...]] | None:
    """One kernel for several schedules: ``t -> (s1(t), s2(t), ...)``, each exact.

    For a scheduler that writes two keys from one time (the lr and a momentum that
    cycles with it), traced together so that shared work is done once.
    """
    return _compile(schedules) if len(schedules) > 1 else None


def _compile(schedules: tuple[Any, ...]) -> Any:
    traced = trace(*schedules)
    if traced is None:
        return None
    code = compiled(traced.source(), f"kernel {type(schedules[0]).__name__}")
    ns: dict[str, Any] = {**SCALAR_GLOBALS, **traced.consts}
    exec(code, ns)
    kernel = ns["kernel"]
    times = sorted({x for s in schedules for x in _sample_times(s)})
    for t in times:
        try:
            want = tuple(float(s._at(t, SCALAR)) for s in schedules)
        except Exception as e:  # the kernel must raise the same way
            try:
                kernel(t)
            except type(e):
                continue
            except Exception:
                return None
            return None
        try:
            got = kernel(t)
        except Exception:
            return None
        if len(schedules) == 1:
            got = (got,)
        if not all(_same(a, b) for a, b in zip(got, want, strict=True)):
            return None
    kernel.lrplan_trace = traced  # what lrplan._hot inlines into a scheduler's step
    return kernel


def trace_rechain(s: Any, scale: float) -> Traced | None:
    """Trace ``s._rechain(c, scale, tp, t)`` on three symbols (``c``, ``tp``, ``t``),
    or ``None``: a shape whose relative rule takes no ``xp`` (or branches in Python,
    or may give ``None``) is not traced."""
    tr = _Trace()
    c, tp, t = (_Sym(tr, name, "float") for name in ("c", "tp", "t"))
    try:
        out = s._rechain(c, scale, tp, t, xp=tr)
    except Exception:  # no xp parameter, Untraceable, or fails on a symbol
        return None
    if not isinstance(out, _Sym):
        return None
    ret = out.name if out.kind == "float" else f"float({out.name})"
    return Traced(tuple(tr.lines), (ret,), tr.consts)


def compile_rechain(s: Any, scale: float) -> Callable[[float, float, float], float] | None:
    """``s``'s relative update ``(c, tp, t) -> s._rechain(c, scale, tp, t)`` as a
    kernel, exact (checked at sample points), or ``None`` if it can't be traced."""
    traced = trace_rechain(s, scale)
    if traced is None:
        return None
    body = "".join(line + "\n" for line in traced.lines)
    src = f"def kernel(c, tp, t):\n{body}    return {traced.returns[0]}\n"
    ns: dict[str, Any] = {**SCALAR_GLOBALS, **traced.consts}
    exec(compiled(src, f"rechain {type(s).__name__}"), ns)
    kernel: Callable[[float, float, float], float] = ns["kernel"]
    for tp in _sample_times(s):
        tp = float(math.floor(tp))
        for c in (0.1, 3.7e-4, 2.5):
            try:
                want = s._rechain(c, scale, tp, tp + 1.0)
                got = kernel(c, tp, tp + 1.0)
            except Exception:
                return None
            if not _same(got, want):
                return None
    kernel.lrplan_trace = traced  # type: ignore[attr-defined]
    return kernel
