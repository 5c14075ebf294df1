"""Skeleton cases for the engine parity test: each one a tiny skeleton, values and options."""
# ruff: noqa: E501  (a data table: template strings read best unbroken)

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class File:
    """A skeleton file: raw bytes (or UTF-8 text) and permission bits."""

    data: bytes | str
    mode: int = 0o644


@dataclass(frozen=True)
class Dir:
    """A skeleton directory (useful when empty, or to give it a mode)."""

    mode: int = 0o755


@dataclass(frozen=True)
class Link:
    """A symlink, target stored as is."""

    target: str


Entry = File | Dir | Link | str | bytes

# The fidelity notes' default context (backstage-fidelity.md section 4.4), minus the
# values outside the portable subset (big ints cannot round-trip through a JS double).
DEFAULT_VALUES: Mapping[str, Any] = {
    "name": "my-proj",
    "Name2": "Hello World-foo bar",
    "count": 3,
    "ratio": 1.5,
    "one_float": 1.0,
    "big": 1e16,
    "small": 0.000001,
    "flag": True,
    "off": False,
    "nothing": None,
    "empty": "",
    "zero": 0,
    "list": ["b", "a", "C"],
    "nums": [3, 1, 2],
    "emptylist": [],
    "obj": {"k": "v", "a": 1},
    "emptyobj": {},
    "html": "<a href='x'>&</a>",
    "multi": "l1\nl2\n\nl4",
    "users": [{"n": "x", "age": 3, "on": True}, {"n": "y", "age": 1, "on": False}],
    "repoUrl": "github.com?owner=acme&repo=ml-proj",
    "entity": "group:team-a",
    "entity2": "Component:NS1/Foo",
    "nested": {"a": {"b": "deep"}},
    "strnum": "007",
    "pkg": "a/b",
    "ab": "a/b.txt",
}


@dataclass(frozen=True)
class Case:
    """One parity case.

    Attributes:
        id: Test id.
        files: Skeleton entries by POSIX path.
        values: The ``values`` both engines get.
        copy_without_templating: fetch:template ``copyWithoutTemplating`` (None: unset).
        template_file_extension: ``templateFileExtension`` (None: unset).
        trim_blocks: ``trimBlocks``.
        lstrip_blocks: ``lstripBlocks``.
        error: None when Backstage renders; otherwise a fragment both engines' error
            messages must contain ('' when the wording is engine-specific).
        expected: For single-file cases, Backstage's documented output of ``out.txt``
            (backstage-fidelity.md section 4.4), checked to keep the oracle honest.
        paths: For tree cases, every path Backstage writes (dirs end in ``/``).
        facts: For tree cases, bytes of some files or ``0oNNN`` modes Backstage gives.
        nunjitsu_only: Why the legacy engine (nunjucks 3.2.4, scaffolder-backend
            4.0.2 and older) gives another result; '' when both engines agree. Such
            cases are checked against the legacy engine only to confirm they differ.
    """

    id: str
    files: Mapping[str, Entry]
    values: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_VALUES))
    copy_without_templating: tuple[str, ...] | None = None
    template_file_extension: str | bool | None = None
    trim_blocks: bool = False
    lstrip_blocks: bool = False
    error: str | None = None
    expected: str | None = None
    paths: tuple[str, ...] | None = None
    facts: Mapping[str, bytes | int] = field(default_factory=dict)
    nunjitsu_only: str = ""

    def backstage_input(self) -> dict[str, Any]:
        """The fetch:template input besides url and values."""
        data: dict[str, Any] = {}
        if self.copy_without_templating is not None:
            data["copyWithoutTemplating"] = list(self.copy_without_templating)
        if self.template_file_extension is not None:
            data["templateFileExtension"] = self.template_file_extension
        if self.trim_blocks:
            data["trimBlocks"] = True
        if self.lstrip_blocks:
            data["lstripBlocks"] = True
        return data


