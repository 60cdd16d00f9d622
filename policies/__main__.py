"""Constructs the policy pack. Nothing else: PolicyPack() serves the analyzer and blocks, so never import this."""

from pulumi_policy import PolicyPack
from rules import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL, PACK_NAME

PolicyPack(name=PACK_NAME, policies=ALL_POLICIES, enforcement_level=PACK_ENFORCEMENT_LEVEL)
