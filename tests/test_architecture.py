"""Rules about the source itself (docs/architecture.md): no generated code; no name
that shadows a collections.abc ABC; no module-level import cycle, and imports that point
down the layers only; function-level imports for optional dependencies only; a pure layer
that runs without torch; a lazy ``lrplan`` package whose lists of public names agree, and
whose old names still work."""

from __future__ import annotations

import ast
import collections.abc
import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "lrplan"
FORBIDDEN_CALLS = {"exec", "eval", "compile"}


def _calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{path.name}:{node.lineno}: {node.func.id}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FORBIDDEN_CALLS
    ]


def test_no_generated_code() -> None:
    """No exec/eval/compile anywhere: every line that runs is a line in a file, so a
    traceback always points at real source."""
    modules = sorted(SRC.rglob("*.py"))
    assert len(modules) > 10
    found = [hit for path in modules for hit in _calls(path)]
    assert found == [], found


def test_the_check_sees_a_call(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("x = 1\nexec('y = 2')\n")
    assert _calls(probe) == ["probe.py:2: exec()"]


# --------------------------------------------------------------------------- names

#: The names of collections.abc (Sequence, Mapping, Iterable, Callable, ...).
ABC_NAMES = frozenset(collections.abc.__all__)

#: The one place where such a name is something else: the old name of ``Join``, bound for
#: type checkers under TYPE_CHECKING (lrplan._schedules.RENAMED).
ABC_NAME_EXCEPTIONS = {("__init__.py", "Sequence")}


def _abc_shadows(path: Path) -> list[tuple[str, int, str]]:
    """(file, line, name) wherever ``path`` binds a collections.abc name (a class, an
    import, an assignment) to anything but that ABC (from collections.abc or typing)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        bound: list[str] = []
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            bound = [node.name]
        elif isinstance(node, ast.Import):
            bound = [a.asname or a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            itself = node.module in ("collections.abc", "typing")
            bound = [a.asname or a.name for a in node.names]
            if itself:  # the ABC itself, under its own name, is what it should be
                bound = [n for n, a in zip(bound, node.names, strict=True) if n != a.name]
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound = [node.id]
        line = getattr(node, "lineno", 0)
        found += [(path.name, line, n) for n in bound if n in ABC_NAMES]
    return sorted(set(found))


def test_no_name_shadows_a_collections_abc_name() -> None:
    """No module of lrplan binds ``Sequence``, ``Mapping``, ``Callable``, ... to anything
    but the ABC, so ``from collections.abc import Sequence`` is never shadowed: the
    combinator that was ``Sequence`` is ``Join`` (its old name lives on, see
    test_old_names_still_work_but_are_not_exported)."""
    found = [
        hit
        for path in MODULES.values()
        for hit in _abc_shadows(path)
        if not (path.parent == SRC and (hit[0], hit[2]) in ABC_NAME_EXCEPTIONS)
    ]
    assert found == [], found


def test_the_abc_name_check_sees_a_shadow(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from collections.abc import Mapping, Sequence\n"
        "from typing import Callable\n"
        "from ._core import Join as Sequence\n"
        "from .x import Iterable\n"
        "class Mapping: ...\n"
        "Sized = int\n"
        "from collections.abc import Set as Container\n"
    )
    assert _abc_shadows(probe) == [
        ("probe.py", 3, "Sequence"),
        ("probe.py", 4, "Iterable"),
        ("probe.py", 5, "Mapping"),
        ("probe.py", 6, "Sized"),
        ("probe.py", 7, "Container"),
    ]


# --------------------------------------------------------------------------- the import graph

PACKAGE = "lrplan"

#: Roots of the optional or heavy dependencies that may be imported inside a function
#: (so that importing the module does not pay for them, or need them installed).
LAZY_DEPENDENCIES = {"matplotlib", "plotext", "yaml", "rich", "torch"}

#: The only function-level imports of lrplan's own modules, each with its reason.
LAZY_INTERNAL = {
    # `lrplan demo` trains a torch model; the other commands never import torch.
    ("lrplan.cli", "lrplan._demo"),
    # `lrplan find` trains a torch model too.
    ("lrplan.cli", "lrplan._find_cli"),
    # Notebook display (Schedule._repr_png_) draws with matplotlib through the plot
    # module; the pure layer imports neither when it is not displayed.
    ("lrplan._schedules._core", "lrplan._plot"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(module: str, node: ast.Import | ast.ImportFrom, is_package: bool) -> list[str]:
    """The modules an import statement names (submodules for ``from pkg import mod``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        anchor = parts if is_package else parts[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    out = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        out.append(sub if sub in MODULES else base)
    return out


def _imports(module: str) -> tuple[list[str], list[tuple[int, str]]]:
    """(module-level imports, [(line, target)] of function-level ones) of one module.

    Module level is every import that runs when the module is imported: top-level
    statements and those nested in top-level ``if``/``try``/``with``/class bodies,
    except under ``if TYPE_CHECKING:``. Function level is every import in a ``def``.
    """
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), filename=str(path))
    top: list[str] = []
    lazy: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                return
            found = _targets(module, node, is_package)
            if in_function:
                lazy.extend((node.lineno, t) for t in found)
            else:
                top.extend(found)
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:  # the else branch runs
                visit(child, in_function)
            return
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return top, lazy


def import_graph() -> dict[str, set[str]]:
    """Module -> the lrplan modules it imports at module level."""
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        top, _ = _imports(module)
        graph[module] = {t for t in top if t in MODULES and t != module}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path that returns to its start) for every strongly connected
    component of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return [_cycle_in(graph, c) for c in components]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    start = min(component)
    path, seen = [start], {start}
    while True:
        nxt = sorted(w for w in graph[path[-1]] if w in component)
        back = [w for w in nxt if w in seen]
        if back:
            return [*path[path.index(back[0]) :], back[0]]
        path.append(nxt[0])
        seen.add(nxt[0])