def text(
    case_id: str, template: str, expected: str | None = None, **options: Any
) -> Case:
    """A one-file case: ``out.txt`` holds ``template``."""
    return Case(case_id, {"out.txt": template}, expected=expected, **options)


def build_skeleton(root: Path, files: Mapping[str, Entry]) -> None:
    """Materialise a skeleton; parents are created first so modes set later stick."""
    root.mkdir(parents=True, exist_ok=True)
    dirs: list[tuple[Path, int]] = []
    for rel, entry in sorted(files.items()):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(entry, Dir):
            path.mkdir(exist_ok=True)
            dirs.append((path, entry.mode))
        elif isinstance(entry, Link):
            path.symlink_to(entry.target)
        else:
            file = entry if isinstance(entry, File) else File(entry)
            data = (
                file.data.encode("utf-8") if isinstance(file.data, str) else file.data
            )
            path.write_bytes(data)
            path.chmod(file.mode)
    # Directory modes last: a 0o500 directory would refuse the files written into it.
    for path, mode in reversed(dirs):
        path.chmod(mode)


# Content cases: rows of the fidelity table that Backstage renders and that fall in the
# portable subset (design.md section 5): JS printing of scalars and lists, filters that
# agree, whitespace control, raw blocks, macros and loops without scope tricks.
TEXT_CASES: tuple[Case, ...] = (
    text("var", "${{ values.name }}", "my-proj"),
    text("var-nospace", "${{values.name}}", "my-proj"),
    text("trailing-nl", "a ${{ values.name }}\n", "a my-proj\n"),
    text("trailing-2nl", "x\n\n", "x\n\n"),
    text("no-trailing-nl", "x", "x"),
    text("crlf", "a\r\nb ${{ values.name }}\r\n", "a\r\nb my-proj\r\n"),
    text(
        "curly-passthrough",
        "{{ values.name }} and {{ .Values.x }} and ${ HOME } and $x",
        "{{ values.name }} and {{ .Values.x }} and ${ HOME } and $x",
    ),
    text("gha-expression", "run: echo ${{ github.sha }}", "run: echo "),
    text("undef", "[${{ values.missing }}]", "[]"),
    text("undef-nested", "[${{ values.missing.deeper }}]", "[]"),
    text("undef-toplevel", "[${{ nope }}]", "[]"),
    text("null", "[${{ values.nothing }}]", "[]"),
    text("none-literal", "[${{ none }}]", "[]"),
    text("default-undef", "${{ values.missing | default('x') }}", "x"),
    text("default-null", "[${{ values.nothing | default('x') }}]", "[]"),
    text("default-empty", "[${{ values.empty | default('x') }}]", "[]"),
    text("default-empty-bool", "[${{ values.empty | default('x', true) }}]", "[x]"),
    text("d-alias", "${{ values.missing | d('x') }}", "x"),
    text(
        "is-defined",
        "${{ values.missing is defined }} ${{ values.name is defined }}",
        "false true",
    ),
    text("is-none", "${{ values.nothing is none }}", "true"),
    text("bool-true", "${{ values.flag }}", "true"),
    text("bool-false", "${{ values.off }}", "false"),
    text("bool-expr", "${{ 1 < 2 }}", "true"),
    text("bool-lower", "${{ values.flag | string | lower }}", "true"),
    text("int", "${{ values.count }}", "3"),
    text("float", "${{ values.ratio }}", "1.5"),
    text("float-1.0-from-json", "${{ values.one_float }}", "1"),
    text("float-literal-1.0", "${{ 1.0 }}", "1"),
    text("float-big", "${{ values.big }}", "10000000000000000"),
    text("float-small", "${{ values.small }}", "0.000001"),
    text("float-sum", "${{ 0.1 + 0.2 }}", "0.30000000000000004"),
    text("div-exact", "${{ 6 / 2 }}", "3"),
    text("div", "${{ 7 / 2 }}", "3.5"),
    text("floordiv", "${{ 7 // 2 }}", "3"),
    text("mod-pow", "${{ 7 % 3 }} ${{ 2 ** 10 }}", "1 1024"),
    text("float-filter", "${{ '3' | float }} ${{ 2 | float }}", "3 2"),
    text("abs", "${{ -3 | abs }}", "3"),
    text("list-print", "${{ values.list }}", "b,a,C"),
    text("zero-truthy", "{% if values.zero %}T{% else %}F{% endif %}", "F"),
    text("str0-truthy", "{% if '0' %}T{% else %}F{% endif %}", "T"),
    text(
        "in-list", "${{ 'a' in values.list }} ${{ 'z' in values.list }}", "true false"
    ),
    text("in-string", "${{ 'proj' in values.name }}", "true"),
    text("not-in", "${{ 'z' not in values.list }}", "true"),
    text("obj-subscript", "${{ values.obj['k'] }} ${{ values.obj.k }}", "v v"),
    text("length", "${{ values.list | length }} ${{ values.name | length }}", "3 7"),
    text("first-last", "${{ values.list | first }} ${{ values.list | last }}", "b C"),
    text("join", "${{ values.list | join(', ') }}", "b, a, C"),
    text("join-attr", "${{ values.users | join(',', 'n') }}", "x,y"),
    text("sort", "${{ values.list | sort | join(',') }}", "a,b,C"),
    text("sort-reverse", "${{ values.nums | sort(true) | join(',') }}", "3,2,1"),
    text("reverse", "${{ values.list | reverse | join(',') }}", "C,a,b"),
    text("sum", "${{ values.nums | sum }}", "6"),
    text("select", "${{ values.nums | select('odd') | join(',') }}", "3,1"),
    text("reject", "${{ values.nums | reject('odd') | join(',') }}", "2"),
    text("selectattr", "${{ values.users | selectattr('on') | join(',', 'n') }}", "x"),
    text("rejectattr", "${{ values.users | rejectattr('on') | join(',', 'n') }}", "y"),
    text(
        "dictsort",
        "{% for k, v in values.obj | dictsort %}${{ k }}=${{ v }};{% endfor %}",
        "a=1;k=v;",
    ),
    text(
        "range",
        "{% for i in range(3) %}${{ i }}{% endfor %} ${{ range(1, 7, 2) | join(',') }}",
        "012 1,3,5",
    ),
    text(
        "loop-vars",
        "{% for x in values.list %}${{ loop.index }}/${{ loop.index0 }}/${{ loop.first }}/${{ loop.last }};{% endfor %}",
        "1/0/true/false;2/1/false/false;3/2/false/true;",
    ),
    text(
        "for-else",
        "{% for x in values.emptylist %}x{% else %}empty{% endfor %}",
        "empty",
    ),
    text(
        "f-replace",
        "${{ 'a-b-c' | replace('-', '_') }} ${{ 'a-b-c' | replace('-', '_', 1) }}",
        "a_b_c a_b-c",
    ),
    text(
        "f-upper-lower",
        "${{ values.name | upper }} ${{ values.Name2 | lower }}",
        "MY-PROJ hello world-foo bar",
    ),
    text("f-capitalize", "${{ values.Name2 | capitalize }}", "Hello world-foo bar"),
    text("f-trim", "[${{ '  x  ' | trim }}]", "[x]"),
    text("f-center", "[${{ 'ab' | center(6) }}]", "[  ab  ]"),
    text(
        "f-escape",
        "${{ values.html | escape }}",
        "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;",
    ),
    text("f-safe", "${{ values.html | safe }}", "<a href='x'>&</a>"),
    text("f-striptags", "${{ values.html | striptags }}", "&"),
    text("ws-default-block", "a\n{% if true %}\nx\n{% endif %}\nb\n", "a\n\nx\n\nb\n"),
    text("ws-minus", "a\n{%- if true -%}\nx\n{%- endif -%}\nb\n", "axb\n"),
    text("ws-var-minus", "a  ${{- values.name -}}  b", "amy-projb"),
    text(
        "ws-indented-block",
        "a\n    {% if true %}\n    x\n    {% endif %}\nb\n",
        "a\n    \n    x\n    \nb\n",
    ),
    text(
        "ws-trimBlocks",
        "a\n{% if true %}\nx\n{% endif %}\nb\n",
        "a\nx\nb\n",
        trim_blocks=True,
    ),
    text(
        "ws-lstripBlocks",
        "a\n    {% if true %}\n    x\n    {% endif %}\nb\n",
        "a\n\n    x\n\nb\n",
        lstrip_blocks=True,
    ),
    text(
        "ws-trim+lstrip",
        "a\n    {% if true %}\n    x\n    {% endif %}\nb\n",
        "a\n    x\nb\n",
        trim_blocks=True,
        lstrip_blocks=True,
    ),
    text("ws-eof-trimBlocks", "{% if true %}x{% endif %}\n", "x", trim_blocks=True),
    text(
        "ws-tabs-lstrip",
        "a\n\t{% if true %}\n\tx\n\t{% endif %}\n",
        "a\n\n\tx\n\n",
        lstrip_blocks=True,
    ),
    text("ws-comment", "a\n{# c #}\nb", "a\n\nb"),
    text(
        "raw",
        "{% raw %}${{ values.name }} {% if %}{% endraw %}",
        "${{ values.name }} {% if %}",
    ),
    text("comment", "a{# ${{ values.name }} #}b", "ab"),
    text("elif", "{% if values.off %}a{% elif values.flag %}b{% endif %}", "b"),
    text("ternary", "${{ 'y' if values.flag else 'n' }}", "y"),
    text("ternary-noelse", "[${{ 'y' if values.off }}]", "[]"),
    text(
        "and-or-not",
        "${{ values.flag and not values.off }} ${{ values.off or 'fallback' }}",
        "true fallback",
    ),
    text(
        "set-block",
        "{% set b %}x${{ values.name }}{% endset %}${{ b | upper }}",
        "XMY-PROJ",
    ),
    text("set-top", "{% set n = values.name ~ '-x' %}${{ n }}", "my-proj-x"),
    text(
        "macro",
        "{% macro m(a, b='d') %}${{ a }}-${{ b }}{% endmacro %}${{ m('x') }} ${{ m('x', b='y') }}",
        "x-d x-y",
    ),
    text(
        "filter-block",
        "{% filter upper %}abc ${{ values.name }}{% endfilter %}",
        "ABC MY-PROJ",
    ),
    text("string-escapes", "${{ 'a\\nb\\tc' }}|${{ \"q'q\" }}", "a\nb\tc|q'q"),
    text("unicode", "${{ 'héllo ✓' | upper }} ${{ 'héllo' | length }}", "HÉLLO ✓ 5"),
    text("ns-parameters", "[${{ parameters.name }}]", "[]"),
    text("nested", "${{ values.nested.a.b }}", "deep"),
    text("mul-float", "${{ 3.0 * 2 }} ${{ values.count * 1.5 }}", "6 4.5"),
    text("str-index", "${{ 'abc'[1] }}", "b"),
    text("strnum", "${{ values.strnum }} ${{ values.strnum | int }}", "007 7"),
    text(
        "escape-dollar-brace",
        "run: ${{ '${{' }} github.sha }}",
        "run: ${{ github.sha }}",
    ),
    text(
        "raw-gha",
        "run: {% raw %}${{ github.sha }}{% endraw %}",
        "run: ${{ github.sha }}",
    ),
    text(
        "slug", "${{ values.Name2 | lower | replace(' ', '-') }}", "hello-world-foo-bar"
    ),
    text("length-cmp", "${{ values.list | length > 0 }}", "true"),
    text("join-default", "${{ values.list | join }}", "baC"),
    text("crlf-only", "a\r\nb\r\n", "a\r\nb\r\n"),
    text("dollar-double", "$${{ values.name }}", "$my-proj"),
    text("float-str-filter", "${{ values.ratio | string }}", "1.5"),
    text(
        "eq-same-type",
        "${{ values.name == 'my-proj' }} ${{ values.count != 3 }}",
        "true false",
    ),
    # The four Backstage filters (attribute access rather than `dump`, which is outside
    # the portable subset).
    text(
        "bs-parseRepoUrl",
        "${{ (values.repoUrl | parseRepoUrl).host }} ${{ (values.repoUrl | parseRepoUrl).owner }}"
        " ${{ (values.repoUrl | parseRepoUrl).repo }}",
        "github.com acme ml-proj",
    ),
    text(
        "bs-parseRepoUrl-trim",
        "${{ ('github.com?owner=/acme/&repo=r' | parseRepoUrl).owner }}",
        "acme",
    ),
    text("bs-projectSlug", "${{ values.repoUrl | projectSlug }}", "acme/ml-proj"),
    text(
        "bs-projectSlug-gitlab",
        "${{ 'gitlab.com?owner=g/s&repo=r' | projectSlug }}",
        "g/s/r",
    ),
    text(
        "bs-parseEntityRef",
        "${{ (values.entity | parseEntityRef).kind }}:${{ (values.entity | parseEntityRef).namespace }}"
        "/${{ (values.entity | parseEntityRef).name }}",
        "group:default/team-a",
    ),
    text(
        "bs-parseEntityRef-case",
        "${{ (values.entity2 | parseEntityRef).kind }} ${{ (values.entity2 | parseEntityRef).namespace }}",
        "Component NS1",
    ),
    text(
        "bs-parseEntityRef-ctx",
        "${{ ('foo' | parseEntityRef({ defaultKind: 'group', defaultNamespace: 'ns' })).namespace }}",
        "ns",
    ),
    text("bs-pick", "${{ values.entity | parseEntityRef | pick('name') }}", "team-a"),
    text(
        "bs-pick-path",
        "${{ values.users | pick('0.n') }} [${{ values.obj | pick('nope') }}]",
        "x []",
    ),
)

