"""scripts/ci/notify.py: each deployment's start, success and failure reach the stack's alert topics, and a
notification that cannot be sent never fails the deployment."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from scripts.ci.notify import main, outcomes, topic_arn
from tests.conftest import ROOT

IDENTITY = {"Account": "123456789012", "Arn": "arn:aws:sts::123456789012:assumed-role/deploy/run", "UserId": "x"}


class FakeAws:
    def __init__(self, publish_code: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.publish_code = publish_code

    def __call__(self, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(command))
        if command[1:3] == ["sts", "get-caller-identity"]:
            return subprocess.CompletedProcess(command, 0, json.dumps(IDENTITY), "")
        return subprocess.CompletedProcess(
            command, self.publish_code, "{}", "" if not self.publish_code else "NotFound"
        )


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/webstack")
    summary = tmp_path / "summary.md"
    summary.write_text("## Pulumi\nmigration: failed (exit 3: Essential container in task exited; logs: x)\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))


def _published(aws: FakeAws) -> dict[str, str]:
    (publish,) = [call for call in aws.calls if call[1:3] == ["sns", "publish"]]
    return dict(zip(publish[3::2], publish[4::2], strict=True))


def test_the_topics_are_the_ones_the_program_names() -> None:
    assert topic_arn("us-east-1", "123456789012", "prod", "critical") == (
        "arn:aws:sns:us-east-1:123456789012:webstack-prod-alerts-critical"
    )


def test_a_start_goes_to_the_warning_topic_with_the_version() -> None:
    aws = FakeAws()
    assert main(["--stack", "prod", "--event", "started", "--version", "0123456789abcdef0123"], run=aws) == 0
    sent = _published(aws)
    assert sent["--topic-arn"].endswith(":webstack-prod-alerts-warning")
    assert sent["--subject"] == "webstack prod: deployment started (0123456789ab)"
    assert "https://github.com/acme/webstack/actions/runs/42" in sent["--message"]


def test_a_failure_goes_to_the_critical_topic_with_the_reason_and_the_migrations_outcome() -> None:
    aws = FakeAws()
    main(["--stack", "prod", "--event", "failed", "--version", "abc", "--reason", "pulumi up: failure"], run=aws)
    sent = _published(aws)
    assert sent["--topic-arn"].endswith(":webstack-prod-alerts-critical")
    assert "Reason: pulumi up: failure" in sent["--message"]
    assert "migration: failed (exit 3: Essential container in task exited; logs: x)" in sent["--message"]


def test_a_notification_that_cannot_be_sent_does_not_fail_the_job() -> None:
    assert main(["--stack", "prod", "--event", "succeeded", "--version", "abc"], run=FakeAws(publish_code=254)) == 0


def test_only_the_one_off_outcomes_are_quoted(tmp_path: Path) -> None:
    summary = tmp_path / "s.md"
    summary.write_text("noise\ndatabase bootstrap, shard 0: succeeded (exit 0)\nmore noise\n")
    assert outcomes(str(summary)) == ["database bootstrap, shard 0: succeeded (exit 0)"]


def test_every_deploy_job_notifies_start_success_and_failure() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    for job in workflow["jobs"].values():
        runs = [(step.get("if", ""), step.get("run", "")) for step in job["steps"]]
        events = {
            event
            for condition, command in runs
            for event in ("started", "succeeded", "failed")
            if f"--event {event}" in command
        }
        assert events == {"started", "succeeded", "failed"}
        assert ("failure()", next(c for _, c in runs if "--event failed" in c)) in runs
