"""S3 rules: every bucket is encrypted, private, owner-enforced, versioned, reached only over TLS, and logged.

All are stack rules: a bucket's settings live on side resources (``BucketServerSideEncryptionConfiguration``,
``BucketPublicAccessBlock``, ...), which point at their bucket through ``property_dependencies["bucket"]``. They are
joined through that dependency only, never through the bucket's name or id, which are unknown during a preview.
Both the v7 tokens and the deprecated ``...V2`` tokens are matched.

The program marks a bucket's purpose with the ``webstack:role`` tag on the bucket: ``log-sink`` buckets receive AWS
service logs (ALB and S3 server access logs), which AWS delivers only to SSE-S3 buckets, so they must use AES256
(with KMS their logs would be silently lost) and do not log their own accesses. ``documents`` and ``backups`` are
covered by ``backups.py`` and ``backup_copies.py``.

Values unknown during a preview: references to other resources (a KMS key's ARN, the target bucket's name) are outputs,
never empty, so an unknown one counts as set. Settings the program writes literally (algorithms, flags, statuses,
tags) are reported when unknown, with the advice to set them directly, so the rule never passes on them silently.
A bucket policy's text is built from the bucket's ARN, so during the preview of a new bucket it is unknown as a whole:
the rules that read it report everything they can decide and re-raise the analyzer's ``UnknownValueError`` at the end,
so pulumi_policy records that they could not finish during the preview; ``pulumi up`` decides them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from ._common import ROLE_TAG
from ._props import (
    UNKNOWN,
    as_list,
    as_text,
    customer_key_problem,
    depends_on,
    is_set,
    is_true,
    list_items,
    plain,
    prop,
    unknown_message,
)

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ENCRYPTION_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING_TYPES = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
LOGGING_TYPES = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
PUBLIC_ACCESS_BLOCK_TYPES = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
OWNERSHIP_TYPES = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
POLICY_TYPES = ("aws:s3/bucketPolicy:BucketPolicy",)

#: ``webstack:role`` values the rules read.
ROLE_LOG_SINK = "log-sink"
ROLE_DOCUMENTS = "documents"
ROLE_BACKUPS = "backups"

SSE_S3 = "AES256"
SSE_KMS = "aws:kms"
DSSE_KMS = "aws:kms:dsse"
KMS_ALGORITHMS = (SSE_KMS, DSSE_KMS)
OWNER_ENFORCED = "BucketOwnerEnforced"
ENABLED = "Enabled"

#: The public access block's flags: engine name -> argument name.
PUBLIC_ACCESS_FLAGS = {
    "blockPublicAcls": "block_public_acls",
    "blockPublicPolicy": "block_public_policy",
    "ignorePublicAcls": "ignore_public_acls",
    "restrictPublicBuckets": "restrict_public_buckets",
}
DENY_INSECURE_TRANSPORT = (
    '{Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [<bucket arn>, <bucket arn> + "/*"], Condition: '
    '{Bool: {"aws:SecureTransport": "false"}}}'
)


# -- buckets and what points at them -----------------------------------------------------------------------------------
def buckets(resources: Iterable[PolicyResource]) -> list[PolicyResource]:
    """Every S3 bucket of the stack (v7 and deprecated V2 tokens)."""
    return [r for r in resources if r.resource_type in BUCKET_TYPES]


def bucket_role(bucket: PolicyResource) -> Any:
    """The bucket's ``webstack:role`` tag: "" when it has none, :data:`UNKNOWN` when the tag is unknown. Only that
    tag is read, so another tag unknown during preview does not matter."""
    tags = prop(bucket.props, "tags")
    if tags is UNKNOWN:
        return UNKNOWN
    role = prop(tags, ROLE_TAG)
    return UNKNOWN if role is UNKNOWN else as_text(role)


def unknown_role_message() -> str:
    return unknown_message(f"The bucket's {ROLE_TAG} tag", "a literal role (log-sink, documents, backups, ...)")


def attached(resources: Iterable[PolicyResource], types: Sequence[str], bucket: PolicyResource) -> list[PolicyResource]:
    """The side resources of ``types`` whose ``bucket`` property depends on ``bucket``."""
    return [r for r in resources if r.resource_type in types and depends_on(r, "bucket", bucket.urn)]


def versioning_problem(versioning: PolicyResource) -> str:
    """Why a versioning resource does not enable versioning; empty when it does."""
    configuration = prop(versioning.props, "versioningConfiguration")
    status = prop(configuration, "status")
    if configuration is UNKNOWN or status is UNKNOWN:
        return unknown_message("versioning_configuration.status", f'"{ENABLED}"')
    if as_text(status) == ENABLED:
        return ""
    state = f"is '{as_text(status)}'" if as_text(status) else "is not set"
    return (
        f"Versioning {state}, so an overwritten or deleted object cannot be recovered: set "
        f'versioning_configuration={{status: "{ENABLED}"}}.'
    )


def is_versioned(resources: Iterable[PolicyResource], bucket: PolicyResource) -> bool:
    return any(not versioning_problem(v) for v in attached(resources, VERSIONING_TYPES, bucket))


# -- encryption --------------------------------------------------------------------------------------------------------
def _default_encryption(props: Mapping[str, Any]) -> tuple[Any, Any] | str:
    """The rule that sets default encryption and its ``applyServerSideEncryptionByDefault``, or why there is none."""
    rules = prop(props, "rules")
    if rules is UNKNOWN:
        return unknown_message("rules", "a list with apply_server_side_encryption_by_default")
    for rule in list_items(rules):
        if rule is UNKNOWN:
            return unknown_message("rules", "a list with apply_server_side_encryption_by_default")
        default = prop(rule, "applyServerSideEncryptionByDefault")
        if default is UNKNOWN:
            return unknown_message("rules[].apply_server_side_encryption_by_default", "a literal {sse_algorithm: ...}")
        if isinstance(default, Mapping):
            return rule, default
    return ""


def _default_fix(log_sink: bool) -> str:
    if log_sink:
        return f'{{sse_algorithm: "{SSE_S3}"}}'
    return f'{{sse_algorithm: "{SSE_KMS}", kms_master_key_id: <customer-managed key>.arn}}, bucket_key_enabled: True'


def _encryption_problems(props: Mapping[str, Any], log_sink: bool) -> list[str]:
    found = _default_encryption(props)
    if isinstance(found, str):
        return [
            found
            or "The configuration sets no default encryption: add a rule with "
            f"apply_server_side_encryption_by_default: {_default_fix(log_sink)}."
        ]
    rule, default = found
    algorithm = prop(default, "sseAlgorithm")
    if algorithm is UNKNOWN:
        return [unknown_message("sse_algorithm", f'"{SSE_S3}"' if log_sink else f'"{SSE_KMS}"')]
    name = as_text(algorithm)
    if log_sink:
        if name == SSE_S3:
            return []
        if name in KMS_ALGORITHMS:
            return [
                f"This bucket is a log sink ({ROLE_TAG}={ROLE_LOG_SINK}) but encrypts with {name}: AWS delivers ALB "
                "and S3 server access logs only to SSE-S3 buckets, so its logs would be silently lost. Set "
                f'sse_algorithm="{SSE_S3}" and remove kms_master_key_id.'
            ]
        return [
            f'This log sink\'s default encryption is {name or "not set"}: set sse_algorithm="{SSE_S3}" (SSE-S3, the '
            "only encryption AWS log delivery writes to)."
        ]
    if name not in KMS_ALGORITHMS:
        return [
            f"The bucket's default encryption is {name or 'not set'}, not a KMS key you control: set "
            f'sse_algorithm="{SSE_KMS}" with kms_master_key_id=<customer-managed key>.arn and bucket_key_enabled=True '
            f"(only log sinks, tagged {ROLE_TAG}={ROLE_LOG_SINK}, use {SSE_S3})."
        ]
    problems: list[str] = []
    key_problem = customer_key_problem(prop(default, "kmsMasterKeyId"))
    if key_problem:
        problems.append(
            f"kms_master_key_id {key_problem}, so objects are encrypted under an AWS-managed key whose policy you do "
            "not control: set kms_master_key_id to a customer-managed KMS key's ARN (webstack's Keys component "
            "provides one)."
        )
    if name == SSE_KMS:  # S3 Bucket Keys do not apply to DSSE-KMS
        bucket_key = prop(rule, "bucketKeyEnabled")
        if bucket_key is UNKNOWN:
            problems.append(unknown_message("bucket_key_enabled", "True"))
        elif not is_true(bucket_key):
            problems.append(
                "bucket_key_enabled is off, so S3 calls KMS for every object (cost and KMS request quotas): set "
                "bucket_key_enabled=True."
            )
    return problems


def _encrypted_with_kms(args: StackValidationArgs, report: ReportViolation) -> None:
    for bucket in buckets(args.resources):
        role = bucket_role(bucket)
        if role is UNKNOWN:
            report(unknown_role_message(), bucket.urn)
            continue
        log_sink = role == ROLE_LOG_SINK
        configurations = attached(args.resources, ENCRYPTION_TYPES, bucket)
        if not configurations:
            report(
                "The bucket has no server-side encryption configuration: add an "
                "aws.s3.BucketServerSideEncryptionConfiguration(bucket=<this bucket>.id, rules=[{"
                f"apply_server_side_encryption_by_default: {_default_fix(log_sink)}}}]).",
                bucket.urn,
            )
        for configuration in configurations:
            for problem in _encryption_problems(configuration.props, log_sink):
                report(problem, configuration.urn)


s3_bucket_encrypted_with_kms = StackValidationPolicy(
    name="aws-s3-bucket-encrypted-with-kms",
    description="Checks that every S3 bucket encrypts by default with SSE-KMS (or DSSE-KMS) under a customer-managed "
    "key, with bucket keys for SSE-KMS; only log sinks use SSE-S3, the one encryption AWS log delivery writes.",
    validate=_encrypted_with_kms,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["s3", "encryption", "checklist:encryption-at-rest", "fsbp:S3.17"],
    remediation_steps="Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with "
    'sse_algorithm="aws:kms", kms_master_key_id=<customer-managed key>.arn and bucket_key_enabled=True; for a bucket '
    'tagged webstack:role=log-sink use sse_algorithm="AES256" instead (webstack\'s hardened_bucket does both).',
)


# -- public access -----------------------------------------------------------------------------------------------------
def _public_access_blocked(args: StackValidationArgs, report: ReportViolation) -> None:
    for bucket in buckets(args.resources):
        blocks = attached(args.resources, PUBLIC_ACCESS_BLOCK_TYPES, bucket)
        if not blocks:
            report(
                "The bucket has no public access block, so a policy or ACL can still make it public: add an "
                "aws.s3.BucketPublicAccessBlock(bucket=<this bucket>.id, block_public_acls=True, "
                "block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True).",
                bucket.urn,
            )
        for block in blocks:
            values = {name: prop(block.props, key) for key, name in PUBLIC_ACCESS_FLAGS.items()}
            unknown = [name for name, value in values.items() if value is UNKNOWN]
            off = [name for name, value in values.items() if value is not UNKNOWN and not is_true(value)]
            if unknown:
                report(unknown_message(", ".join(unknown), "True"), block.urn)
            if off:
                report(
                    f"The public access block leaves {', '.join(off)} off, so the bucket can still be made public: "
                    f"set {'all four flags' if len(off) > 1 else off[0]}=True.",
                    block.urn,
                )


s3_bucket_public_access_blocked = StackValidationPolicy(
    name="aws-s3-bucket-public-access-blocked",
    description="Checks that every S3 bucket has all four public access blocks on (block_public_acls, "
    "block_public_policy, ignore_public_acls, restrict_public_buckets).",
    validate=_public_access_blocked,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["s3", "public-access", "fsbp:S3.8", "checklist:encryption-at-rest"],
    remediation_steps="Add an aws.s3.BucketPublicAccessBlock for the bucket with all four flags True, and order the "
    "bucket policy after it (depends_on).",
)


# -- object ownership --------------------------------------------------------------------------------------------------
def _owner_enforced(args: StackValidationArgs, report: ReportViolation) -> None:
    for bucket in buckets(args.resources):
        controls = attached(args.resources, OWNERSHIP_TYPES, bucket)
        if not controls:
            report(
                "The bucket has no ownership controls, so ACLs may still grant access: add an "
                "aws.s3.BucketOwnershipControls(bucket=<this bucket>.id, rule={object_ownership: "
                f'"{OWNER_ENFORCED}"}}).',
                bucket.urn,
            )
        for control in controls:
            rule = prop(control.props, "rule")
            ownership = prop(rule, "objectOwnership")
            if rule is UNKNOWN or ownership is UNKNOWN:
                report(unknown_message("rule.object_ownership", f'"{OWNER_ENFORCED}"'), control.urn)
            elif as_text(ownership) != OWNER_ENFORCED:
                state = f"is '{as_text(ownership)}'" if as_text(ownership) else "is not set"
                report(
                    f"Object ownership {state}, so ACLs still decide who may read objects: set "
                    f'rule={{object_ownership: "{OWNER_ENFORCED}"}} (ACLs off; access is granted by policies only).',
                    control.urn,
                )


s3_bucket_owner_enforced = StackValidationPolicy(
    name="aws-s3-bucket-owner-enforced",
    description="Checks that every S3 bucket's object ownership is `BucketOwnerEnforced`, which turns ACLs off.",
    validate=_owner_enforced,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["s3", "public-access", "fsbp:S3.12", "checklist:encryption-at-rest"],
    remediation_steps="Add an aws.s3.BucketOwnershipControls for the bucket with rule={object_ownership: "
    '"BucketOwnerEnforced"} and grant access through the bucket policy and IAM only.',
)


# -- versioning --------------------------------------------------------------------------------------------------------
def _versioned(args: StackValidationArgs, report: ReportViolation) -> None:
    for bucket in buckets(args.resources):
        versionings = attached(args.resources, VERSIONING_TYPES, bucket)
        if not versionings:
            report(
                "The bucket is not versioned, so an overwritten or deleted object cannot be recovered: add an "
                f'aws.s3.BucketVersioning(bucket=<this bucket>.id, versioning_configuration={{status: "{ENABLED}"}}).',
                bucket.urn,
            )
        for versioning in versionings:
            problem = versioning_problem(versioning)
            if problem:
                report(problem, versioning.urn)


s3_bucket_versioned = StackValidationPolicy(
    name="aws-s3-bucket-versioned",
    description="Checks that every S3 bucket has versioning on.",
    validate=_versioned,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["s3", "backup", "checklist:backups", "fsbp:S3.14", "checklist:remote-copies"],
    remediation_steps="Add an aws.s3.BucketVersioning for the bucket with versioning_configuration={status: "
    '"Enabled"}, and a lifecycle rule that expires noncurrent versions.',
)


# -- TLS only ----------------------------------------------------------------------------------------------------------
def _everyone(principal: Any) -> bool:
    """Whether a Principal names every principal: ``"*"`` or ``{"AWS": "*"}`` (or ``["*"]``)."""
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))


def _insecure_transport_only(condition: Any) -> bool:
    """Whether a condition is exactly ``aws:SecureTransport`` false (Bool, or BoolIfExists)."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return False
    ((operator, block),) = condition.items()
    if operator not in ("Bool", "BoolIfExists") or not isinstance(block, dict) or len(block) != 1:
        return False
    ((key, value),) = block.items()
    values = as_list(value)
    return key.lower() == "aws:securetransport" and bool(values) and all(str(v).lower() == "false" for v in values)


