from __future__ import annotations

from typing import Any

import pytest

from mlscaffold.errors import RenderError, SkeletonError
from mlscaffold.render.engine import (
    BackstageEnvironment,
    evaluate_lone_expression,
    lone_expression,
    newline_sequence_for,
    render_string,
)
from tests.parity.cases import DEFAULT_VALUES

# The fidelity notes' default context, as the parity cases use it.
VALUES: dict[str, Any] = {**DEFAULT_VALUES, "mixed": [1, None, "a"]}


@pytest.fixture(scope="module")
def env() -> BackstageEnvironment:
    return BackstageEnvironment()


def render(env: BackstageEnvironment, source: str, name: str = "f.txt") -> str:
    return render_string(env, source, {"values": VALUES}, name=name)


# Expected outputs are Backstage's (fidelity table, backstage-fidelity.md §4.4).
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${{ values.flag }} ${{ values.off }}", "true false"),
        ("[${{ values.nothing }}] [${{ none }}] [${{ null }}]", "[] [] []"),
        ("${{ values.one_float }} ${{ 1.0 }} ${{ 6 / 2 }} ${{ 3.0 * 2 }}", "1 1 3 6"),
        ("${{ values.big }} ${{ values.small }}", "10000000000000000 0.000001"),
        ("${{ 0.1 + 0.2 }} ${{ 7 / 2 }}", "0.30000000000000004 3.5"),
        ("${{ 9007199254740993 }}", "9007199254740992"),
        ("${{ values.list }} ${{ values.obj }}", "b,a,C [object Object]"),
        ("${{ 1 < 2 }} ${{ 'a' in values.list }}", "true true"),
        (
            "${{ values.missing is defined }} ${{ values.name is defined }}",
            "false true",
        ),
        (
            "[${{ values.missing }}] [${{ values.missing.deeper.x }}] [${{ nope }}]",
            "[] [] []",
        ),
        ("[${{ values.missing['x'].y }}] [${{ values.nothing.x }}]", "[] []"),
        (
            "[${{ values.nothing | default('x') }}] ${{ values.missing | d('x') }}",
            "[] x",
        ),
        ("run: echo ${{ github.sha }}", "run: echo "),
        ("{{ values.name }} and ${ HOME }", "{{ values.name }} and ${ HOME }"),
        (
            "${{ values.list | dump }} ${{ values.nothing | dump }}",
            '["b","a","C"] null',
        ),
        ("${{ values.mixed | join(',') }} ${{ values.list | join }}", "1,,a baC"),
        ("${{ values.flag | string }}", "true"),
        ("${{ 2.5 | round }} ${{ 2.7 | round(0, 'floor') }}", "3 2"),
        ("${{ values.Name2 | title }}", "Hello World-foo Bar"),
        ("${{ values.multi | indent(2) }}", "l1\n  l2\n  \n  l4"),
        ("${{ 'hello world foo bar' | truncate(9) }}", "hello..."),
        ("${{ 'a b&c/d' | urlencode }}", "a%20b%26c%2Fd"),
        ("${{ '😀' | length }} ${{ values.name.length }}", "2 7"),
        (
            "${{ values.name.toUpperCase() }} ${{ 'a-b-c'.replace('-', '_') }}",
            "MY-PROJ a_b-c",
        ),
        ("${{ values.name.split('-') | join('+') }}", "my+proj"),
        ("${{ values.list[0] }} [${{ values.list[-1] }}]", "b []"),
        (
            "${{ values.obj['k'] }} ${{ values.obj.k }} [${{ values.obj.items }}]",
            "v v []",
        ),
        ("${{ values.nums | select('odd') | join(',') }}", "3,1"),
        ("${{ values.nums | batch(2) | dump }}", "[[3,1],[2]]"),
        (
            "{% for x in values.list %}${{ loop.first }};{% endfor %}",
            "true;false;false;",
        ),
        ("[${{ 'y' if values.off }}]", "[]"),
        (
            "${{ values.nothing is null }} ${{ values.missing is undefined }}",
            "true true",
        ),
        (
            "${{ values.repoUrl | parseRepoUrl | dump }}",
            '{"host":"github.com","owner":"acme","repo":"ml-proj"}',
        ),
        ("${{ (values.repoUrl | parseRepoUrl).owner }}", "acme"),
        ("${{ values.repoUrl | projectSlug }}", "acme/ml-proj"),
        ("${{ values.entity | parseEntityRef | pick('name') }}", "team-a"),
        (
            "${{ values.users | pick('0.n') }} [${{ values.obj | pick('nope') }}]",
            "x []",
        ),
        ("${{ values.obj | pick('nope') | default('d') }}", "d"),
        ("run: ${{ '${{' }} github.sha }}", "run: ${{ github.sha }}"),
        ("{% raw %}${{ x }}{% endraw %}", "${{ x }}"),
        ("x\n\n", "x\n\n"),
        ("a\r\nb ${{ values.name }}\r\n", "a\r\nb my-proj\r\n"),
        ("a\rb ${{ values.name }}\r", "a\rb my-proj\r"),
        ("\ufeffbom ${{ values.name }}", "\ufeffbom my-proj"),
    ],
)
def test_renders_like_backstage(
    env: BackstageEnvironment, source: str, expected: str
) -> None:
    assert render(env, source) == expected