def test_no_module_level_import_cycles() -> None:
    """Arrows point one way: schedules <- driver <- torch-named classes and wrappers
    <- registry <- CLI, with plotting beside the CLI (docs/architecture.md)."""
    graph = import_graph()
    assert "lrplan._schedules._core" in graph and len(graph) == len(MODULES)
    cycles = find_cycles(graph)
    assert cycles == [], "module-level import cycles:\n" + "\n".join(
        " -> ".join(c) for c in cycles
    )


def test_the_cycle_check_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_reads_relative_imports_and_skips_type_checking() -> None:
    graph = import_graph()
    assert "lrplan._schedules._ops" in graph["lrplan._schedules._core"]
    assert "lrplan._schedules._core" in graph["lrplan._schedules._shapes"]
    assert "lrplan._driver" in graph["lrplan._compat"]
    # lrplan/__init__.py imports its names under TYPE_CHECKING only (lazy at run time).
    assert graph["lrplan"] == set()


def test_function_level_imports_only_for_optional_dependencies() -> None:
    """A function-level import hides an edge of the graph: only optional or heavy
    dependencies (matplotlib, plotext, yaml, rich; torch in the CLI's demo) and the
    two internal ones in LAZY_INTERNAL may be imported inside a function."""
    bad: set[str] = set()
    for module in MODULES:
        _, lazy = _imports(module)
        for line, target in lazy:
            if target.split(".")[0] in LAZY_DEPENDENCIES or (module, target) in LAZY_INTERNAL:
                continue
            bad.add(f"{MODULES[module].relative_to(SRC.parent)}:{line}: import {target}")
    assert not bad, "\n".join(sorted(bad))


def test_layers_point_down() -> None:
    """The pure layer imports nothing above it (no driver, no torch-named class, no
    plotting, no CLI), and plotting imports only the pure layer."""
    graph = import_graph()
    pure = {m for m in MODULES if m.startswith("lrplan._schedules")} | {"lrplan._spec"}
    for module in sorted(pure):
        above = graph[module] - pure
        assert above == set(), f"{module} imports {sorted(above)} from above the pure layer"
    assert graph["lrplan._plot"] <= pure