def _bucket_and_objects(resources: list[Any]) -> bool:
    """Whether Resource covers a bucket and its objects: ``"*"``, or ``<arn>`` together with ``<arn>/*``."""
    texts = [str(r) for r in resources]
    return "*" in texts or any(not text.endswith("/*") and f"{text}/*" in texts for text in texts)


def _denies_insecure_transport(statement: dict[str, Any]) -> bool:
    return (
        statement.get("Effect") == "Deny"
        and "NotAction" not in statement
        and "NotResource" not in statement
        and _everyone(statement.get("Principal"))
        and any(action in ("s3:*", "*") for action in as_list(statement.get("Action")))
        and _bucket_and_objects(as_list(statement.get("Resource")))
        and _insecure_transport_only(statement.get("Condition"))
    )


def _public_allows(statements: list[dict[str, Any]]) -> list[str]:
    """The statements that allow something to every principal without a condition, as names for a message."""
    names: list[str] = []
    for index, statement in enumerate(statements):
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        if _everyone(statement.get("Principal")) or "NotPrincipal" in statement:
            names.append(f"'{statement['Sid']}'" if statement.get("Sid") else f"#{index + 1}")
    return names


def _statements(text: Any) -> list[dict[str, Any]] | str:
    """A bucket policy's statements, or why it cannot be read; raises UnknownValueError on an unknown part."""
    if isinstance(text, Mapping):
        document: Any = plain(text)
    elif not as_text(text):
        document = {}
    else:
        try:
            document = json.loads(str(text))
        except ValueError:
            return "The bucket policy is not valid JSON: set policy to a JSON policy document (json.dumps(...))."
    raw = document.get("Statement") if isinstance(document, dict) else None
    return [statement for statement in as_list(raw) if isinstance(statement, dict)]


