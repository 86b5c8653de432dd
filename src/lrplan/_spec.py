"""Safe parsing of schedule specs and loading of schedule config files.

A *spec* is a one-line schedule written with constructor names, for example
``"warmup(Cosine(steps=9500, end=0.01), steps=500)"``. It is parsed with
:func:`ast.parse` and evaluated by a small tree walker that knows a fixed list of
node kinds; nothing is ever handed to :func:`eval`. Anything outside that list
(attribute access other than the three combinator methods, unknown names, lambdas,
comprehensions, subscripts, ``**kwargs``) is rejected with a :class:`SpecError` that
names the offending piece of text, and an unknown name or keyword gets the closest
valid ones ("did you mean").

Three vocabularies, each with its own meaning:

* lrplan's names (:data:`lrplan._schedules.SPEC_NAMES`): ``Cosine(steps=100)``,
  ``warmup(...)``, ``epochs(2)``, ...;
* transformers' scheduler names (``cosine_with_min_lr(num_warmup_steps=2000,
  num_training_steps=100000, min_lr_rate=0.1)``): keyword arguments only, the
  arguments of :func:`lrplan.hf_schedule`, whose multiplier schedule they give;
* torch's class names (``CosineAnnealingLR(T_max=1000)``, ``StepLR(step_size=30)``):
  the class's arguments without ``optimizer``; the schedule is what the class
  writes divided by its base lr (``lrplan._schedules._torchnames`` says where the
  base lr comes from when an argument is in lr units).

Grammar accepted by :func:`parse_spec`::

    expr     := call | expr OP expr | "-" expr | "+" expr
              | number | string | True | False | None
              | "[" expr, ... "]" | "(" expr, ... ")"
    OP       := "+" | "-" | "*" | "/" | "//" | "**"
    call     := NAME "(" args ")"                  # a name of the three vocabularies
              | expr "." ("then" | "clip" | "floor") "(" args ")"
    args     := positional and keyword arguments (no *args, no **kwargs)

Between two numbers every operator is arithmetic (``end=1e-5/3e-4``), with a
bounded exponent and bounded results. Otherwise ``*`` needs a schedule or a duration
on one side (``a * b``, ``0.5 * a``, ``2 * epochs(1)``), and ``+`` and ``-`` need a
duration on one side (``fraction(1) - epochs(2)``). List literals become tuples, so
schedules stay hashable.

A spec whose durations are in epochs or fractions of the run (``epochs(2)``,
``fraction(0.1)``) gives an unbound plan; call ``.bind(...)`` on it with the run's
length before evaluating it.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import inspect
import json
import math
import operator
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from lrplan import _schedules
from lrplan._schedules import Duration, Schedule
from lrplan._schedules._hf import (
    HF_FUNCTION_NAMES,
    HF_SCHEDULER_NAMES,
    HF_SPECIFIC_KWARGS,
    hf_schedule,
)
from lrplan._schedules._torchnames import TORCH_NOT_IN_SPECS, TORCH_SPEC_NAMES

__all__ = [
    "CONFIG_SUFFIXES",
    "SpecError",
    "bind_schedule",
    "load",
    "load_schedule",
    "parse_spec",
]

#: File suffixes that :func:`load` reads as config files.
CONFIG_SUFFIXES = (".json", ".yaml", ".yml")

#: Methods that may be called on a schedule inside a spec.
SPEC_METHODS = ("then", "clip", "floor")

_MAX_SPEC_CHARS = 10_000
_MAX_DEPTH = 64
#: Arithmetic bounds: ``|exponent|`` of ``**``, and the size of an integer result.
_MAX_EXPONENT = 1024
_MAX_INT_BITS = 1024

#: The arguments every transformers name takes (see :func:`lrplan.hf_schedule`).
_HF_COMMON = ("num_warmup_steps", "num_training_steps", "base_lr")

_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}
_SYMBOL: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Pow: "**",
}


class SpecError(ValueError):
    """A schedule spec or config that cannot be turned into a schedule."""


@dataclasses.dataclass(frozen=True)
class _Callee:
    """A name a spec may call: the function, the keywords it takes, and whether it takes
    positional arguments (the transformers names take keywords only)."""

    fn: Callable[..., Any]
    keywords: tuple[str, ...]
    positional: bool = True
    #: Checks the arguments' number and names (missing, repeated, too many).
    signature: inspect.Signature | None = None


def _from_signature(fn: Callable[..., Any]) -> _Callee:
    sig = inspect.signature(fn)
    params = sig.parameters.values()
    keywords = tuple(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    positional = any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
    return _Callee(fn, keywords, positional, sig)


def _hf_callee(name: str) -> _Callee:
    def build(**kwargs: Any) -> Schedule:
        return hf_schedule(name, **kwargs)

    build.__name__ = name
    return _Callee(build, (*_HF_COMMON, *HF_SPECIFIC_KWARGS[name]), positional=False)


def _allowed_names() -> Mapping[str, Callable[..., Any]]:
    """:data:`~lrplan._schedules.SPEC_NAMES`, and the old names of renamed classes
    (``Sequence`` for ``Join``), so that specs written before a rename still parse."""
    names = _schedules.SPEC_NAMES
    return {**names, **{old: names[new] for old, new in _schedules.RENAMED.items()}}


@functools.cache
def _callees() -> dict[str, _Callee]:
    """Every name a spec may call: lrplan's, transformers' and torch's (built once)."""
    out = {name: _from_signature(fn) for name, fn in _allowed_names().items()}
    out.update((name, _hf_callee(name)) for name in HF_SCHEDULER_NAMES)
    out.update((name, _from_signature(fn)) for name, fn in TORCH_SPEC_NAMES.items())
    return out


