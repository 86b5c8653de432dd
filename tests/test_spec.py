"""Spec strings and config files -> schedules, and everything a spec must refuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as lp
from lrplan._schedules import SPEC_NAMES
from lrplan._spec import SpecError, bind_schedule, load_schedule, parse_spec

# --------------------------------------------------------------------------- accepted specs

VALID = [
    ("Constant(value=0.5)", lp.Constant(value=0.5)),
    ("Linear(steps=100, start=0.0, end=1.0)", lp.Linear(steps=100, start=0.0, end=1.0)),
    ("Cosine(steps=100, end=0.1)", lp.Cosine(steps=100, end=0.1)),
    ("Cosine(steps=100, periodic=True)", lp.Cosine(steps=100, periodic=True)),
    ("Exponential(gamma=0.99)", lp.Exponential(gamma=0.99)),
    ("Step(step_size=30, gamma=0.1)", lp.Step(step_size=30, gamma=0.1)),
    ("MultiStep(milestones=[30, 60], gamma=0.1)", lp.MultiStep(milestones=(30, 60), gamma=0.1)),
    ("MultiStep(milestones=(30, 60), gamma=0.1)", lp.MultiStep(milestones=(30, 60), gamma=0.1)),
    ("Polynomial(steps=50, power=2.0)", lp.Polynomial(steps=50, power=2.0)),
    (
        "warmup(Cosine(steps=9500, end=0.01), steps=500)",
        lp.warmup(lp.Cosine(steps=9500, end=0.01), steps=500),
    ),
    (
        "Join(schedules=[Constant(value=0.1), Linear(steps=10)], boundaries=[5])",
        lp.Join(schedules=(lp.Constant(value=0.1), lp.Linear(steps=10)), boundaries=(5,)),
    ),
    (  # Join's old name still parses
        "Sequence(schedules=[Constant(value=0.1), Linear(steps=10)], boundaries=[5])",
        lp.Join(schedules=(lp.Constant(value=0.1), lp.Linear(steps=10)), boundaries=(5,)),
    ),
    (
        "Linear(steps=10, start=0.0, end=1.0).then(Cosine(steps=90), at=10)",
        lp.Linear(steps=10, start=0.0, end=1.0).then(lp.Cosine(steps=90), at=10),
    ),
    ("Cosine(steps=100).floor(0.1)", lp.Cosine(steps=100).floor(0.1)),
    ("Cosine(steps=100).clip(lo=0.1, hi=0.9)", lp.Cosine(steps=100).clip(lo=0.1, hi=0.9)),
    (
        "Linear(steps=10) * Cosine(steps=20)",
        lp.Product(factors=(lp.Linear(steps=10), lp.Cosine(steps=20))),
    ),
    ("0.5 * Cosine(steps=20)", 0.5 * lp.Cosine(steps=20)),
    ("Cosine(steps=20) * 0.5", lp.Cosine(steps=20) * 0.5),
    ("Clip(schedule=Linear(steps=10), lo=0.2)", lp.Linear(steps=10).floor(0.2)),
    ("Linear(steps=-(-10))", lp.Linear(steps=10)),
    ("  Cosine(steps=100)\n", lp.Cosine(steps=100)),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[t for t, _ in VALID])
def test_valid_specs_build_the_same_schedule_as_the_api(text: str, expected: lp.Schedule) -> None:
    got = parse_spec(text)
    assert got == expected
    assert [got(t) for t in (0, 7, 50, 10_000)] == [expected(t) for t in (0, 7, 50, 10_000)]


def test_durations_in_epochs_and_fractions() -> None:
    text = "warmup(Cosine(steps=fraction(1) - epochs(2), end=0.1), steps=epochs(2))"
    plan = parse_spec(text)
    assert plan == lp.warmup(
        lp.Cosine(steps=lp.fraction(1) - lp.epochs(2), end=0.1), steps=lp.epochs(2)
    )
    bound = bind_schedule(plan, total_steps=1000, steps_per_epoch=50)
    assert bound == lp.warmup(lp.Cosine(steps=900, end=0.1), steps=100)
    assert parse_spec("Linear(steps=2 * epochs(3) + 10)").bind(steps_per_epoch=5) == lp.Linear(
        steps=40
    )
    assert parse_spec("Linear(steps=-epochs(1) + fraction(1))").bind(
        total_steps=100, steps_per_epoch=10
    ) == lp.Linear(steps=90)


def test_binding_errors_are_spec_errors() -> None:
    plan = parse_spec("Cosine(steps=epochs(3))")
    with pytest.raises(SpecError, match="steps_per_epoch"):
        bind_schedule(plan, total_steps=100)
    assert bind_schedule(lp.Cosine(steps=10)) == lp.Cosine(steps=10)


def test_readme_spec_values() -> None:
    plan = parse_spec("warmup(Cosine(steps=9500, end=0.01), steps=500)")
    assert plan(0) == 0.0
    assert plan(250) == pytest.approx(0.5)
    assert plan(500) == 1.0
    assert plan(10_000) == pytest.approx(0.01)
    assert plan.boundaries() == [500.0]


# --------------------------------------------------------------------------- refused specs

MALICIOUS = [
    "__import__('os').system('touch {marker}')",
    "Cosine(steps=1).__class__.__bases__[0].__subclasses__()",
    "Cosine.__init__.__globals__",
    "Linear(steps=10).__reduce__()",
    "Linear(steps=10).values([1, 2])",
    "Linear(steps=10)._at(1.0, None)",
    "(lambda: Cosine(steps=1))()",
    "[Cosine(steps=n) for n in (1, 2)]",
    "{Cosine(steps=1) for _ in ()}",
    "{'a': Cosine(steps=1)}",
    "open('{marker}', 'w')",
    "eval('1')",
    "exec('import os')",
    "getattr(Cosine(steps=1), 'then')",
    "Cosine(steps=1) if True else Constant()",
    "Cosine(steps=(x := 5))",
    "Cosine(**{'steps': 1})",
    "Cosine(*[1])",
    "Cosine(steps=10)[0]",
    "Cosine(steps=10) + Cosine(steps=5)",
    "Cosine(steps=10) ** 2",
    "Cosine(steps=10) / 2",
    "Cosine(steps=10) - Cosine(steps=5)",
    "Cosine(steps='a' * 3)",
    "Cosine(steps=10).then",
    "f'{Cosine}'",
    "b'bytes'",
    "Cosine(steps=1j)",
    "Cosine(steps=...)",
    "not Cosine(steps=1)",
    "Cosine(steps=10) and Cosine(steps=5)",
    "Cosine(steps=10) < Cosine(steps=5)",
    "SPEC_NAMES['Cosine'](steps=1)",
    "lrplan.Cosine(steps=1)",
    "Schedule.from_config({'type': 'cosine', 'steps': 1})",
]


@pytest.mark.parametrize("template", MALICIOUS)
def test_malicious_and_foreign_constructs_are_refused(template: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = template.replace("{marker}", str(marker))
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    assert not marker.exists()
    assert "not allowed" in str(info.value) or "must" in str(info.value)


def test_refusal_names_the_offending_token_and_lists_allowed_names() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec("warmup(Cosin(steps=10), steps=5)")
    msg = str(info.value)
    assert "'Cosin'" in msg
    for name in SPEC_NAMES:
        assert name in msg
    assert ".then()" in msg and ".floor()" in msg


def test_refusal_of_an_attribute_names_it() -> None:
    with pytest.raises(SpecError, match=r"__globals__"):
        parse_spec("Cosine.__init__.__globals__")


def test_a_bare_constructor_name_asks_to_be_called() -> None:
    with pytest.raises(SpecError, match=r"Cosine\(\.\.\.\)"):
        parse_spec("Cosine")


@pytest.mark.parametrize("text", ["", "   ", "3", "'cosine'", "None", "(1, 2)", "-1"])
def test_specs_that_are_not_schedules(text: str) -> None:
    with pytest.raises(SpecError):
        parse_spec(text)


@pytest.mark.parametrize(
    "text",
    ["Cosine(steps=100", "Cosine(steps=)", "Cosine(steps=1)\nx = 2", "Cosine(steps=1); 2"],
)
def test_syntax_errors_become_spec_errors(text: str) -> None:
    with pytest.raises(SpecError, match="syntax"):
        parse_spec(text)


def test_repeated_keywords_are_refused_not_overwritten() -> None:
    # ast.parse accepts a repeated keyword (only compile() refuses it), so the walker
    # must check, or the last value would silently win.
    with pytest.raises(SpecError, match="'steps' is repeated"):
        parse_spec("Cosine(steps=1, steps=2)")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Cosine(steps=-1)", "steps"),
        ("Cosine(stps=10)", "stps"),
        ("Cosine(10)", "Cosine(10)"),
        ("Linear(steps='ten')", "steps"),
        ("Cosine(steps=10).floor(-0.5)", "lo"),
        ("Cosine(steps=1e999)", "steps"),
        ("-Cosine(steps=10)", "unary minus"),
        ("2 * 3", "is a int"),
        ("Cosine(steps='1' + 2)", "'+'"),
        ("Cosine(steps=epochs(1) - 'x')", "epochs(1) - 'x'"),
        ("Constant().then(5, at=3)", "then"),
    ],
)
def test_bad_arguments_are_spec_errors_with_context(text: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    assert fragment in str(info.value)


def test_overlong_and_overdeep_specs_are_refused() -> None:
    with pytest.raises(SpecError, match="longer"):
        parse_spec("Constant(value=1.0) * " * 1000 + "Constant(value=1.0)")
    deep = "Constant(value=1.0)" + ".floor(0.1)" * 100
    with pytest.raises(SpecError, match="nested"):
        parse_spec(deep)


def test_parse_spec_wants_a_string() -> None:
    with pytest.raises(TypeError):
        parse_spec(lp.Cosine(steps=1))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties

_finite_shapes = st.one_of(
    st.builds(
        lp.Linear,
        steps=st.integers(1, 10_000),
        start=st.floats(0, 2),
        end=st.floats(0, 2),
    ),
    st.builds(lp.Cosine, steps=st.integers(1, 10_000), end=st.floats(0, 1)),
    st.builds(lp.Constant, value=st.floats(0, 5)),
    st.builds(lp.Exponential, gamma=st.floats(0.5, 1.0)),
    st.builds(lp.Step, step_size=st.integers(1, 100), gamma=st.floats(0.05, 1.0)),
)


def _combine(children: st.SearchStrategy[lp.Schedule]) -> st.SearchStrategy[lp.Schedule]:
    return st.one_of(
        st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
        st.tuples(children, children, st.integers(1, 1000)).map(
            # .then on a sequence appends a boundary, which must come after its last one
            lambda abn: abn[0].then(abn[1], at=max(abn[0].boundaries(), default=0) + abn[2])
        ),
        st.tuples(children, st.floats(0, 0.5)).map(lambda al: al[0].floor(al[1])),
        st.tuples(children, st.integers(1, 1000)).map(lambda an: lp.warmup(an[0], steps=an[1])),
        st.tuples(children, st.integers(1, 5)).map(
            lambda an: lp.warmup(an[0], steps=lp.epochs(an[1]))  # an unbound plan
        ),
    )


schedules = st.recursive(_finite_shapes, _combine, max_leaves=6)


@settings(max_examples=150, deadline=None)
@given(schedules)
def test_repr_of_any_schedule_parses_back_to_it(s: lp.Schedule) -> None:
    assert parse_spec(repr(s)) == s


_WORDS = ("1", "0.5", "'x'", "steps", "then", "floor", "clip", "at", "lo", "hi", "__class__")
_tokens = st.sampled_from([*SPEC_NAMES, *"()[],=*.-: ", *_WORDS, "lambda", "__import__", "open"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_tokens, max_size=25).map("".join)))
def test_arbitrary_text_gives_a_schedule_or_a_spec_error(text: str) -> None:
    try:
        result = parse_spec(text)
    except SpecError:
        return
    assert isinstance(result, lp.Schedule)


# --------------------------------------------------------------------------- config files


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


PLAN = lp.warmup(lp.Cosine(steps=900, end=0.05), steps=100)


def test_load_json_config(tmp_path: Path) -> None:
    path = _write(tmp_path / "plan.json", json.dumps(PLAN.to_config()))
    assert load_schedule(path) == PLAN
    assert load_schedule(str(path)) == PLAN


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".YAML"])
def test_load_yaml_config(tmp_path: Path, suffix: str) -> None:
    import yaml

    path = _write(tmp_path / f"plan{suffix}", yaml.safe_dump(PLAN.to_config()))
    assert load_schedule(path) == PLAN


def test_hand_written_yaml(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "plan.yaml",
        "type: cosine\nsteps: 1000\nend: 0.1\n",
    )
    assert load_schedule(path) == lp.Cosine(steps=1000, end=0.1)


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = _write(
        tmp_path / "evil.yaml",
        f"!!python/object/apply:os.system ['touch {marker}']\n",
    )
    with pytest.raises(SpecError, match="YAML"):
        load_schedule(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("bad.json", "{not json", "JSON"),
        ("list.json", "[1, 2]", "mapping"),
        ("untyped.json", '{"steps": 3}', "type"),
        ("unknown.json", '{"type": "zigzag"}', "zigzag"),
        ("extra.json", '{"type": "cosine", "steps": 3, "wiggle": 1}', "wiggle"),
        ("badvalue.json", '{"type": "cosine", "steps": -3}', "steps"),
    ],
)
def test_bad_configs_are_spec_errors(tmp_path: Path, name: str, text: str, fragment: str) -> None:
    path = _write(tmp_path / name, text)
    with pytest.raises(SpecError) as info:
        load_schedule(path)
    assert fragment in str(info.value)
    assert name in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="does not exist"):
        load_schedule(str(tmp_path / "nope.yaml"))


def test_pathlike_with_other_suffix_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "plan.txt", "Cosine(steps=10)")
    with pytest.raises(SpecError, match=r"\.json"):
        load_schedule(path)


def test_non_path_strings_are_specs() -> None:
    assert load_schedule("Cosine(steps=10)") == lp.Cosine(steps=10)
    with pytest.raises(SpecError):
        load_schedule("plan")
