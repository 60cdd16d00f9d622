"""Resource policies against what the services that use the resources ask of them (``grants.GRANTS``).

Every place the stack makes a service write into or read from one of its resources becomes requests: an alarm's
actions publish to topics (and, for encrypted topics, use their keys), an EventBridge target, a vault's
notifications and Alertmanager's receivers likewise; SNS invokes subscribed functions; CloudWatch Logs encrypts a log
group with its key; vended logs (WAF, Managed Prometheus, ElastiCache) are delivered into log groups; S3 writes server
access logs, and Elastic Load Balancing access and connection logs, into buckets; RDS, Secrets Manager, ElastiCache,
S3 (and its replication), AWS Backup, Managed Prometheus and Synthetics use keys for the account; S3 replication and
AWS Backup read and write buckets as the roles the stack gives them.

Each request is decided against the resource's policy as AWS would see it: the stack's topic policy (or SNS's default
policy), key policy (or KMS's default key policy: the account only), bucket policy, the region's log resource
policies, the function's permissions. A vended-logs delivery no policy of the stack's allows is still deployable when
the deploy role may let CloudWatch Logs create the policy itself (``grants.AUTOMATIC_LOG_POLICY``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stackcheck.deployability import grants
from stackcheck.deployability.arns import StackView
from stackcheck.deployability.permissions import DEPLOY, ROLE_FILES, Problem, Tally
from stackcheck.deployability.policy import Principal, evaluate, evaluate_resource
from stackcheck.engine.cloud import ACCOUNT_ID, ELB_ACCOUNTS, PARTITION
from stackcheck.engine.resources import RecordedResource

ALARM_TYPES = ("aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm")
TOPIC = "aws:sns/topic:Topic"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
BUCKET = "aws:s3/bucket:Bucket"
LOGS_DOCS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html"
#: Every request a service makes is made over TLS.
TLS = {"aws:SecureTransport": "true"}
KMS_DEFAULT_POLICY = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"


@dataclass(frozen=True)
class Request:
    """One request a service makes of one resource of the stack."""

    grant: str
    consumer: RecordedResource
    """The resource of the stack that makes the service ask (an alarm, a log group, a bucket's logging)."""
    target: RecordedResource | None
    """The resource whose policy decides (a topic, a key, a bucket, a function), None when it is not the stack's."""
    arn: str
    """The ARN the request names."""
    context: Mapping[str, str] = field(default_factory=dict)
    region: str = ""
    role: str = ""
    """``role`` requests: the role's ARN."""


class _Stack:
    def __init__(self, view: StackView, deploy_role: Mapping[str, Any]) -> None:
        self.view = view
        self.deploy_role = deploy_role
        self.by_type: dict[str, list[RecordedResource]] = {}
        for resource in view.resources:
            self.by_type.setdefault(resource.type, []).append(resource)
        self.policies: dict[str, tuple[list[dict[str, Any]], str]] = {}

    def of(self, *types: str) -> Iterator[RecordedResource]:
        for type_ in types:
            yield from self.by_type.get(type_, [])

    def arn(self, resource: RecordedResource) -> str:
        target = self.view.identity(resource)
        return target.arn if target is not None else str(resource.outputs.get("arn", ""))

    def find(self, value: Any, *types: str) -> RecordedResource | None:
        found = self.view.resolve(value)
        if found is None and isinstance(value, str) and value.endswith(":*"):
            found = self.view.resolve(value[:-2])
        return found if found is not None and (not types or found.type in types) else None

    def key(self, value: Any, region: str) -> RecordedResource | None:
        """A key named by its ARN or id, or by an alias (its name or ARN) of the region."""
        if isinstance(value, str) and ":alias/" in value:
            region = value.split(":")[3] or region
            value = "alias/" + value.split(":alias/", 1)[1]
        if isinstance(value, str) and value.startswith("alias/"):
            for alias in self.of("aws:kms/alias:Alias"):
                if alias.inputs.get("name") == value and self.view.region_of(alias) == region:
                    return self.find(alias.inputs.get("targetKeyId"), KEY)
            return None
        return self.find(value, KEY)

    def log_group(self, value: Any, region: str) -> RecordedResource | None:
        if isinstance(value, str) and not value.startswith("arn:"):
            for group in self.of(LOG_GROUP):
                if group.outputs.get("name") == value and self.view.region_of(group) == region:
                    return group
            return None
        return self.find(value, LOG_GROUP)


def _source(stack: _Stack, resource: RecordedResource) -> dict[str, str]:
    return {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": stack.arn(resource), "aws:SourceOwner": ACCOUNT_ID}


def _context(grant: grants.Grant, full: Mapping[str, str]) -> dict[str, str]:
    context = {key: value for key, value in full.items() if key in grant.context}
    context["aws:SecureTransport"] = "true"
    return context


# -- what uses what ---------------------------------------------------------------------------------------------------
def _topic_publishers(stack: _Stack) -> Iterator[tuple[str, RecordedResource, str]]:
    """(service, the resource it publishes for, topic ARN)."""
    for alarm in stack.of(*ALARM_TYPES):
        for key in ("alarmActions", "okActions", "insufficientDataActions"):
            for arn in alarm.inputs.get(key) or []:
                yield "cloudwatch-alarm", alarm, str(arn)
    for target in stack.of("aws:cloudwatch/eventTarget:EventTarget"):
        rule = stack.find(target.inputs.get("rule"), "aws:cloudwatch/eventRule:EventRule")
        if rule is not None:
            yield "eventbridge-rule", rule, str(target.inputs.get("arn", ""))
    for notifications in stack.of("aws:backup/vaultNotifications:VaultNotifications"):
        vault = stack.find(notifications.inputs.get("backupVaultName"), "aws:backup/vault:Vault")
        if vault is not None:
            yield "backup-vault", vault, str(notifications.inputs.get("snsTopicArn", ""))
    for definition in stack.of("aws:amp/alertManagerDefinition:AlertManagerDefinition"):
        workspace = stack.find(definition.inputs.get("workspaceId"), "aws:amp/workspace:Workspace")
        if workspace is not None:
            for arn in sorted(set(re.findall(r"arn:[\w-]+:sns:[\w-]+:\d{12}:[\w-]+", str(definition.inputs)))):
                yield "prometheus-alertmanager", workspace, arn


def topic_requests(stack: _Stack) -> Iterator[Request]:
    for publisher, source, arn in _topic_publishers(stack):
        topic = stack.find(arn, TOPIC)
        if topic is None or not arn.startswith("arn:"):
            continue
        full = _source(stack, source)
        grant = f"{publisher}-publishes"
        yield Request(grant, source, topic, arn, _context(grants.GRANTS[grant], full), stack.view.region_of(topic))
        key = stack.key(topic.inputs.get("kmsMasterKeyId"), stack.view.region_of(topic))
        if topic.inputs.get("kmsMasterKeyId"):
            grant = f"{publisher}-encrypts"
            yield Request(
                grant,
                source,
                key,
                stack.arn(key) if key is not None else str(topic.inputs["kmsMasterKeyId"]),
                _context(grants.GRANTS[grant], full),
                stack.view.region_of(topic),
            )
    for subscription in stack.of("aws:sns/topicSubscription:TopicSubscription"):
        if subscription.inputs.get("protocol") != "lambda":
            continue
        function = stack.find(subscription.inputs.get("endpoint"), "aws:lambda/function:Function")
        topic = stack.find(subscription.inputs.get("topic"), TOPIC)
        if function is None or topic is None:
            continue
        full = {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": stack.arn(topic)}
        grant = "sns-invokes-subscribed-function"
        yield Request(
            grant,
            subscription,
            function,
            stack.arn(function),
            _context(grants.GRANTS[grant], full),
            stack.view.region_of(function),
        )


def log_requests(stack: _Stack) -> Iterator[Request]:
    for group in stack.of(LOG_GROUP):
        if not group.inputs.get("kmsKeyId"):
            continue
        region = stack.view.region_of(group)
        arn = stack.arn(group).removesuffix(":*")
        key = stack.key(group.inputs.get("kmsKeyId"), region)
        grant = "cloudwatch-logs-encrypts-log-group"
        yield Request(
            grant,
            group,
            key,
            stack.arn(key) if key is not None else str(group.inputs["kmsKeyId"]),
            _context(grants.GRANTS[grant], {"kms:EncryptionContext:aws:logs:arn": arn}),
            region,
        )
    for delivery, region, destination in _vended_deliveries(stack):
        group = stack.log_group(destination, region)
        if group is None:
            continue
        group_arn = stack.arn(group).removesuffix(":*")
        full = {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": f"arn:{PARTITION}:logs:{region}:{ACCOUNT_ID}:*"}
        grant = "vended-logs-delivered"
        yield Request(
            grant,
            delivery,
            group,
            f"{group_arn}:log-stream:delivery",
            _context(grants.GRANTS[grant], full),
            region,
        )


def _vended_deliveries(stack: _Stack) -> Iterator[tuple[RecordedResource, str, str]]:
    for config in stack.of("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"):
        for destination in config.inputs.get("logDestinationConfigs") or []:
            if ":logs:" in str(destination):
                yield config, stack.view.region_of(config), str(destination)
    for workspace in stack.of("aws:amp/workspace:Workspace"):
        logging = workspace.inputs.get("loggingConfiguration") or {}
        if isinstance(logging, Mapping) and logging.get("logGroupArn"):
            yield workspace, stack.view.region_of(workspace), str(logging["logGroupArn"])
    for group in stack.of("aws:elasticache/replicationGroup:ReplicationGroup"):
        for delivery in group.inputs.get("logDeliveryConfigurations") or []:
            if isinstance(delivery, Mapping) and delivery.get("destinationType") == "cloudwatch-logs":
                yield group, stack.view.region_of(group), str(delivery.get("destination", ""))


def bucket_log_requests(stack: _Stack) -> Iterator[Request]:
    for logging in stack.of("aws:s3/bucketLogging:BucketLogging"):
        source = stack.find(logging.inputs.get("bucket"), BUCKET)
        target = stack.find(logging.inputs.get("targetBucket"), BUCKET)
        if source is None or target is None:
            continue
        key = f"{logging.inputs.get('targetPrefix', '')}2026-01-01-00-00-00-0000000000000000"
        full = {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": stack.arn(source)}
        grant = "s3-server-access-logs-delivered"
        yield Request(
            grant,
            logging,
            target,
            f"{stack.arn(target)}/{key}",
            _context(grants.GRANTS[grant], full),
            stack.view.region_of(target),
        )
    for balancer in stack.of("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"):
        region = stack.view.region_of(balancer)
        for setting in ("accessLogs", "connectionLogs"):
            config = balancer.inputs.get(setting) or {}
            if not isinstance(config, Mapping) or not config.get("enabled"):
                continue
            target = stack.find(config.get("bucket"), BUCKET)
            if target is None:
                continue
            prefix = f"{config['prefix']}/" if config.get("prefix") else ""
            key = f"{prefix}AWSLogs/{ACCOUNT_ID}/elasticloadbalancing/{region}/log.gz"
            yield Request(
                "elb-access-logs-delivered",
                balancer,
                target,
                f"{stack.arn(target)}/{key}",
                TLS,
                region,
            )


def _keys_of(resource: RecordedResource) -> Iterator[tuple[str, Any]]:
    """(grant, key reference) for the keys a resource makes a service use for the account."""
    inputs = resource.inputs
    if resource.type == "aws:rds/instance:Instance":
        for name in ("kmsKeyId", "performanceInsightsKmsKeyId"):
            if inputs.get(name):
                yield "rds-encrypts-storage", inputs[name]
        if inputs.get("masterUserSecretKmsKeyId"):
            yield "secrets-manager-encrypts-secret", inputs["masterUserSecretKmsKeyId"]
    elif resource.type == "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication":
        if inputs.get("kmsKeyId"):
            yield "rds-encrypts-storage", inputs["kmsKeyId"]
    elif resource.type == "aws:secretsmanager/secret:Secret" and inputs.get("kmsKeyId"):
        yield "secrets-manager-encrypts-secret", inputs["kmsKeyId"]
    elif resource.type == "aws:elasticache/replicationGroup:ReplicationGroup" and inputs.get("kmsKeyId"):
        yield "elasticache-encrypts-cache", inputs["kmsKeyId"]
    elif resource.type == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        for rule in inputs.get("rules") or []:
            default = rule.get("applyServerSideEncryptionByDefault") if isinstance(rule, Mapping) else None
            if isinstance(default, Mapping) and default.get("kmsMasterKeyId"):
                yield "s3-encrypts-objects", default["kmsMasterKeyId"]
    elif resource.type == "aws:backup/vault:Vault" and inputs.get("kmsKeyArn"):
        yield "backup-encrypts-vault", inputs["kmsKeyArn"]
    elif resource.type == "aws:amp/workspace:Workspace" and inputs.get("kmsKeyArn"):
        yield "prometheus-encrypts-workspace", inputs["kmsKeyArn"]
    elif resource.type == "aws:synthetics/canary:Canary":
        encryption = (inputs.get("artifactConfig") or {}).get("s3Encryption") or {}
        if encryption.get("encryptionMode") == "SSE_KMS" and encryption.get("kmsKeyArn"):
            yield "synthetics-encrypts-artifacts", encryption["kmsKeyArn"]
    elif resource.type == "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
        for rule in inputs.get("rules") or []:
            destination = rule.get("destination") if isinstance(rule, Mapping) else None
            encryption = destination.get("encryptionConfiguration") if isinstance(destination, Mapping) else None
            if isinstance(encryption, Mapping) and encryption.get("replicaKmsKeyId"):
                yield "s3-replication-encrypts-replica", encryption["replicaKmsKeyId"]


def key_requests(stack: _Stack) -> Iterator[Request]:
    for resource in stack.view.resources:
        for grant_name, reference in _keys_of(resource):
            grant = grants.GRANTS[grant_name]
            key = stack.key(reference, stack.view.region_of(resource))
            region = stack.view.region_of(key) if key is not None else stack.view.region_of(resource)
            full = {"kms:ViaService": f"{grant.via}.{region}.amazonaws.com", "kms:CallerAccount": ACCOUNT_ID}
            for_key = stack.arn(key) if key is not None else str(reference)
            yield Request(grant_name, resource, key, for_key, {**_context(grant, full)}, region)
    for replication in stack.of("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        source = stack.find(replication.inputs.get("bucket"), BUCKET)
        for encryption in stack.of(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        ):
            if source is None or stack.find(encryption.inputs.get("bucket"), BUCKET) is not source:
                continue
            for _, reference in _keys_of(encryption):
                key = stack.key(reference, stack.view.region_of(encryption))
                if key is None:
                    continue
                region = stack.view.region_of(key)
                grant = grants.GRANTS["s3-replication-decrypts-source"]
                full = {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:CallerAccount": ACCOUNT_ID}
                yield Request(
                    "s3-replication-decrypts-source", replication, key, stack.arn(key), _context(grant, full), region
                )


def role_requests(stack: _Stack) -> Iterator[Request]:
    for replication in stack.of("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        role = str(replication.inputs.get("role", ""))
        source = stack.find(replication.inputs.get("bucket"), BUCKET)
        if source is not None:
            yield Request(
                "s3-replication-reads-source",
                replication,
                source,
                stack.arn(source),
                {**TLS, "aws:PrincipalArn": role},
                role=role,
            )
        for rule in replication.inputs.get("rules") or []:
            destination = rule.get("destination") if isinstance(rule, Mapping) else None
            replica = stack.find(destination.get("bucket"), BUCKET) if isinstance(destination, Mapping) else None
            if replica is not None:
                yield Request(
                    "s3-replication-writes-replica",
                    replication,
                    replica,
                    stack.arn(replica),
                    {**TLS, "aws:PrincipalArn": role},
                    role=role,
                )
    for selection in stack.of("aws:backup/selection:Selection"):
        role = str(selection.inputs.get("iamRoleArn", ""))
        for arn in selection.inputs.get("resources") or []:
            bucket = stack.find(str(arn).removeprefix(f"arn:{PARTITION}:s3:::"), BUCKET)
            if bucket is not None:
                yield Request(
                    "backup-reads-selected-bucket",
                    selection,
                    bucket,
                    stack.arn(bucket),
                    {**TLS, "aws:PrincipalArn": role},
                    role=role,
                )


# -- the policies that decide -----------------------------------------------------------------------------------------
def _documents(text: Any) -> list[dict[str, Any]]:
    if isinstance(text, Mapping):
        return [dict(text)]
    try:
        document = json.loads(str(text))
    except ValueError:
        return []
    return [document] if isinstance(document, dict) else []


def _sns_default_policy(arn: str) -> dict[str, Any]:
    return {
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": list(grants.SNS_DEFAULT_ACTIONS),
                "Resource": arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT_ID}},
            }
        ]
    }


def policies_of(stack: _Stack, request: Request) -> tuple[list[dict[str, Any]], str]:
    """The documents that decide a request, and what they are, for the report (read once per resource)."""
    key = request.target.urn if request.target is not None else ""
    if key not in stack.policies:
        stack.policies[key] = _read_policies(stack, request)
    return stack.policies[key]


def _read_policies(stack: _Stack, request: Request) -> tuple[list[dict[str, Any]], str]:
    target = request.target
    if target is None:
        return [], "no resource of the stack"
    if target.type == TOPIC:
        found = [
            d
            for policy in stack.of("aws:sns/topicPolicy:TopicPolicy")
            if stack.find(policy.inputs.get("arn"), TOPIC) is target
            for d in _documents(policy.inputs.get("policy"))
        ]
        return (found, "the topic policy") if found else ([_sns_default_policy(request.arn)], "SNS's default policy")
    if target.type == KEY:
        found = _documents(target.inputs.get("policy"))
        if found:
            return found, "the key policy"
        root = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:root"
        return [
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"}]}
        ], "KMS's default key policy"
    if target.type == BUCKET:
        found = [
            d
            for policy in stack.of("aws:s3/bucketPolicy:BucketPolicy")
            if stack.find(policy.inputs.get("bucket"), BUCKET) is target
            for d in _documents(policy.inputs.get("policy"))
        ]
        return found, "the bucket policy"
    if target.type == LOG_GROUP:
        region = stack.view.region_of(target)
        found = [
            d
            for policy in stack.of("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
            if stack.view.region_of(policy) == region
            for d in _documents(policy.inputs.get("policyDocument"))
        ]
        return found, "the region's log resource policies"
    if target.type == "aws:lambda/function:Function":
        statements = []
        for permission in stack.of("aws:lambda/permission:Permission"):
            if stack.find(permission.inputs.get("function"), "aws:lambda/function:Function") is not target:
                continue
            statement: dict[str, Any] = {
                "Effect": "Allow",
                "Principal": {"Service": permission.inputs.get("principal")},
                "Action": permission.inputs.get("action"),
                "Resource": request.arn,
            }
            if permission.inputs.get("sourceArn"):
                statement["Condition"] = {"ArnLike": {"AWS:SourceArn": permission.inputs["sourceArn"]}}
            statements.append(statement)
        return [{"Statement": statements}], "the function's permissions"
    return [], "no policy"


def _principal(stack: _Stack, request: Request) -> Principal:
    grant = grants.GRANTS[request.grant]
    if grant.principal == "account":
        return Principal("AWS", f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/webstack-deploy", ACCOUNT_ID)
    if grant.principal == "role":
        return Principal("AWS", request.role, ACCOUNT_ID)
    if grant.principal == "elb":
        account = ELB_ACCOUNTS.get(request.region)
        if account is not None:
            return Principal("AWS", f"arn:{PARTITION}:iam::{account}:root", account)
        return Principal("Service", grants.ELB_SERVICE_PRINCIPAL)
    return Principal("Service", grant.principal.format(region=request.region))


def _requests_of(grant: grants.Grant, request: Request) -> Iterator[tuple[str, str]]:
    """(action, resource ARN) for each action of the grant."""
    for action in grant.actions:
        if grant.resource == "s3-bucket" and action not in grants.BUCKET_ACTIONS:
            yield action, f"{request.arn}/object"
        else:
            yield action, request.arn


def _decide_all(
    documents: Iterable[Mapping[str, Any]], principal: Principal, action: str, arn: str, context: Any
) -> str:
    """``allow``, ``deny`` or ``implicit`` over several documents: one explicit deny wins, one allow suffices."""
    results = [evaluate_resource(d, principal, action, arn, context).result for d in documents]
    if "deny" in results:
        return "deny"
    return "allow" if "allow" in results else "implicit"


def _automatic_log_policy(stack: _Stack, request: Request) -> bool:
    context = {"aws:RequestedRegion": request.region}
    return all(evaluate(stack.deploy_role, action, "*", context).allowed for action in grants.AUTOMATIC_LOG_POLICY)


def check(view: StackView, roles: Mapping[str, Mapping[str, Any]]) -> Tally:
    stack = _Stack(view, roles[DEPLOY])
    tally = Tally(kind="grants")
    for request in (
        *topic_requests(stack),
        *log_requests(stack),
        *bucket_log_requests(stack),
        *key_requests(stack),
        *role_requests(stack),
    ):
        tally.problems.extend(_check_request(stack, request, tally))
    tally.problems.extend(_log_sinks(stack))
    return tally


def _check_request(stack: _Stack, request: Request, tally: Tally) -> list[Problem]:
    grant = grants.GRANTS[request.grant]
    principal = _principal(stack, request)
    documents, what = policies_of(stack, request)
    found = []
    if grant.resource == "kms-key" and request.target is not None:
        key_region = stack.view.region_of(request.target)
        if key_region != request.region:
            found.append(
                _problem(
                    request,
                    f"{request.arn} for a resource in {request.region}",
                    f"a service uses keys of its own region only: the key is in {key_region}",
                    KMS_DEFAULT_POLICY,
                )
            )
    for action, arn in _requests_of(grant, request):
        tally.checked += 1
        result = _decide_all(documents, principal, action, arn, request.context)
        if grant.principal == "role":
            if result != "deny":
                continue
            why = f"{what} denies it to the role"
        elif result == "allow":
            continue
        elif result == "implicit" and grant.resource == "log-group" and _automatic_log_policy(stack, request):
            continue  # CloudWatch Logs writes (or appends to) the policy itself: the deploy role may let it
        else:
            why = f"{what} {'denies' if result == 'deny' else 'does not allow'} it"
            if grant.resource == "log-group":
                why += (
                    f", and the deploy role ({ROLE_FILES[DEPLOY]}) may not let CloudWatch Logs create one "
                    f"({', '.join(grants.AUTOMATIC_LOG_POLICY)})"
                )
        shown_context = {k: v for k, v in request.context.items() if k != "aws:SecureTransport"}
        found.append(
            _problem(
                request,
                f"{principal.name} {action} on {arn}" + (f" with {shown_context}" if shown_context else ""),
                f"{request.grant}: {why}",
                grant.source,
            )
        )
    return found


def _problem(request: Request, value: str, rule: str, source: str) -> Problem:
    return Problem("resource-policy", request.consumer.urn, value, rule, source)


def _log_sinks(stack: _Stack) -> Iterator[Problem]:
    """A bucket that receives S3 server access logs may use default encryption with S3-managed keys only ("You can use
    default bucket encryption on the target bucket only if you use server-side encryption with Amazon S3 managed keys
    (SSE-S3)": S3 user guide, "Enabling Amazon S3 server access logging")."""
    for logging in stack.of("aws:s3/bucketLogging:BucketLogging"):
        target = stack.find(logging.inputs.get("targetBucket"), BUCKET)
        if target is None:
            continue
        for encryption in stack.of(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        ):
            if stack.find(encryption.inputs.get("bucket"), BUCKET) is not target:
                continue
            for rule in encryption.inputs.get("rules") or []:
                default = rule.get("applyServerSideEncryptionByDefault") if isinstance(rule, Mapping) else None
                algorithm = default.get("sseAlgorithm") if isinstance(default, Mapping) else None
                if algorithm not in (None, "AES256"):
                    yield Problem(
                        "resource-policy",
                        logging.urn,
                        f"{logging.inputs.get('targetBucket')} encrypts with {algorithm}",
                        "a bucket that receives server access logs encrypts by default with SSE-S3 (AES256) only",
                        LOGS_DOCS,
                    )
