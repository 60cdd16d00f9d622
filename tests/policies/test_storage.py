"""S3 rules: each passes on the buckets webstack registers (two data buckets and two log sinks, with v7 or deprecated
V2 tokens) and fails when one thing changes. Props go through the analyzer's read-only proxies; side resources reach
their bucket only through property dependencies, and every resource has a provider with a region."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, UnknownValueError

from policies.rules.storage import (
    POLICIES,
    s3_bucket_access_logging,
    s3_bucket_encrypted_with_kms,
    s3_bucket_owner_enforced,
    s3_bucket_policy_not_public,
    s3_bucket_public_access_blocked,
    s3_bucket_tls_only,
    s3_bucket_versioned,
)
from tests.policies.support import MAIN_REGION, OPTIONS, At, Res, check_stack, provider_in, stack_views, urns

MAIN, DR = MAIN_REGION, "us-west-2"
ROLE = "webstack:role"
ACCOUNT = "123456789012"
DATA_KEY = f"arn:aws:kms:{MAIN}:{ACCOUNT}:key/data"

#: Resource types per token style: the v7 tokens and the deprecated V2 ones (same props).
TOKENS = {
    "v7": {
        "bucket": "aws:s3/bucket:Bucket",
        "encryption": "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "versioning": "aws:s3/bucketVersioning:BucketVersioning",
        "logging": "aws:s3/bucketLogging:BucketLogging",
    },
    "v2": {
        "bucket": "aws:s3/bucketV2:BucketV2",
        "encryption": "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        "versioning": "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "logging": "aws:s3/bucketLoggingV2:BucketLoggingV2",
    },
}
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
KMS_KEY = "aws:kms/key:Key"


# -- calling stack rules with providers --------------------------------------------------------------------------------
def check(
    policy: StackValidationPolicy, resources: Sequence[Res], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str]]:
    """The (urn, message) violations of a stack rule; plain resources are in MAIN."""
    return check_stack(policy, resources, config, default_region=MAIN)


def validate(policy: StackValidationPolicy, resources: Sequence[Res], found: list[tuple[str, str]]) -> None:
    """Run a stack rule, collecting (urn, message) in ``found`` even when the rule then raises."""
    policy.validate(
        StackValidationArgs(stack_views(resources, MAIN), None),
        lambda message, urn=None: found.append((urn or "", message)),
    )


# -- what webstack registers -------------------------------------------------------------------------------------------
def tls_policy(arn: str, *extra: dict[str, Any]) -> str:
    deny = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [deny, *extra]}, sort_keys=True)


def hardened(
    name: str, role: str, *, tokens: str = "v7", log_to: str | None = "urn:bucket:access-logs", region: str = MAIN
) -> list[At]:
    """One bucket as webstack's hardened_bucket builds it, side resources joined through ``bucket``."""
    types = TOKENS[tokens]
    urn, bucket_id = f"urn:bucket:{name}", f"webstack-prod-{name}-abc"
    arn = f"arn:aws:s3:::{bucket_id}"
    sink = role == "log-sink"
    on = {"bucket": [urn]}
    default = {"sseAlgorithm": "AES256"} if sink else {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": DATA_KEY}
    delivery = {
        "Sid": "ElbLogDeliveryService",
        "Effect": "Allow",
        "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{arn}/alb/*",
    }
    extra = [delivery] if sink else []
    resources = [
        At(
            urn,
            types["bucket"],
            {"bucketPrefix": f"webstack-prod-{name}-", "forceDestroy": False, "tags": {ROLE: role}},
            region=region,
        ),
        At(
            f"urn:ownership:{name}",
            OWNERSHIP,
            {"bucket": bucket_id, "rule": {"objectOwnership": "BucketOwnerEnforced"}},
            on,
            region,
        ),
        At(
            f"urn:public-access:{name}",
            PUBLIC_ACCESS_BLOCK,
            {
                "bucket": bucket_id,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            on,
            region,
        ),
        At(
            f"urn:encryption:{name}",
            types["encryption"],
            {
                "bucket": bucket_id,
                "rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": not sink}],
            },
            {**on, **({} if sink else {"rules": ["urn:key:data"]})},
            region,
        ),
        At(
            f"urn:versioning:{name}",
            types["versioning"],
            {"bucket": bucket_id, "versioningConfiguration": {"status": "Enabled"}},
            on,
            region,
        ),
        At(f"urn:lifecycle:{name}", LIFECYCLE, {"bucket": bucket_id, "rules": []}, on, region),
        At(f"urn:policy:{name}", BUCKET_POLICY, {"bucket": bucket_id, "policy": tls_policy(arn, *extra)}, on, region),
    ]
    if log_to is not None and not sink:
        resources.append(
            At(
                f"urn:logging:{name}",
                types["logging"],
                {"bucket": bucket_id, "targetBucket": "webstack-prod-access-logs-abc", "targetPrefix": f"s3/{name}/"},
                {**on, "targetBucket": [log_to]},
                region,
            )
        )
    return resources


