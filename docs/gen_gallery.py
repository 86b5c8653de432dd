"""Draw docs/gallery.md: every shape and combinator of lrplan, one small PNG each.

    python docs/gen_gallery.py          # writes docs/img/gallery/*.png and docs/gallery.md
    python docs/gen_gallery.py rex      # redraws only the named pictures (slugs)

Each picture is drawn by lrplan's own command line (``lrplan plot`` for one curve,
``lrplan compare`` for several; the exact command is printed next to the picture in
docs/schedules.md) and then reduced to a 64-colour palette so the repository stays
small. The same pictures illustrate docs/schedules.md, between its gallery markers.
tests/test_docs.py checks that every spec parses, that every name a spec may use
appears in the gallery, and that every picture exists.

``CURATED`` below holds the hand-made entries (several curves, chosen to compare).
Every other shape in the config registry gets an entry of its own from its docstring:
the calls to its constructor in its ``Example`` section are its curves, and the first
paragraph of the docstring is its text. So a new shape whose Example builds it is drawn
without an edit here.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import doctest
import inspect
import io
import re
import shlex
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).parent
IMG = DOCS / "img" / "gallery"
OUT = DOCS / "gallery.md"
SCHEDULES = DOCS / "schedules.md"
START, END = "<!-- gallery:start -->", "<!-- gallery:end -->"


@dataclasses.dataclass(frozen=True)
class Entry:
    slug: str
    title: str
    curves: tuple[str, ...]  # spec strings, one curve each
    text: str
    steps: int | None = None  # the x range; the longest duration by default
    key: str = "lr"  # the param-group key the values drive (sets the y axis)
    group: str = "Shapes"


CURATED: tuple[Entry, ...] = (
    Entry(
        "constant",
        "Constant",
        ("Constant(value=0.5)",),
        "A constant multiplier: half the base lr for the whole run.",
        steps=1000,
    ),
    Entry(
        "linear",
        "Linear",
        ("Linear(steps=1000, start=1, end=0.1)", "Linear(steps=1000, start=0, end=2)"),
        "A straight line between any two values, then the end value is held "
        "(`after='hold'`; `'restart'` and `'raise'` are the other choices).",
        steps=1200,
    ),
    Entry(
        "cosine",
        "Cosine",
        (
            "Cosine(steps=1000, end=0.1)",
            "Cosine(steps=1000, k=3)",
            "Cosine(steps=400, periodic=True)",
        ),
        "Half a cosine to `end` (SGDR's annealing), with k-decay (`k`, Zhang & Li 2021) "
        "and torch's periodic `CosineAnnealingLR` behaviour past the end (`periodic=True`).",
        steps=1200,
    ),
    Entry(
        "polynomial",
        "Polynomial",
        ("Polynomial(steps=1000, power=2)", "Polynomial(steps=1000, power=0.5, end=0.1)"),
        "`(1 - t/steps) ** power` from `start` to `end`, like torch's `PolynomialLR`.",
    ),
    Entry(
        "exponential",
        "Exponential",
        ("Exponential(gamma=0.997)",),
        "`gamma ** t`: torch's `ExponentialLR`. It has no end of its own.",
        steps=1000,
    ),
    Entry(
        "step",
        "Step and MultiStep",
        ("Step(step_size=300, gamma=0.5)", "MultiStep(milestones=(500, 750, 900), gamma=0.3)"),
        "Staircases: multiply by `gamma` every `step_size` steps, or at each milestone.",
        steps=1000,
    ),
    Entry(
        "inverse_sqrt",
        "InverseSqrt",
        ("InverseSqrt(timescale=100)", "warmup(InverseSqrt(timescale=200), steps=200)"),
        "`sqrt(tau / (t + tau))`, alone and after a warmup (the Transformer's 'Noam' "
        "schedule, normalised to peak at 1).",
        steps=2000,
    ),
    Entry(
        "wsd",
        "WarmupStableDecay",
        (
            "WarmupStableDecay(warmup=100, stable=700, decay=200, min_ratio=0.1)",
            "WarmupStableDecay(warmup=100, stable=700, decay=200, min_ratio=0.1, "
            "decay_shape='1-sqrt')",
        ),
        "Warmup, a long stable phase, then a short cooldown (MiniCPM; Hägele et al. 2024), "
        "with a linear or 1-sqrt cooldown.",
    ),
    Entry(
        "tanh",
        "Tanh",
        ("Tanh(steps=1000, end=0.01)",),
        "Hyperbolic-tangent decay (Hsueh et al. 2019) between `lower` and `upper`.",
    ),
    Entry(
        "untuned_warmup",
        "UntunedWarmup",
        ("UntunedWarmup(beta2=0.999)", "UntunedWarmup(beta2=0.999, shape='exponential')"),
        "Ma & Yarats' untuned warmup for Adam: linear over `2 / (1 - beta2)` steps, or "
        "exponential `1 - exp(-(1 - beta2) t)`. Multiply it into any schedule.",
        steps=4000,
    ),
    Entry(
        "exponential_ramp",
        "ExponentialRamp",
        ("ExponentialRamp(steps=1000, rate=4)", "ExponentialRamp(steps=1000, rate=1)"),
        "A saturating `1 - exp` ramp, rescaled to reach `end` exactly at `steps`.",
    ),
    Entry(
        "cyclic",
        "Cyclic",
        (
            "Cyclic(start=0.1, step_size_up=100)",
            "Cyclic(start=0.1, step_size_up=100, mode='triangular2')",
        ),
        "Smith's cyclical learning rates: `triangular` and `triangular2` "
        "(`exp_range` decays by `gamma ** t`).",
        steps=1000,
        group="Cycles and restarts",
    ),
    Entry(
        "one_cycle",
        "OneCycle",
        ("OneCycle(steps=1000)", "OneCycle(steps=1000, three_phase=True, anneal='linear')"),
        "The 1cycle policy: up from `peak / div_factor`, then down to a tiny value; "
        "two-phase or three-phase, cosine or linear.",
        group="Cycles and restarts",
    ),
    Entry(
        "one_cycle_momentum",
        "OneCycleMomentum",
        ("OneCycleMomentum(steps=1000)",),
        "The momentum that goes with `OneCycle`: down while the lr rises, then back up. "
        "Its values are momenta, not multipliers (drive `key='momentum'` with it).",
        key="momentum",
        group="Cycles and restarts",
    ),
    Entry(
        "cosine_restarts",
        "CosineRestarts",
        ("CosineRestarts(period=200, period_mult=2, decay=0.7)",),
        "SGDR: cosine cycles whose length grows by `period_mult` and whose peak "
        "shrinks by `decay`.",
        steps=1400,
        group="Cycles and restarts",
    ),
    Entry(
        "warmup",
        "warmup",
        (
            "warmup(Cosine(steps=900, end=0.05), steps=100)",
            "warmup(Cosine(steps=900, end=0.05), steps=100, start=0.3, shape='cosine')",
        ),
        "A warmup in front of any schedule: the schedule's clock starts when the warmup ends.",
        group="Combinators",
    ),
    Entry(
        "sequence",
        "Join",
        (
            "Join(schedules=[Linear(steps=100, start=0.1, end=1), Constant(value=1), "
            "Cosine(steps=300)], boundaries=[100, 600])",
        ),
        "Phases one after another (`a.then(b, at=n)`); each phase's clock restarts at its "
        "boundary, as in optax's `join_schedules` and torch's `SequentialLR`. "
        "`Sequence` is its old name.",
        group="Combinators",
    ),
    Entry(
        "product",
        "Product",
        ("Product(factors=(Cosine(steps=1000), Cyclic(start=0.8, step_size_up=50)))",),
        "Factors multiplied (`a * b`): here a cosine envelope times a small cycle.",
        steps=1000,
        group="Combinators",
    ),
    Entry(
        "clip",
        "Clip",
        ("Clip(schedule=Exponential(gamma=0.995), lo=0.1)",),
        "A floor and/or a ceiling (`a.floor(lo)`): the lr never goes below 10% here.",
        steps=1000,
        group="Combinators",
    ),
    Entry(
        "shift",
        "Shift",
        ("Shift(schedule=Cosine(steps=800), by=200)",),
        "A schedule that starts later: its step 0 is at step 200, and before that it "
        "holds its start value.",
        group="Combinators",
    ),
    Entry(
        "time_scale",
        "TimeScale and per_iteration",
        (
            "per_iteration(Step(step_size=1, gamma=0.8), 100)",
            "TimeScale(schedule=Cosine(steps=10), factor=100)",
        ),
        "Stretch time: schedules written per epoch, run per iteration (100 iterations "
        "per epoch). The cosine is evaluated at fractional epochs; `staircase=True` holds "
        "each epoch's value for the whole epoch.",
        steps=1000,
        group="Combinators",
    ),
    Entry(
        "repeat",
        "Repeat",
        ("Repeat(schedule=Cosine(steps=250), times=3)",),
        "A schedule run again from its start, a number of `times` (or forever).",
        steps=1000,
        group="Combinators",
    ),
    Entry(
        "large_batch",
        "large_batch",
        ("large_batch(Cosine(steps=900), batch_size=1024, warmup=100)",),
        "Goyal et al.'s large-batch recipe: the lr scaled by `batch_size / 256` (linear "
        "rule), reached by a warmup from the unscaled lr.",
        group="Combinators",
    ),
)


#: The gallery group of a shape found in the registry, by the module that defines it.
GROUP_OF_MODULE = {
    "lrplan._schedules._cyclic": "Cycles and restarts",
    "lrplan._schedules._timemaps": "Combinators",
}


def _constructor_specs(cls: type) -> list[str]:
    """Spec strings for the calls to ``cls`` in its docstring's examples, in order
    (``lp.REX(steps=100)`` gives ``REX(steps=100)``); calls that are not valid specs
    on their own, with variables as arguments say, are left out."""
    from lrplan._spec import SpecError, parse_spec

    name = cls.__name__
    specs: list[str] = []
    for example in doctest.DocTestParser().get_examples(inspect.getdoc(cls) or ""):
        try:
            tree = ast.parse(example.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called != name:
                continue
            call = ast.Call(func=ast.Name(id=name), args=node.args, keywords=node.keywords)
            spec = ast.unparse(call)
            try:
                ok = type(parse_spec(spec)) is cls
            except (SpecError, TypeError, ValueError):
                ok = False
            if ok and spec not in specs:
                specs.append(spec)
    return specs


def _summary(cls: type) -> str:
    """The docstring's first paragraph, in Markdown (RST roles and ``code`` made `code`)."""
    first = (inspect.getdoc(cls) or "").split("\n\n", 1)[0]
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", " ".join(first.split()))
    return text.replace("``", "`")


