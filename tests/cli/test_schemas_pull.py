"""schemas pull: progress per file, retries, and an offline error that helps."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from mlscaffold.errors import SchemaStoreError
from mlscaffold.validate.schema.store import pull_crds
from tests.helpers import run_cli as run


@pytest.fixture
def crd(shared_crds: Path) -> Path:
    return shared_crds / "kueue" / "kueue.x-k8s.io_localqueues.yaml"


def _catalog(tmp_path: Path, url: str, sha: str, name: str) -> Path:
    path = tmp_path / "catalog.yaml"
    entry = {"name": name, "url": url, "sha256": sha}
    path.write_text(yaml.safe_dump({"crds": [entry]}), encoding="utf-8")
    return path


def test_a_flaky_download_is_retried_and_reported(tmp_path: Path, crd: Path) -> None:
    data = crd.read_bytes()
    catalog = _catalog(tmp_path, "https://example.invalid/lq.yaml",
                       hashlib.sha256(data).hexdigest(), crd.name)  # fmt: skip
    attempts: list[str] = []
    waits: list[float] = []

    def flaky(url: str) -> bytes:
        attempts.append(url)
        if len(attempts) < 3:
            raise OSError("connection reset")
        return data

    events: list[tuple[int, int, str, int]] = []
    written = pull_crds(
        catalog, tmp_path / "cache", flaky, retries=2, wait=waits.append,
        progress=lambda n, total, source, size: events.append(
            (n, total, source.name, size)),
    )  # fmt: skip
    assert len(attempts) == 3
    assert waits == [1.0, 2.0]
    assert events == [(1, 1, crd.name, len(data))]
    assert written[0].read_bytes() == data
    attempts.clear()
    with pytest.raises(SchemaStoreError) as caught:
        pull_crds(catalog, tmp_path / "cache2", flaky, retries=1, wait=waits.append)
    assert "(tried 2 times): connection reset" in str(caught.value)
    assert not (tmp_path / "cache2").exists()


def test_offline_pull_says_what_to_do_and_file_urls_work(
    tmp_path: Path, crd: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("MLSCAFFOLD_CACHE_DIR", str(tmp_path / "cache"))
    sha = hashlib.sha256(crd.read_bytes()).hexdigest()
    # Port 9 (discard) on this machine refuses: what an offline download looks like.
    offline = _catalog(tmp_path, "http://127.0.0.1:9/lq.yaml", sha, crd.name)
    code, _, err = run(
        ["schemas", "pull", "--catalog", str(offline), "--retries", "0"], capsys
    )
    assert code == 4
    line = err.strip()
    assert line.startswith("error: cannot download http://127.0.0.1:9/lq.yaml: ")
    assert "file://" in line
    assert "--crds DIR" in line
    assert len(err.splitlines()) == 1
    local = _catalog(tmp_path, crd.resolve().as_uri(), sha, crd.name)
    code, out, err = run(["schemas", "pull", "--catalog", str(local)], capsys)
    assert code == 0
    assert f"[1/1] {crd.name}: " in err
    assert "sha256 verified" in err
    assert str(tmp_path / "cache") in out
