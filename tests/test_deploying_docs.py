"""docs/deploying.md and the IAM documents in docs/iam/: the CI roles are valid, scoped, and cover what the program
deploys.

The IAM documents are templates (``<ACCOUNT_ID>``, ``<REGION>``, ``<STACK>``...). The tests fill them with the values
the offline engine uses (stackcheck's mock account, the stack files' regions) and ask a small policy evaluator
whether a request would be allowed: explicit denies win, an allow needs a matching action, resource and conditions.
What the program registers comes from stackcheck run in a subprocess, so a new resource type, a new role, a new
managed policy or a renamed parameter breaks a test until the documents follow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

import pytest
import yaml

from stackcheck.engine.cloud import ACCOUNT_ID
from tests.conftest import ROOT, stackcheck_json

IAM = ROOT / "docs" / "iam"
DOC = ROOT / "docs" / "deploying.md"
WORKFLOWS = ROOT / ".github" / "workflows"
STACKS = ("staging", "prod")
DOCUMENTS = (
    "github-oidc-trust-preview.json",
    "github-oidc-trust-deploy.json",
    "preview-role-policy.json",
    "deploy-role-policy.json",
)
PLACEHOLDERS = {
    "<ACCOUNT_ID>",
    "<REGION>",
    "<DR_REGION>",
    "<STACK>",
    "<ENVIRONMENT>",
    "<STATE_BUCKET>",
    "<OWNER>/<REPO>",
}
STATE_BUCKET = f"webstack-pulumi-state-{ACCOUNT_ID}"
REPOSITORY = "acme/webstack"
OIDC_HOST = "token.actions.githubusercontent.com"
#: IAM's size limits, in characters without white space: a managed policy, and a role's trust policy (default quota).
MANAGED_POLICY_LIMIT = 6144
TRUST_POLICY_LIMIT = 2048
#: A longer region than the stacks use, so that the size checks hold for any region.
LONGEST_REGION = "ap-southeast-2"

#: The IAM service prefix of each pulumi-aws module the program uses. A module missing here fails the coverage tests:
#: map it, then give the roles what it needs.
MODULE_SERVICES: dict[str, str] = {
    "acm": "acm",
    "amp": "aps",
    "appautoscaling": "application-autoscaling",
    "backup": "backup",
    "ec2": "ec2",
    "ecr": "ecr",
    "ecs": "ecs",
    "efs": "elasticfilesystem",
    "elasticache": "elasticache",
    "grafana": "grafana",
    "iam": "iam",
    "kms": "kms",
    "lambda": "lambda",
    "lb": "elasticloadbalancing",
    "rds": "rds",
    "route53": "route53",
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "sns": "sns",
    "ssm": "ssm",
    "synthetics": "synthetics",
    "vpc": "ec2",
    "wafv2": "wafv2",
}
#: pulumi-aws's ``cloudwatch`` module spans three IAM services: CloudWatch, CloudWatch Logs and EventBridge.
CLOUDWATCH_SERVICES: dict[str, str] = {
    "compositeAlarm": "cloudwatch",
    "dashboard": "cloudwatch",
    "metricAlarm": "cloudwatch",
    "logGroup": "logs",
    "logMetricFilter": "logs",
    "logResourcePolicy": "logs",
    "eventRule": "events",
    "eventTarget": "events",
}
#: Services a deployment calls on behalf of another: creating a vault mounts backup storage, a canary is a Lambda
#: function, Grafana signs in through IAM Identity Center.
ALSO_NEEDED: dict[str, tuple[str, ...]] = {
    "backup": ("backup-storage",),
    "synthetics": ("lambda",),
    "grafana": ("sso",),
}

#: Inputs that pass a role to a service, by resource type, and the service the role is passed to.
PASSED_ROLES: dict[tuple[str, str], str] = {
    ("aws:ecs/taskDefinition:TaskDefinition", "executionRoleArn"): "ecs-tasks.amazonaws.com",
    ("aws:ecs/taskDefinition:TaskDefinition", "taskRoleArn"): "ecs-tasks.amazonaws.com",
    ("aws:ec2/flowLog:FlowLog", "iamRoleArn"): "vpc-flow-logs.amazonaws.com",
    ("aws:rds/instance:Instance", "monitoringRoleArn"): "monitoring.rds.amazonaws.com",
    ("aws:backup/selection:Selection", "iamRoleArn"): "backup.amazonaws.com",
    ("aws:backup/restoreTestingSelection:RestoreTestingSelection", "iamRoleArn"): "backup.amazonaws.com",
    ("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "role"): "s3.amazonaws.com",
    ("aws:grafana/workspace:Workspace", "roleArn"): "grafana.amazonaws.com",
    ("aws:synthetics/canary:Canary", "executionRoleArn"): "synthetics.amazonaws.com",
    ("aws:lambda/function:Function", "role"): "lambda.amazonaws.com",
}
ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/")
#: The names a reader needs, from the workflows' contract: variables, secrets, environments, the label, the files.
CONTRACT_NAMES = (
    "PULUMI_BACKEND_URL",
    "AWS_REGION",
    "AWS_PREVIEW_ROLE_ARN",
    "AWS_DEPLOY_ROLE_ARN",
    "PULUMI_CONFIG_PASSPHRASE",
    "CLOUDFLARE_API_TOKEN",
    "`staging`",
    "`prod`",
    "`drift`",
    ".github/workflows/pull-request.yml",
    ".github/workflows/deploy.yml",
    ".github/workflows/drift.yml",
    ".pulumi.version",
    "pulumi-version-file",
    "pulumi/actions@v7",
    "aws-actions/configure-aws-credentials@v4",
    "role-to-assume",
    "awskms://alias/webstack-pulumi-prod?region=us-east-1",
    "pulumi stack change-secrets-provider",
    OIDC_HOST,
    "sts.amazonaws.com",
    "repo:<OWNER>/<REPO>:pull_request",
    "repo:<OWNER>/<REPO>:ref:refs/heads/main",
    "repo:<OWNER>/<REPO>:environment:prod",
    "pulumi refresh --preview-only --expect-no-changes",
    "id-token: write",
    "contents: read",
    "pull-requests: write",
    "issues: write",
    "03:17 UTC",
    "--policy-pack policies --policy-pack-config policies/config/",
    "python -m stackcheck",
    "make check",
)


# -- the documents ----------------------------------------------------------------------------------------------------
def read(name: str) -> str:
    return (IAM / name).read_text()


def fill(text: str, *, stack: str = "prod", region: str = "us-east-1", dr_region: str = "us-west-2") -> str:
    """A template with the values the offline engine uses (the same substitutions docs/deploying.md makes)."""
    values = {
        "<ACCOUNT_ID>": ACCOUNT_ID,
        "<DR_REGION>": dr_region,
        "<REGION>": region,
        "<STATE_BUCKET>": STATE_BUCKET,
        "<OWNER>/<REPO>": REPOSITORY,
        "<STACK>": stack,
        "<ENVIRONMENT>": stack,
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def policy(name: str, **values: str) -> dict[str, Any]:
    return json.loads(fill(read(name), **values))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return as_list(document["Statement"])


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(action) for action in as_list(statement.get("Action", []))]


def size(document: Any) -> int:
    """Characters IAM counts against its limits: the JSON without white space."""
    return len(re.sub(r"\s", "", json.dumps(document)))


# -- a small policy evaluator (identity policies: Action, Resource/NotResource, the condition operators used) ---------
def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in actions(statement))


def _resource_matches(statement: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(fnmatchcase(resource, pattern) for pattern in as_list(statement["NotResource"]))
    return any(fnmatchcase(resource, pattern) for pattern in as_list(statement["Resource"]))


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    for operator, tests in condition.items():
        kind = operator.split(":")[-1]
        for key, expected in tests.items():
            if key not in context:
                return False
            wanted = [str(value) for value in as_list(expected)]
            given = [str(value) for value in as_list(context[key])]
            if kind == "StringEquals":
                ok = any(value in wanted for value in given)
            elif kind in ("StringLike", "ArnEquals", "ArnLike"):
                ok = any(fnmatchcase(value, pattern) for value in given for pattern in wanted)
            elif kind == "Bool":
                ok = any(value.lower() in [w.lower() for w in wanted] for value in given)
            else:
                raise AssertionError(f"the test's evaluator does not know the condition operator {operator}")
            if not ok:
                return False
    return True


def decide(document: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any] | None = None) -> str:
    """``allow``, ``deny`` (an explicit deny) or ``implicit`` (nothing allows it)."""
    context = context or {}
    allowed = False
    for statement in statements(document):
        if not (_action_matches(statement, action) and _resource_matches(statement, resource)):
            continue
        if "Condition" in statement and not _condition_holds(statement["Condition"], context):
            continue
        if statement["Effect"] == "Deny":
            return "deny"
        allowed = True
    return "allow" if allowed else "implicit"


def allows(document: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any] | None = None) -> bool:
    return decide(document, action, resource, context) == "allow"


def in_region(region: str = "us-east-1") -> dict[str, str]:
    return {"aws:RequestedRegion": region}


def arn(service: str, resource: str, region: str = "us-east-1") -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


# -- what the program registers ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stacks() -> dict[str, dict[str, Any]]:
    """Each stack's stackcheck JSON document (one program run per stack, in a subprocess)."""
    documents = {}
    for stack in STACKS:
        code, document = stackcheck_json(stack)
        assert code in (0, 1), f"stackcheck {stack} failed to run (exit code {code})"
        documents[stack] = document
    return documents