def stack(tokens: str = "v7") -> list[At]:
    """webstack's buckets: documents and backups (SSE-KMS, access-logged) and two log sinks (SSE-S3)."""
    return [
        At("urn:key:data", KMS_KEY, {"enableKeyRotation": True}),
        *hardened("documents", "documents", tokens=tokens),
        *hardened("backups", "backups", tokens=tokens),
        *hardened("lb-logs", "log-sink", tokens=tokens),
        *hardened("access-logs", "log-sink", tokens=tokens),
    ]


def find(resources: Sequence[Res], urn: str) -> Res:
    return next(r for r in resources if r.urn == urn)


def drop(resources: list[At], urn: str) -> list[At]:
    return [r for r in resources if r.urn != urn]


def previewed(resources: list[At]) -> list[At]:
    """The stack as a preview of a new stack sees it: bucket ids and names, key ARNs and the bucket policy's text
    (built from the bucket's ARN) are unknown; literal settings are known."""
    result = copy.deepcopy(resources)
    for r in result:
        for key in ("bucket", "targetBucket", "policy"):
            if key in r.props:
                r.props[key] = UNKNOWN_STRING_VALUE
        for rule in r.props.get("rules") or []:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            if "kmsMasterKeyId" in default:
                default["kmsMasterKeyId"] = UNKNOWN_STRING_VALUE
    return result


# -- every rule --------------------------------------------------------------------------------------------------------
RULE_TAGS = {
    "aws-s3-bucket-encrypted-with-kms": ("checklist:encryption-at-rest", "fsbp:S3.17"),
    "aws-s3-bucket-public-access-blocked": ("checklist:encryption-at-rest", "fsbp:S3.8"),
    "aws-s3-bucket-owner-enforced": ("checklist:encryption-at-rest", "fsbp:S3.12"),
    "aws-s3-bucket-versioned": ("checklist:backups", "fsbp:S3.14"),
    "aws-s3-bucket-tls-only": ("checklist:tls", "fsbp:S3.5"),
    "aws-s3-bucket-policy-not-public": ("checklist:encryption-at-rest", "public-access"),
    "aws-s3-bucket-access-logging": ("checklist:logging", "fsbp:S3.9"),
}


def test_the_module_exports_its_seven_rules_in_order() -> None:
    assert [p.name for p in POLICIES] == list(RULE_TAGS)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_rule_is_described_for_people(policy: StackValidationPolicy) -> None:
    assert isinstance(policy, StackValidationPolicy)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert policy.description.startswith("Checks that ")
    assert policy.enforcement_level == EnforcementLevel.MANDATORY
    assert policy.severity is not None
    assert policy.remediation_steps
    checklist, anchor = RULE_TAGS[policy.name]
    assert next(tag for tag in policy.tags or [] if tag.startswith("checklist:")) == checklist
    assert anchor in (policy.tags or [])
    for spec in (policy.config_schema.properties if policy.config_schema else {}).values():
        assert "type" in spec
        assert "default" in spec


@pytest.mark.parametrize("tokens", ["v7", "v2"])
@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_rule_passes_on_the_buckets_webstack_registers(policy: StackValidationPolicy, tokens: str) -> None:
    assert check(policy, stack(tokens)) == []


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_rule_reads_plain_dicts_as_well_as_proxies(policy: StackValidationPolicy) -> None:
    found: list[tuple[str, str]] = []
    views = [PolicyResource(r.type, r.props, r.urn, r.urn, OPTIONS, provider_in(MAIN), None, [], {}) for r in stack()]
    by_urn = {v.urn: v for v in views}
    for r, view in zip(stack(), views, strict=True):
        view.property_dependencies = {k: [by_urn[u] for u in us] for k, us in r.deps.items()}
    policy.validate(StackValidationArgs(views, None), lambda message, urn=None: found.append((urn or "", message)))
    assert found == []


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_rule_ignores_a_stack_without_buckets(policy: StackValidationPolicy) -> None:
    assert check(policy, [At("urn:key:data", KMS_KEY, {})]) == []


