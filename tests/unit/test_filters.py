from __future__ import annotations

import math
from typing import ClassVar

import pytest

from mlscaffold.errors import RenderError
from mlscaffold.render.filters_backstage import (
    parse_entity_ref,
    parse_repo_url,
    pick,
    project_slug,
)
from mlscaffold.render.jsprint import JS_UNDEFINED, js_dump, js_number, js_string


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (3, "3"),
        (1.5, "1.5"),
        (1e16, "10000000000000000"),
        (1e-06, "0.000001"),
        (1e-07, "1e-7"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "0"),
        (-2.5, "-2.5"),
        (123456789.125, "123456789.125"),
        (9007199254740993, "9007199254740992"),
        (12345678901234567890, "12345678901234567000"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
    ],
)
def test_js_number(value: float, text: str) -> None:
    assert js_number(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (None, ""),
        (JS_UNDEFINED, ""),
        (["b", "a", "C"], "b,a,C"),
        ([1, None, "a", [2.0, True]], "1,,a,2,true"),
        ({"k": "v"}, "[object Object]"),
        ("x", "x"),
    ],
)
def test_js_string(value: object, text: str) -> None:
    assert js_string(value) == text


def test_dump_compact_and_indented() -> None:
    assert js_dump({"k": "v", "a": 1.0, "n": None, "u": JS_UNDEFINED}) == (
        '{"k":"v","a":1,"n":null}'
    )
    assert js_dump({"k": "v", "a": [1]}, 2) == '{\n  "k": "v",\n  "a": [\n    1\n  ]\n}'
    assert js_dump("<a href='x'>&</a>") == "\"<a href='x'>&</a>\""
    assert js_dump([JS_UNDEFINED, math.nan]) == "[null,null]"
    assert js_dump(JS_UNDEFINED) is JS_UNDEFINED


class TestParseRepoUrl:
    def test_github(self) -> None:
        assert parse_repo_url("github.com?owner=acme&repo=ml-proj") == {
            "host": "github.com",
            "owner": "acme",
            "repo": "ml-proj",
        }

    def test_host_lowercased_and_default_port_dropped(self) -> None:
        parsed = parse_repo_url("GitHub.COM:443?owner=a&repo=b")
        assert parsed["host"] == "github.com"

    def test_slashes_trimmed_and_key_order(self) -> None:
        parsed = parse_repo_url("gitlab.com?repo=/r/&owner=//g/s/&project=p")
        assert list(parsed) == ["host", "owner", "repo", "project"]
        assert parsed["owner"] == "g/s"
        assert parsed["repo"] == "r"

    def test_unknown_host(self) -> None:
        with pytest.raises(RenderError) as info:
            parse_repo_url("example.com?owner=a&repo=b")
        assert info.value.message == (
            "No matching integration configuration for host example.com, "
            "please check your integrations config"
        )

    def test_full_url_host_is_https(self) -> None:
        with pytest.raises(RenderError, match="for host https, please"):
            parse_repo_url("https://github.com/a/b")

    def test_unconfigured_port(self) -> None:
        with pytest.raises(RenderError, match=r"for host github\.com:8080,"):
            parse_repo_url("github.com:8080?owner=a&repo=b")

    def test_missing_owner_message(self) -> None:
        with pytest.raises(RenderError) as info:
            parse_repo_url("github.com?repo=x")
        assert info.value.message == (
            "Invalid repo URL passed to publisher: https://github.com/?repo=x, "
            "missing owner"
        )

    def test_github_checks_repo_before_owner(self) -> None:
        with pytest.raises(RenderError, match=r"missing repo$"):
            parse_repo_url("github.com")

    def test_empty_param_is_missing(self) -> None:
        with pytest.raises(RenderError, match=r"missing owner$"):
            parse_repo_url("github.com?owner=&repo=x")

    @pytest.mark.parametrize(
        ("url", "missing"),
        [
            ("bitbucket.org?repo=r&project=p", "workspace"),
            ("bitbucket.org?workspace=w&repo=r", "project"),
            ("dev.azure.com?owner=o&repo=r", "project"),
            ("gitlab.com?repo=r", "owner"),
        ],
    )
    def test_required_params_per_type(self, url: str, missing: str) -> None:
        with pytest.raises(RenderError, match=f"missing {missing}$"):
            parse_repo_url(url)

    def test_gitlab_project_replaces_owner(self) -> None:
        assert parse_repo_url("gitlab.com?project=123&repo=r")["project"] == "123"

    def test_configured_integrations(self) -> None:
        hosts = {"git.example.com": "gitea"}
        assert parse_repo_url("git.example.com?repo=r", hosts)["repo"] == "r"

    def test_invalid_url(self) -> None:
        with pytest.raises(
            RenderError, match="Invalid repo URL passed to publisher, got"
        ):
            parse_repo_url("")