def test_pure_layer_imports_numpy_and_the_standard_library_only() -> None:
    allowed = {"numpy", PACKAGE, *sys.stdlib_module_names}
    light = {"lrplan._spec", "lrplan._plot"}
    for module in MODULES:
        if not (module.startswith("lrplan._schedules") or module in light):
            continue
        top, _ = _imports(module)
        foreign = sorted({t for t in top if t.split(".")[0] not in allowed})
        assert foreign == [], f"{module} imports {foreign} at module level"


# --------------------------------------------------------------------------- the pure layer

#: Prepended to a subprocess's script: every import of torch fails, and is recorded.
BLOCK_TORCH = '''
import sys

class _BlockTorch:
    """A meta-path finder that refuses torch, as if it were not installed."""

    attempts = []

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            self.attempts.append(name)
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None

BLOCKER = _BlockTorch()
sys.meta_path.insert(0, BLOCKER)
'''

PURE_WITHOUT_TORCH = '''
import json, pickle

import lrplan
assert "lrplan._schedules" not in sys.modules, "import lrplan imported the schedules"
assert set(lrplan.__all__) <= set(dir(lrplan))

import numpy as np
from lrplan import Cosine, Schedule, epochs, fraction, warmup
from lrplan._schedules import SPEC_NAMES, registry
from lrplan._spec import load_schedule, parse_spec

# every pure public name resolves from the package
from lrplan._schedules import EXPORTS
assert "REX" in EXPORTS and "Cosine" in EXPORTS
assert all(getattr(lrplan, name) is not None for name in EXPORTS)

plan = warmup(Cosine(steps=90, end=0.1), steps=10)
assert (plan(0), plan(10), plan(100)) == (0.0, 1.0, 0.1)
values = plan.values(np.arange(101))
assert values.shape == (101,) and values[10] == 1.0
assert Schedule.from_config(json.loads(json.dumps(plan.to_config()))) == plan
assert pickle.loads(pickle.dumps(plan)) == plan
combined = (0.5 * lrplan.Linear(steps=10)).then(lrplan.Step(step_size=5), at=10).floor(0.01)
assert combined(5) == 0.25 and combined(25) == 0.01
assert Schedule.from_config(combined.to_config()) == combined

spec = "warmup(Cosine(steps=fraction(1) - epochs(2), end=0.01), steps=epochs(2))"
unbound = parse_spec(spec)
assert isinstance(unbound, lrplan.Unbound)
assert Schedule.from_config(unbound.to_config()) == unbound
bound = unbound.bind(epochs=10, steps_per_epoch=100)
assert bound(200) == 1.0 and bound.duration == 1000
assert load_schedule("Repeat(schedule=Linear(steps=4), times=2)")(5) == 0.75
assert lrplan.large_batch(batch_size=1024).bind(steps_per_epoch=10)(1000) == 4.0
assert lrplan.Shift(schedule=Cosine(steps=10), by=5)(5) == 1.0
assert set(SPEC_NAMES) and set(registry())

assert BLOCKER.attempts == [], BLOCKER.attempts
assert "torch" not in sys.modules
loaded = sorted(m for m in sys.modules if m.startswith("lrplan"))
print(json.dumps(loaded))

# The block works: a torch-named class cannot be had.
try:
    lrplan.StepLR
except ImportError:
    pass
else:
    raise AssertionError("lrplan.StepLR imported without torch")
assert BLOCKER.attempts
'''


def _run_python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=SRC.parent.parent,
    )


def test_pure_layer_imports_and_runs_without_torch() -> None:
    """With torch made unimportable, ``import lrplan`` and the pure layer (schedules,
    combinators, durations, configs, spec parsing) import and evaluate, and nothing
    even tries to import torch."""
    proc = _run_python(BLOCK_TORCH + PURE_WITHOUT_TORCH)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "lrplan._schedules._core" in loaded and "lrplan._spec" in loaded
    assert not [m for m in loaded if "driver" in m or "compat" in m]


