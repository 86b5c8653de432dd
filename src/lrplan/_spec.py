"""Safe parsing of schedule specs and loading of schedule config files.

A *spec* is a one-line schedule written with the Python API's own constructor
names, for example ``"warmup(Cosine(steps=9500, end=0.01), steps=500)"``. It is
parsed with :func:`ast.parse` and evaluated by a small tree walker that knows a
fixed list of node kinds; nothing is ever handed to :func:`eval`. Anything outside
that list (attribute access other than the three combinator methods, names that
are not schedule constructors, lambdas, comprehensions, subscripts, operators
other than ``*`` between schedules, ``**kwargs``) is rejected with a
:class:`SpecError` that names the offending piece of text.

Grammar accepted by :func:`parse_spec`::

    expr     := call | expr "*" expr | expr "+" expr | expr "-" expr
              | number | string | True | False | None
              | "-" expr | "[" expr, ... "]" | "(" expr, ... ")"
    call     := NAME "(" args ")"                  # NAME in lrplan._schedules.SPEC_NAMES
                                                   # (or an old name in RENAMED)
              | expr "." ("then" | "clip" | "floor") "(" args ")"
    args     := positional and keyword arguments (no *args, no **kwargs)

``*`` needs a schedule or a duration on at least one side (``a * b``, ``0.5 * a``,
``2 * epochs(1)``); ``+`` and ``-`` need a duration on at least one side
(``fraction(1) - epochs(2)``). List literals become tuples, so schedules stay
hashable.

A spec whose durations are in epochs or fractions of the run (``epochs(2)``,
``fraction(0.1)``) gives an unbound plan; call ``.bind(...)`` on it with the run's
length before evaluating it.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lrplan import _schedules
from lrplan._schedules import Duration, Schedule

__all__ = ["CONFIG_SUFFIXES", "SpecError", "bind_schedule", "load_schedule", "parse_spec"]

#: File suffixes that :func:`load_schedule` reads as config files.
CONFIG_SUFFIXES = (".json", ".yaml", ".yml")

#: Methods that may be called on a schedule inside a spec.
SPEC_METHODS = ("then", "clip", "floor")

_MAX_SPEC_CHARS = 10_000
_MAX_DEPTH = 64


class SpecError(ValueError):
    """A schedule spec or config that cannot be turned into a schedule."""


def _allowed_names() -> Mapping[str, Callable[..., Any]]:
    """:data:`~lrplan._schedules.SPEC_NAMES`, and the old names of renamed classes
    (``Sequence`` for ``Join``), so that specs written before a rename still parse."""
    names = _schedules.SPEC_NAMES
    return {**names, **{old: names[new] for old, new in _schedules.RENAMED.items()}}


def _allowed_help() -> str:
    names = ", ".join(sorted(_schedules.SPEC_NAMES))  # the current names only
    methods = ", ".join(f".{m}()" for m in SPEC_METHODS)
    return f"allowed names: {names}; allowed methods on a schedule: {methods}"


class _Evaluator:
    """Walks a parsed spec; every node kind it accepts has its own branch."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.names = _allowed_names()

    def _snippet(self, node: ast.AST) -> str:
        seg = ast.get_source_segment(self.text, node)
        if seg is None:
            seg = type(node).__name__
        return seg if len(seg) <= 60 else seg[:57] + "..."

    def _reject(self, node: ast.AST, what: str) -> SpecError:
        return SpecError(
            f"{what} {self._snippet(node)!r} is not allowed in a spec; {_allowed_help()}"
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
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = self.eval(node.operand, d)
            if isinstance(operand, bool) or not isinstance(operand, int | float | Duration):
                raise self._reject(node, "unary minus on something other than a number:")
            return -operand
        if isinstance(node, ast.List | ast.Tuple):
            return tuple(self.eval(elt, d) for elt in node.elts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            left = self.eval(node.left, d)
            right = self.eval(node.right, d)
            if not any(isinstance(v, Schedule | Duration) for v in (left, right)):
                raise self._reject(node, "'*' without a schedule or duration on either side:")
            return self._apply(node, lambda: left * right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            left = self.eval(node.left, d)
            right = self.eval(node.right, d)
            if not any(isinstance(v, Duration) for v in (left, right)):
                raise self._reject(node, "'+' or '-' without a duration on either side:")
            if isinstance(node.op, ast.Add):
                return self._apply(node, lambda: left + right)
            return self._apply(node, lambda: left - right)
        if isinstance(node, ast.Call):
            return self._call(node, d)
        if isinstance(node, ast.Name):
            if node.id in self.names:
                raise SpecError(
                    f"{node.id!r} must be called, e.g. {node.id}(...); {_allowed_help()}"
                )
            raise self._reject(node, "name")
        if isinstance(node, ast.Attribute):
            raise self._reject(node, "attribute access")
        raise self._reject(node, type(node).__name__.lower())

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
        target: Callable[..., Any]
        if isinstance(func, ast.Name):
            if func.id not in self.names:
                raise self._reject(func, "name")
            target = self.names[func.id]
        elif isinstance(func, ast.Attribute):
            if func.attr not in SPEC_METHODS:
                raise self._reject(func, "method")
            receiver = self.eval(func.value, depth)
            if not isinstance(receiver, Schedule):
                raise self._reject(func, f".{func.attr}() on a non-schedule:")
            target = getattr(receiver, func.attr)
        else:
            raise self._reject(func, "call of")
        args = [self.eval(a, depth) for a in node.args]
        kwargs = {kw.arg: self.eval(kw.value, depth) for kw in node.keywords if kw.arg}
        return self._apply(node, lambda: target(*args, **kwargs))

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
        >>> plan = parse_spec("warmup(Cosine(steps=90, end=0.1), steps=10)")
        >>> plan == lp.warmup(lp.Cosine(steps=90, end=0.1), steps=10)
        True
        >>> parse_spec("Linear(steps=10).floor(0.2)")(10)
        0.2
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
    try:
        import yaml
    except ImportError as exc:
        raise ImportError(
            f"reading {path} needs PyYAML, which is not installed; "
            'install it with: pip install "lrplan[yaml]"'
        ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from exc


def load_schedule(spec_or_path: str | os.PathLike[str], *, key: str | None = None) -> Schedule:
    """A schedule from a spec string or from a ``.json`` / ``.yaml`` / ``.yml`` config file.

    A config file holds the mapping that :meth:`Schedule.to_config` returns
    (``{"type": "cosine", "steps": 100, ...}``), and is rebuilt with
    :meth:`Schedule.from_config`. It may instead hold one such config per
    hyperparameter, as :func:`lrplan.schedule_many` takes them
    (``{"lr": {"type": ...}, "momentum": {"type": ...}}``); ``key`` then picks one.
    YAML needs PyYAML (``pip install "lrplan[yaml]"``); it is read with
    ``yaml.safe_load``. Anything that is not a config path is parsed with
    :func:`parse_spec`.

    Raises:
        SpecError: a bad spec, a missing config file, or a config that is not a
            schedule.
        ImportError: a YAML file when PyYAML is not installed.

    Example:
        >>> import json, tempfile, pathlib, lrplan as lp
        >>> from lrplan._spec import load_schedule
        >>> plan = lp.Cosine(steps=100, end=0.1)
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.json"
        >>> _ = path.write_text(json.dumps(plan.to_config()))
        >>> load_schedule(path) == plan == load_schedule("Cosine(steps=100, end=0.1)")
        True
    """
    if isinstance(spec_or_path, str):
        text = spec_or_path.strip()
        if not text.lower().endswith(CONFIG_SUFFIXES):
            return parse_spec(text)
        path = Path(text)
    else:
        path = Path(os.fspath(spec_or_path))
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
