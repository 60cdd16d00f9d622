"""webstack's policy rules: the deployment guides' security checklist as CrossGuard policies.

One module per area; each exports ``POLICIES``. ``ALL_POLICIES`` is what the pack (``policies/__main__.py``) and
stackcheck evaluate. Enforcement per stack lives in ``policies/config/<stack>.json``.
"""

from pulumi_policy import EnforcementLevel

from . import (
    alarms,
    applications,
    backup_copies,
    backups,
    cache,
    cdn,
    cdn_records,
    cdn_rulesets,
    certificates,
    credentials,
    database,
    database_parameters,
    docker_containers,
    docker_credentials,
    docker_network,
    docker_services,
    ecs,
    iam,
    kms,
    load_balancer,
    logs,
    monitoring,
    network,
    origin,
    security_headers,
    storage,
    tagging,
    waf,
)

PACK_NAME = "webstack"
#: The level of a policy that neither the policy nor the stack's configuration sets.
PACK_ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

ALL_POLICIES = [
    *network.POLICIES,
    *load_balancer.POLICIES,
    *waf.POLICIES,
    *logs.POLICIES,
    *certificates.POLICIES,
    *ecs.POLICIES,
    *iam.POLICIES,
    *database.POLICIES,
    *database_parameters.POLICIES,
    *cache.POLICIES,
    *credentials.POLICIES,
    *storage.POLICIES,
    *backups.POLICIES,
    *backup_copies.POLICIES,
    *cdn.POLICIES,
    *cdn_records.POLICIES,
    *cdn_rulesets.POLICIES,
    *security_headers.POLICIES,
    *alarms.POLICIES,
    *monitoring.POLICIES,
    *tagging.POLICIES,
    *kms.POLICIES,
    *docker_containers.POLICIES,
    *docker_network.POLICIES,
    *docker_services.POLICIES,
    *docker_credentials.POLICIES,
    *origin.POLICIES,
    *applications.POLICIES,
]

__all__ = ["ALL_POLICIES", "PACK_ENFORCEMENT_LEVEL", "PACK_NAME"]
