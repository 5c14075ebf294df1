"""The preview server: its guards (token, Host, paths) and its JSON endpoints."""

from __future__ import annotations

import http.client
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlscaffold._data import schema_file, skeleton_dir
from mlscaffold.errors import OutputExistsError, ParamsError
from mlscaffold.params import validate_params
from mlscaffold.preview import (
    PreviewConfig,
    PreviewServer,
    PreviewSession,
    SourceWatcher,
)
from mlscaffold.validate import ValidateOptions

TEAM = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs-ml",
    "modelName": "ranker",
}


def _options(crds: Path) -> ValidateOptions:
    return ValidateOptions(crd_dirs=(crds,), kubeconform="off")


@pytest.fixture(scope="module")
def server(shared_crds: Path) -> Iterator[PreviewServer]:
    session = PreviewSession(PreviewConfig(options=_options(shared_crds)))
    srv = PreviewServer(session)
    srv.start()
    yield srv
    srv.stop()


def request(
    srv: PreviewServer,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Send one raw request (no client-side path normalization)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    sent = {"Host": f"127.0.0.1:{srv.port}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    sent.update(headers or {})
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def render(srv: PreviewServer, parameters: dict[str, Any], **extra: Any) -> Any:
    status, _, body = request(
        srv, "POST", f"/{srv.token}/api/render", {"parameters": parameters, **extra}
    )
    assert status == 200
    return json.loads(body)


TEAM_DIR = "${{ values.team }}"


def files_of(result: Any) -> dict[str, Any]:
    return {f["path"]: f for o in result["outputs"] for f in o["files"]}


def test_the_server_listens_on_loopback_only(server: PreviewServer) -> None:
    assert server.server_address[0] == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.port}/{server.token}/"


@pytest.mark.parametrize(
    "path",
    ["/", "/index.html", "/api/form", "/wrong-token/", "/wrong-token/api/form"],
)
def test_requests_without_the_token_are_refused(
    server: PreviewServer, path: str
) -> None:
    status, _, body = request(server, "GET", path)
    assert status == 403
    assert b"<html" not in body


def test_a_token_prefix_is_not_the_token(server: PreviewServer) -> None:
    status, _, _ = request(server, "GET", f"/{server.token[:-1]}/api/form")
    assert status == 403


def test_post_without_the_token_renders_nothing(server: PreviewServer) -> None:
    status, _, body = request(server, "POST", "/x/api/render", {"parameters": TEAM})
    assert status == 403
    assert b"recs" not in body


def test_the_page_and_its_assets_are_served_with_the_token(
    server: PreviewServer,
) -> None:
    status, headers, body = request(server, "GET", f"/{server.token}/")
    assert status == 200
    assert b'<script src="app.js"' in body
    # The page loads nothing from elsewhere and gives the token to no one.
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    for asset in ("app.js", "app.css"):
        status, _, body = request(server, "GET", f"/{server.token}/{asset}")
        assert status == 200
        assert body


def test_the_bare_token_redirects_to_the_page(server: PreviewServer) -> None:
    status, headers, _ = request(server, "GET", f"/{server.token}")
    assert status == 301
    assert headers["Location"] == f"/{server.token}/"


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "", "[::1]:{port}"]
)
def test_other_host_headers_are_refused(server: PreviewServer, host: str) -> None:
    # A page on a name rebound to 127.0.0.1 sends its own name as Host.
    status, _, body = request(
        server,
        "GET",
        f"/{server.token}/api/form",
        headers={"Host": host.format(port=server.port)},
    )
    assert status == 403
    assert b"pages" not in body


def test_localhost_is_an_accepted_host(server: PreviewServer) -> None:
    status, _, _ = request(
        server,
        "GET",
        f"/{server.token}/api/form",
        headers={"Host": f"localhost:{server.port}"},
    )
    assert status == 200


@pytest.mark.parametrize(
    "rest",
    [
        "../pyproject.toml",
        "..%2f..%2fpyproject.toml",
        "assets/app.js",
        "server.py",
        "__init__.py",
        "/etc/passwd",
        "deploy/namespace.yaml",
        "api/../app.js",
    ],
)
def test_only_the_fixed_routes_are_served(server: PreviewServer, rest: str) -> None:
    status, _, body = request(server, "GET", f"/{server.token}/{rest}")
    assert status == 404
    assert b"import" not in body
    assert b"root:" not in body


