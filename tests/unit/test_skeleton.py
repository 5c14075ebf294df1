from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold.errors import RenderError, SkeletonError
from mlscaffold.render.skeleton import CompiledSkeleton, is_binary, render_skeleton

VALUES = {"name": "my-proj", "flag": True, "docs": False, "pkg": "a/b"}


def build(root: Path, files: dict[str, bytes | str | None]) -> Path:
    """Create files (bytes/str), empty dirs (None, path ending in '/')."""
    for rel, content in files.items():
        path = root / rel
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def test_names_and_contents_rendered(tmp_path: Path) -> None:
    build(tmp_path, {
        "src/${{ values.name }}/main.py": "name = '${{ values.name }}'\n",
        ".hidden": "${{ values.flag }}",
        "${{ values.pkg }}.txt": "x",
    })  # fmt: skip
    tree = render_skeleton(tmp_path, VALUES)
    assert tree["src/my-proj/main.py"].data == b"name = 'my-proj'\n"
    assert tree["src/my-proj/main.py"].source == "src/${{ values.name }}/main.py"
    assert tree[".hidden"].data == b"true"
    assert tree["a/b.txt"].data == b"x"
    assert tree["a"].kind == "dir"
    assert list(tree) == sorted(tree)


def test_skip_rule(tmp_path: Path) -> None:
    build(tmp_path, {
        '${{ "Dockerfile" if values.docker }}': "FROM x",
        "{% if values.docs %}docs{% endif %}/index.md": "doc",
        "${{ values.missing }}": "gone",
        "m/${{ values.missing }}": "gone too",
        "keep.txt": "kept",
    })  # fmt: skip
    tree = render_skeleton(tmp_path, VALUES)
    assert sorted(tree) == ["keep.txt", "m"]


def test_first_entry_wins(tmp_path: Path) -> None:
    build(tmp_path, {"a.txt": "first", "${{ 'a.txt' }}": "second"})
    # '$' sorts before 'a': the templated entry is processed first.
    assert render_skeleton(tmp_path, VALUES)["a.txt"].data == b"second"


def test_escaping_path_refused(tmp_path: Path) -> None:
    build(tmp_path, {"${{ values.pkg }}.txt": "x"})
    with pytest.raises(RenderError) as info:
        render_skeleton(tmp_path, {"pkg": "../evil"})
    assert "outside its parent" in info.value.message
    assert info.value.source is not None
    assert info.value.source.path == "${{ values.pkg }}.txt"


def test_inner_dotdot_normalised(tmp_path: Path) -> None:
    build(tmp_path, {"${{ values.pkg }}.txt": "x"})
    assert list(render_skeleton(tmp_path, {"pkg": "a/../b"})) == ["b.txt"]


def test_binary_verbatim_with_rendered_name(tmp_path: Path) -> None:
    blob = b"\x00\x01${{ values.name }}\xff"
    build(
        tmp_path, {"bin-${{ values.name }}.dat": blob, "doc.pdf": b"%PDF-1.4 ${{ x }}"}
    )
    tree = render_skeleton(tmp_path, VALUES)
    assert tree["bin-my-proj.dat"].data == blob
    assert not tree["bin-my-proj.dat"].templated
    assert tree["doc.pdf"].data == b"%PDF-1.4 ${{ x }}"


def test_text_bytes(tmp_path: Path) -> None:
    build(tmp_path, {
        "crlf.txt": b"a\r\nb ${{ values.name }}\r\n",
        "cr.txt": b"a\rb ${{ values.name }}\r",
        "lf.txt": b"a\n${{ values.name }}\n\n",
        "bom.txt": b"\xef\xbb\xbf${{ values.name }}\n",
        "latin1.txt": b"caf\xe9 ${{ values.name }}\n",
        "empty.txt": b"",
        "mixed-plain.txt": b"a\r\nb\n",
    })  # fmt: skip
    tree = render_skeleton(tmp_path, VALUES)
    assert tree["crlf.txt"].data == b"a\r\nb my-proj\r\n"
    assert tree["cr.txt"].data == b"a\rb my-proj\r"
    assert tree["lf.txt"].data == b"a\nmy-proj\n\n"
    assert tree["bom.txt"].data == b"\xef\xbb\xbfmy-proj\n"
    assert tree["latin1.txt"].data == "caf\ufffd my-proj\n".encode()
    assert tree["empty.txt"].data == b""
    assert tree["mixed-plain.txt"].data == b"a\r\nb\n"  # no template syntax: bytes kept


