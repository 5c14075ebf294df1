"""render --dry-run's YAML stream: only objects as documents, the rest in comments."""

from __future__ import annotations

import yaml

from mlscaffold.render.stream import tree_as_yaml_stream
from mlscaffold.render.tree import RenderedTree, TreeEntry

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"


def test_every_document_is_an_object_and_every_file_is_named() -> None:
    tree = RenderedTree({
        "deploy": TreeEntry("dir"),
        # Separators at either end would make empty documents between files.
        "deploy/a.yaml": TreeEntry("file", f"---\n{CM}---\n".encode()),
        "deploy/two.yaml": TreeEntry("file", f"{CM}---\n{CM}".encode()),
        "deploy/no-newline.yml": TreeEntry("file", CM.rstrip("\n").encode()),
        "catalog-info.yaml": TreeEntry(
            "file", b"apiVersion: backstage.io/v1alpha1\nkind: Component\n"),
        "broken.yaml": TreeEntry("file", b"a: [\n"),
        "notes.txt": TreeEntry("file", b"line one\n\nline: three\n"),
        "logo.png": TreeEntry("file", b"\x89PNG\r\n\x1a\n\0\0", templated=False),
        "link": TreeEntry("symlink", link_target="deploy/a.yaml"),
    })  # fmt: skip
    stream = tree_as_yaml_stream(tree)
    docs = list(yaml.safe_load_all(stream))
    assert docs == [yaml.safe_load(CM)] * 4
    assert "# Source: deploy/a.yaml\n" in stream
    assert "# Source: catalog-info.yaml (not a Kubernetes manifest)\n" in stream
    assert "# Source: broken.yaml (not a Kubernetes manifest)\n# | a: [\n" in stream
    assert "# | line one\n# |\n# | line: three\n" in stream
    assert "# Source: logo.png (binary, 10 bytes)\n" in stream
    assert "# Source: link -> deploy/a.yaml (symlink)\n" in stream