def _tls_problems(statements: list[dict[str, Any]]) -> list[str]:
    if any(_denies_insecure_transport(statement) for statement in statements):
        return []
    return [
        "The bucket policy does not deny requests over plain HTTP: add the statement "
        f"{DENY_INSECURE_TRANSPORT} (no other condition, so it applies to every request)."
    ]


def _public_problems(statements: list[dict[str, Any]]) -> list[str]:
    public = _public_allows(statements)
    if not public:
        return []
    return [
        f"The bucket policy's statement{'s' if len(public) > 1 else ''} {', '.join(public)} allow"
        f"{'' if len(public) > 1 else 's'} access to every principal without a condition: name the principals "
        "(an account, a role or a service) or add a condition (aws:SourceAccount, aws:SourceArn, ...)."
    ]


def _judge_policies(
    args: StackValidationArgs,
    report: ReportViolation,
    judge: Callable[[list[dict[str, Any]]], list[str]],
    missing: str | None,
) -> None:
    """Report ``judge``'s problems of every bucket policy, and ``missing`` on a bucket without one. A policy built
    from the bucket's ARN is unknown during the preview of a new bucket: the rule reports what it can decide and
    then re-raises, so that ``pulumi up`` decides the rest."""
    deferred: UnknownValueError | None = None
    for bucket in buckets(args.resources):
        policies = attached(args.resources, POLICY_TYPES, bucket)
        if not policies and missing:
            report(missing, bucket.urn)
        for policy in policies:
            try:
                statements = _statements(policy.props.get("policy"))
            except UnknownValueError as error:
                deferred = deferred or error
                continue
            for problem in [statements] if isinstance(statements, str) else judge(statements):
                report(problem, policy.urn)
    if deferred is not None:
        raise deferred