def test_render_needs_a_json_body(server: PreviewServer) -> None:
    status, _, _ = request(
        server,
        "POST",
        f"/{server.token}/api/render",
        headers={"Content-Type": "text/plain", "Content-Length": "2"},
    )
    assert status == 415
    status, _, _ = request(server, "POST", f"/{server.token}/api/render", [1])
    assert status == 400


def test_the_form_is_backstages_parameter_pages(server: PreviewServer) -> None:
    from mlscaffold.template.build import build_template

    status, _, body = request(server, "GET", f"/{server.token}/api/form")
    assert status == 200
    form = json.loads(body)
    assert form["pages"] == build_template()["spec"]["parameters"]
    repo = form["pages"][1]["properties"]["repoUrl"]
    assert repo["ui:field"] == "RepoUrlPicker"
    assert repo["ui:options"]["allowedHosts"] == ["github.com"]
    assert form["writeTarget"] is None
    assert [b["id"] for b in form["baselines"]] == ["defaults"]


def test_render_returns_files_findings_and_summary(server: PreviewServer) -> None:
    result = render(server, {**TEAM, "size": "m", "maturity": "L3"})
    assert result["ok"]
    assert result["fieldErrors"] == {}
    assert [o["name"] for o in result["outputs"]] == ["repository", "platform"]
    files = files_of(result)
    team_repo, platform = ([f["path"] for f in o["files"]] for o in result["outputs"])
    assert "deploy/inferenceservice.yaml" in team_repo
    assert "teams/recs/namespace.yaml" in platform
    quota = yaml.safe_load(files["teams/recs/resourcequota.yaml"]["text"])
    assert quota["spec"]["hard"]["requests.nvidia.com/gpu"] == "4"
    assert files["deploy/cronworkflow.yaml"]["source"].endswith("cronworkflow.yaml")
    summary = result["summary"]
    assert summary["namespace"] == "recs-ml"
    assert summary["quota"]["gpus"] == 4
    assert summary["queue"] == "recs-queue"
    assert summary["pipeline_steps"] == ["train", "eval", "register", "promote"]
    assert summary["retrain_schedule"] == "0 3 * * 1"
    assert summary["serving_mode"] == "scale-to-zero"
    assert summary["gpu_hours_capacity"] == 4 * 730
    assert result["counts"]["errors"] == 0


def test_findings_carry_rendered_and_skeleton_lines(server: PreviewServer) -> None:
    result = render(server, TEAM)
    notes = [f for f in result["findings"] if f["severity"] == "note"]
    assert notes
    for finding in notes:
        assert finding["rendered"]["line"] >= 1
        assert finding["source"]["path"]
        assert finding["source"]["line"] >= 1


def test_the_defaults_baseline_marks_what_the_choices_changed(
    server: PreviewServer,
) -> None:
    files = files_of(render(server, {**TEAM, "size": "m", "maturity": "L3"}))
    assert files["deploy/cronworkflow.yaml"]["baseline"] == "added"
    assert files["teams/recs/resourcequota.yaml"]["baseline"] == "modified"
    assert (
        '+    "requests.nvidia.com/gpu": "4"'
        in files["teams/recs/resourcequota.yaml"]["diff"]
    )
    assert files["teams/recs/namespace.yaml"]["baseline"] is None
    assert files["teams/recs/namespace.yaml"]["diff"] is None


def test_invalid_parameters_give_field_errors_and_nothing_rendered(
    server: PreviewServer,
) -> None:
    bad = {**TEAM, "team": "Recs_Team", "size": "xs"}
    result = render(server, bad)
    assert not result["ok"]
    assert result["outputs"] == []
    assert result["summary"] is None
    with pytest.raises(ParamsError) as caught:
        validate_params(bad)
    # The same words as `mlscaffold render`, filed under their field.
    assert result["problems"] == caught.value.problems
    assert result["fieldErrors"] == {"team": [caught.value.problems[0]]}
    assert "'Recs_Team' has the wrong form" in result["fieldErrors"]["team"][0]


def test_cross_field_rules_are_reported_on_their_field(server: PreviewServer) -> None:
    result = render(server, {**TEAM, "size": "xs"})
    assert not result["ok"]
    # Size xs has no GPU: the accelerator and the GPU hours both conflict with it.
    assert sorted(result["fieldErrors"]) == ["accelerator", "gpuHoursPerMonth"]
    assert "has no GPU quota" in result["fieldErrors"]["accelerator"][0]
    assert "exceeds what size 'xs'" in result["fieldErrors"]["gpuHoursPerMonth"][0]