@pytest.mark.parametrize(
    ("trim", "lstrip", "expected"),
    [
        (False, False, "a\n    \n    x\n    \nb\n"),
        (True, False, "a\n        x\n    b\n"),
        (False, True, "a\n\n    x\n\nb\n"),
        (True, True, "a\n    x\nb\n"),
    ],
)
def test_whitespace_options(trim: bool, lstrip: bool, expected: str) -> None:
    env = BackstageEnvironment(trim_blocks=trim, lstrip_blocks=lstrip)
    source = "a\n    {% if true %}\n    x\n    {% endif %}\nb\n"
    assert render_string(env, source, {}, name="t") == expected


def test_newline_detection() -> None:
    assert newline_sequence_for("a\nb\n", "t") == "\n"
    assert newline_sequence_for("a\r\nb\r\n", "t") == "\r\n"
    assert newline_sequence_for("a\rb", "t") == "\r"
    assert newline_sequence_for("no newline", "t") == "\n"


def test_mixed_newlines_refused(env: BackstageEnvironment) -> None:
    with pytest.raises(SkeletonError) as info:
        render(env, "a\r\nb\nc\r\nd ${{ values.name }}", name="mixed.txt")
    message = info.value.message
    assert "CRLF on lines 1, 3" in message
    assert "LF on line 2" in message
    assert "copyWithoutTemplating" in message
    assert info.value.source is not None
    assert info.value.source.path == "mixed.txt"
    assert info.value.source.line == 2


def test_syntax_error_location(env: BackstageEnvironment) -> None:
    with pytest.raises(SkeletonError) as info:
        render(env, "ok\nok\necho ${#arr[@]}\n", name="run.sh")
    assert info.value.source is not None
    assert (info.value.source.path, info.value.source.line) == ("run.sh", 3)
    assert isinstance(info.value.__cause__, Exception)


def test_filter_error_location_and_message(env: BackstageEnvironment) -> None:
    with pytest.raises(RenderError) as info:
        render(env, "a\nb\n${{ 'foo' | parseEntityRef }}\n", name="x/y.yaml")
    assert info.value.message.startswith('Template filter "parseEntityRef" failed: ')
    assert info.value.source is not None
    assert (info.value.source.path, info.value.source.line) == ("x/y.yaml", 3)
    assert not info.value.source.approximate
    assert info.value.line_text == "${{ 'foo' | parseEntityRef }}"


def test_calling_undefined_fails(env: BackstageEnvironment) -> None:
    with pytest.raises(RenderError) as info:
        render(env, "\n${{ values.missing() }}")
    assert info.value.source is not None
    assert info.value.source.line == 2


