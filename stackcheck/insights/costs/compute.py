"""Compute: Fargate tasks of the ECS services (vCPU and memory, desiredCount all month) and ECR image storage."""

from __future__ import annotations

import re
from typing import Any

from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs.core import Estimator, num, read
from stackcheck.insights.costs.model import CostLine, figure
from stackcheck.insights.costs.usage import ECR_GB_PER_REPOSITORY, HOURS, HOURS_PER_MONTH


def services(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        launch = str(read(r, "launchType") or "FARGATE")
        if launch != "FARGATE":
            est.note(f"{r.name}: {launch} launch type is not priced (its instances would be)")
            continue
        task = est.find(r, "taskDefinition", "aws:ecs/taskDefinition:TaskDefinition") or task_by_arn(
            est, read(r, "taskDefinition")
        )
        if task is None:
            est.note(f"{r.name}: its task definition is not among the resources: not priced")
            continue
        vcpu = (num(read(task, "cpu")) or 0.0) / 1024
        memory = (num(read(task, "memory")) or 0.0) / 1024
        platform = read(task, "runtimePlatform") or {}
        arch = str(platform.get("cpuArchitecture") or "X86_64").lower()
        os_family = str(platform.get("operatingSystemFamily") or "LINUX")
        if os_family != "LINUX":
            est.note(f"{r.name}: Fargate on {os_family} is not in the price table: counted as 0")
        count = num(read(r, "desiredCount")) or 0.0
        running = f"desiredCount = {figure(count)} tasks all month; {HOURS}"
        label = f"{r.name}: {figure(count)} x {figure(vcpu)} vCPU / {figure(memory)} GB, Linux/{arch}"
        lines += [
            est.line(
                r,
                f"Fargate vCPU, {label}",
                count * vcpu * HOURS_PER_MONTH,
                f"fargate.linux.{arch}.vcpu_hour",
                running,
            ),
            est.line(
                r,
                f"Fargate memory, {label}",
                count * memory * HOURS_PER_MONTH,
                f"fargate.linux.{arch}.gb_hour",
                running,
            ),
        ]
    return lines


def task_by_arn(est: Estimator, arn: Any) -> RecordedResource | None:
    match = re.search(r"task-definition/([^:/]+)", str(arn or ""))
    for r in est.resources:
        if r.type == "aws:ecs/taskDefinition:TaskDefinition" and match and read(r, "family") == match.group(1):
            return r
    return None


def repositories(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    gb = est.assume("ECR_GB_PER_REPOSITORY", ECR_GB_PER_REPOSITORY, "GB of images per repository")
    count = len(members)
    return [
        est.line(
            members[0],
            f"ECR image storage ({count} repositories)",
            count * ECR_GB_PER_REPOSITORY,
            "ecr.storage.gb_month",
            gb,
        )
    ]
