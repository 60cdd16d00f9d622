"""A database-only program: webstack's Database component in a VPC you already have, with its three customer KMS
keys (webstack's Keys component), and nothing else of webstack: no stack file, no settings, no platform."""

import pulumi
import pulumi_aws as aws
from webstack.aws import Database, DatabaseArgs, Keys, KeysArgs
from webstack.aws.account import Account

config = pulumi.Config()
name_prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"
# An explicit provider whose default tags every resource carries (webstack's policy pack requires these four).
tags = {"Project": pulumi.get_project(), "Stack": pulumi.get_stack(), "Environment": "prod", "ManagedBy": "pulumi"}
provider = aws.Provider("aws", default_tags=aws.ProviderDefaultTagsArgs(tags=tags))
with_provider = pulumi.ResourceOptions(provider=provider)

on_provider = pulumi.InvokeOptions(provider=provider)
identity = aws.get_caller_identity(opts=on_provider)
partition = aws.get_partition(opts=on_provider)
region = aws.get_region(opts=on_provider)
account = Account(
    id=identity.account_id, partition=partition.partition, region=region.region, dns_suffix=partition.dns_suffix
)

keys = Keys(
    "keys",
    KeysArgs(account=account, name_prefix=name_prefix, purposes=("logs", "data", "secrets")),
    opts=with_provider,
)
database = Database(
    "database",
    DatabaseArgs(
        name_prefix=name_prefix,
        account_id=account.id,
        partition=account.partition,
        subnet_ids=config.require_object("subnetIds"),
        security_group_id=config.require("securityGroupId"),
        availability_zones=config.get_object("availabilityZones") or [],
        data_key_arn=keys.data.arn,
        secrets_key_arn=keys.secrets.arn,
        logs_key_arn=keys.logs.arn,
        # Every other input keeps its secure default: encrypted, Multi-AZ, TLS only, backups, deletion protection.
    ),
    opts=with_provider,
)

pulumi.export("writerEndpoint", database.writer_endpoint)
pulumi.export("readerEndpoints", database.reader_endpoints)
pulumi.export("port", database.port)
pulumi.export("masterSecretArn", database.master_secret_arn)
