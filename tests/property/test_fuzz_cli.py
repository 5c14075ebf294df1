"""Fuzzing the CLI: random bytes, YAML and paths into `render --values` and `validate`.

Whatever comes in, the CLI answers with a documented exit code (0-4), never a
traceback, and writes nothing outside the output folder it was given.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from mlscaffold.cli import cli
from tests.property.examples import EXAMPLES

TEAM = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs-ml",
    "modelName": "ranker",
}

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.text(max_size=40),
)
_data = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=12), inner, max_size=4),
    ),
    max_leaves=12,
)
# Team parameters with some fields replaced or added by random data.
_params = st.builds(
    lambda extra: {**TEAM, **extra},
    st.dictionaries(
        st.sampled_from([*TEAM, "description", "size", "retrainSchedule", "x"]),
        _data,
        max_size=3,
    ),
)
_yaml_text = st.one_of(
    _params.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    _data.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    st.text(max_size=200),
)
_content = st.one_of(_yaml_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.binary(max_size=200))  # fmt: skip
# File names: anything a file system takes in one component, dots included.
_name = st.text(
    st.characters(exclude_characters="/\x00", exclude_categories=["Cs"]),
    min_size=1,
    max_size=30,
).filter(lambda n: n not in (".", "..") and len(n.encode()) < 200)
_manifest_name = st.tuples(_name, st.sampled_from([".yaml", ".yml", ".json", ""]))


def _listing(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def _check(result: Result) -> None:
    assert result.exit_code in (0, 1, 2, 3, 4), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


@settings(max_examples=40)
@given(content=_content, out_name=_name)
def test_render_values_never_crashes_nor_writes_elsewhere(
    content: bytes, out_name: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "values.yaml").write_bytes(content)
        out = root / "target" / out_name
        args = ["render", "--values", str(root / "values.yaml"), "--no-validate"]
        result = CliRunner().invoke(cli, [*args, "-o", str(out)])
        _check(result)
        outside = {p for p in _listing(root) if not p.startswith("target")}
        assert outside == {"values.yaml"}
        if result.exit_code == 0:
            assert (out / ".mlscaffold" / "answers.yaml").is_file()
    EXAMPLES["fuzz: render --values"] += 1


@settings(max_examples=40)
@given(files=st.lists(st.tuples(_manifest_name, _content), max_size=4))
def test_validate_never_crashes(files: list[tuple[tuple[str, str], bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "manifests")
        root.mkdir()
        for (stem, suffix), content in files:
            (root / f"{stem}{suffix}").write_bytes(content)
        before = _listing(Path(tmp))
        result = CliRunner().invoke(
            cli, ["validate", str(root), "--kubeconform", "off"]
        )
        _check(result)
        assert _listing(Path(tmp)) == before
    EXAMPLES["fuzz: validate"] += 1


@settings(max_examples=20)
@given(content=_content)
def test_validate_stdin_never_crashes(content: bytes) -> None:
    result = CliRunner().invoke(
        cli, ["validate", "-", "--kubeconform", "off"], input=content
    )
    _check(result)
    EXAMPLES["fuzz: validate -"] += 1