def docstring_entries(curated: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """An entry for every registered shape that ``curated`` does not draw, made from its
    docstring (see the module docstring). A shape without a usable example is left out,
    and tests/test_docs.py then names it."""
    from lrplan._schedules import SPEC_NAMES, Schedule

    used = " ".join(spec for e in curated for spec in e.curves)
    out = []
    for name, obj in SPEC_NAMES.items():
        if not (inspect.isclass(obj) and issubclass(obj, Schedule)) or f"{name}(" in used:
            continue
        curves = _constructor_specs(obj)[:3]
        if curves:
            group = GROUP_OF_MODULE.get(obj.__module__, "Shapes")
            out.append(Entry(obj.type_name, name, tuple(curves), _summary(obj), group=group))
    return tuple(out)


def _merge(curated: tuple[Entry, ...], found: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """``curated`` with each found entry placed after the last entry of its group."""
    entries = list(curated)
    for e in found:
        same = [i for i, c in enumerate(entries) if c.group == e.group]
        entries.insert(same[-1] + 1 if same else len(entries), e)
    return tuple(entries)


#: Every entry: the curated ones and those made from docstrings.
ENTRIES: tuple[Entry, ...] = _merge(CURATED, docstring_entries(CURATED))


def build(spec: str) -> object:
    from lrplan._spec import parse_spec

    return parse_spec(spec)


def cli_args(entry: Entry, out: str) -> list[str]:
    """The ``lrplan`` command line that draws ``entry`` into ``out``."""
    args = ["plot" if len(entry.curves) == 1 else "compare", *entry.curves, "-o", out]
    if entry.steps is not None:
        args += ["--steps", str(entry.steps)]
    if len(entry.curves) > 1:
        args += ["--title", entry.title]
    if entry.key != "lr":
        args += ["--key", entry.key]
    return args


def _png(entry: Entry) -> bytes:
    from PIL import Image

    from lrplan.cli import main as lrplan_cli

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{entry.slug}.png"
        with contextlib.redirect_stdout(io.StringIO()):
            status = lrplan_cli(cli_args(entry, str(path)))
        if status != 0:
            raise SystemExit(f"lrplan {shlex.join(cli_args(entry, str(path)))} exited {status}")
        img = Image.open(path).convert("RGB")
    small = img.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def schedules_section() -> str:
    """The gallery block of docs/schedules.md: every shape, its picture, its command."""
    lines = [
        START,
        "## Every shape, plotted",
        "",
        "Each picture below was drawn by lrplan's own command line, with the command shown",
        "(regenerate them all with `python docs/gen_gallery.py`). Values are multipliers of",
        "the base value unless the axis says otherwise; dashed lines mark phase boundaries.",
        "",
    ]
    for e in ENTRIES:
        command = "lrplan " + shlex.join(cli_args(e, f"{e.slug}.png"))
        lines += [f"### {e.title}", "", f"![{e.title}](img/gallery/{e.slug}.png)", ""]
        lines += ["```bash", command, "```", ""]
    lines.append(END)
    return "\n".join(lines)


def update_schedules_md() -> None:
    text = SCHEDULES.read_text()
    block = schedules_section()
    if START in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    SCHEDULES.write_text(text)


def render() -> str:
    lines = [
        "# Gallery",
        "",
        "Every shape and combinator in lrplan, drawn from the spec strings below. Each spec",
        "is also Python: the same constructor names and arguments work as `lrplan.<Name>(...)`.",
        "Values are multipliers of each param group's base value unless the axis says",
        "otherwise. Dashed lines mark phase boundaries. To draw one yourself:",
        "",
        "```bash",
        'lrplan plot "warmup(Cosine(steps=900, end=0.05), steps=100)" -o plan.png',
        "```",
        "",
        "Formulas, parameters and sources are in [shapes.md](shapes.md) and",
        "[shapes-cyclic.md](shapes-cyclic.md); the pictures are made by",
        "`python docs/gen_gallery.py`.",
        "",
    ]
    groups: list[str] = []
    for e in ENTRIES:
        if e.group not in groups:
            groups.append(e.group)
    for group in groups:
        lines += [f"## {group}", ""]
        for e in (e for e in ENTRIES if e.group == group):
            lines += [f"### {e.title}", "", e.text, "", "```python"]
            lines += list(e.curves)
            lines += ["```", "", f"![{e.title}](img/gallery/{e.slug}.png)", ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the gallery pictures and pages.")
    parser.add_argument(
        "slugs", nargs="*", help="redraw only these pictures (e.g. rex); default: all"
    )
    args = parser.parse_args(argv)
    known = {e.slug for e in ENTRIES}
    unknown = sorted(set(args.slugs) - known)
    if unknown:
        parser.error(f"unknown slug(s) {unknown}; known: {sorted(known)}")
    IMG.mkdir(parents=True, exist_ok=True)
    drawn = [e for e in ENTRIES if not args.slugs or e.slug in args.slugs]
    total = 0
    for e in drawn:
        data = _png(e)
        (IMG / f"{e.slug}.png").write_bytes(data)
        total += len(data)
    OUT.write_text(render())
    update_schedules_md()
    print(f"wrote {len(drawn)} pictures ({total / 1024:.0f} KiB), {OUT} and {SCHEDULES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
