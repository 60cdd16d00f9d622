"""Tagging rules: every taggable AWS resource carries the stack's tags (its own merged with the provider's default
tags), so that cost, ownership and environment can always be traced.
"""

from __future__ import annotations

from pathlib import Path

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ._common import provider_default_tags, schema, setting, tags_of

#: Every pulumi-aws resource type that takes ``tags`` (generated from the installed SDK by scripts/taggable_types.py:
#: the pack runs without pulumi-aws, so it cannot ask the SDK).
TAGGABLE_AWS_TYPES = frozenset(
    line.strip()
    for line in (Path(__file__).parent / "aws_taggable.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)

_SCHEMA = schema(
    {
        "requiredTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["Project", "Stack", "Environment", "ManagedBy"],
            "description": "Tag keys every taggable resource must carry with a non-empty value.",
        }
    }
)


def _required_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in TAGGABLE_AWS_TYPES:
        return
    provider_props = args.provider.props if args.provider is not None else None
    tags = {**provider_default_tags(provider_props), **tags_of(args.props)}
    missing = [key for key in setting(args, _SCHEMA, "requiredTags") if not tags.get(key)]
    if missing:
        report(
            f"Missing tag{'s' if len(missing) > 1 else ''} {', '.join(missing)}: set them through the provider's "
            "default_tags (webstack's platform does) or on the resource.",
            None,
        )


required_tags = ResourceValidationPolicy(
    name="aws-required-tags",
    description="Checks that every taggable AWS resource carries the tags of `requiredTags` (Project, Stack, "
    "Environment and ManagedBy), the provider's default tags included.",
    validate=_required_tags,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SCHEMA,
    severity=Severity.LOW,
    tags=["governance", "checklist:tagging"],
    remediation_steps="Create resources with webstack's explicit providers, whose default_tags carry Project, Stack, "
    "Environment and ManagedBy, or tag the resource itself.",
)

POLICIES = [required_tags]
