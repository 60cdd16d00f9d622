"""The drift report and issue: exit codes decide, long diffs are folded and cut to GitHub's limit, one issue per
stack is opened, updated or closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.ci.drift import (
    DRIFT_EXIT_CODE,
    FOLD_LINES,
    GITHUB_BODY_LIMIT,
    LABEL,
    Outcome,
    clean_output,
    main,
    report_body,
    status_of,
    sync_issue,
    title_of,
)

DIFF = """Previewing refresh (prod):
\x1b[33m~\x1b[0m aws:ec2/securityGroup:SecurityGroup: (update)
    [urn=urn:pulumi:prod::webstack::aws:ec2/securityGroup:SecurityGroup::network-data-sg]
  ~ tags: {
      + Owner: "someone"
    }
Resources:
    ~ 1 to update
    397 unchanged
"""


class FakeGh:
    """Records gh calls and answers `issue list` from a list of open issues."""

    def __init__(self, open_issues: list[dict[str, object]]) -> None:
        self.open_issues = open_issues
        self.calls: list[tuple[list[str], str | None]] = []

    def __call__(self, args: list[str], stdin: str | None) -> str:
        self.calls.append((args, stdin))
        if args[:2] == ["issue", "list"]:
            assert args[args.index("--label") + 1] == LABEL
            assert args[args.index("--state") + 1] == "open"
            return json.dumps(self.open_issues)
        if args[:2] == ["issue", "create"]:
            return "https://github.com/acme/webstack/issues/12\n"
        return ""


@pytest.mark.parametrize(("code", "status"), [(0, "clean"), (7, "drift"), (1, "error"), (255, "error"), (2, "error")])
def test_the_exit_code_decides(code: int, status: str) -> None:
    assert status_of(code) == status
    assert DRIFT_EXIT_CODE == 7


def test_the_report_strips_colours_and_keeps_counts_and_the_diff() -> None:
    body = report_body("prod", DIFF, "https://github.com/acme/webstack/actions/runs/1")
    assert "\x1b" not in body
    assert "**prod**" in body
    assert "Run: https://github.com/acme/webstack/actions/runs/1" in body
    assert "- ~ 1 to update" in body
    assert "```diff\nPreviewing refresh (prod):\n~ aws:ec2/securityGroup:SecurityGroup: (update)" in body
    assert "<details>" not in body  # short diffs are shown as they are
    assert "pulumi up -s prod" in body


def test_long_diffs_are_folded() -> None:
    long = "\n".join(f"  ~ line {i}" for i in range(FOLD_LINES + 5))
    body = report_body("staging", long)
    assert f"<details><summary>The diff ({FOLD_LINES + 5} lines)</summary>" in body
    assert body.rstrip().endswith("</details>")


def test_huge_diffs_are_cut_to_fit_githubs_limit_and_say_so() -> None:
    huge = "\n".join(f'  ~ tags: {{ + "key{i}": "{"x" * 80}" }}' for i in range(5000))
    assert len(huge) > GITHUB_BODY_LIMIT
    body = report_body("prod", huge, "https://example.invalid/run")
    assert len(body) <= GITHUB_BODY_LIMIT
    assert "The diff is cut:" in body
    assert "of 5000 lines are left out" in body
    assert body.count("```") == 2  # the fence is closed before the note


def test_a_diff_with_backticks_cannot_close_the_fence() -> None:
    body = report_body("prod", '  + description: "```oops```"')
    assert "````diff\n" in body


def test_clean_output_drops_progress_rewrites_and_trailing_blanks() -> None:
    assert clean_output("a  \r\nworking...\rdone\n\n\n") == "a\ndone"


def test_drift_opens_an_issue_when_none_is_open() -> None:
    gh = FakeGh([{"number": 3, "title": "Drift detected on staging"}])
    done = sync_issue(Outcome("drift", title_of("prod"), "the body"), gh)
    assert done == "drift: opened https://github.com/acme/webstack/issues/12"
    (args, stdin) = gh.calls[-1]
    assert args == ["issue", "create", "--title", "Drift detected on prod", "--label", LABEL, "--body-file", "-"]
    assert stdin == "the body"


def test_drift_updates_the_open_issue_of_the_stack() -> None:
    gh = FakeGh([{"number": 9, "title": "Drift detected on prod"}])
    assert sync_issue(Outcome("drift", title_of("prod"), "new body"), gh) == "drift: updated #9"
    assert gh.calls[-1] == (["issue", "edit", "9", "--body-file", "-"], "new body")
    assert len(gh.calls) == 2


def test_a_clean_run_closes_the_open_issue_and_otherwise_does_nothing() -> None:
    gh = FakeGh([{"number": 9, "title": "Drift detected on prod"}])
    assert sync_issue(Outcome("clean", title_of("prod"), ""), gh) == "no drift: closed #9"
    assert gh.calls[-1][0][:3] == ["issue", "close", "9"]
    quiet = FakeGh([])
    assert sync_issue(Outcome("clean", title_of("prod"), ""), quiet) == "no drift, and no open drift issue"
    assert [call[0][:2] for call in quiet.calls] == [["issue", "list"]]


def test_a_failed_refresh_touches_no_issue() -> None:
    gh = FakeGh([{"number": 9, "title": "Drift detected on prod"}])
    assert sync_issue(Outcome("error", title_of("prod"), ""), gh).startswith("the refresh failed")
    assert gh.calls == []


def test_main_fails_the_job_only_when_the_refresh_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "refresh.txt"
    output.write_text(DIFF)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    gh = FakeGh([])
    assert main(["--stack", "prod", "--exit-code", "7", "--output", str(output)], gh=gh) == 0
    assert gh.calls[-1][0][:2] == ["issue", "create"]
    assert "## Drift: prod" in summary.read_text()
    assert main(["--stack", "prod", "--exit-code", "0", "--output", str(output)], gh=FakeGh([])) == 0
    output.write_text("error: failed to decrypt the stack's secrets\n")
    failing = FakeGh([])
    assert main(["--stack", "prod", "--exit-code", "255", "--output", str(output)], gh=failing) == 1
    assert failing.calls == []
    assert "failed to decrypt" in summary.read_text()
