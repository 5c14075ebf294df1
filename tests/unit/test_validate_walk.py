"""What `validate` reads: .json too, any name, List items, symlinks, stdin, bounds."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlscaffold.cli import cli
from mlscaffold.report.model import Report
from mlscaffold.validate import ValidateOptions, validate_paths

OPTIONS = ValidateOptions(kubeconform="off")
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "evil", "namespace": "recs-ml"},
    "spec": {
        "containers": [
            {"name": "c", "image": "x", "securityContext": {"privileged": True}}
        ]
    },
}
POD_YAML = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: evil, namespace: recs-ml}\n"
    "spec:\n  containers:\n    - name: c\n      image: x\n"
    "      securityContext: {privileged: true}\n"
)


def rules_at(report: Report, rule: str) -> list[str]:
    return [str(f.rendered) for f in report.findings if f.rule == rule]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deploy/evil.json", json.dumps(POD)),
        ("deploy/catalog-info.yaml", POD_YAML),
        ("a/b/c/d/deep.yml", POD_YAML),
    ],
)
def test_every_manifest_file_is_read_whatever_its_name(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text, encoding="utf-8")
    report = validate_paths([tmp_path], options=OPTIONS)
    assert rules_at(report, "MLS203"), report.findings


def test_backstage_entities_are_told_apart_by_api_version(tmp_path: Path) -> None:
    (tmp_path / "anything.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n"
        "spec: {type: service, owner: me, lifecycle: production}\n",
        encoding="utf-8",
    )
    report = validate_paths([tmp_path], options=OPTIONS)
    assert report.findings == []
    assert len(report.checked) == 1


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("kind: Pod\nmetadata: {name: x}\n", "apiVersion"),
        ("apiVersion: v1\nmetadata: {name: x}\n", "kind"),
        ("apiVersion: v1\nkind: 3\n", "kind"),
    ],
)
def test_half_an_object_is_an_error(tmp_path: Path, text: str, missing: str) -> None:
    (tmp_path / "x.yaml").write_text(text, encoding="utf-8")
    report = validate_paths([tmp_path], options=OPTIONS)
    [finding] = [f for f in report.findings if f.rule == "MLS114"]
    assert f"has no {missing}" in finding.message


def test_items_of_a_list_are_validated_at_their_own_lines(tmp_path: Path) -> None:
    body = "".join("  " + line + "\n" for line in POD_YAML.splitlines())
    text = "apiVersion: v1\nkind: List\nitems:\n- " + body[2:]
    (tmp_path / "list.yaml").write_text(text, encoding="utf-8")
    report = validate_paths([tmp_path], options=OPTIONS)
    where = rules_at(report, "MLS203")
    assert where
    lines = text.splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "privileged" in t)
    prefix = f"{(tmp_path / 'list.yaml').as_posix()}:{line}:"
    assert any(w.startswith(prefix) for w in where), where


def test_symlinks_out_of_the_folder_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "pod.yaml").write_text(POD_YAML, encoding="utf-8")
    root = tmp_path / "root"
    root.mkdir()
    (root / "linked.yaml").symlink_to(outside / "pod.yaml")
    (root / "linked-dir").symlink_to(outside)
    report = validate_paths([root], options=OPTIONS)
    assert rules_at(report, "MLS203") == []
    notes = rules_at(report, "MLS115")
    assert sorted(Path(n).name for n in notes) == ["linked-dir", "linked.yaml"]


def test_a_fifo_among_the_manifests_is_refused_not_waited_for(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    report = validate_paths([tmp_path], options=OPTIONS)
    [finding] = [f for f in report.findings if f.rule == "MLS111"]
    assert "not a regular file" in finding.message


def test_an_alias_bomb_is_refused_as_a_finding(tmp_path: Path) -> None:
    lines = ["a: &a [x,x,x,x,x,x,x,x,x,x]"]
    for i in range(8):
        prev, name = chr(97 + i), chr(98 + i)
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 10)}]")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_paths([tmp_path], options=OPTIONS)
    [finding] = [f for f in report.findings if f.rule == "MLS111"]
    assert "aliases expand to too large a document" in finding.message


def test_dash_reads_standard_input() -> None:
    result = CliRunner().invoke(
        cli, ["validate", "-", "--kubeconform", "off"], input=POD_YAML
    )
    assert result.exit_code == 1, result.output
    assert "-:8:" in result.stdout
    assert "MLS203" in result.stdout


@pytest.mark.parametrize("output", ["json", "sarif", "junit"])
def test_odd_file_names_keep_every_report_valid_and_distinct(
    tmp_path: Path, output: str
) -> None:
    # Not UTF-8, its look-alike spelled with a backslash, a terminal escape, bidi.
    names = [b"\xff.yaml", b"\\xff.yaml", b"a\x1b[2Jb.yaml", "x\u202ey.yaml".encode()]
    for name in names:
        (tmp_path / os.fsdecode(name)).write_text(POD_YAML, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["validate", str(tmp_path), "--kubeconform", "off", "--output", output]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1, result.output
    text = result.stdout_bytes.decode("utf-8")  # valid UTF-8, or this raises
    shown = [r"\xff.yaml", r"\u005cxff.yaml", r"a\u001b[2Jb.yaml", r"x\u202ey.yaml"]
    if output == "json":
        data = json.loads(text)
        paths = {
            f["rendered"]["path"] for f in data["findings"] if f["rule"] == "MLS203"
        }
        assert paths == {f"{tmp_path.as_posix()}/{name}" for name in shown}
    elif output == "sarif":
        assert len(json.loads(text)["runs"][0]["results"]) >= len(names)
    else:
        root = ET.fromstring(text.encode())  # noqa: S314 - our own output
        assert root.get("failures") != "0"
    assert "\x1b" not in text
    assert "\u202e" not in text
