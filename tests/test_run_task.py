"""components/aws/run-task.sh, the one-off runner `pulumi up` uses, driven by a stand-in `aws` command on PATH that
answers as the AWS CLI does with `--output text` (a task ARN, a status, an exit code, a stop reason): the script
succeeds only when the container exited 0, and reports the outcome in the GitHub job summary."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

TASK = "arn:aws:ecs:us-east-1:123456789012:task/web-cluster/0123456789abcdef0123456789abcdef"

FAKE_AWS = """#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$2" in
  run-task) echo "${FAKE_TASK}" ;;
  describe-tasks)
    case "$*" in
      *lastStatus*) echo "${FAKE_STATUS}" ;;
      *exitCode*) echo "${FAKE_EXIT}" ;;
      *stoppedReason*) echo "Essential container in task exited" ;;
    esac ;;
  stop-task) echo stopped ;;
esac
"""


def run(tmp_path: Path, *, exit_code: str = "0", status: str = "STOPPED", timeout: str = "60") -> tuple[int, str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "aws"
    fake.write_text(FAKE_AWS)
    fake.chmod(0o755)
    summary = tmp_path / "summary.md"
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_LOG": str(tmp_path / "calls"),
        "FAKE_TASK": TASK,
        "FAKE_STATUS": status,
        "FAKE_EXIT": exit_code,
        "CLUSTER": "arn:aws:ecs:us-east-1:123456789012:cluster/web-cluster",
        "TASK_DEFINITION": "webstack-prod-backend-migrate",
        "CONTAINER": "migrate",
        "SUBNETS": "subnet-a,subnet-b",
        "SECURITY_GROUPS": "sg-app",
        "TIMEOUT_SECONDS": timeout,
        "LOG_GROUP": "/webstack-prod/ecs/backend",
        "LABEL": "migration",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = subprocess.run(
        ["sh", str(ROOT / "components" / "aws" / "run-task.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, summary.read_text() if summary.exists() else "", (tmp_path / "calls").read_text()


def test_a_task_that_exits_0_succeeds_and_says_where_its_logs_are(tmp_path: Path) -> None:
    code, summary, calls = run(tmp_path)
    assert code == 0
    assert summary == (
        "migration: succeeded (exit 0; logs: /webstack-prod/ecs/backend "
        "migrate/migrate/0123456789abcdef0123456789abcdef)\n"
    )
    assert "assignPublicIp=DISABLED" in calls
    assert "subnets=[subnet-a,subnet-b],securityGroups=[sg-app]" in calls


def test_a_task_that_exits_non_zero_fails_with_its_reason(tmp_path: Path) -> None:
    code, summary, _ = run(tmp_path, exit_code="3")
    assert code == 1
    assert summary.startswith("migration: failed (exit 3: Essential container in task exited; logs:")


def test_a_container_that_never_started_fails(tmp_path: Path) -> None:
    code, summary, _ = run(tmp_path, exit_code="None")
    assert code == 1
    assert summary.startswith("migration: failed (exit None:")


@pytest.mark.parametrize("timeout", ["0"])
def test_a_task_past_its_timeout_is_stopped_and_fails(tmp_path: Path, timeout: str) -> None:
    code, summary, calls = run(tmp_path, status="RUNNING", timeout=timeout)
    assert code == 1
    assert summary == "migration: failed: still RUNNING after 0s, stopped\n"
    assert "ecs stop-task" in calls
