"""The deploy workflow's notifications: each deployment's start, success (with the version) and failure (with the
reason) go to the stack's alert topics, and so wherever its alerts go (email, Slack through the webhook forwarder).

``python -m scripts.ci.notify --stack prod --event started|succeeded|failed --version <sha> [--reason TEXT]``
publishes one SNS message with the AWS CLI (``aws sns publish``): start and success to the ``warning`` topic,
failure to ``critical``. The topics are named by the program (``webstack-<stack>-alerts-<severity>``), in the
account of the credentials the job holds. A failure's reason includes the outcome lines the one-off tasks wrote to
the job summary (``migration: failed (exit 3: ...)``). A notification that cannot be sent (the topic does not exist
yet, before a stack's first deployment) is reported and never fails the job.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

SEVERITY = {"started": "warning", "succeeded": "warning", "failed": "critical"}
#: Job-summary lines written by components/aws/run-task.sh that a failure's reason quotes.
OUTCOME_PREFIXES = ("migration:", "database bootstrap")

Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, check=False, timeout=60)


def topic_arn(region: str, account: str, stack: str, severity: str, partition: str = "aws") -> str:
    return f"arn:{partition}:sns:{region}:{account}:webstack-{stack}-alerts-{severity}"


def outcomes(summary_file: str | None) -> list[str]:
    """The one-off tasks' outcome lines in the job summary."""
    if not summary_file or not Path(summary_file).is_file():
        return []
    lines = Path(summary_file).read_text(errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip().startswith(OUTCOME_PREFIXES)]


def message(stack: str, event: str, version: str, reason: str, run_url: str, tasks: Sequence[str]) -> tuple[str, str]:
    """(subject, body) of the notification."""
    subject = f"webstack {stack}: deployment {event} ({version[:12]})"
    lines = [f"Deployment of {version} to {stack} {event}."]
    if event == "failed":
        lines.append(f"Reason: {reason or 'see the run'}")
    lines += list(tasks)
    if run_url:
        lines.append(f"Run: {run_url}")
    return subject[:100], "\n".join(lines)


def main(argv: Sequence[str] | None = None, run: Runner = _run) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--event", required=True, choices=sorted(SEVERITY))
    parser.add_argument("--version", required=True)
    parser.add_argument("--reason", default="")
    options = parser.parse_args(argv)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""
    identity = run(["aws", "sts", "get-caller-identity", "--output", "json"])
    if identity.returncode != 0 or not region:
        print(f"notify: no AWS identity or region, nothing sent: {identity.stderr.strip()}", file=sys.stderr)
        return 0
    caller = json.loads(identity.stdout)
    account, partition = caller["Account"], caller["Arn"].split(":")[1]
    run_url = ""
    if os.environ.get("GITHUB_RUN_ID"):
        run_url = (
            f"{os.environ.get('GITHUB_SERVER_URL', 'https://github.com')}/{os.environ.get('GITHUB_REPOSITORY', '')}"
            f"/actions/runs/{os.environ['GITHUB_RUN_ID']}"
        )
    tasks = outcomes(os.environ.get("GITHUB_STEP_SUMMARY"))
    subject, body = message(options.stack, options.event, options.version, options.reason, run_url, tasks)
    arn = topic_arn(region, account, options.stack, SEVERITY[options.event], partition)
    sent = run(["aws", "sns", "publish", "--topic-arn", arn, "--subject", subject, "--message", body])
    if sent.returncode != 0:
        print(f"notify: could not publish to {arn}: {sent.stderr.strip()}", file=sys.stderr)
        return 0
    print(f"notify: {subject} -> {arn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
