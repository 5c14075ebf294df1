"""Headless Chromium (Debian's package) driving `mlscaffold preview`; screenshots."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mlscaffold._data import skeleton_dir

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

_REPO = Path(__file__).resolve().parents[2]
# Flags for a browser that never reaches the network on its own (no updates,
# sync, QUIC probes or first-run pages) and runs as root in a container.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_SCREENSHOTS = pytest.StashKey[Path]()


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Say where the screenshots went."""
    folder = config.stash.get(_SCREENSHOTS, None)
    if folder is not None:
        terminalreporter.write_line(f"preview screenshots: {folder}")


@pytest.fixture(scope="session")
def screenshots(request: pytest.FixtureRequest) -> Path:
    """Folder the screenshots are kept in (gitignored; $MLSCAFFOLD_ARTIFACTS)."""
    root = Path(os.environ.get("MLSCAFFOLD_ARTIFACTS") or _REPO / ".artifacts")
    folder = root / "preview"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    request.config.stash[_SCREENSHOTS] = folder
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright; never a downloaded one."""
    executable = _chromium()
    if executable is None:
        pytest.skip(
            "Debian's chromium is not installed (apt-get install -y chromium); "
            "scripts/test installs it where apt-get can"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass(frozen=True)
class Preview:
    """A running `mlscaffold preview` and the skeleton copy it watches."""

    url: str
    skeleton: Path
    write_target: Path


@pytest.fixture(scope="module")
def preview(
    tmp_path_factory: pytest.TempPathFactory, shared_crds: Path
) -> Iterator[Preview]:
    """The real command, on a free port, watching a copy of the skeleton."""
    work = tmp_path_factory.mktemp("preview")
    skeleton = work / "ml-project"
    shutil.copytree(skeleton_dir(), skeleton)
    # The platform change's skeleton beside it, where preview looks for it.
    shutil.copytree(skeleton_dir("ml-project-platform"), work / "ml-project-platform")
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "HOME": str(home), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "mlscaffold", "preview"]
    command += ["--skeleton", str(skeleton), "--crds", str(shared_crds)]
    command += ["--write-to", str(work / "out")]
    golden = _REPO / "tests" / "golden"
    command += ["--teams", str(golden / "teams.yaml")]
    command += ["--snapshots", str(golden / "__snapshots__/test_golden/test_team")]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("mlscaffold preview: http://127.0.0.1:"), first + (
            process.stderr.read() if process.stderr else ""
        )
        yield Preview(first.split(": ", 1)[1].strip(), skeleton, work / "out")
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: the command stops cleanly
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


@pytest.fixture
def page(browser: Browser, preview: Preview) -> Iterator[Page]:
    """A fresh tab on the preview page, loaded and rendered once."""
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(preview.url)
    tab.wait_for_selector("body[data-state]")
    yield tab
    context.close()
    assert errors == [], errors