def _allowed_help() -> str:
    names = ", ".join(sorted(_schedules.SPEC_NAMES))  # the current names only
    hf = ", ".join(HF_SCHEDULER_NAMES)
    torch_names = ", ".join(TORCH_SPEC_NAMES)
    methods = ", ".join(f".{m}()" for m in SPEC_METHODS)
    return (
        f"allowed names: {names}; transformers' names: {hf}; torch's names: {torch_names}; "
        f"allowed methods on a schedule: {methods}"
    )


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` did you mean 'x'?`` for the closest of ``choices``, or ``""``.

    The same word in another case comes first, then the choices :mod:`difflib` rates
    at least 0.6 alike and within 0.1 of the best of them.
    """
    choices = list(choices)
    folded = [c for c in choices if c.lower() == word.lower() and c != word]
    rated = sorted(
        ((difflib.SequenceMatcher(None, word, c).ratio(), c) for c in choices), reverse=True
    )
    best = rated[0][0] if rated else 0.0
    close = [c for r, c in rated[:3] if r >= max(0.6, best - 0.1)]
    found = list(dict.fromkeys([*folded, *close]))
    if not found:
        return ""
    return " did you mean " + " or ".join(repr(c) for c in found) + "?"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Evaluator:
    """Walks a parsed spec; every node kind it accepts has its own branch."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.names = _callees()

    def _snippet(self, node: ast.AST) -> str:
        seg = ast.get_source_segment(self.text, node)
        if seg is None:
            seg = type(node).__name__
        return seg if len(seg) <= 60 else seg[:57] + "..."

    def _reject(self, node: ast.AST, what: str, hint: str = "") -> SpecError:
        return SpecError(
            f"{what} {self._snippet(node)!r} is not allowed in a spec;{hint} {_allowed_help()}"
        )

    def eval(self, node: ast.AST, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise SpecError(f"spec is nested more than {_MAX_DEPTH} levels deep")
        d = depth + 1
        if isinstance(node, ast.Constant):
            value = node.value
            if value is None or isinstance(value, bool | int | float | str):
                return value
            raise self._reject(node, f"constant of type {type(value).__name__}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.eval(node.operand, d)
            if isinstance(operand, bool) or not isinstance(operand, int | float | Duration):
                raise self._reject(node, "unary minus or plus on something other than a number:")
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.List | ast.Tuple):
            return tuple(self.eval(elt, d) for elt in node.elts)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return self._binop(node, self.eval(node.left, d), self.eval(node.right, d))
        if isinstance(node, ast.Call):
            return self._call(node, d)
        if isinstance(node, ast.Name):
            if node.id in self.names:
                raise SpecError(
                    f"{node.id!r} must be called, e.g. {node.id}(...); {_allowed_help()}"
                )
            raise self._unknown_name(node, node.id)
        if isinstance(node, ast.Attribute):
            raise self._reject(node, "attribute access")
        raise self._reject(node, type(node).__name__.lower())

    def _unknown_name(self, node: ast.AST, name: str) -> SpecError:
        if name in TORCH_NOT_IN_SPECS:
            return SpecError(f"torch's {name} {TORCH_NOT_IN_SPECS[name]}")
        if name in HF_FUNCTION_NAMES:  # transformers' function: a spec names its schedule
            hf = HF_FUNCTION_NAMES[name]
            return SpecError(
                f"{name} is transformers' function, which takes an optimizer; in a spec "
                f"write its scheduler name with the same step arguments: "
                f"{hf}(num_warmup_steps=..., num_training_steps=..., ...)"
            )
        return self._reject(node, "name", _did_you_mean(name, self.names))

    def _binop(self, node: ast.BinOp, left: Any, right: Any) -> Any:
        op = type(node.op)
        if _is_number(left) and _is_number(right):
            return self._arithmetic(node, left, right)
        symbol = _SYMBOL[op]
        if op is ast.Mult and any(isinstance(v, Schedule | Duration) for v in (left, right)):
            return self._apply(node, lambda: left * right)
        if op in (ast.Add, ast.Sub) and any(isinstance(v, Duration) for v in (left, right)):
            fn = _ARITHMETIC[op]
            return self._apply(node, lambda: fn(left, right))
        if op is ast.Mult:
            need = "two numbers, or a schedule or duration on either side"
        elif op in (ast.Add, ast.Sub):
            need = "two numbers, or a duration on either side"
        else:
            need = "two numbers"
        raise self._reject(node, f"'{symbol}' needs {need}:")

    def _arithmetic(self, node: ast.BinOp, left: int | float, right: int | float) -> Any:
        """``left OP right`` on two numbers, refusing results that are too large."""
        op = type(node.op)
        where = self._snippet(node)
        if op is ast.Pow:
            if abs(right) > _MAX_EXPONENT:
                raise SpecError(
                    f"in {where!r}: the exponent must be in [-{_MAX_EXPONENT}, "
                    f"{_MAX_EXPONENT}], got {right!r}"
                )
            bits = abs(left).bit_length() - 1 if isinstance(left, int) else 0
            if isinstance(right, int) and bits * right > _MAX_INT_BITS:
                raise SpecError(f"in {where!r}: the result is too large")
        try:
            result = _ARITHMETIC[op](left, right)
        except ZeroDivisionError as exc:
            raise SpecError(f"in {where!r}: division by zero") from exc
        except OverflowError as exc:
            raise SpecError(f"in {where!r}: the result is too large") from exc
        if isinstance(result, complex):
            raise SpecError(f"in {where!r}: the result is not a real number")
        if isinstance(result, int) and result.bit_length() > _MAX_INT_BITS:
            raise SpecError(f"in {where!r}: the result is too large")
        if isinstance(result, float) and not math.isfinite(result):
            raise SpecError(f"in {where!r}: the result is not a finite number")
        return result

    def _call(self, node: ast.Call, depth: int) -> Any:
        seen: set[str] = set()
        for kw in node.keywords:
            if kw.arg is None:
                raise self._reject(kw, "'**' argument")
            if kw.arg in seen:  # ast.parse accepts this; only the compiler would refuse it
                raise SpecError(f"keyword {kw.arg!r} is repeated in {self._snippet(node)!r}")
            seen.add(kw.arg)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._reject(arg, "'*' argument")
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in self.names:
                raise self._unknown_name(func, func.id)
            label, callee = func.id, self.names[func.id]
        elif isinstance(func, ast.Attribute):
            if func.attr not in SPEC_METHODS:
                raise self._reject(func, "method", _did_you_mean(func.attr, SPEC_METHODS))
            receiver = self.eval(func.value, depth)
            if not isinstance(receiver, Schedule):
                raise self._reject(func, f".{func.attr}() on a non-schedule:")
            label, callee = f".{func.attr}", _from_signature(getattr(receiver, func.attr))
        else:
            raise self._reject(func, "call of")
        self._check_arguments(node, label, callee)
        args = [self.eval(a, depth) for a in node.args]
        kwargs = {kw.arg: self.eval(kw.value, depth) for kw in node.keywords if kw.arg}
        return self._apply(node, lambda: callee.fn(*args, **kwargs))

    def _check_arguments(self, node: ast.Call, label: str, callee: _Callee) -> None:
        """Unknown keywords (with the closest ones) and positional arguments to a name
        that takes keywords only, before anything is called."""
        where = self._snippet(node)
        takes = ", ".join(callee.keywords) or "no arguments"
        for kw in node.keywords:
            if kw.arg not in callee.keywords:
                hint = _did_you_mean(str(kw.arg), callee.keywords)
                hint = hint or self._other_case(label, str(kw.arg))
                raise SpecError(
                    f"in {where!r}: {label}() has no argument {kw.arg!r};{hint} "
                    f"{label}() takes: {takes}"
                )
        if node.args and not callee.positional:
            raise SpecError(f"in {where!r}: {label}() takes keyword arguments only ({takes})")
        if callee.signature is not None:
            named = {kw.arg: kw for kw in node.keywords if kw.arg}
            try:
                callee.signature.bind(*node.args, **named)
            except TypeError as exc:  # missing, repeated or too many arguments
                raise SpecError(
                    f"in {where!r}: {label}(): {exc}; {label}() takes: {takes}"
                ) from None

    def _other_case(self, label: str, keyword: str) -> str:
        """A hint when the same name in another case takes ``keyword`` (``linear`` is
        transformers' name, ``Linear`` lrplan's)."""
        for name, callee in self.names.items():
            if name != label and name.lower() == label.lower() and keyword in callee.keywords:
                return f" {name}() takes {keyword}=, but {label}() is another vocabulary's name;"
        return ""

    def _apply(self, node: ast.AST, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (TypeError, ValueError) as exc:
            raise SpecError(f"in {self._snippet(node)!r}: {exc}") from exc


def parse_spec(text: str) -> Schedule:
    """Build a schedule from a spec string, without ever calling :func:`eval`.

    Raises:
        SpecError: (a ``ValueError``) for syntax errors, names or constructs that
            are not allowed, bad arguments, or a spec that is not a schedule.

    Example:
        >>> import lrplan as lp
        >>> from lrplan._spec import parse_spec
        >>> plan = parse_spec("warmup(Cosine(steps=90, end=1e-5 / 1e-4), steps=10)")
        >>> plan == lp.warmup(lp.Cosine(steps=90, end=0.1), steps=10)
        True
        >>> parse_spec("Linear(steps=10).floor(0.2)")(10)
        0.2
        >>> parse_spec("StepLR(step_size=2, gamma=0.5)")(4)
        0.25
        >>> parse_spec("cosine(num_warmup_steps=0, num_training_steps=10)")(5)
        0.5
        >>> parse_spec("Cosine(step=100)")
        Traceback (most recent call last):
        ...
        lrplan._spec.SpecError: in 'Cosine(step=100)': Cosine() has no argument 'step'; ...
        >>> parse_spec("__import__('os')")
        Traceback (most recent call last):
        ...
        lrplan._spec.SpecError: name '__import__' is not allowed in a spec; allowed names: ...
    """
    if not isinstance(text, str):
        raise TypeError(f"spec must be a string, got {type(text).__name__}")
    if len(text) > _MAX_SPEC_CHARS:
        raise SpecError(f"spec is longer than {_MAX_SPEC_CHARS} characters")
    if not text.strip():
        raise SpecError(f"spec is empty; {_allowed_help()}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise SpecError(f"spec is not valid syntax: {exc.msg} in {text!r}") from exc
    except (RecursionError, MemoryError, ValueError) as exc:
        raise SpecError(f"spec could not be parsed: {exc}") from exc
    evaluator = _Evaluator(text.strip())
    try:
        result = evaluator.eval(tree.body)
    except RecursionError as exc:
        raise SpecError("spec is nested too deeply") from exc
    if not isinstance(result, Schedule):
        raise SpecError(
            f"spec must describe a schedule, but {text!r} is a {type(result).__name__}; "
            f"{_allowed_help()}"
        )
    return result


def _read_config(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"{path}: not valid JSON: {exc}") from exc
    import yaml  # a dependency of lrplan, imported only when a YAML file is read

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from exc


def load(spec_or_path: str | os.PathLike[str], *, key: str | None = None) -> Schedule:
    """A schedule from a spec string or from a ``.json`` / ``.yaml`` / ``.yml`` config file.

    A string that ends in one of those suffixes is a path; any other string is a
    spec (see docs/concepts.md): lrplan's names (``"warmup(Cosine(steps=900),
    steps=100)"``), transformers' (``"cosine_with_min_lr(num_warmup_steps=100,
    num_training_steps=1000, min_lr_rate=0.1)"``) or torch's
    (``"CosineAnnealingLR(T_max=1000)"``), with arithmetic on numbers.

    A config file holds the mapping that :meth:`Schedule.to_config` returns
    (``{"type": "cosine", "steps": 100, ...}``), and is rebuilt with
    :meth:`Schedule.from_config`. It may instead hold one such config per
    hyperparameter, as :func:`lrplan.schedule_many` takes them
    (``{"lr": {"type": ...}, "momentum": {"type": ...}}``); ``key`` then picks one.
    YAML is read with ``yaml.safe_load``, so no tag can run code.

    Raises:
        SpecError: (a ``ValueError``) a bad spec, a missing config file, or a config
            that is not a schedule.
        TypeError: ``spec_or_path`` is neither a string nor a path.

    Example:
        >>> import json, tempfile, pathlib, lrplan as lp
        >>> plan = lp.Cosine(steps=100, end=0.1)
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.json"
        >>> _ = path.write_text(json.dumps(plan.to_config()))
        >>> lp.load(path) == plan == lp.load("Cosine(steps=100, end=0.1)")
        True
        >>> lp.load("CosineAnnealingLR(T_max=100)")(50)
        0.5
    """
    if isinstance(spec_or_path, str):
        text = spec_or_path.strip()
        if not text.lower().endswith(CONFIG_SUFFIXES):
            return parse_spec(text)
        path = Path(text)
    elif isinstance(spec_or_path, os.PathLike):
        path = Path(os.fspath(spec_or_path))
    else:
        raise TypeError(
            "load: expected a spec string or a path to a .json/.yaml file, got "
            f"{type(spec_or_path).__name__}"
        )
    if path.suffix.lower() not in CONFIG_SUFFIXES:
        raise SpecError(f"{path}: config files must end in {', '.join(CONFIG_SUFFIXES)}")
    if not path.is_file():
        raise SpecError(f"config file {str(path)!r} does not exist")
    cfg = _read_config(path)
    if not isinstance(cfg, Mapping):
        raise SpecError(
            f"{path}: a schedule config must be a mapping with a 'type' key, "
            f"got {type(cfg).__name__}"
        )
    where = str(path)
    if "type" not in cfg and cfg and all(isinstance(v, Mapping) for v in cfg.values()):
        keys = sorted(str(k) for k in cfg)
        if key is None or key not in cfg:
            asked = "no key was given" if key is None else f"not for {key!r}"
            raise SpecError(
                f"{path} holds schedules for the keys {keys}, {asked}; "
                "pick one (key=..., or --key on the command line)"
            )
        cfg, where = cfg[key], f"{path} [{key}]"
    try:
        return Schedule.from_config(cfg)
    except (TypeError, ValueError, KeyError) as exc:
        raise SpecError(f"{where}: {exc}") from exc


#: The name the command line and older code use for :func:`load`.
load_schedule = load


def bind_schedule(
    schedule: Schedule,
    *,
    total_steps: float | None = None,
    steps_per_epoch: float | None = None,
) -> Schedule:
    """``schedule.bind(...)`` for a run, with binding errors raised as :class:`SpecError`.

    Plans whose durations are in epochs or fractions of the run
    (``Cosine(steps=fraction(0.9))``) become ordinary schedules in steps; other
    schedules come back unchanged. Only the given run facts are passed on.

    Example:
        >>> from lrplan._spec import bind_schedule, parse_spec
        >>> plan = parse_spec("warmup(Cosine(steps=fraction(1) - epochs(1)), steps=epochs(1))")
        >>> bind_schedule(plan, total_steps=1000, steps_per_epoch=100).boundaries() == [100]
        True
    """
    run = {
        k: v
        for k, v in (("total_steps", total_steps), ("steps_per_epoch", steps_per_epoch))
        if v is not None
    }
    try:
        return schedule.bind(**run)
    except (TypeError, ValueError) as exc:
        raise SpecError(str(exc)) from exc