def test_mixed_endings_in_templated_file_refused(tmp_path: Path) -> None:
    build(tmp_path, {"m.txt": b"a\r\nb\n${{ values.name }}\n"})
    with pytest.raises(SkeletonError) as info:
        render_skeleton(tmp_path, VALUES)
    assert info.value.source is not None
    assert info.value.source.path == "m.txt"


def test_modes_kept(tmp_path: Path) -> None:
    build(tmp_path, {"run.sh": "echo ${{ values.name }}\n", "plain": "x"})
    (tmp_path / "run.sh").chmod(0o755)
    (tmp_path / "plain").chmod(0o600)
    tree = render_skeleton(tmp_path, VALUES)
    assert tree["run.sh"].mode == 0o755
    assert tree["plain"].mode == 0o600


def test_text_modes_pass_the_umask_binaries_and_dirs_do_not(tmp_path: Path) -> None:
    build(tmp_path, {"all.txt": "a", "group.txt": "g", "all.bin": b"\x00x", "d/": None})
    (tmp_path / "all.txt").chmod(0o777)
    (tmp_path / "group.txt").chmod(0o664)
    (tmp_path / "all.bin").chmod(0o777)
    (tmp_path / "d").chmod(0o700)
    tree = render_skeleton(tmp_path, VALUES, copy_without_templating=["group.txt"])
    assert tree["all.txt"].mode == 0o755
    assert tree["group.txt"].mode == 0o644  # copied verbatim, still outputFile
    assert tree["all.bin"].mode == 0o777
    assert tree["d"].mode == 0o755


def test_symlinks_and_empty_dirs(tmp_path: Path) -> None:
    build(tmp_path, {"run.sh": "x", "empty/": None})
    (tmp_path / "link-${{ values.name }}").symlink_to("run.sh")
    (tmp_path / "abs").symlink_to("/etc/passwd")
    tree = render_skeleton(tmp_path, VALUES)
    assert tree["link-my-proj"].kind == "symlink"
    assert tree["link-my-proj"].link_target == "run.sh"
    assert "abs" not in tree  # leads outside the skeleton: Backstage's copy drops it
    assert tree["empty"].kind == "dir"


def test_links_leaving_the_skeleton_are_dropped(tmp_path: Path) -> None:
    skeleton = tmp_path / "skel"
    build(skeleton, {"kept.txt": "k", "sub/f.txt": "f", "outside/x.txt": "o"})
    (skeleton / "up").symlink_to("../elsewhere")  # dangling, outside
    (skeleton / "sub/inside").symlink_to("../kept.txt")
    (skeleton / "sub/dangling").symlink_to("nowhere/${{ values.name }}")
    (skeleton / "chain").symlink_to("sub/hop")
    (skeleton / "sub/hop").symlink_to("/etc")  # a link to a link that leaves
    (skeleton / "..weird").write_text("x")  # relative path starts with '..'
    tree = render_skeleton(skeleton, VALUES)
    assert "up" not in tree
    assert "chain" not in tree
    assert "sub/hop" not in tree
    assert "..weird" not in tree
    assert tree["sub/inside"].link_target == "../kept.txt"
    assert tree["sub/dangling"].link_target == "nowhere/${{ values.name }}"


def test_copy_without_templating(tmp_path: Path) -> None:
    build(tmp_path, {
        "static/${{ values.name }}.txt": "${{ raw }}",
        "static/sub/deep.txt": "${{ raw }}",
        "a.txt": "${{ raw }}",
        "types.txt": "${{ values.name }}",
        "gha.yml": "run: ${{ github.sha }}",
        "other.md": "${{ values.name }}",
    })  # fmt: skip
    tree = render_skeleton(
        tmp_path,
        VALUES,
        copy_without_templating=["static", "**/*.txt", "!types.txt", "*.yml"],
    )
    assert tree["static/my-proj.txt"].data == b"${{ raw }}"  # name still rendered
    assert tree["static/sub/deep.txt"].data == b"${{ raw }}"
    assert tree["a.txt"].data == b"${{ raw }}"
    assert tree["types.txt"].data == b"my-proj"  # negation
    assert tree["gha.yml"].data == b"run: ${{ github.sha }}"
    assert tree["other.md"].data == b"my-proj"