def test_an_unknown_baseline_is_reported_not_fatal(server: PreviewServer) -> None:
    result = render(server, TEAM, baseline="team:nobody")
    assert result["ok"]
    assert "team:nobody" in result["baseline"]["error"]


def test_writing_is_off_without_a_target(server: PreviewServer) -> None:
    status, _, body = request(
        server, "POST", f"/{server.token}/api/write", {"parameters": TEAM}
    )
    assert status == 403
    assert b"--write-to" in body


@pytest.fixture
def skeleton_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "skeleton"
    shutil.copytree(skeleton_dir(), copy)
    # The platform change's skeleton beside it, as <skeleton>-platform.
    shutil.copytree(skeleton_dir("ml-project-platform"), tmp_path / "skeleton-platform")
    return copy


def platform_file(skeleton: Path, name: str) -> Path:
    """A file of the platform change's skeleton beside ``skeleton``."""
    return skeleton.parent / f"{skeleton.name}-platform" / "teams" / TEAM_DIR / name


def _session(crds: Path, **config: Any) -> PreviewSession:
    return PreviewSession(PreviewConfig(options=_options(crds), **config))


def test_write_goes_through_the_atomic_writer_and_its_refusals(
    tmp_path: Path, shared_crds: Path
) -> None:
    target = tmp_path / "out"
    srv = PreviewServer(_session(shared_crds, write_target=target))
    srv.start()
    try:
        path = f"/{srv.token}/api/write"
        status, _, body = request(srv, "POST", path, {"parameters": {"team": "X"}})
        assert status == 409
        assert b"team: 'X' has the wrong form" in body
        assert not target.exists()
        status, _, body = request(srv, "POST", path, {"parameters": TEAM})
        assert status == 200, body
        # Both trees, as `render -o out` writes them: the platform change beside.
        change = tmp_path / "platform" / "teams" / "recs"
        assert json.loads(body) == {"written": f"{target} and {change}"}
        assert (target / "deploy" / "inferenceservice.yaml").is_file()
        assert (change / "namespace.yaml").is_file()
        status, _, body = request(srv, "POST", path, {"parameters": TEAM})
        assert status == 409
        assert b"already exists and is not empty" in body
        status, _, _ = request(
            srv, "POST", path, {"parameters": {**TEAM, "team": "ads"}, "force": True}
        )
        assert status == 200
        assert "ads-ml" in (target / "deploy" / "inferenceservice.yaml").read_text()
        assert (tmp_path / "platform" / "teams" / "ads" / "namespace.yaml").is_file()
    finally:
        srv.stop()


def test_write_with_force_replaces_only_a_folder_a_render_wrote(
    tmp_path: Path, shared_crds: Path
) -> None:
    # A hand-written README.md is a file the render writes, yet not its to replace.
    target = tmp_path / "out"
    target.mkdir()
    (target / "README.md").write_text("our own notes\n")
    session = _session(shared_crds, write_target=target)
    with pytest.raises(OutputExistsError, match="was not written by mlscaffold"):
        session.write(TEAM, force=True)
    assert (target / "README.md").read_text() == "our own notes\n"


def test_skeleton_edits_render_at_once_and_diff_against_the_start(
    skeleton_copy: Path, shared_crds: Path
) -> None:
    session = _session(shared_crds, skeleton=skeleton_copy)
    namespace = platform_file(skeleton_copy, "namespace.yaml")
    namespace.write_text(
        namespace.read_text().replace("kind: Namespace", "kind: Namespace\n# edited")
    )
    files = files_of(session.render(TEAM))
    assert "# edited" in files["teams/recs/namespace.yaml"]["text"]
    assert files["teams/recs/namespace.yaml"]["baseline"] == "modified"
    assert "+# edited" in files["teams/recs/namespace.yaml"]["diff"]


def test_a_broken_skeleton_is_an_error_not_a_field_error(
    skeleton_copy: Path, shared_crds: Path
) -> None:
    session = _session(shared_crds, skeleton=skeleton_copy)
    platform_file(skeleton_copy, "namespace.yaml").write_text("${{ values.team \n")
    result = session.render(TEAM)
    assert not result["ok"]
    assert result["fieldErrors"] == {}
    assert "namespace.yaml" in result["error"]


