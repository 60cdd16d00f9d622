"""Run with an interpreter where webstack is installed, from outside the repository: builds a OneOffTask from the
installed package under Pulumi's mocks and prints one JSON document: where the component was imported from and the
runner its Command runs (the script the package ships). Used by tests/packaging/test_distribution.py."""

import json
from typing import Any

import pulumi

commands: list[dict[str, Any]] = []


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "command:local:Command":
            commands.append(args.inputs)
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, []


pulumi.runtime.set_mocks(_Mocks(), preview=False)

import webstack.aws.one_off as one_off  # noqa: E402  (after the mocks, as Pulumi's testing guide does)
from webstack.aws.account import Account  # noqa: E402


@pulumi.runtime.test
def build() -> None:
    one_off.OneOffTask(
        "probe",
        one_off.OneOffArgs(
            account=Account(id="123456789012", partition="aws", region="eu-west-1"),
            family="probe-once",
            container="once",
            image="public.ecr.aws/docker/library/busybox:1.37",
            command=["true"],
            cluster_arn="arn:aws:ecs:eu-west-1:123456789012:cluster/probe",
            subnet_ids=["subnet-0a1b2c3d4e5f6071a"],
            security_group_ids=["sg-0a1b2c3d4e5f6071a"],
            execution_role_arn="arn:aws:iam::123456789012:role/probe-execution",
            task_role_arn="arn:aws:iam::123456789012:role/probe-task",
            log_group_name="/probe/once",
        ),
    )


build()
print(json.dumps({"module": one_off.__file__, "create": [command["create"] for command in commands]}))
