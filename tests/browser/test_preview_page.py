"""The preview page in a real browser: form, live render, skeleton edits on disk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Preview

pytestmark = pytest.mark.browser

# The CPU is shared: a render is fast, but the browser may wait its turn.
WAIT_MS = 30_000
# Marked in the tree: changed by the last render.
CHANGED = re.compile(r"\bchanged\b")


def fill_team(page: Page, team: str = "recs") -> None:
    """Fill every required field, page by page, as a user would."""
    page.click("#step-0")
    page.fill("#team", team)
    page.fill("#owner", f"group:default/{team}")
    page.click("#step-1")
    page.fill("#repoUrl-owner", "acme")
    page.fill("#repoUrl-repo", f"{team}-ml")
    page.click("#step-2")
    page.fill("#modelName", "ranker")
    expect(page.locator("#summary-namespace")).to_have_text(
        f"{team}-ml (Pod Security restricted)", timeout=WAIT_MS
    )


def test_size_and_maturity_change_the_quota_and_the_files(
    page: Page, screenshots: Path
) -> None:
    fill_team(page)
    quota = page.locator("#summary-quota")
    expect(quota).to_contain_text("size s: 16 CPU, 64Gi memory, 1 x nvidia.com/gpu")
    expect(page.locator("li.file[data-path='deploy/cronworkflow.yaml']")).to_have_count(
        0
    )
    page.screenshot(path=screenshots / "01-team-filled.png")

    page.select_option("#size", "m")
    expect(quota).to_contain_text(
        "size m: 48 CPU, 192Gi memory, 4 x nvidia.com/gpu", timeout=WAIT_MS
    )
    expect(page.locator("#summary-gpu")).to_contain_text("2920 GPU-hours")
    # The quota file is marked as changed by this edit and differs from the defaults.
    quota_file = page.locator("li.file[data-path='teams/recs/resourcequota.yaml']")
    expect(quota_file).to_have_class(CHANGED, timeout=WAIT_MS)
    expect(quota_file.locator(".mark.modified")).to_have_text("M")

    page.select_option("#maturity", "L3")
    cron = page.locator("li.file[data-path='deploy/cronworkflow.yaml']")
    expect(cron).to_have_count(1, timeout=WAIT_MS)
    expect(cron.locator(".mark.added")).to_have_text("A")
    expect(page.locator("#summary-pipeline")).to_contain_text(
        "train \u2192 eval \u2192 register \u2192 promote, retrained on '0 3 * * 1'"
    )
    cron.click()
    expect(page.locator("#file-view")).to_contain_text("kind: CronWorkflow")
    expect(page.locator("#file-view")).to_contain_text("schedules:")
    page.screenshot(path=screenshots / "02-size-m-maturity-L3.png")

    page.click("#show-diff")
    expect(page.locator("#file-view .line.da").first).to_be_visible()
    page.screenshot(path=screenshots / "03-diff-against-defaults.png")

    # Notes are filtered out until asked for; a click shows one at its line.
    notes = page.locator("li.finding.sev-note")
    expect(notes).to_have_count(0)
    page.check("#filters [data-severity=note]")
    expect(notes).not_to_have_count(0)
    note = notes.filter(has_text="MLS232").first
    note.click()
    expect(page.locator("#file-name")).to_have_text("deploy/inferenceservice.yaml")
    inline = page.locator("#file-view .inline.sev-note").filter(has_text="MLS232")
    expect(inline).to_contain_text("[skeleton deploy/inferenceservice.yaml:")
    page.screenshot(path=screenshots / "04-finding-at-its-line.png")


def test_an_invalid_team_name_shows_the_field_error_and_renders_nothing(
    page: Page, screenshots: Path
) -> None:
    fill_team(page)
    expect(page.locator("li.file")).not_to_have_count(0)
    page.click("#step-0")
    page.fill("#team", "Recs_Team")
    error = page.locator("#error-team")
    expect(error).to_contain_text(
        "team: 'Recs_Team' has the wrong form (allowed: Lower-case DNS label",
        timeout=WAIT_MS,
    )
    expect(page.locator("body")).to_have_attribute("data-state", "invalid")
    expect(page.locator("li.file")).to_have_count(0)
    expect(page.locator("#nothing")).to_have_text("Nothing rendered.")
    expect(page.locator("#summary")).to_be_empty()
    expect(page.locator("#step-0 .badge")).to_have_text("1")
    page.screenshot(path=screenshots / "05-invalid-team-name.png")


def test_a_skeleton_edit_on_disk_shows_without_touching_the_form(
    page: Page, preview: Preview, screenshots: Path
) -> None:
    fill_team(page)
    page.locator("li.file[data-path='teams/recs/resourcequota.yaml']").click()
    view = page.locator("#file-view")
    expect(view).to_contain_text("kind: ResourceQuota")
    source = preview.skeleton.parent / "ml-project-platform" / "teams"
    source = source / "${{ values.team }}" / "resourcequota.yaml"
    marker = "# Reviewed by the platform team (edited on disk)"
    source.write_text(
        source.read_text().replace(
            "kind: ResourceQuota", marker + "\nkind: ResourceQuota"
        )
    )
    expect(view).to_contain_text(marker, timeout=WAIT_MS)
    # The page followed the watcher's revision, not a form change; the file differs
    # from the baseline, which was rendered with the skeleton as it was at start.
    expect(page.locator("#status")).to_contain_text(re.compile(r"disk revision [1-9]"))
    quota = page.locator("li.file[data-path='teams/recs/resourcequota.yaml']")
    expect(quota.locator(".mark.modified")).to_have_text("M")
    page.screenshot(path=screenshots / "06-skeleton-edited-on-disk.png")


def test_a_team_loaded_from_the_teams_file_diffs_against_its_snapshot(
    page: Page, screenshots: Path
) -> None:
    page.select_option("#baseline", "team:gpu-s")
    page.click("#load-team")
    expect(page.locator("#summary-namespace")).to_have_text(
        "gpu-s-ml (Pod Security restricted)", timeout=WAIT_MS
    )
    serving = page.locator("li.file[data-path='deploy/inferenceservice.yaml']")
    # As committed (the skeleton test edits only the quota file).
    expect(serving.locator(".mark.modified")).to_have_count(0)
    expect(page.locator("li.file[data-path='README.md'] .mark")).to_have_count(0)
    page.click("#step-2")
    page.select_option("#servingMode", "scale-to-zero")
    expect(serving.locator(".mark.modified")).to_have_text("M", timeout=WAIT_MS)
    serving.click()
    page.click("#show-diff")
    expect(page.locator("#file-view")).to_contain_text("+    minReplicas: 0")
    page.screenshot(path=screenshots / "07-team-against-its-snapshot.png")


def test_write_to_writes_once_and_then_only_when_told_to_replace(
    page: Page, preview: Preview
) -> None:
    fill_team(page, "ads")
    result = page.locator("#write-result")
    page.click("#write")
    # Both trees, as `render -o` writes them: the platform change beside.
    teams = preview.write_target.parent / "platform" / "teams"
    expect(result).to_have_text(
        f"Written to {preview.write_target} and {teams / 'ads'}", timeout=WAIT_MS
    )
    serving = preview.write_target / "deploy" / "inferenceservice.yaml"
    assert 'namespace: "ads-ml"' in serving.read_text()
    assert 'name: "ads-ml"' in (teams / "ads" / "namespace.yaml").read_text()
    page.click("#step-0")
    page.fill("#team", "ads2")
    page.click("#write")
    expect(result).to_contain_text("Not written: output folder", timeout=WAIT_MS)
    expect(result).to_contain_text("already exists and is not empty")
    assert 'namespace: "ads-ml"' in serving.read_text()
    assert not (teams / "ads2").exists()  # all or nothing
    page.check("#write-force")
    page.click("#write")
    expect(result).to_have_text(
        f"Written to {preview.write_target} and {teams / 'ads2'}", timeout=WAIT_MS
    )
    assert 'namespace: "ads2-ml"' in serving.read_text()
    assert 'name: "ads2-ml"' in (teams / "ads2" / "namespace.yaml").read_text()