def test_platform_edits_change_the_summary_and_a_broken_file_is_reported(
    tmp_path: Path, shared_crds: Path
) -> None:
    platform = tmp_path / "platform.yaml"
    text = schema_file("platform.yaml").read_text()
    platform.write_text(text)
    session = _session(shared_crds, platform_file=platform)
    assert session.render(TEAM)["summary"]["cluster_queue"] == "ml-shared"
    platform.write_text(text.replace("clusterQueue: ml-shared", "clusterQueue: gpu-q"))
    assert session.render(TEAM)["summary"]["cluster_queue"] == "gpu-q"
    platform.write_text("sizes: [unclosed\n")
    result = session.render(TEAM)
    assert not result["ok"]
    assert result["error"].startswith("platform settings:")


def test_values_and_teams_are_baselines(shared_crds: Path) -> None:
    values = {**TEAM, "maturity": "L3"}
    session = _session(
        shared_crds, values=values, teams={"ads": {**TEAM, "team": "ads"}}
    )
    form = session.form()
    assert form["initial"] == values
    assert [b["id"] for b in form["baselines"]] == ["defaults", "values", "team:ads"]
    files = files_of(session.render(TEAM, "values"))
    # The form is at L2, the values file at L3: the CronWorkflow is gone.
    result = session.render(TEAM, "values")
    assert [r["path"] for r in result["outputs"][0]["removed"]] == [
        "deploy/cronworkflow.yaml"
    ]
    assert "deploy/cronworkflow.yaml" not in files
    team = files_of(session.render(TEAM, "team:ads"))
    diff = team["deploy/inferenceservice.yaml"]["diff"]
    assert '-  namespace: "ads-ml"\n' in diff
    assert '+  namespace: "recs-ml"\n' in diff
    # Another team's platform change has other paths: all of it added.
    assert team["teams/recs/namespace.yaml"]["baseline"] == "added"


GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def test_a_team_baseline_is_its_committed_snapshot(
    skeleton_copy: Path, shared_crds: Path
) -> None:
    from mlscaffold.teams import load_teams

    teams = {t.name: t.parameters for t in load_teams([GOLDEN / "teams.yaml"])}
    session = _session(
        shared_crds,
        skeleton=skeleton_copy,
        teams=teams,
        snapshots=GOLDEN / "__snapshots__" / "test_golden" / "test_team",
    )
    assert {"id": "team:gpu-s", "title": "Team gpu-s (committed snapshot)"} in (
        session.form()["baselines"]
    )
    params = dict(teams["gpu-s"])
    # The team as committed: nothing differs, README.md included (its snapshot
    # is README.md.yaml).
    result = session.render(params, "team:gpu-s")
    assert [f["path"] for f in files_of(result).values() if f["baseline"]] == []
    assert result["outputs"][0]["removed"] == []
    # A skeleton edit shows against the snapshot, before anyone updates it.
    readme = skeleton_copy / "README.md"
    readme.write_text(readme.read_text() + "Edited.\n")
    files = files_of(session.render(params, "team:gpu-s"))
    assert [p for p, f in files.items() if f["baseline"]] == ["README.md"]
    assert "+  Edited." in files["README.md"]["diff"]
    # At L2 the committed CronWorkflow is gone.
    result = session.render({**params, "maturity": "L2"}, "team:gpu-s")
    assert [r["path"] for r in result["outputs"][0]["removed"]] == [
        "deploy/cronworkflow.yaml"
    ]


def _reported(seen: threading.Event, edit: Any) -> bool:
    # The watcher subscribes in its own thread; an edit made before that is not
    # seen, so edit again (a bounded number of times) until one is.
    for _ in range(60):
        seen.clear()
        edit()
        if seen.wait(0.5):
            return True
    return False


def test_the_watcher_reports_saves_in_the_folder_and_of_the_file(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "skeleton"
    (folder / "deploy").mkdir(parents=True)
    settings = tmp_path / "platform.yaml"
    settings.write_text("a: 1\n")

    def save_settings() -> None:
        replacement = tmp_path / "platform.yaml.tmp"
        replacement.write_text("a: 2\n")
        replacement.replace(settings)  # an editor's atomic save

    seen = threading.Event()
    watcher = SourceWatcher([folder, settings], seen.set)
    watcher.start()
    try:
        assert _reported(seen, lambda: (folder / "deploy" / "x.yaml").write_text("1"))
        assert _reported(seen, save_settings)
    finally:
        watcher.stop()