def test_project_slug() -> None:
    assert project_slug("github.com?owner=acme&repo=ml-proj") == "acme/ml-proj"
    assert project_slug("gitlab.com?owner=g/s&repo=r") == "g/s/r"
    assert project_slug("gitlab.com?project=123&repo=r") == "undefined/r"


class TestParseEntityRef:
    def test_defaults_and_case(self) -> None:
        assert parse_entity_ref("group:team-a") == {
            "kind": "group",
            "namespace": "default",
            "name": "team-a",
        }
        assert parse_entity_ref("Component:NS1/Foo") == {
            "kind": "Component",
            "namespace": "NS1",
            "name": "Foo",
        }

    def test_context(self) -> None:
        ctx = {"defaultKind": "group", "defaultNamespace": "ns"}
        assert parse_entity_ref("foo", ctx) == {
            "kind": "group",
            "namespace": "ns",
            "name": "foo",
        }
        assert parse_entity_ref("x/foo", ctx)["namespace"] == "x"

    def test_first_colon_splits(self) -> None:
        assert parse_entity_ref("a:b:c") == {
            "kind": "a",
            "namespace": "default",
            "name": "b:c",
        }

    def test_missing_kind(self) -> None:
        with pytest.raises(RenderError) as info:
            parse_entity_ref("foo")
        assert info.value.message == (
            'Entity reference "foo" had missing or empty kind '
            '(e.g. did not start with "component:" or similar)'
        )

    def test_bad_form(self) -> None:
        with pytest.raises(RenderError) as info:
            parse_entity_ref("group:")
        assert info.value.message == (
            'Entity reference "group:" was not on the form '
            "[<kind>:][<namespace>/]<name>"
        )

    def test_empty(self) -> None:
        with pytest.raises(RenderError, match="must not be empty"):
            parse_entity_ref("")

    def test_object_input(self) -> None:
        assert parse_entity_ref({"kind": "k", "name": "n"})["namespace"] == "default"
        with pytest.raises(
            RenderError, match='\\{"kind":"k"\\} had missing or empty name'
        ):
            parse_entity_ref({"kind": "k"})


class TestPick:
    data: ClassVar[dict[str, object]] = {
        "a": {"b": [{"c": 1}]},
        "users": [{"n": "x"}],
        "x.y": 5,
        "nul": None,
    }

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("a.b[0].c", 1),
            ("a.b.0.c", 1),
            ("a['b'][0]", {"c": 1}),
            ("users.0.n", "x"),
            ("x.y", 5),
            ("a.b.length", 1),
            ("nul", None),
        ],
    )
    def test_paths(self, path: str, value: object) -> None:
        assert pick(self.data, path) == value

    @pytest.mark.parametrize(
        "path", ["nope", "a.nope.deeper", "a.b[5]", "a.b[-1]", "nul.x", ""]
    )
    def test_missing_is_undefined(self, path: str) -> None:
        assert pick(self.data, path) is JS_UNDEFINED

    def test_array_root(self) -> None:
        assert pick([{"n": "x"}], "0.n") == "x"
