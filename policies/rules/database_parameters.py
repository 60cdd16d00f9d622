"""RDS parameter-group rules: every instance's parameter group forces TLS, and none logs every statement.

Instances reach their parameter group only through the property dependency of ``parameterGroupName`` (never its
name, which is unknown during a preview); a group the stack does not create cannot be checked, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import schema, setting
from ._props import as_text, is_list, prop, prop_is_set
from .database import INSTANCE

PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"


CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"


#: Parameter groups whose name starts with this are the engine defaults, which cannot be changed.
DEFAULT_PARAMETER_GROUP_PREFIX = "default."


#: How each engine family forces TLS: family prefix -> (parameter, values that force it (lowercase), entry to add).
TLS_PARAMETERS = {
    "postgres": ("rds.force_ssl", frozenset({"1"}), '{name: "rds.force_ssl", value: "1"}'),
    "mysql": (
        "require_secure_transport",
        frozenset({"1", "on", "true"}),
        '{name: "require_secure_transport", value: "ON"}',
    ),
}


TLS_FIX = "rds.force_ssl=1 for PostgreSQL, require_secure_transport=ON for MySQL"


# -- TLS through the parameter group -----------------------------------------------------------------------------------
def _tls_problem(group: PolicyResource) -> str:
    """Why a parameter group does not force TLS; empty when it does, or when its family is not one the pack knows."""
    family = str(group.props.get("family") or "").strip().lower()
    known = [prefix for prefix in TLS_PARAMETERS if family.startswith(prefix)]
    if not known:
        return ""
    parameter, accepted, example = TLS_PARAMETERS[known[0]]
    entries = group.props.get("parameters") or []
    values = [
        str(entry.get("value") if entry.get("value") is not None else "").strip()
        for entry in (entries if is_list(entries) else [])
        if isinstance(entry, Mapping) and str(entry.get("name") or "").strip().lower() == parameter
    ]
    if values and all(value.lower() in accepted for value in values):
        return ""
    state = f"is '{values[-1]}'" if values else "is not set"
    return (
        f"The parameter group (family {family}) does not force TLS: {parameter} {state}. Add {example} to its "
        "parameters, so clients that do not use TLS are refused."
    )


def _parameter_group_tls(args: StackValidationArgs, report: ReportViolation) -> None:
    checked: set[str] = set()
    for instance in (r for r in args.resources if r.resource_type == INSTANCE):
        groups = [
            d
            for d in instance.property_dependencies.get("parameterGroupName") or []
            if d.resource_type == PARAMETER_GROUP
        ]
        name = as_text(prop(instance.props, "parameterGroupName"))
        if name.startswith(DEFAULT_PARAMETER_GROUP_PREFIX):
            report(
                f"The instance uses the default parameter group {name}, which does not force TLS and cannot be "
                f"changed: create an aws.rds.ParameterGroup that forces TLS ({TLS_FIX}) and pass its .name as "
                "parameter_group_name.",
                instance.urn,
            )
        elif not groups and not prop_is_set(instance.props, "parameterGroupName"):
            report(
                "The instance sets no parameter_group_name, so it uses the engine's default parameter group, which "
                f"does not force TLS: create an aws.rds.ParameterGroup that forces TLS ({TLS_FIX}) and pass its .name "
                "as parameter_group_name.",
                instance.urn,
            )
        elif not groups:
            report(
                "The instance's parameter group is not one of this stack's, so the pack cannot check that it forces "
                f"TLS: create the aws.rds.ParameterGroup in the program ({TLS_FIX}) and pass its .name as "
                "parameter_group_name.",
                instance.urn,
            )
        for group in groups:
            if group.urn in checked:
                continue
            checked.add(group.urn)
            problem = _tls_problem(group)
            if problem:
                report(problem, group.urn)


rds_parameter_group_forces_tls = StackValidationPolicy(
    name="aws-rds-parameter-group-forces-tls",
    description="Checks that every RDS instance uses a parameter group of this stack, never the engine default, and "
    "the group forces TLS (rds.force_ssl=1 for PostgreSQL, require_secure_transport=ON for MySQL).",
    validate=_parameter_group_tls,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["rds", "encryption", "checklist:db-tls", "fsbp:RDS.38", "fsbp:RDS.39"],
    remediation_steps="Create an aws.rds.ParameterGroup for the engine family with rds.force_ssl=1 (PostgreSQL) or "
    "require_secure_transport=ON (MySQL) and pass its .name as parameter_group_name on the primary and its replicas.",
)


# -- no statement logging ----------------------------------------------------------------------------------------------
#: MySQL's general query log, and the values that turn it on (lowercase).
GENERAL_LOG = "general_log"


GENERAL_LOG_ON = frozenset({"1", "on", "true"})


#: PostgreSQL's statement logging.
LOG_STATEMENT = "log_statement"


#: What each log_statement value makes PostgreSQL log, for messages.
LOGGED_STATEMENTS = {
    "all": "every statement",
    "mod": "every DDL and data-changing statement",
    "ddl": "every DDL statement",
}


_STATEMENT_LOG_SCHEMA = schema(
    {
        "forbiddenLogStatement": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["all"],
            "description": "PostgreSQL log_statement values no parameter group may set (compared case-insensitively). "
            '"all" logs every statement; "mod" and "ddl" also log CREATE/ALTER ROLE ... PASSWORD.',
        }
    }
)


def _statement_logging(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in (PARAMETER_GROUP, CLUSTER_PARAMETER_GROUP):
        return
    forbidden = {str(v).strip().lower() for v in setting(args, _STATEMENT_LOG_SCHEMA, "forbiddenLogStatement")}
    entries = args.props.get("parameters") or []
    for entry in entries if is_list(entries) else []:
        if not isinstance(entry, Mapping):
            continue
        name = str(entry.get("name") or "").strip().lower()
        if name not in (GENERAL_LOG, LOG_STATEMENT):
            continue
        value = str(entry.get("value") if entry.get("value") is not None else "").strip()
        if name == GENERAL_LOG and value.lower() in GENERAL_LOG_ON:
            report(
                f"The parameter group turns on MySQL's general query log (general_log is '{value}'), which writes "
                "every statement to the log, passwords in CREATE USER, ALTER USER and SET PASSWORD included: remove "
                'general_log from its parameters or set it to "0" (the slow query log and the audit log record what '
                "operations need).",
                None,
            )
        elif name == LOG_STATEMENT and value.lower() in forbidden:
            what = LOGGED_STATEMENTS.get(value.lower(), f"the '{value}' statements")
            report(
                f"The parameter group sets PostgreSQL's log_statement to '{value}', which writes {what} to the log, "
                'passwords in CREATE ROLE and ALTER ROLE included: remove log_statement or set it to "none" '
                "(log_min_duration_statement records slow queries, pgaudit what auditing needs).",
                None,
            )


rds_parameter_group_no_general_log = ResourceValidationPolicy(
    name="aws-rds-parameter-group-no-general-log",
    description="Checks that no RDS parameter group logs every statement, passwords included: MySQL's `general_log` "
    "is off, and PostgreSQL's `log_statement` is none of `forbiddenLogStatement` (`all`).",
    validate=_statement_logging,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_STATEMENT_LOG_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["rds", "logging", "checklist:debug-off"],
    remediation_steps="Remove general_log (MySQL) and log_statement (PostgreSQL) from the aws.rds.ParameterGroup or "
    'aws.rds.ClusterParameterGroup parameters, or set them to "0" and "none"; log slow queries '
    "(slow_query_log, log_min_duration_statement) and audit events (MARIADB_AUDIT_PLUGIN, pgaudit) instead.",
)

POLICIES = [rds_parameter_group_forces_tls, rds_parameter_group_no_general_log]