#: aws-s3-bucket-policy-not-public asks no bucket for a policy: a bucket without one grants nobody anything.
@pytest.mark.parametrize("policy", [p for p in POLICIES if p is not s3_bucket_policy_not_public], ids=lambda p: p.name)
def test_side_resources_count_for_the_bucket_they_depend_on_not_the_one_they_name(
    policy: StackValidationPolicy,
) -> None:
    """Every side resource of the documents bucket names it, but depends on the backups bucket: the documents bucket
    then has no settings at all (and the backups bucket two of each)."""
    resources = stack()
    for r in resources:
        if r.deps.get("bucket") == ["urn:bucket:documents"]:
            r.deps["bucket"] = ["urn:bucket:backups"]
    assert "urn:bucket:documents" in urns(check(policy, resources))


#: The rules that read the bucket policy, whose text is unknown during the preview of a new bucket.
POLICY_RULES = [s3_bucket_tls_only, s3_bucket_policy_not_public]


@pytest.mark.parametrize("policy", [p for p in POLICIES if p not in POLICY_RULES], ids=lambda p: p.name)
def test_rules_decide_during_a_preview_when_ids_names_and_keys_are_unknown(policy: StackValidationPolicy) -> None:
    assert check(policy, previewed(stack())) == []
    assert check(policy, previewed(stack("v2"))) == []


def _kms_on_a_log_sink(resources: list[At]) -> None:
    default = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN_STRING_VALUE}
    find(resources, "urn:encryption:lb-logs").props["rules"][0]["applyServerSideEncryptionByDefault"] = default


def _public_acls_honoured(resources: list[At]) -> None:
    find(resources, "urn:public-access:documents").props["ignorePublicAcls"] = False


def _acls_on(resources: list[At]) -> None:
    find(resources, "urn:ownership:documents").props["rule"] = {"objectOwnership": "ObjectWriter"}


def _versioning_suspended(resources: list[At]) -> None:
    find(resources, "urn:versioning:documents").props["versioningConfiguration"] = {"status": "Suspended"}


def _logs_to_a_data_bucket(resources: list[At]) -> None:
    find(resources, "urn:logging:documents").deps["targetBucket"] = ["urn:bucket:backups"]


@pytest.mark.parametrize(
    ("policy", "break_it"),
    [
        (s3_bucket_encrypted_with_kms, _kms_on_a_log_sink),
        (s3_bucket_public_access_blocked, _public_acls_honoured),
        (s3_bucket_owner_enforced, _acls_on),
        (s3_bucket_versioned, _versioning_suspended),
        (s3_bucket_access_logging, _logs_to_a_data_bucket),
    ],
    ids=lambda value: getattr(value, "name", "") or getattr(value, "__name__", ""),
)
def test_rules_still_fail_during_a_preview(policy: StackValidationPolicy, break_it: Callable[[list[At]], None]) -> None:
    resources = previewed(stack())
    break_it(resources)
    assert len(check(policy, resources)) == 1


# -- aws-s3-bucket-encrypted-with-kms ----------------------------------------------------------------------------------
def _default(resources: list[At], name: str) -> dict[str, Any]:
    return find(resources, f"urn:encryption:{name}").props["rules"][0]["applyServerSideEncryptionByDefault"]