def test_import_lrplan_is_lazy() -> None:
    proc = _run_python(
        "import sys, lrplan; print(sorted(m for m in sys.modules if m.startswith(('lrplan', "
        "'torch', 'numpy'))))"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['lrplan']"


# --------------------------------------------------------------------------- the lazy package


class StaticView:
    """What type checkers read in a package ``__init__``: its ``if TYPE_CHECKING:``
    imports (by absolute module), the old names it binds to new ones (``Sequence = Join``),
    the modules it star-imports, and its ``__all__`` (the literal list, and the modules
    whose ``__all__`` it adds with ``+=``)."""

    def __init__(self, package: str) -> None:
        self.imports: dict[str, list[str]] = {}
        self.renamed: dict[str, str] = {}  # old name -> new name
        self.stars: list[str] = []
        self.all_literal: list[str] = []
        self.all_added: list[str] = []  # modules, as written (``_shapes``)
        tree = ast.parse(MODULES[package].read_text())
        for node in tree.body:
            body = node.body if isinstance(node, ast.If) and _is_type_checking(node.test) else []
            for stmt in body if body else [node]:
                self._read(package, stmt)

    def _read(self, package: str, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.ImportFrom) and stmt.level:  # the package's own modules
            assert stmt.level == 1, ast.dump(stmt)
            module = f"{package}.{stmt.module}" if stmt.module else package
            if [a.name for a in stmt.names] == ["*"]:
                self.stars.append(module)
            else:
                self.imports.setdefault(module, []).extend(a.name for a in stmt.names)
        elif isinstance(stmt, ast.Assign) and ast.unparse(stmt.targets[0]) == "__all__":
            self.all_literal = list(ast.literal_eval(stmt.value))
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name):
            self.renamed[ast.unparse(stmt.targets[0])] = stmt.value.id
        elif isinstance(stmt, ast.AugAssign) and ast.unparse(stmt.target) == "__all__":
            text = ast.unparse(stmt.value)
            assert text.endswith(".__all__"), text
            self.all_added.append(text.removesuffix(".__all__"))


def test_lazy_exports_match_the_type_checking_imports_and_all() -> None:
    """The public names of ``lrplan`` agree in every form: what type checkers see (the
    ``TYPE_CHECKING`` imports and ``__all__``), what ``__getattr__`` imports (``_LAZY``
    and the pure layer's ``EXPORTS``), and ``lrplan.__all__`` at run time. The shapes
    are in none of these lists: they come from the shape modules' ``__all__``, the same
    modules for type checkers as for ``lrplan._schedules.EXPORTS``."""

    import lrplan
    import lrplan._schedules as pure

    static = StaticView(PACKAGE)
    assert static.imports.pop(PACKAGE) == list(lrplan._SUBMODULES)
    # The shape modules: star-imported, and their __all__ added, here and in _schedules.
    shape_modules = StaticView(pure.__name__).all_added
    assert shape_modules == ["_shapes", "_cyclic", "_catalogue", "_timemaps"]
    assert sorted(static.stars) == sorted(f"{pure.__name__}.{m}" for m in shape_modules)
    assert static.all_added == shape_modules
    shapes = [n for m in shape_modules for n in getattr(pure, m).__all__]
    # The rest of the pure layer (value type, durations, warmup) is imported by name.
    foundation = [n for n in static.imports.pop(pure.__name__) if n not in shape_modules]
    assert len(pure.EXPORTS) == len(set(pure.EXPORTS))
    assert sorted(pure.EXPORTS) == sorted([*foundation, *shapes])
    # Above the pure layer: the TYPE_CHECKING imports are _LAZY.
    assert {m: sorted(n) for m, n in static.imports.items()} == {
        m: sorted(n) for m, n in lrplan._LAZY.items()
    }
    listed = [n for names in lrplan._LAZY.values() for n in names]
    listed += [*lrplan._SUBMODULES, "__version__", *foundation]
    assert sorted(static.all_literal) == sorted(listed)
    assert len(listed + shapes) == len(set(listed + shapes))
    assert sorted(lrplan.__all__) == sorted(listed + shapes)
    # Old names: type checkers see each as the class it names now, and no __all__ has it.
    assert static.renamed == pure.RENAMED
    assert set(pure.RENAMED.values()) <= set(foundation)


