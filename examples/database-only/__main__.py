"""A database-only program: webstack's Database component in a VPC you already have, with its three customer KMS
keys (webstack's Keys component), and nothing else of webstack: no stack file, no settings, no platform."""

import pulumi
import pulumi_aws as aws
from webstack.aws import Database, DatabaseArgs, Keys, KeysArgs
from webstack.aws.account import Account

config = pulumi.Config()
name_prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"

identity = aws.get_caller_identity()
partition = aws.get_partition()
region = aws.get_region()
account = Account(
    id=identity.account_id, partition=partition.partition, region=region.region, dns_suffix=partition.dns_suffix
)

keys = Keys("keys", KeysArgs(account=account, name_prefix=name_prefix, purposes=("logs", "data", "secrets")))
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
)

pulumi.export("writerEndpoint", database.writer_endpoint)
pulumi.export("readerEndpoints", database.reader_endpoints)
pulumi.export("port", database.port)
pulumi.export("masterSecretArn", database.master_secret_arn)
