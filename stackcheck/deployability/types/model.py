"""The entries of the type table: what a pulumi-aws type is to CloudFormation (:class:`TypeMap`) and which IAM
resource a request about it names (:class:`Identity`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

TF = "terraform-provider-aws internal/service/"

Operations = Mapping[str, tuple[str, ...]]
"""``create``/``read``/``update``/``delete``/``list`` -> IAM actions."""


@dataclass(frozen=True)
class Identity:
    service: str
    """IAM service prefix."""
    resource_type: str
    """The catalogue's resource type key (``Policies.json`` ``<service>.Resources``)."""
    arn: str = "@arn"
    name: str = "name"
    """Output holding the ``{name}`` of the template."""
    parent: str = ""
    """For ``@parent``: the input that refers to the resource whose identity this one takes."""
    fallback: str = ""
    """For ``@parent``: a template over ``{name}`` (the input's value) when the parent is not the stack's."""


@dataclass(frozen=True)
class TypeMap:
    kind: str
    cfn: str = ""
    """The CloudFormation type (for ``property``: the type the part belongs to)."""
    prop: str = ""
    """``property``: the CloudFormation property this type manages."""
    root: str = ""
    """``property``: the pulumi input that holds the property's value ("" when the inputs are the property)."""
    renames: Mapping[str, str] = field(default_factory=dict)
    """pulumi input name -> CloudFormation property name, where they differ beyond letter case."""
    actions: Operations = field(default_factory=dict)
    """Hand-made permissions (``property`` and ``none``)."""
    source: str = ""
    reason: str = ""
    taggable: bool = False
    """Hand-made types: the Terraform resource reads tags on refresh."""
    identity: Identity | None = None


def ops(create: tuple[str, ...], read: tuple[str, ...], update: tuple[str, ...], delete: tuple[str, ...]) -> Operations:
    return {"create": create, "read": read, "update": update, "delete": delete, "list": ()}