def test_negation_only_applies_to_earlier_patterns(tmp_path: Path) -> None:
    build(tmp_path, {"types.txt": "${{ values.name }}"})
    tree = render_skeleton(
        tmp_path, VALUES, copy_without_templating=["!types.txt", "*.txt"]
    )
    assert tree["types.txt"].data == b"${{ values.name }}"


def test_negated_directory(tmp_path: Path) -> None:
    build(tmp_path, {"gen/x.txt": "${{ values.name }}", "y.txt": "${{ values.name }}"})
    tree = render_skeleton(tmp_path, VALUES, copy_without_templating=["**", "!gen"])
    assert tree["gen/x.txt"].data == b"my-proj"
    assert tree["y.txt"].data == b"${{ values.name }}"


def test_template_file_extension(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "main.py.njk": "${{ values.name }}",
            "plain-${{ values.name }}.txt": "${{ x }}",
        },
    )
    tree = render_skeleton(tmp_path, VALUES, template_file_extension=True)
    assert tree["main.py"].data == b"my-proj"
    assert tree["plain-my-proj.txt"].data == b"${{ x }}"
    tree = render_skeleton(tmp_path, VALUES, template_file_extension="txt")
    assert tree["plain-my-proj"].data == b""
    assert tree["main.py.njk"].data == b"${{ values.name }}"


def test_extension_incompatible_with_copy_without_templating(tmp_path: Path) -> None:
    with pytest.raises(SkeletonError, match="incompatible"):
        render_skeleton(
            tmp_path,
            VALUES,
            template_file_extension=True,
            copy_without_templating=["x"],
        )


def test_error_locations(tmp_path: Path) -> None:
    build(
        tmp_path,
        {"ok.txt": "x", "conf/app.yaml": "a: 1\nb: ${{ 'foo' | parseEntityRef }}\n"},
    )
    with pytest.raises(RenderError) as info:
        render_skeleton(tmp_path, VALUES)
    assert info.value.source is not None
    assert (info.value.source.path, info.value.source.line) == ("conf/app.yaml", 2)
    assert info.value.rendered is not None
    assert info.value.rendered.path == "conf/app.yaml"


def test_syntax_error_only_when_entry_is_used(tmp_path: Path) -> None:
    build(tmp_path, {"{% if values.docs %}broken.sh{% endif %}": "echo ${#arr[@]}\n"})
    assert list(render_skeleton(tmp_path, VALUES)) == []
    with pytest.raises(SkeletonError) as info:
        render_skeleton(tmp_path, {**VALUES, "docs": True})
    assert info.value.source is not None
    assert info.value.source.line == 1


def test_compiled_skeleton_reused(tmp_path: Path) -> None:
    build(tmp_path, {"${{ values.name }}.txt": "${{ values.name }}"})
    skeleton = CompiledSkeleton(tmp_path)
    for name in ("a", "b"):
        assert skeleton.render({"name": name})[f"{name}.txt"].data == name.encode()


@pytest.mark.parametrize(
    ("head", "binary"),
    [
        (b"", False),
        (b"plain text\n", False),
        (b"a\x00b", True),
        (b"%PDF-1.7", True),
        (b"\xef\xbb\xbf\x00\x00", False),
        (b"\xff\xfeh\x00i\x00", False),
        (b"\xfe\xff\x00h", False),
        ("héllo wörld ✓ 😀".encode() * 20, False),
        # Two suspicious bytes and a valid-looking protobuf stream: binary.
        (b"\xe9" * 3 + b"a" * 100, True),
        (b"\xe9\x80\x80 " + b"a" * 100, False),
        (bytes(range(1, 7)) * 10 + b"a" * 40, True),
        (b"caf\xe9\n" * 2, True),
        (b"a" * 511 + "é".encode(), False),
    ],
)
def test_is_binary(head: bytes, binary: bool) -> None:
    assert is_binary(head) is binary