def test_encryption_fails_when_a_log_sink_uses_kms_since_its_logs_would_be_lost() -> None:
    resources = stack()
    _default(resources, "lb-logs").update(sseAlgorithm="aws:kms", kmsMasterKeyId=DATA_KEY)
    ((urn, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert urn == "urn:encryption:lb-logs"
    assert message == (
        "This bucket is a log sink (webstack:role=log-sink) but encrypts with aws:kms: AWS delivers ALB and S3 server "
        'access logs only to SSE-S3 buckets, so its logs would be silently lost. Set sse_algorithm="AES256" and '
        "remove kms_master_key_id."
    )


def test_encryption_fails_when_a_log_sink_uses_dsse_kms() -> None:
    resources = stack()
    _default(resources, "access-logs")["sseAlgorithm"] = "aws:kms:dsse"
    ((urn, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert urn == "urn:encryption:access-logs"
    assert message.startswith("This bucket is a log sink (webstack:role=log-sink) but encrypts with aws:kms:dsse:")


def test_encryption_passes_a_log_sink_with_sse_s3_and_no_bucket_key() -> None:
    resources = [*hardened("lb-logs", "log-sink")]
    assert find(resources, "urn:encryption:lb-logs").props["rules"][0]["bucketKeyEnabled"] is False
    assert check(s3_bucket_encrypted_with_kms, resources) == []


def test_encryption_fails_when_a_data_bucket_uses_sse_s3() -> None:
    resources = stack()
    _default(resources, "documents").update(sseAlgorithm="AES256", kmsMasterKeyId=None)
    ((urn, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert urn == "urn:encryption:documents"
    assert message == (
        'The bucket\'s default encryption is AES256, not a KMS key you control: set sse_algorithm="aws:kms" with '
        "kms_master_key_id=<customer-managed key>.arn and bucket_key_enabled=True (only log sinks, tagged "
        "webstack:role=log-sink, use AES256)."
    )


def test_encryption_fails_when_a_bucket_without_role_uses_sse_s3() -> None:
    resources = stack()
    find(resources, "urn:bucket:backups").props.pop("tags")
    _default(resources, "backups")["sseAlgorithm"] = "AES256"
    assert urns(check(s3_bucket_encrypted_with_kms, resources)) == ["urn:encryption:backups"]


def test_encryption_fails_on_the_bucket_without_a_configuration() -> None:
    resources = drop(stack(), "urn:encryption:documents")
    ((urn, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert urn == "urn:bucket:documents"
    assert message == (
        "The bucket has no server-side encryption configuration: add an "
        "aws.s3.BucketServerSideEncryptionConfiguration(bucket=<this bucket>.id, rules=[{"
        'apply_server_side_encryption_by_default: {sse_algorithm: "aws:kms", kms_master_key_id: <customer-managed '
        "key>.arn}, bucket_key_enabled: True}])."
    )


def test_encryption_tells_a_log_sink_without_a_configuration_to_use_sse_s3() -> None:
    resources = drop(stack(), "urn:encryption:lb-logs")
    ((urn, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert urn == "urn:bucket:lb-logs"
    assert message.endswith('rules=[{apply_server_side_encryption_by_default: {sse_algorithm: "AES256"}}]).')


def test_encryption_fails_without_a_kms_key() -> None:
    resources = stack()
    _default(resources, "documents").pop("kmsMasterKeyId")
    ((urn, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert urn == "urn:encryption:documents"
    assert message.startswith(
        "kms_master_key_id is not set, so objects are encrypted under an AWS-managed key whose policy you do not "
        "control: set kms_master_key_id to a customer-managed KMS key's ARN"
    )


@pytest.mark.parametrize("key", ["alias/aws/s3", f"arn:aws:kms:{MAIN}:{ACCOUNT}:alias/aws/s3"])
def test_encryption_fails_with_the_aws_managed_key(key: str) -> None:
    resources = stack()
    _default(resources, "backups")["kmsMasterKeyId"] = key
    ((_, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert message.startswith(f"kms_master_key_id names the AWS-managed key {key}, so objects are encrypted")


@pytest.mark.parametrize("value", [False, None])
def test_encryption_fails_without_a_bucket_key(value: bool | None) -> None:
    resources = stack()
    rule = find(resources, "urn:encryption:documents").props["rules"][0]
    if value is None:
        rule.pop("bucketKeyEnabled")
    else:
        rule["bucketKeyEnabled"] = value
    ((urn, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert urn == "urn:encryption:documents"
    assert message == (
        "bucket_key_enabled is off, so S3 calls KMS for every object (cost and KMS request quotas): set "
        "bucket_key_enabled=True."
    )


def test_encryption_passes_dsse_kms_without_a_bucket_key_which_it_does_not_support() -> None:
    resources = stack()
    _default(resources, "documents")["sseAlgorithm"] = "aws:kms:dsse"
    find(resources, "urn:encryption:documents").props["rules"][0]["bucketKeyEnabled"] = False
    assert check(s3_bucket_encrypted_with_kms, resources) == []


def test_encryption_reports_every_problem_of_one_configuration() -> None:
    resources = stack()
    rule = find(resources, "urn:encryption:backups").props["rules"][0]
    rule["applyServerSideEncryptionByDefault"].pop("kmsMasterKeyId")
    rule["bucketKeyEnabled"] = False
    assert urns(check(s3_bucket_encrypted_with_kms, resources)) == ["urn:encryption:backups"] * 2


def test_encryption_fails_without_a_default_rule() -> None:
    resources = stack()
    find(resources, "urn:encryption:documents").props["rules"] = [{"bucketKeyEnabled": True}]
    ((_, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert message.startswith("The configuration sets no default encryption: add a rule with ")


def test_encryption_reports_an_algorithm_unknown_during_preview() -> None:
    resources = stack()
    _default(resources, "documents")["sseAlgorithm"] = UNKNOWN_STRING_VALUE
    ((urn, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert urn == "urn:encryption:documents"
    assert message == (
        'sse_algorithm is unknown during preview, so this rule cannot check it: set it to "aws:kms" directly (from '
        "configuration), not from another resource's output."
    )


def test_encryption_reports_a_role_tag_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:bucket:lb-logs").props["tags"][ROLE] = UNKNOWN_STRING_VALUE
    ((urn, message),) = check(s3_bucket_encrypted_with_kms, resources)
    assert urn == "urn:bucket:lb-logs"
    assert message.startswith("The bucket's webstack:role tag is unknown during preview, so this rule cannot check it")


def test_encryption_reads_only_the_role_tag_so_other_unknown_tags_do_not_matter() -> None:
    resources = stack()
    find(resources, "urn:bucket:lb-logs").props["tags"]["Owner"] = UNKNOWN_STRING_VALUE
    assert check(s3_bucket_encrypted_with_kms, resources) == []


# -- aws-s3-bucket-public-access-blocked -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flag", "name"),
    [
        ("blockPublicAcls", "block_public_acls"),
        ("blockPublicPolicy", "block_public_policy"),
        ("ignorePublicAcls", "ignore_public_acls"),
        ("restrictPublicBuckets", "restrict_public_buckets"),
    ],
)
@pytest.mark.parametrize("value", [False, None])
def test_public_access_fails_for_each_flag_that_is_off(flag: str, name: str, value: bool | None) -> None:
    resources = stack()
    block = find(resources, "urn:public-access:lb-logs")
    if value is None:
        block.props.pop(flag)
    else:
        block.props[flag] = value
    ((urn, message),) = check(s3_bucket_public_access_blocked, resources)
    assert urn == "urn:public-access:lb-logs"
    assert message == (
        f"The public access block leaves {name} off, so the bucket can still be made public: set {name}=True."
    )


def test_public_access_names_every_flag_that_is_off() -> None:
    resources = stack()
    find(resources, "urn:public-access:documents").props.update(blockPublicPolicy=False, restrictPublicBuckets=False)
    ((_, message),) = check(s3_bucket_public_access_blocked, resources)
    assert message == (
        "The public access block leaves block_public_policy, restrict_public_buckets off, so the bucket can still be "
        "made public: set all four flags=True."
    )


def test_public_access_fails_on_the_bucket_without_a_block() -> None:
    resources = drop(stack(), "urn:public-access:backups")
    ((urn, message),) = check(s3_bucket_public_access_blocked, resources)
    assert urn == "urn:bucket:backups"
    assert message.startswith("The bucket has no public access block, so a policy or ACL can still make it public:")


def test_public_access_reports_a_flag_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:public-access:documents").props["blockPublicAcls"] = UNKNOWN_BOOLEAN_VALUE
    ((_, message),) = check(s3_bucket_public_access_blocked, resources)
    assert message.startswith(
        "block_public_acls is unknown during preview, so this rule cannot check it: set it to True"
    )


# -- aws-s3-bucket-owner-enforced --------------------------------------------------------------------------------------
@pytest.mark.parametrize("ownership", ["ObjectWriter", "BucketOwnerPreferred"])
def test_ownership_fails_while_acls_are_on(ownership: str) -> None:
    resources = stack()
    find(resources, "urn:ownership:backups").props["rule"] = {"objectOwnership": ownership}
    ((urn, message),) = check(s3_bucket_owner_enforced, resources)
    assert urn == "urn:ownership:backups"
    assert message == (
        f"Object ownership is '{ownership}', so ACLs still decide who may read objects: set "
        'rule={object_ownership: "BucketOwnerEnforced"} (ACLs off; access is granted by policies only).'
    )


def test_ownership_fails_without_a_rule() -> None:
    resources = stack()
    find(resources, "urn:ownership:backups").props.pop("rule")
    ((_, message),) = check(s3_bucket_owner_enforced, resources)
    assert message.startswith("Object ownership is not set, so ACLs still decide")


def test_ownership_fails_on_the_bucket_without_controls() -> None:
    resources = drop(stack(), "urn:ownership:access-logs")
    ((urn, message),) = check(s3_bucket_owner_enforced, resources)
    assert urn == "urn:bucket:access-logs"
    assert message == (
        "The bucket has no ownership controls, so ACLs may still grant access: add an "
        'aws.s3.BucketOwnershipControls(bucket=<this bucket>.id, rule={object_ownership: "BucketOwnerEnforced"}).'
    )


# -- aws-s3-bucket-versioned -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("tokens", ["v7", "v2"])
def test_versioning_fails_when_suspended(tokens: str) -> None:
    resources = stack(tokens)
    find(resources, "urn:versioning:documents").props["versioningConfiguration"]["status"] = "Suspended"
    ((urn, message),) = check(s3_bucket_versioned, resources)
    assert urn == "urn:versioning:documents"
    assert message == (
        "Versioning is 'Suspended', so an overwritten or deleted object cannot be recovered: set "
        'versioning_configuration={status: "Enabled"}.'
    )


def test_versioning_fails_on_the_bucket_without_versioning() -> None:
    resources = drop(stack(), "urn:versioning:lb-logs")
    ((urn, message),) = check(s3_bucket_versioned, resources)
    assert urn == "urn:bucket:lb-logs"
    assert message.startswith("The bucket is not versioned, so an overwritten or deleted object cannot be recovered:")


def test_versioning_fails_without_a_configuration() -> None:
    resources = stack()
    find(resources, "urn:versioning:lb-logs").props.pop("versioningConfiguration")
    ((_, message),) = check(s3_bucket_versioned, resources)
    assert message.startswith("Versioning is not set, so")


def test_versioning_reports_a_status_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:versioning:lb-logs").props["versioningConfiguration"]["status"] = UNKNOWN_STRING_VALUE
    ((_, message),) = check(s3_bucket_versioned, resources)
    assert message.startswith("versioning_configuration.status is unknown during preview")


# -- aws-s3-bucket-tls-only --------------------------------------------------------------------------------------------
ARN = "arn:aws:s3:::webstack-prod-documents-abc"
NO_DENY = "The bucket policy does not deny requests over plain HTTP: add the statement "


def deny(**changes: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [ARN, f"{ARN}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    for key, value in changes.items():
        if value is None:
            statement.pop(key)
        else:
            statement[key] = value
    return statement


def with_policy(document: Any) -> list[At]:
    resources = stack()
    find(resources, "urn:policy:documents").props["policy"] = (
        document if isinstance(document, str) else json.dumps(document)
    )
    return resources


@pytest.mark.parametrize(
    "statement",
    [
        deny(Principal={"AWS": "*"}),
        deny(Principal={"AWS": ["*"]}),
        deny(Action="*"),
        deny(Action=["s3:GetObject", "s3:*"]),
        deny(Resource="*"),
        deny(Condition={"Bool": {"aws:SecureTransport": False}}),
        deny(Condition={"Bool": {"aws:securetransport": ["false"]}}),
        deny(Condition={"BoolIfExists": {"aws:SecureTransport": "false"}}),
    ],
    ids=["aws-star", "aws-star-list", "action-star", "action-list", "resource-star", "bool", "lowercase", "if-exists"],
)
def test_tls_accepts_every_spelling_of_the_deny_statement(statement: dict[str, Any]) -> None:
    assert check(s3_bucket_tls_only, with_policy({"Version": "2012-10-17", "Statement": statement})) == []


@pytest.mark.parametrize(
    "statement",
    [
        deny(Effect="Allow", Condition={"Bool": {"aws:SecureTransport": "true"}}),
        deny(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        deny(Principal=None, NotPrincipal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        deny(Action="s3:GetObject"),
        deny(Action=None, NotAction="s3:ListBucket"),
        deny(Resource=f"{ARN}/*"),
        deny(Resource=ARN),
        deny(Condition=None),
        deny(Condition={"Bool": {"aws:SecureTransport": "true"}}),
        deny(Condition={"Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        deny(Condition={"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
    ],
    ids=[
        "allow",
        "one-account",
        "not-principal",
        "one-action",
        "not-action",
        "objects-only",
        "bucket-only",
        "no-condition",
        "secure-true",
        "narrowed",
        "tls-version-only",
    ],
)
def test_tls_fails_when_the_deny_statement_changes(statement: dict[str, Any]) -> None:
    ((urn, message),) = check(s3_bucket_tls_only, with_policy({"Version": "2012-10-17", "Statement": [statement]}))
    assert urn == "urn:policy:documents"
    assert message == (
        NO_DENY + '{Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [<bucket arn>, <bucket arn> + "/*"], '
        'Condition: {Bool: {"aws:SecureTransport": "false"}}} (no other condition, so it applies to every request).'
    )


def test_tls_fails_on_the_bucket_without_a_policy() -> None:
    resources = drop(stack(), "urn:policy:backups")
    ((urn, message),) = check(s3_bucket_tls_only, resources)
    assert urn == "urn:bucket:backups"
    assert message.startswith("The bucket has no bucket policy, so it accepts requests over plain HTTP: add an ")


@pytest.mark.parametrize("text", ["", "{not json", "[]"])
def test_tls_fails_on_a_policy_without_statements(text: str) -> None:
    ((_, message),) = check(s3_bucket_tls_only, with_policy(text))
    assert message.startswith((NO_DENY, "The bucket policy is not valid JSON"))


@pytest.mark.parametrize(
    "principal",
    ["*", {"AWS": "*"}, {"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "*"]}],
    ids=["star", "aws-star", "star-in-list"],
)
def test_public_policy_fails_when_the_policy_allows_everyone_without_a_condition(principal: Any) -> None:
    public = {"Sid": "Public", "Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": ARN}
    ((urn, message),) = check(s3_bucket_policy_not_public, with_policy({"Statement": [deny(), public]}))
    assert urn == "urn:policy:documents"
    assert message == (
        "The bucket policy's statement 'Public' allows access to every principal without a condition: name the "
        "principals (an account, a role or a service) or add a condition (aws:SourceAccount, aws:SourceArn, ...)."
    )


def test_public_policy_fails_when_the_policy_allows_all_but_one_principal() -> None:
    everyone_else = {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "*", "Resource": "*"}
    ((_, message),) = check(s3_bucket_policy_not_public, with_policy({"Statement": [deny(), everyone_else]}))
    assert message.startswith("The bucket policy's statement #2 allows access to every principal without a condition")


def test_public_policy_passes_a_public_grant_with_a_condition_and_a_service_grant() -> None:
    scoped = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{ARN}/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }
    service = {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}
    assert check(s3_bucket_policy_not_public, with_policy({"Statement": [deny(), scoped, service]})) == []


def test_each_rule_reports_its_own_problem_of_one_policy() -> None:
    public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": ARN}
    resources = with_policy({"Statement": [public]})
    assert [message[:40] for _, message in check(s3_bucket_tls_only, resources)] == [NO_DENY[:40]]
    found = check(s3_bucket_policy_not_public, resources)
    assert [message[:40] for _, message in found] == ["The bucket policy's statement #1 allows "]


def test_public_policy_passes_on_a_bucket_without_a_policy() -> None:
    assert check(s3_bucket_policy_not_public, drop(stack(), "urn:policy:backups")) == []


def test_public_policy_fails_on_a_policy_it_cannot_read() -> None:
    ((_, message),) = check(s3_bucket_policy_not_public, with_policy("{not json"))
    assert message.startswith("The bucket policy is not valid JSON")


def test_public_policy_leaves_an_unknown_policy_to_the_update() -> None:
    with pytest.raises(UnknownValueError):
        validate(s3_bucket_policy_not_public, previewed(stack()), [])


def test_tls_reads_a_policy_document_given_as_an_object() -> None:
    resources = stack()
    find(resources, "urn:policy:documents").props["policy"] = {"Version": "2012-10-17", "Statement": [deny()]}
    assert check(s3_bucket_tls_only, resources) == []
    find(resources, "urn:policy:documents").props["policy"] = {"Statement": [deny(Condition=None)]}
    assert urns(check(s3_bucket_tls_only, resources)) == ["urn:policy:documents"]


def test_tls_reports_what_it_can_decide_then_leaves_an_unknown_policy_to_the_update() -> None:
    """During the preview of a new stack the policy text, built from the bucket's ARN, is unknown. The rule reports
    every other bucket's violations, then re-raises the analyzer's UnknownValueError, which pulumi_policy turns into
    "can't run policy ... during preview"; `pulumi up` decides it. It never passes silently."""
    resources = drop(previewed(stack()), "urn:policy:backups")
    found: list[tuple[str, str]] = []
    with pytest.raises(UnknownValueError):
        validate(s3_bucket_tls_only, resources, found)
    assert urns(found) == ["urn:bucket:backups"]


def test_tls_decides_a_known_policy_next_to_an_unknown_one() -> None:
    resources = previewed(stack())
    find(resources, "urn:policy:lb-logs").props["policy"] = json.dumps({"Statement": [deny(Condition=None)]})
    found: list[tuple[str, str]] = []
    with pytest.raises(UnknownValueError):
        validate(s3_bucket_tls_only, resources, found)
    assert urns(found) == ["urn:policy:lb-logs"]


def test_tls_leaves_a_document_with_an_unknown_part_to_the_update() -> None:
    resources = stack()
    find(resources, "urn:policy:documents").props["policy"] = {"Statement": [deny(Resource=[UNKNOWN_STRING_VALUE])]}
    found: list[tuple[str, str]] = []
    with pytest.raises(UnknownValueError):
        validate(s3_bucket_tls_only, resources, found)
    assert found == []


# -- aws-s3-bucket-access-logging --------------------------------------------------------------------------------------
def test_logging_exempts_log_sinks() -> None:
    resources = stack()
    assert not [r for r in resources if r.urn in ("urn:logging:lb-logs", "urn:logging:access-logs")]
    assert check(s3_bucket_access_logging, resources) == []


@pytest.mark.parametrize("tokens", ["v7", "v2"])
def test_logging_fails_on_a_data_bucket_without_logging(tokens: str) -> None:
    resources = drop(stack(tokens), "urn:logging:backups")
    ((urn, message),) = check(s3_bucket_access_logging, resources)
    assert urn == "urn:bucket:backups"
    assert message == (
        "The bucket does not log accesses: add an aws.s3.BucketLogging(bucket=<this bucket>.id, "
        'target_bucket=<the log-sink bucket>.id, target_prefix="s3/<purpose>/") (log sinks, tagged '
        "webstack:role=log-sink, are exempt)."
    )


def test_logging_fails_on_a_bucket_without_a_role_and_without_logging() -> None:
    resources = [*stack(), *hardened("uploads", "", log_to=None)]
    find(resources, "urn:bucket:uploads").props.pop("tags")
    assert urns(check(s3_bucket_access_logging, resources)) == ["urn:bucket:uploads"]


def test_logging_fails_when_the_logs_go_to_a_bucket_that_is_not_a_log_sink() -> None:
    resources = stack()
    find(resources, "urn:logging:documents").deps["targetBucket"] = ["urn:bucket:backups"]
    ((urn, message),) = check(s3_bucket_access_logging, resources)
    assert urn == "urn:logging:documents"
    assert message.startswith(
        "The access logs go to a bucket that is not a log sink (webstack:role is 'backups'), which may be "
        "KMS-encrypted (S3 then drops the logs) or mix logs with data: set target_bucket to a bucket tagged "
        "webstack:role=log-sink"
    )


def test_logging_fails_when_a_bucket_logs_into_itself() -> None:
    resources = stack()
    find(resources, "urn:logging:documents").deps["targetBucket"] = ["urn:bucket:documents"]
    ((_, message),) = check(s3_bucket_access_logging, resources)
    assert message.startswith("The bucket writes its access logs into itself")


def test_logging_fails_without_a_target_bucket() -> None:
    resources = stack()
    logging = find(resources, "urn:logging:documents")
    logging.props.pop("targetBucket")
    logging.deps.pop("targetBucket")
    ((urn, message),) = check(s3_bucket_access_logging, resources)
    assert urn == "urn:logging:documents"
    assert message.startswith("The access logging names no target_bucket: set target_bucket to the log-sink bucket's")


def test_logging_passes_a_target_outside_the_stack() -> None:
    """A target bucket of another stack has no dependency to check: only the name is set."""
    resources = stack()
    find(resources, "urn:logging:documents").deps.pop("targetBucket")
    assert check(s3_bucket_access_logging, resources) == []


def test_logging_ignores_dependencies_that_are_not_buckets() -> None:
    resources = stack()
    find(resources, "urn:logging:documents").deps["targetBucket"] = ["urn:bucket:access-logs", "urn:key:data"]
    assert check(s3_bucket_access_logging, resources) == []


def test_logging_reports_a_role_tag_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:bucket:access-logs").props["tags"] = UNKNOWN_STRING_VALUE
    found = check(s3_bucket_access_logging, resources)
    assert sorted(urns(found)) == ["urn:bucket:access-logs", "urn:logging:backups", "urn:logging:documents"]
    assert all("unknown during preview" in message for _, message in found)