# Content that Backstage refuses: both engines must fail.
ERROR_CASES: tuple[Case, ...] = (
    text("err-bash-hash-brace", "echo ${#arr[@]}", error=""),
    text("err-lone-percent-brace", "printf '{%s}'", error=""),
    text("err-undef-call", "[${{ values.missing() }}]", error=""),
    text("err-unknown-filter", "${{ values.name | slugify }}", error=""),
    text("err-js-ops", "${{ values.flag && !values.off }}", error=""),
    text("err-include", "{% include 'x.txt' %}", error=""),
    text("err-import", "{% from 'm' import x %}", error=""),
    text("err-break", "{% for i in [1,2,3] %}{% break %}{% endfor %}", error=""),
    text("err-unclosed", "${{ values.name ", error=""),
    text(
        "err-parseRepoUrl-badhost",
        "${{ ('example.com?owner=a&repo=b' | parseRepoUrl).owner }}",
        error="No matching integration configuration for host example.com",
    ),
    text(
        "err-parseRepoUrl-url",
        "${{ 'https://github.com/a/b' | projectSlug }}",
        error="No matching integration",
    ),
    text(
        "err-parseRepoUrl-noowner",
        "${{ 'github.com?repo=x' | projectSlug }}",
        error="missing owner",
    ),
    text(
        "err-parseEntityRef-nokind",
        "${{ ('foo' | parseEntityRef).name }}",
        error="had missing or empty kind",
    ),
    text(
        "err-parseEntityRef-form",
        "${{ ('group:' | parseEntityRef).name }}",
        error="was not on the form",
    ),
    Case(
        "err-path-escape",
        {"${{ values.up }}.txt": "x"},
        values={"up": "../x"},
        error="",
    ),
    Case(
        "err-extension-and-copy",
        {"a.njk": "x"},
        copy_without_templating=("a.njk",),
        template_file_extension=True,
        error="",
    ),
)

