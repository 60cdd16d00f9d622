"""The GitHub workflows: what they run, with which gate, and with which inputs.

Schema and lint are `make workflows` (in .ci/run); these tests pin the behaviour: every preview and up runs the
policy pack with its own stack's configuration, drift is read-only, AWS comes only through OIDC, and every
pulumi/actions input is one the action documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"

#: pulumi/actions inputs, as its README documents them (sections "Configuration" and "Extra options"; v7 changed only
#: the Node.js runtime): https://github.com/pulumi/actions#configuration
PULUMI_ACTION_INPUTS = {
    "command", "stack-name", "work-dir", "cloud-url", "comment-on-pr", "comment-on-summary", "github-token",
    "refresh", "secrets-provider", "color", "log-verbosity", "log-flow", "debug", "config-map", "diff",
    "comment-on-pr-number", "edit-pr-comment", "expect-no-changes", "message", "parallel", "policyPacks",
    "policyPackConfigs", "pulumi-version", "pulumi-version-file", "remove", "replace", "target", "target-dependents",
    "upsert", "exclude-protected", "suppress-outputs", "suppress-progress", "omit-stdout", "plan",
    "always-include-summary", "continue-on-error",
}  # fmt: skip
#: The stacks that run on AWS: previewed, deployed and checked for drift.
AWS_STACKS = sorted(
    p.name.split(".")[1]
    for p in ROOT.glob("Pulumi.*.yaml")
    if (yaml.safe_load(p.read_text()).get("config") or {}).get("webstack:platform", "aws") == "aws"
)


def workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(doc: dict[Any, Any]) -> dict[str, Any]:
    """The ``on:`` block (PyYAML reads the bare key ``on`` as True)."""
    return doc.get("on") or doc[True]


def expand(value: Any, matrix: dict[str, str]) -> Any:
    """``${{ matrix.x }}`` replaced by the matrix value, in strings nested anywhere."""
    if isinstance(value, str):
        return re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m: matrix[m.group(1)], value)
    if isinstance(value, dict):
        return {k: expand(v, matrix) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, matrix) for v in value]
    return value


def job_runs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    """Every (job id, job, matrix values) a workflow runs, one per matrix combination."""
    for name, job in doc["jobs"].items():
        matrix = ((job.get("strategy") or {}).get("matrix")) or {}
        if not matrix:
            yield name, job, {}
            continue
        ((key, values),) = matrix.items()
        for value in values:
            yield name, expand(job, {key: value}), {key: value}


def all_steps() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        doc = workflow(path.name)
        for name, job, _ in job_runs(doc):
            for step in job.get("steps", []):
                yield path.name, name, job, step


def pulumi_steps() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    return [s for s in all_steps() if str(s[3].get("uses", "")).startswith("pulumi/actions@")]


def test_the_three_workflows_exist_and_nothing_else() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*")) == ["deploy.yml", "drift.yml", "pull-request.yml"]
    assert AWS_STACKS == ["prod", "staging"]


@pytest.mark.parametrize("step", pulumi_steps(), ids=lambda s: f"{s[0]}:{s[1]}:{s[3].get('with', {}).get('command')}")
def test_every_pulumi_action_input_is_documented_and_the_version_is_pinned(step: tuple[Any, ...]) -> None:
    _, _, _, action = step
    assert action["uses"] == "pulumi/actions@v7"
    inputs = set(action.get("with") or {})
    assert inputs <= PULUMI_ACTION_INPUTS, inputs - PULUMI_ACTION_INPUTS
    assert action["with"]["pulumi-version-file"] == ".pulumi.version"


def test_the_cli_version_is_the_sdk_version() -> None:
    version = (ROOT / ".pulumi.version").read_text().strip()
    assert f"pulumi=={version}\n" in (ROOT / "requirements.txt").read_text()


def test_every_preview_and_up_runs_the_policy_pack_with_its_own_stack_config() -> None:
    gated = [(f, j, s) for f, j, _, s in pulumi_steps() if s["with"].get("command") in ("preview", "up", "update")]
    seen = {(s["with"]["command"], s["with"]["stack-name"]) for _, _, s in gated}
    assert seen == {(command, stack) for command in ("preview", "up") for stack in AWS_STACKS}
    for _, _, step in gated:
        stack = step["with"]["stack-name"]
        assert step["with"]["policyPacks"] == "policies"
        assert step["with"]["policyPackConfigs"] == f"policies/config/{stack}.json"
        assert (ROOT / step["with"]["policyPackConfigs"]).exists()


def test_no_workflow_runs_pulumi_commands_that_skip_the_gate() -> None:
    for _, _, _, step in all_steps():
        script = str(step.get("run", ""))
        assert not re.search(r"pulumi\s+(up|update|destroy|import)\b", script), script
        assert not re.search(r"pulumi\s+preview\b", script), "previews go through pulumi/actions with the pack"
        if re.search(r"pulumi\s+refresh\b", script):
            assert "--preview-only" in script
    commands = {step["with"].get("command") for _, _, _, step in pulumi_steps()}
    assert commands <= {None, "preview", "up"}


def test_drift_is_read_only_nightly_and_reports_through_the_tested_script() -> None:
    doc = workflow("drift.yml")
    assert triggers(doc)["schedule"][0]["cron"] == "17 3 * * *"
    assert "workflow_dispatch" in triggers(doc)
    runs = list(job_runs(doc))
    assert sorted(matrix["stack"] for _, _, matrix in runs) == AWS_STACKS
    for _, job, matrix in runs:
        scripts = [str(step.get("run", "")) for step in job["steps"]]
        (refresh,) = [s for s in scripts if "pulumi refresh" in s]
        assert f'--stack "{matrix["stack"]}"' in refresh
        assert "--preview-only" in refresh
        assert "--expect-no-changes" in refresh
        assert "|| code=$?" in refresh  # the exit code is kept, not lost to `set -e`
        (report,) = [s for s in scripts if "scripts.ci.drift" in s]
        assert "steps.refresh.outputs.exit-code" in report
        assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
        assert job["concurrency"]["cancel-in-progress"] is False


def test_deploy_goes_staging_then_prod_behind_an_environment_one_at_a_time() -> None:
    doc = workflow("deploy.yml")
    assert triggers(doc)["push"]["branches"] == ["main"]
    staging, prod = doc["jobs"]["staging"], doc["jobs"]["prod"]
    assert prod["needs"] == "staging"
    assert staging["environment"]["name"] == "staging"
    assert prod["environment"]["name"] == "prod"
    for stack, job in (("staging", staging), ("prod", prod)):
        assert job["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}
        steps = job["steps"]
        (up,) = [s for s in steps if s.get("with", {}).get("command") == "up"]
        smoke = [s for s in steps if "scripts.ci.smoke" in str(s.get("run", ""))]
        assert steps.index(smoke[0]) > steps.index(up)
        assert "steps.up.outputs.url" in smoke[0]["run"]
        assert up["id"] == "up"
        assert up["with"]["comment-on-summary"] is True
        (credentials,) = [s for s in steps if str(s.get("uses", "")).startswith("aws-actions/")]
        assert credentials["with"]["role-duration-seconds"] == 10800  # a first deployment outlasts the default hour


def test_pull_requests_check_offline_then_preview_every_stack_and_cancel_stale_runs() -> None:
    doc = workflow("pull-request.yml")
    assert doc["concurrency"] == {
        "group": "pull-request-${{ github.event.pull_request.number }}",
        "cancel-in-progress": True,
    }
    check = doc["jobs"]["check"]
    scripts = [str(step.get("run", "")).strip() for step in check["steps"]]
    # The pull request runs what CI runs, .ci/run itself on its machine, and repeats none of its steps.
    assert ".ci/run" in scripts
    assert check["container"] == "debian:12"
    ci = (ROOT / ".ci" / "run").read_text()
    for target in ("lint", "typecheck", "workflows", "check-all", "test"):
        assert f"make {target}" in ci
        assert not any(re.search(rf"make [\w ]*\b{target}\b", run) for run in scripts), target
    assert "make reports" in scripts
    scripts = " ".join(scripts)
    assert "scripts.ci.summary build/stackcheck" in scripts
    (upload,) = [s for s in check["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert upload["with"]["path"] == "build/stackcheck/"
    preview = doc["jobs"]["preview"]
    assert preview["needs"] == "check"
    assert sorted(preview["strategy"]["matrix"]["stack"]) == AWS_STACKS
    (step,) = [s for s in preview["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@")]
    assert step["with"]["comment-on-pr"] is True
    assert preview["permissions"]["pull-requests"] == "write"


def test_aws_credentials_come_only_from_oidc_roles() -> None:
    text = "".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    assert "aws-access-key-id" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
    for file, _, job, step in all_steps():
        if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"):
            assert step["uses"] == "aws-actions/configure-aws-credentials@v4"
            assert step["with"]["role-to-assume"] in (
                "${{ vars.AWS_PREVIEW_ROLE_ARN }}",
                "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
            )
            assert job["permissions"]["id-token"] == "write", file
            deploying = any(s.get("with", {}).get("command") == "up" for s in job["steps"])
            assert ("DEPLOY" in step["with"]["role-to-assume"]) == deploying, file


def test_workflows_grant_least_privilege_and_pin_every_action() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        doc = workflow(path.name)
        assert doc["permissions"] == {"contents": "read"}, path.name
    for _, _, job, step in all_steps():
        uses = str(step.get("uses", ""))
        if uses and not uses.startswith("./"):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", uses), uses
        assert "timeout-minutes" in job
    text = "".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    assert "pull_request_target" not in text
    assert "secrets.GITHUB_TOKEN" not in text


def test_secrets_reach_steps_only_through_the_environment() -> None:
    """Secrets are never interpolated into a shell script, where they would be written into the script file."""
    for _, _, _, step in all_steps():
        assert "secrets." not in str(step.get("run", ""))