@pytest.mark.parametrize(
    "source",
    [
        "${{ ''.__class__.__mro__[1].__subclasses__() }}",
        "${{ values.obj.__class__.__init__.__globals__ }}",
        "${{ cycler.__init__.__globals__['os'] }}",
        "${{ range.__self__.__import__('os').system('true') }}",
        "${{ values.name.upper() }}",
    ],
)
def test_sandbox_and_python_methods_blocked(
    env: BackstageEnvironment, source: str
) -> None:
    try:
        text = render(env, source)
    except RenderError:
        return
    assert text == ""  # unsafe attributes are undefined: they print nothing


def test_sandbox_violation_is_render_error(env: BackstageEnvironment) -> None:
    with pytest.raises(RenderError) as info:
        render(env, "${{ range.__class__.__mro__ }}${{ joiner.__init__() }}")
    assert info.value.source is not None


def test_lone_expression(env: BackstageEnvironment) -> None:
    assert lone_expression(env, "${{ parameters.x }}") == " parameters.x "
    assert lone_expression(env, "${{- parameters.x -}}") == " parameters.x "
    assert lone_expression(env, " ${{ parameters.x }}") is None
    assert lone_expression(env, "${{ a }}${{ b }}") is None
    assert lone_expression(env, "${{ a }}-${{ b }}") is None
    assert lone_expression(env, "plain") is None


def test_evaluate_lone_expression_keeps_types(env: BackstageEnvironment) -> None:
    ctx = {"parameters": {"n": 3, "flag": True, "obj": {"a": [1]}}}
    assert evaluate_lone_expression(env, " parameters.n ", ctx, name="v") == 3
    assert evaluate_lone_expression(env, " parameters.flag ", ctx, name="v") is True
    assert evaluate_lone_expression(env, " parameters.obj ", ctx, name="v") == {
        "a": [1]
    }


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${{ range(1, 7, 2) | join(',') }}", "1,3,5"),
        ("${{ range(3) }}", "0,1,2"),
        ("${{ range(3, 0, -1) | join(',') }}", "3,2,1"),
        ("${{ range(0, 2, 0) | join(',') }}", "0,1"),
        ("${{ range(0, 1, 0.25) | last }}", "0.75"),
    ],
)
def test_range_is_an_array(template: str, expected: str) -> None:
    assert render_string(BackstageEnvironment(), template, {}, name="t") == expected


def test_range_too_big_is_refused() -> None:
    with pytest.raises(RenderError):
        render_string(BackstageEnvironment(), "${{ range(10**7) }}", {}, name="t")


def test_object_literal_keys_are_names() -> None:
    env = BackstageEnvironment()
    context = {"defaultKind": "WRONG", "k": "v"}
    out = render_string(
        env, "${{ ('foo' | parseEntityRef({ defaultKind: 'group' })).kind }}",
        context, name="t",
    )  # fmt: skip
    assert out == "group"
    assert render_string(env, "${{ { k: 1 }.k }} ${{ { 'k': 2 }.k }}", context,
                         name="t") == "1 2"  # fmt: skip
    tree = env.parse("${{ { a: b } }}")
    pair = tree.body[0].nodes[0].items[0]  # type: ignore[attr-defined]
    assert pair.key.value == "a"
    assert pair.value.name == "b"  # values stay variables


def test_object_literal_keys_in_expressions() -> None:
    env = BackstageEnvironment()
    expression = env.compile_expression("{ a: 1 }", undefined_to_none=False)
    assert expression(a="x") == {"a": 1}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${{ '3.5px' | float }}", "3.5"),
        ("[${{ 'abc' | float }}]", "[]"),
        ("${{ 'abc' | float(1) }}", "1"),
        ("${{ ' 42abc' | int }}", "42"),
        ("${{ -7.9 | int }}", "-7"),
        ("${{ '0x1f' | int(0, 16) }}", "31"),
        ("${{ 'z' | int(default=5) }}", "5"),
        ("${{ '11' | int(0, 2) }}", "3"),
    ],
)
def test_float_and_int_parse_like_javascript(template: str, expected: str) -> None:
    assert render_string(BackstageEnvironment(), template, {}, name="t") == expected