_SH = File("#!/bin/sh\necho ${{ values.name }}\n", 0o755)

# Whole-tree cases: names, the skip rule, collisions, bytes, modes and links.
TREE_CASES: tuple[Case, ...] = (
    Case(
        "tree-names",
        {
            "${{ values.name }}/README.md": "# ${{ values.name }}\n",
            "${{ values.name }}/src/${{ values.name | replace('-', '_') }}.py": "x = 1\n",
            "plain/keep.txt": "no templates here\n",
        },
    ),
    Case(
        "skip-rule",
        {
            "${{ 'Dockerfile' if values.flag }}": "FROM x\n",
            "${{ 'Absent' if values.off }}": "never\n",
            "{% if values.off %}docs{% endif %}/index.md": "hidden\n",
            "{% if values.flag %}shown{% endif %}/index.md": "shown ${{ values.name }}\n",
            "${{ values.missing }}": "root file with an empty name\n",
            "a/${{ values.empty }}/b.txt": "double slash\n",
            "${{ values.empty }}/lead.txt": "leading slash\n",
            "m/keep.txt": "kept\n",
            "m/${{ values.missing }}": "renders to m/, which exists\n",
        },
        paths=("Dockerfile", "a/", "m/", "m/keep.txt", "shown/", "shown/index.md"),
    ),
    Case(
        "first-wins-same-dir",
        # '$' sorts before 'm', and a directory is listed in code-unit order.
        {"${{ values.name }}.txt": "templated\n", "my-proj.txt": "literal\n"},
        facts={"my-proj.txt": b"templated\n"},
    ),
    Case(
        "first-wins-breadth-first",
        # Backstage lists the skeleton level by level (globby), so this root entry is
        # written before `a/b.txt` even though it sorts after it as a full path.
        {
            "a/b.txt": "deep\n",
            "{# later #}${{ values.ab }}": "shallow ${{ values.name }}\n",
        },
        facts={"a/b.txt": b"shallow my-proj\n"},
    ),
    Case(
        "binaries",
        {
            "logo-${{ values.name }}.png": b"\x89PNG\r\n\x1a\n\x00\x00${{ values.name }}",
            "doc-${{ values.name }}.pdf": b"%PDF-1.4 ${{ values.name }}\n",
            "latin1-dense.txt": b"\xe9\xe8\xe7 ${{ values.name }}\n",
        },
    ),
    Case(
        "modes",
        {
            "run-${{ values.name }}.sh": _SH,
            "secret.txt": File("s ${{ values.name }}\n", 0o600),
            "group.txt": File("g\n", 0o664),
            "all.txt": File("a ${{ values.name }}\n", 0o777),
            "all.bin": File(b"\x00${{ values.name }}", 0o777),
            "private": Dir(0o700),
            "private/inner.txt": "p\n",
            "ro": Dir(0o555),
        },
        # Text files are written through the umask, binaries are chmod-ed to the exact
        # source mode, and directories never keep theirs (values for umask 022).
        facts={
            "all.txt": 0o755,
            "all.bin": 0o777,
            "group.txt": 0o644,
            "private": 0o755,
        },
    ),
    Case(
        "encodings",
        {
            "crlf.txt": "a\r\nb ${{ values.name }}\r\n",
            "bom.txt": b"\xef\xbb\xbfx ${{ values.name }}\n",
            "bom-crlf.txt": b"\xef\xbb\xbfx\r\n${{ values.name }}\r\n",
            "latin1.txt": b"x" * 60 + b"\xe9 ${{ values.name }}\n",
            "cr-only.txt": "a\rb\r",
            "utf8.txt": "h\u00e9llo \u2713 \U0001f600 ${{ values.name }}\n",
        },
    ),
    Case(
        "empties-and-dots",
        {
            "empty.txt": "",
            "emptydir": Dir(),
            "nested/empty": Dir(),
            ".gitignore": "/${{ values.name }}\n",
            ".env-${{ values.name }}": "NAME=${{ values.name }}\n",
            ".github/workflows/ci.yaml": "run: ${{ '${{' }} github.sha }}\n",
            ".hidden/.keep": "",
        },
    ),
    Case(
        "copy-without-templating",
        {
            "static/${{ values.name }}.md": "raw ${{ values.name }}\n",
            "static/deeper/x.sh": File("echo ${#arr[@]}\n", 0o755),
            "types.txt": "templated ${{ values.name }}\n",
            "notes.txt": "raw {% if %}\n",
            "mixed-newlines.txt": "a\r\nb\nc\r",
            "other.md": "templated ${{ values.name }}\n",
        },
        copy_without_templating=("static", "**/*.txt", "!types.txt"),
    ),
    Case(
        "copy-without-templating-glob",
        {
            "charts/${{ values.name }}/templates/svc.yaml": "name: {{ .Values.name }} ${{ values.name }}\n",
            "charts/${{ values.name }}/Chart.yaml": "name: ${{ values.name }}\n",
            "app.py": "print('${{ values.name }}')\n",
        },
        copy_without_templating=("charts/*/templates/**",),
    ),
    Case(
        "template-file-extension-true",
        {
            "main.py.njk": "name = '${{ values.name }}'\n",
            "plain.txt": "verbatim ${{ values.name }}\n",
            "${{ values.name }}.txt": "verbatim name-rendered ${{ values.name }}\n",
            "dir-${{ values.name }}/conf.yaml.njk": "x: ${{ values.count }}\n",
            "bad.sh": "echo ${#arr[@]}\n",
        },
        template_file_extension=True,
    ),
    Case(
        "template-file-extension-string",
        {"a.py.jinja": "${{ values.name }}\n", "b.py.njk": "${{ values.name }}\n"},
        template_file_extension="jinja",
    ),
    Case(
        "template-file-extension-dotted",
        {"a.py.tpl": "${{ values.name }}\n", "b.tpl.txt": "${{ values.name }}\n"},
        template_file_extension=".tpl",
    ),
    Case(
        "symlinks",
        {
            "run.sh": _SH,
            "link-${{ values.name }}": Link("run.sh"),
            "dirlink": Link("sub"),
            "sub/f.txt": "f\n",
            "dangling": Link("nowhere/${{ values.name }}"),
        },
    ),
    # Backstage's local fetch copies the skeleton with a filter that resolves links
    # (isChildPath on real paths): links leading outside the skeleton silently vanish.
    Case(
        "symlink-outside-dropped",
        {
            "abs-${{ values.name }}": Link("/etc/hostname"),
            "up": Link("../x"),
            "sub/inside": Link("../kept.txt"),
            "kept.txt": "k\n",
        },
        paths=("kept.txt", "sub/", "sub/inside"),
    ),
    Case(
        "values-with-slash",
        {
            "${{ values.pkg }}.txt": "pkg ${{ values.pkg }}\n",
            "src/${{ values.pkg }}/__init__.py": "",
        },
    ),
    Case(
        "trim-lstrip-tree",
        {
            "conf.yaml": "a:\n  {% if values.flag %}\n  b: 1\n  {% endif %}\n",
            "${{ values.name }}.md": "x\n",
        },
        trim_blocks=True,
        lstrip_blocks=True,
    ),
)