def _tls_only(args: StackValidationArgs, report: ReportViolation) -> None:
    _judge_policies(
        args,
        report,
        _tls_problems,
        "The bucket has no bucket policy, so it accepts requests over plain HTTP: add an aws.s3.BucketPolicy with "
        f"the statement {DENY_INSECURE_TRANSPORT}, ordered after the public access block.",
    )


s3_bucket_tls_only = StackValidationPolicy(
    name="aws-s3-bucket-tls-only",
    description="Checks that every S3 bucket's policy denies every S3 action on the bucket and its objects, to "
    "every principal, when `aws:SecureTransport` is false.",
    validate=_tls_only,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["s3", "encryption", "checklist:tls", "fsbp:S3.5", "checklist:encryption-at-rest"],
    remediation_steps="Add an aws.s3.BucketPolicy whose policy has the statement {Effect: Deny, Principal: *, Action: "
    "s3:*, Resource: [<bucket arn>, <bucket arn>/*], Condition: {Bool: {aws:SecureTransport: false}}}, and order it "
    "after the public access block.",
)


def _policy_not_public(args: StackValidationArgs, report: ReportViolation) -> None:
    _judge_policies(args, report, _public_problems, None)


s3_bucket_policy_not_public = StackValidationPolicy(
    name="aws-s3-bucket-policy-not-public",
    description="Checks that no S3 bucket policy allows anything to every principal without a condition.",
    validate=_policy_not_public,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["s3", "public-access", "checklist:encryption-at-rest"],
    remediation_steps="Give every Allow statement of an aws.s3.BucketPolicy named principals (an account, a role or "
    "a service) or a condition (aws:SourceAccount, aws:SourceArn, ...).",
)