def test_old_names_still_work_but_are_not_exported() -> None:
    """A renamed class keeps its old name (``lrplan.Sequence`` is ``lrplan.Join``) for
    attribute access, ``from lrplan import ...`` and spec strings, but no list of public
    names holds it, so ``from lrplan import *`` binds only the new name."""
    import lrplan
    from lrplan._schedules import RENAMED, SPEC_NAMES
    from lrplan._spec import _allowed_names

    assert RENAMED == {"Sequence": "Join"}
    for old, new in RENAMED.items():
        assert getattr(lrplan, old) is getattr(lrplan, new)
        assert old not in lrplan.__all__ and old not in lrplan._schedules.__all__
        assert old not in SPEC_NAMES and _allowed_names()[old] is SPEC_NAMES[new]
    star = _run_python(
        "from collections.abc import Sequence\nfrom lrplan import *\n"
        "import collections.abc, lrplan\nfrom lrplan import Sequence as S\n"
        "print(Sequence is collections.abc.Sequence, S is lrplan.Join)"
    )
    assert star.returncode == 0, star.stderr
    assert star.stdout.strip() == "True True"


def test_every_schedule_class_is_exported_and_callable_in_specs() -> None:
    """A new shape is one class: its ``type_name`` registers it, so spec strings can call
    it; its name in its module's ``__all__`` exports it from ``lrplan`` (and puts it in
    docs/api.md). This fails, with the fix in the message, if one was left out."""
    import lrplan
    from lrplan._schedules import SPEC_FUNCTIONS, SPEC_NAMES, Unbound, registry

    # Private classes (a leading underscore: the transformers quirks of
    # lrplan._schedules._hf) are registered for configs only: not exported, not in specs.
    ours = [
        c
        for c in registry().values()
        if c.__module__.startswith("lrplan._schedules.") and not c.__name__.startswith("_")
    ]
    assert len(ours) > 20
    for cls in ours:
        module = sys.modules[cls.__module__]
        fix = (
            f"add {cls.__name__!r} to the __all__ of {cls.__module__}"
            if cls.__name__ not in getattr(module, "__all__", ())
            else f"{cls.__module__} is not a shape module: star-import it and add its __all__ "
            "in lrplan/_schedules/__init__.py and under TYPE_CHECKING in lrplan/__init__.py"
        )
        assert getattr(lrplan, cls.__name__, None) is cls, (
            f"{cls.__name__} is registered (type_name={cls.type_name!r}) but lrplan does not "
            f"export it: {fix} (see CONTRIBUTING.md)"
        )
        assert cls.__name__ in lrplan.__all__
    assert {
        **{c.__name__: c for c in ours if c is not Unbound},
        **{f.__name__: f for f in SPEC_FUNCTIONS},
    } == SPEC_NAMES
    # Classes registered above the pure layer (timm's, HF's shapes) are not spec names.
    import lrplan.timm

    later = [c for c in registry().values() if c not in ours]
    assert later and not any(SPEC_NAMES.get(c.__name__) is c for c in later)


def test_every_public_name_imports_from_lrplan() -> None:
    import importlib

    import lrplan

    for module, names in [*lrplan._LAZY.items(), ("lrplan._schedules", lrplan._schedules.EXPORTS)]:
        mod = importlib.import_module(module)
        for name in names:
            assert getattr(lrplan, name) is getattr(mod, name), name
    assert lrplan.timm is importlib.import_module("lrplan.timm")
    assert set(lrplan.__all__) <= set(dir(lrplan))
    star = _run_python("from lrplan import *; print(sorted(k for k in dir() if k[0] != '_'))")
    assert star.returncode == 0, star.stderr
    public = sorted(n for n in lrplan.__all__ if not n.startswith("_"))
    assert star.stdout.strip() == str(public)
    try:
        lrplan.NoSuchName  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchName" in str(exc)
    else:
        raise AssertionError("lrplan.NoSuchName did not raise AttributeError")