ALL_CASES: tuple[Case, ...] = TEXT_CASES + ERROR_CASES + TREE_CASES

# Cases added with the engine fixes (range as an array, object-literal keys, nunjucks'
# float/int, links resolving outside the skeleton, breadth-first first-wins).
MORE_TEXT_CASES: tuple[Case, ...] = (
    text(
        "range-print",
        "${{ range(3) }} ${{ range(5, 0, -2) | join(',') }}",
        "0,1,2 5,3,1",
    ),
    text(
        "range-length",
        "${{ range(1, 4) | length }} ${{ range(0, 1, 0.5) | join(',') }}",
        "3 0,0.5",
    ),
    text("range-zero-step", "${{ range(0, 3, 0) | join(',') }}", "0,1,2"),
    text(
        "dict-literal-keys",
        "{% set o = { kind: 'x', name: values.name } %}${{ o.kind }}/${{ o.name }}",
        "x/my-proj",
    ),
    text("dict-literal-quoted-key", "${{ { 'a-b': 1 }['a-b'] }}", "1"),
    text(
        "dict-literal-entity",
        "${{ { kind: 'Group', namespace: 'ns', name: 'n' } | parseEntityRef | pick('namespace') }}",
        "ns",
    ),
    text(
        "float-prefix",
        "${{ '3.5px' | float }} [${{ 'abc' | float }}] ${{ 'abc' | float(2) }}",
        "3.5 [] 2",
    ),
    text(
        "int-prefix",
        "${{ '42abc' | int }} ${{ 7.9 | int }} [${{ 'x' | int }}] ${{ 'ff' | int(0, 16) }}",
        "42 7 [] 255",
    ),
)