def registered(stacks: Mapping[str, Mapping[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for stack, document in stacks.items():
        for resource in document["resources"]:
            yield stack, resource


def registered_types(stacks: Mapping[str, Mapping[str, Any]]) -> set[str]:
    return {token for document in stacks.values() for token in document["summary"]["byType"]}


def constructed_types() -> set[str]:
    """``aws:<module>/<type>`` of every AWS resource class the components construct, including the optional ones no
    stack file turns on (the alert forwarder, built images, MySQL option groups, vault locks, trust stores...)."""
    found = set()
    for path in (ROOT / "components").rglob("*.py"):
        for module, cls in re.findall(r"\baws\.([a-z0-9_]+)\.([A-Z][A-Za-z0-9]*)\(", path.read_text()):
            if not cls.endswith("Args"):
                found.add(f"aws:{module.rstrip('_')}/{cls[0].lower()}{cls[1:]}")
    return found


def service_of(token: str) -> str:
    """The IAM service prefix of an ``aws:<module>/<type>[:<Class>]`` type token."""
    module, _, rest = token.removeprefix("aws:").partition("/")
    kind = rest.split(":")[0]
    if module == "cloudwatch":
        assert kind in CLOUDWATCH_SERVICES, f"map aws:cloudwatch/{kind} in CLOUDWATCH_SERVICES"
        return CLOUDWATCH_SERVICES[kind]
    assert module in MODULE_SERVICES, f"map the pulumi-aws module {module!r} ({token}) in MODULE_SERVICES"
    return MODULE_SERVICES[module]


def services_needed(stacks: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """IAM service prefix -> one type token that needs it."""
    tokens = {t for t in registered_types(stacks) | constructed_types() if t.startswith("aws:")}
    needed: dict[str, str] = {}
    for token in sorted(tokens):
        service = service_of(token)
        needed.setdefault(service, token)
        for extra in ALSO_NEEDED.get(service, ()):
            needed.setdefault(extra, token)
    return needed


def is_read(action: str) -> bool:
    return action.split(":")[1].startswith(("Describe", "Get", "List"))


def services_named(document: Mapping[str, Any], *, writes: bool = False) -> set[str]:
    """Services of which an Allow statement names an action (with ``writes``: an action that is not a read)."""
    return {
        action.split(":")[0]
        for statement in statements(document)
        if statement["Effect"] == "Allow"
        for action in actions(statement)
        if not (writes and is_read(action))
    }


def role_arn(resource: Mapping[str, Any]) -> str:
    """The role's ARN: its fixed name, or the name Pulumi gives it (the logical name and a 7-character suffix)."""
    name = resource["inputs"].get("name") or f"{resource['name']}-0a1b2c3"
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


def passed_roles(stacks: Mapping[str, Mapping[str, Any]]) -> Iterable[tuple[str, str, str, str, str]]:
    """(stack, type, input, role ARN, service) for every role an input hands to a service."""
    for stack, resource in registered(stacks):
        for key, value in resource["inputs"].items():
            if isinstance(value, str) and ROLE_ARN.match(value):
                yield stack, resource["type"], key, value, PASSED_ROLES.get((resource["type"], key), "")


# -- the tests --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_document_is_an_iam_policy_with_known_placeholders(name: str) -> None:
    text = read(name)
    document = json.loads(text)
    assert document["Version"] == "2012-10-17"
    sids = [statement.get("Sid") for statement in statements(document)]
    assert all(sids), f"{name}: every statement needs a Sid"
    assert len(set(sids)) == len(sids), f"{name}: Sids are unique"
    for statement in statements(document):
        assert statement["Effect"] in ("Allow", "Deny")
        assert ("Action" in statement) != ("NotAction" in statement)
        if name.startswith("github-oidc-trust"):
            assert "Principal" in statement
        else:
            assert "Principal" not in statement
            assert ("Resource" in statement) != ("NotResource" in statement)
    found = set(re.findall(r"<[A-Z_]+>(?:/<[A-Z_]+>)?", text))
    assert found <= PLACEHOLDERS, f"{name}: unknown placeholders {sorted(found - PLACEHOLDERS)}"
    assert json.loads(fill(text)), "the filled document is JSON too"


@pytest.mark.parametrize("name", ["preview-role-policy.json", "deploy-role-policy.json"])
def test_no_statement_grants_every_action_or_all_of_iam(name: str) -> None:
    for statement in statements(json.loads(read(name))):
        if statement["Effect"] != "Allow":
            continue
        assert "NotAction" not in statement, f"{statement['Sid']}: an Allow with NotAction grants almost everything"
        for action in actions(statement):
            assert action not in ("*", "*:*"), f"{statement['Sid']} allows every action"
            service, _, verb = action.partition(":")
            assert not (service == "iam" and verb.strip("*") == ""), f"{statement['Sid']} allows all of iam"
            assert service, f"{statement['Sid']}: {action!r} is not service:action"
            assert verb, f"{statement['Sid']}: {action!r} is not service:action"


def test_iam_pass_role_is_scoped_to_named_roles_and_services() -> None:
    document = json.loads(read("deploy-role-policy.json"))
    passing = [s for s in statements(document) if s["Effect"] == "Allow" and _action_matches(s, "iam:PassRole")]
    assert passing, "the deploy role must pass the program's roles to their services"
    for statement in passing:
        assert actions(statement) == ["iam:PassRole"], f"{statement['Sid']}: keep PassRole in statements of its own"
        services = statement.get("Condition", {}).get("StringEquals", {}).get("iam:PassedToService")
        assert services, f"{statement['Sid']}: PassRole needs an iam:PassedToService condition"
        for pattern in as_list(statement["Resource"]):
            assert pattern.startswith("arn:aws:iam::<ACCOUNT_ID>:role/"), pattern
            name = pattern.removeprefix("arn:aws:iam::<ACCOUNT_ID>:role/")
            assert re.match(r"[a-z][a-z-]{3,}", name), f"{pattern}: a role pattern must start with a name prefix"
            assert not fnmatchcase("github-actions-webstack-deploy-prod", name), f"{pattern} matches the CI roles"
    filled = policy("deploy-role-policy.json")
    ci_role = f"arn:aws:iam::{ACCOUNT_ID}:role/github-actions-webstack-deploy-prod"
    assert decide(filled, "iam:PassRole", ci_role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"}) == "deny"
    other = f"arn:aws:iam::{ACCOUNT_ID}:role/OrganizationAccountAccessRole"
    assert not allows(filled, "iam:PassRole", other, {"iam:PassedToService": "ecs-tasks.amazonaws.com"})


def test_every_role_the_program_creates_can_be_managed_and_passed_only_to_its_service(
    stacks: dict[str, dict[str, Any]],
) -> None:
    roles = [(stack, resource) for stack, resource in registered(stacks) if resource["type"] == "aws:iam/role:Role"]
    assert roles
    for stack, resource in roles:
        document = policy("deploy-role-policy.json", stack=stack)
        for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:TagRole", "iam:DeleteRole"):
            assert allows(document, action, role_arn(resource)), f"{stack}: {action} on {role_arn(resource)}"
    passed = list(passed_roles(stacks))
    assert passed
    for stack, token, key, role, service in passed:
        assert service, f"{token}.{key} passes a role: add it and its service to PASSED_ROLES"
        document = policy("deploy-role-policy.json", stack=stack)
        assert allows(document, "iam:PassRole", role, {"iam:PassedToService": service}), f"{stack}: {token}.{key}"
        other = "lambda.amazonaws.com" if service == "ecs-tasks.amazonaws.com" else "ecs-tasks.amazonaws.com"
        assert not allows(document, "iam:PassRole", role, {"iam:PassedToService": other}), f"{role} to {other}"
    prod = policy("deploy-role-policy.json", stack="prod")
    for name in ("admin", "github-actions-webstack-preview", "webstack-staging-backup"):
        assert not allows(prod, "iam:CreateRole", f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"), name


def test_only_the_managed_policies_the_program_attaches_can_be_attached(stacks: dict[str, dict[str, Any]]) -> None:
    attachments = [
        (stack, r)
        for stack, r in registered(stacks)
        if r["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    ]
    assert attachments
    for stack, resource in attachments:
        document = policy("deploy-role-policy.json", stack=stack)
        role = f"arn:aws:iam::{ACCOUNT_ID}:role/{resource['inputs']['role']}"
        policy_arn = resource["inputs"]["policyArn"]
        assert allows(document, "iam:AttachRolePolicy", role, {"iam:PolicyARN": policy_arn}), f"{stack}: {policy_arn}"
        admin = "arn:aws:iam::aws:policy/AdministratorAccess"
        assert not allows(document, "iam:AttachRolePolicy", role, {"iam:PolicyARN": admin})


@pytest.mark.parametrize("name", ["deploy-role-policy.json", "preview-role-policy.json"])
def test_the_roles_name_a_service_for_every_resource_type_the_program_registers(
    name: str, stacks: dict[str, dict[str, Any]]
) -> None:
    needed = services_needed(stacks)
    deploy = name == "deploy-role-policy.json"
    if not deploy:  # a preview only reads: nothing is created on another service's behalf
        needed = {service: token for service, token in needed.items() if service not in ("backup-storage", "sso")}
    named = services_named(json.loads(read(name)), writes=deploy)
    missing = {service: token for service, token in needed.items() if service not in named}
    kind = "no action that creates or changes anything" if deploy else "no action"
    assert not missing, f"{name} names {kind} of: {missing}"


def test_the_deploy_role_works_in_its_regions_and_on_its_own_stack_only(stacks: dict[str, dict[str, Any]]) -> None:
    prod = policy("deploy-role-policy.json", stack="prod")
    staging = policy("deploy-role-policy.json", stack="staging")
    assert allows(prod, "ec2:CreateVpc", "*", in_region())
    assert not allows(prod, "ec2:CreateVpc", "*", in_region("eu-central-1"))
    assert not allows(prod, "ec2:RunInstances", "*", in_region())
    documents = next(r for s, r in registered(stacks) if s == "prod" and r["name"] == "storage-documents")
    assert allows(prod, "s3:PutBucketPolicy", f"arn:aws:s3:::{documents['inputs']['bucket']}")
    assert not allows(staging, "s3:PutBucketPolicy", f"arn:aws:s3:::{documents['inputs']['bucket']}")
    assert not allows(prod, "s3:GetObject", f"arn:aws:s3:::{documents['inputs']['bucket']}/invoice.pdf")
    assert not allows(prod, "s3:PutBucketPolicy", f"arn:aws:s3:::{STATE_BUCKET}")
    state = f"arn:aws:s3:::{STATE_BUCKET}/.pulumi/stacks/webstack"
    assert allows(prod, "s3:PutObject", f"{state}/prod.json")
    assert not allows(staging, "s3:PutObject", f"{state}/prod.json")
    assert not allows(staging, "s3:GetObject", f"{state}/prod.json")
    key = arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab")
    stack_key = {"aws:ResourceTag/Project": "webstack", "aws:ResourceTag/Stack": "prod"}
    assert decide(prod, "kms:ScheduleKeyDeletion", key, stack_key) == "allow"
    assert decide(staging, "kms:ScheduleKeyDeletion", key, stack_key) == "implicit"
    state_keys = {"kms:ResourceAliases": ["alias/webstack-pulumi-prod"]}
    assert decide(prod, "kms:Decrypt", key, state_keys) == "allow"
    assert decide(staging, "kms:Decrypt", key, state_keys) == "implicit"
    assert decide(prod, "kms:ScheduleKeyDeletion", key, state_keys) == "implicit"


def test_the_preview_role_reads_and_never_reads_secret_values(stacks: dict[str, dict[str, Any]]) -> None:
    text = read("preview-role-policy.json")
    denies = [s for s in statements(json.loads(text)) if s["Effect"] == "Deny"]
    assert any("secretsmanager:GetSecretValue" in actions(s) for s in denies), "deny secret values explicitly"
    document = policy("preview-role-policy.json")
    master_password = arn("secretsmanager", "secret:rds!db-0f3c2a91-5e1b-4c8d-9a77-2b6f1e0d4c3a-AbCdEf")
    assert decide(document, "secretsmanager:GetSecretValue", master_password) == "deny"
    assert decide(document, "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:payroll-XyZ123")) == "deny"
    assert decide(document, "ssm:GetParameter", arn("ssm", "parameter/prod/database/password")) == "deny"
    assert decide(document, "s3:GetObject", "arn:aws:s3:::webstack-prod-backups-0a1b2c3d4e5f/daily/db.dump") == "deny"
    assert decide(document, "kms:Decrypt", arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab")) == "implicit"
    # What a refresh preview reads: the shard maps (plain JSON), the state, and the secrets the state already holds.
    for stack, resource in registered(stacks):
        if resource["type"] == "aws:ssm/parameter:Parameter":
            parameter = arn("ssm", f"parameter{resource['inputs']['name']}")
            assert allows(document, "ssm:GetParameter", parameter), f"{stack}: refresh reads {parameter}"
        if resource["type"] == "aws:secretsmanager/secret:Secret":
            inputs = resource["inputs"]
            name = inputs["namePrefix"] if "namePrefix" in inputs else f"{inputs['name']}-"
            secret = arn("secretsmanager", f"secret:{name}AbCdEf-123456")
            assert allows(document, "secretsmanager:GetSecretValue", secret), f"{stack}: refresh reads {secret}"
    for stack in STACKS:
        assert allows(document, "s3:GetObject", f"arn:aws:s3:::{STATE_BUCKET}/.pulumi/stacks/webstack/{stack}.json")
        assert not allows(document, "s3:PutObject", f"arn:aws:s3:::{STATE_BUCKET}/.pulumi/stacks/webstack/{stack}.json")
    lock = f"arn:aws:s3:::{STATE_BUCKET}/.pulumi/locks/organization/webstack/prod/3f1e.json"
    assert allows(document, "s3:PutObject", lock)
    key = arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert decide(document, "kms:Decrypt", key, {"kms:ResourceAliases": ["alias/webstack-pulumi-prod"]}) == "allow"
    assert allows(document, "rds:DescribeDBInstances", "*", in_region("us-west-2"))


def test_the_preview_role_allows_only_reads_besides_lock_files() -> None:
    for statement in statements(json.loads(read("preview-role-policy.json"))):
        if statement["Effect"] != "Allow":
            continue
        locks_only = all("/.pulumi/locks/" in resource for resource in as_list(statement.get("Resource", [])))
        for action in actions(statement):
            read_only = is_read(action) or action in ("kms:Decrypt", "kms:GenerateDataKey")
            assert read_only or locks_only, f"{statement['Sid']}: {action} is not a read"


@pytest.mark.parametrize(
    ("name", "subjects"),
    [
        (
            "github-oidc-trust-preview.json",
            {"repo:<OWNER>/<REPO>:pull_request", "repo:<OWNER>/<REPO>:ref:refs/heads/main"},
        ),
        ("github-oidc-trust-deploy.json", {"repo:<OWNER>/<REPO>:environment:<ENVIRONMENT>"}),
    ],
)
def test_the_trust_policies_pin_the_audience_and_the_subject(name: str, subjects: set[str]) -> None:
    (statement,) = statements(json.loads(read(name)))
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::<ACCOUNT_ID>:oidc-provider/{OIDC_HOST}"}
    assert set(statement["Condition"]) == {"StringEquals"}, "exact matches only: no StringLike, no wildcards"
    condition = statement["Condition"]["StringEquals"]
    assert condition[f"{OIDC_HOST}:aud"] == "sts.amazonaws.com"
    assert set(as_list(condition[f"{OIDC_HOST}:sub"])) == subjects
    assert size(json.loads(fill(read(name)))) <= TRUST_POLICY_LIMIT
    filled = json.loads(fill(read(name), stack="prod"))
    token = {f"{OIDC_HOST}:aud": "sts.amazonaws.com"}
    good = next(iter(as_list(filled["Statement"][0]["Condition"]["StringEquals"][f"{OIDC_HOST}:sub"])))
    assert _condition_holds(filled["Statement"][0]["Condition"], {**token, f"{OIDC_HOST}:sub": good})
    for subject in (f"repo:{REPOSITORY}:ref:refs/heads/feature", f"repo:evil/{REPOSITORY}:pull_request",
                    f"repo:{REPOSITORY}:environment:staging-copy"):  # fmt: skip
        assert not _condition_holds(filled["Statement"][0]["Condition"], {**token, f"{OIDC_HOST}:sub": subject})


def test_the_role_policies_fit_iam_as_the_guide_installs_them() -> None:
    doc = DOC.read_text()
    match = re.search(r"range\(0; \$s \| length; (\d+)\)", doc)
    assert match, "docs/deploying.md splits the deploy policy with jq's range(0; $s | length; N)"
    per_policy = int(match.group(1))
    for stack in STACKS:
        deploy = policy("deploy-role-policy.json", stack=stack, region=LONGEST_REGION, dr_region=LONGEST_REGION)
        parts = [deploy["Statement"][i : i + per_policy] for i in range(0, len(deploy["Statement"]), per_policy)]
        assert len(parts) <= 9, "a role takes 10 managed policies (default quota)"
        for number, part in enumerate(parts, start=1):
            piece = {"Version": "2012-10-17", "Statement": part}
            assert size(piece) <= MANAGED_POLICY_LIMIT, f"deploy policy part {number} for {stack}: {size(piece)}"
    preview = policy("preview-role-policy.json", region=LONGEST_REGION, dr_region=LONGEST_REGION)
    assert size(preview) <= MANAGED_POLICY_LIMIT, f"the preview policy is {size(preview)} characters"


def names(text: str, name: str) -> bool:
    """``name`` occurs in ``text`` as a whole word: ``DEPLOY_ROLE`` is not named by ``AWS_DEPLOY_ROLE_ARN``."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


def workflow_names() -> set[str]:
    """Variables, secrets and environments the workflows use (none when they do not exist)."""
    names: set[str] = set()
    for path in sorted(WORKFLOWS.glob("*.yml")) if WORKFLOWS.is_dir() else []:
        text = path.read_text()
        names |= {name for _, name in re.findall(r"\b(vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)", text)}
        for job in (yaml.safe_load(text) or {}).get("jobs", {}).values():
            environment = job.get("environment")
            name = environment.get("name") if isinstance(environment, dict) else environment
            if isinstance(name, str) and "${{" not in name:
                names.add(f"`{name}`")
    return names - {"GITHUB_TOKEN"}


def test_the_guide_names_everything_the_workflows_expect() -> None:
    doc = DOC.read_text()
    expected = set(CONTRACT_NAMES) | workflow_names() | set(DOCUMENTS) | PLACEHOLDERS
    missing = sorted(name for name in expected if not names(doc, name))
    assert not missing, f"docs/deploying.md does not name: {missing}"
    for name in DOCUMENTS:
        assert f"docs/iam/{name}" in doc, f"docs/deploying.md installs docs/iam/{name}"


def test_the_guide_fills_every_placeholder_it_installs() -> None:
    doc = DOC.read_text()
    fill_function = re.search(r"fill\(\) \{.*?\n\}", doc, re.S)
    assert fill_function, "docs/deploying.md defines the fill() shell function"
    for placeholder in PLACEHOLDERS:
        assert placeholder in fill_function.group(0), f"fill() does not replace {placeholder}"


def test_the_guide_takes_each_stacks_regions_from_the_program(stacks: dict[str, dict[str, Any]]) -> None:
    """The roles are filled with a stack's region and DR region: the guide reads both from stackcheck's outputs,
    which are the stack file's ``aws:region`` and the program's DR region."""
    doc = DOC.read_text()
    assert ".outputs.region" in doc
    assert ".outputs.drRegion" in doc
    for stack, document in stacks.items():
        region = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]["aws:region"]
        assert document["outputs"]["region"] == region
        assert document["outputs"]["drRegion"] not in ("", region), f"{stack} copies to another region"