# -- access logging ----------------------------------------------------------------------------------------------------
def _logging_problems(logging: PolicyResource, bucket: PolicyResource) -> list[str]:
    if not is_set(prop(logging.props, "targetBucket")):
        return [
            "The access logging names no target_bucket: set target_bucket to the log-sink bucket's .id (a bucket "
            f"tagged {ROLE_TAG}={ROLE_LOG_SINK}) and target_prefix."
        ]
    problems: list[str] = []
    for target in logging.property_dependencies.get("targetBucket") or []:
        if target.resource_type not in BUCKET_TYPES:
            continue
        role = bucket_role(target)
        if target.urn == bucket.urn:
            problems.append(
                "The bucket writes its access logs into itself, so every delivery creates another log: set "
                f"target_bucket to a log-sink bucket's .id (tagged {ROLE_TAG}={ROLE_LOG_SINK})."
            )
        elif role is UNKNOWN:
            problems.append(unknown_message(f"The target bucket's {ROLE_TAG} tag", f'"{ROLE_LOG_SINK}"'))
        elif role != ROLE_LOG_SINK:
            problems.append(
                f"The access logs go to a bucket that is not a log sink ({ROLE_TAG} is '{role or 'not set'}'), which "
                f"may be KMS-encrypted (S3 then drops the logs) or mix logs with data: set target_bucket to a bucket "
                f"tagged {ROLE_TAG}={ROLE_LOG_SINK}, encrypted with SSE-S3."
            )
    return problems