MORE_TREE_CASES: tuple[Case, ...] = (
    Case(
        "symlink-chain-outside-dropped",
        {
            "hop": Link("sub/next"),
            "sub/next": Link("/etc"),
            "sub/ok": Link("../file.txt"),
            "file.txt": "f\n",
        },
        paths=("file.txt", "sub/", "sub/ok"),
    ),
    Case(
        # isChildPath tests `relative.startsWith('..')`: a root entry named `..x`
        # looks like a parent path and is not copied at all.
        "dotdot-name-dropped",
        {"..x": "gone\n", "..d/f.txt": "gone\n", "a/..y": "kept\n"},
        paths=("a/", "a/..y"),
    ),
    Case(
        "first-wins-breadth-first-deeper",
        # `a/{# #}...` is at depth 1, listed before anything at depth 2.
        {
            "a/b/c.txt": "literal\n",
            "a/{# x #}${{ values.bc }}": "rendered ${{ values.name }}\n",
        },
        values={**DEFAULT_VALUES, "bc": "b/c.txt"},
        facts={"a/b/c.txt": b"rendered my-proj\n"},
    ),
    Case(
        "modes-copy-without-templating",
        {
            "raw.txt": File("raw ${{ values.name }}\n", 0o777),
            "raw.bin": File(b"\x00raw", 0o666),
        },
        copy_without_templating=("raw.*",),
        facts={"raw.txt": 0o755, "raw.bin": 0o666},
    ),
)

ALL_CASES = ALL_CASES + MORE_TEXT_CASES + MORE_TREE_CASES

# Where the two Backstage engines differ (backstage-fidelity.md section 1.4): nunjucks
# 3.2.4 cannot parse slices, nunjitsu can. Only the list form is here: on a string
# nunjitsu's slice gives a character array ("m,y"), which mlscaffold does not emulate.
_SLICE = (
    "slice syntax x[a:b] is a parse error in nunjucks 3.2.4 (fidelity table row 66)"
)
ENGINE_DIFF_CASES: tuple[Case, ...] = (
    text(
        "slice-list",
        "${{ values.list[1:] | join(',') }} ${{ values.nums[0:2] | join(',') }}",
        "a,C 3,1",
        nunjitsu_only=_SLICE,
    ),
)

ALL_CASES = ALL_CASES + ENGINE_DIFF_CASES
