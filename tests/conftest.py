"""Shared fixtures: isolated HOME and cache, and the pinned upstream CRDs."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mlscaffold.validate.schema.store import SchemaStore

_REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Converted CRD schemas are cached by content hash, so one cache per session is
    # safe to share and spares every test the 2 s conversion of the Argo CRDs.
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, _session_cache: Path
) -> Iterator[None]:
    """Point HOME at a fresh tmp dir and the mlscaffold cache at the session's."""
    home = tmp_path_factory.mktemp("home")
    saved = {name: os.environ.get(name) for name in ("HOME", "MLSCAFFOLD_CACHE_DIR")}
    os.environ["HOME"] = str(home)
    os.environ["MLSCAFFOLD_CACHE_DIR"] = str(_session_cache)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def shared_crds() -> Path:
    """The pinned upstream CRDs: $MLSCAFFOLD_CRDS, else ``<repo>/../shared/crds``."""
    override = os.environ.get("MLSCAFFOLD_CRDS")
    path = Path(override) if override else _REPO.parent / "shared" / "crds"
    if not path.is_dir():
        pytest.fail(f"pinned CRDs not found at {path}; set MLSCAFFOLD_CRDS")
    return path


@pytest.fixture(scope="session")
def schema_store(shared_crds: Path, _session_cache: Path) -> SchemaStore:
    """One store of the pinned CRDs for the session: building one takes seconds."""
    from mlscaffold.validate.schema.store import SchemaStore

    return SchemaStore(crd_dirs=[shared_crds], cache_dir=_session_cache)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a connection off this machine.

    Tests are offline by design (schemas come from packages and ../shared/crds);
    a test that reaches the network would pass here and hang or fail elsewhere.
    """
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            if host not in ("127.0.0.1", "::1", "localhost"):
                raise OSError(f"tests must not use the network (tried {address!r})")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def kubeconform_binary() -> str:
    """The real kubeconform: on PATH, else ``<repo>/../shared/bin/kubeconform``.

    scripts/test puts ../shared/bin on PATH; looking there too means no test is
    skipped for want of kubeconform wherever the shared tools exist.
    """
    found = shutil.which("kubeconform")
    if found:
        return found
    shared = _REPO.parent / "shared" / "bin" / "kubeconform"
    if shared.is_file():
        return str(shared)
    pytest.skip("kubeconform is not on PATH and ../shared/bin/kubeconform is absent")