def _access_logging(args: StackValidationArgs, report: ReportViolation) -> None:
    for bucket in buckets(args.resources):
        role = bucket_role(bucket)
        if role is UNKNOWN:
            report(unknown_role_message(), bucket.urn)
            continue
        if role == ROLE_LOG_SINK:
            continue  # a log sink logging its own accesses would log forever
        loggings = attached(args.resources, LOGGING_TYPES, bucket)
        if not loggings:
            report(
                "The bucket does not log accesses: add an aws.s3.BucketLogging(bucket=<this bucket>.id, "
                f'target_bucket=<the log-sink bucket>.id, target_prefix="s3/<purpose>/") (log sinks, tagged '
                f"{ROLE_TAG}={ROLE_LOG_SINK}, are exempt).",
                bucket.urn,
            )
        for logging in loggings:
            for problem in _logging_problems(logging, bucket):
                report(problem, logging.urn)


s3_bucket_access_logging = StackValidationPolicy(
    name="aws-s3-bucket-access-logging",
    description="Checks that every S3 bucket except the log sinks writes server access logs, to a bucket tagged "
    "`webstack:role=log-sink`.",
    validate=_access_logging,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["s3", "logging", "checklist:logging", "fsbp:S3.9", "awsguard:s3-bucket-logging-enabled"],
    remediation_steps="Add an aws.s3.BucketLogging for the bucket with target_bucket=<log-sink bucket>.id and a "
    "target_prefix; the log sink is encrypted with SSE-S3 and tagged webstack:role=log-sink (webstack's "
    "hardened_bucket does this when access_log_bucket is given).",
)

POLICIES = [
    s3_bucket_encrypted_with_kms,
    s3_bucket_public_access_blocked,
    s3_bucket_owner_enforced,
    s3_bucket_versioned,
    s3_bucket_tls_only,
    s3_bucket_policy_not_public,
    s3_bucket_access_logging,
]
