"""The type table (:mod:`stackcheck.deployability.types`) of the containers: ECS clusters, services and task
definitions, their scaling, and the ECR repositories of the images built from source."""

from __future__ import annotations

from stackcheck.deployability.types.model import TF, Identity, TypeMap, ops

TYPES: dict[str, TypeMap] = {
    # -- scaling ---------------------------------------------------------------------------------------------------
    "aws:appautoscaling/target:Target": TypeMap(
        "resource",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        identity=Identity(
            "application-autoscaling",
            "scalabletarget",
            "arn:{partition}:application-autoscaling:{region}:{account}:scalable-target/{digest}",
        ),
    ),
    "aws:appautoscaling/policy:Policy": TypeMap(
        "resource",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        renames={"name": "PolicyName"},
    ),
    # -- containers ------------------------------------------------------------------------------------------------
    "aws:ecs/cluster:Cluster": TypeMap(
        "resource", "AWS::ECS::Cluster", renames={"settings": "ClusterSettings"}, identity=Identity("ecs", "cluster")
    ),
    "aws:ecs/service:Service": TypeMap(
        "resource",
        "AWS::ECS::Service",
        renames={"name": "ServiceName"},
        identity=Identity("ecs", "service", "arn:{partition}:ecs:{region}:{account}:service/{cluster}/{name}"),
    ),
    "aws:ecs/taskDefinition:TaskDefinition": TypeMap(
        "resource", "AWS::ECS::TaskDefinition", identity=Identity("ecs", "task-definition")
    ),
    # -- container images (web services built from source: webstack:web.<service>.build) ---------------------------
    "aws:ecr/repository:Repository": TypeMap(
        "resource",
        "AWS::ECR::Repository",
        renames={
            "name": "RepositoryName",
            "encryptionConfigurations": "EncryptionConfiguration",
            "forceDelete": "EmptyOnDelete",
        },
        identity=Identity("ecr", "repository"),
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": TypeMap(
        "property",
        "AWS::ECR::Repository",
        prop="LifecyclePolicy",
        renames={"policy": "LifecyclePolicyText"},
        # No update: both inputs force a new policy.
        actions=ops(
            ("ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy"),
            ("ecr:GetLifecyclePolicy",),
            (),
            ("ecr:DeleteLifecyclePolicy",),
        ),
        source=f"{TF}ecr/lifecycle_policy.go",
        identity=Identity(
            "ecr",
            "repository",
            "@parent",
            parent="repository",
            fallback="arn:{partition}:ecr:{region}:{account}:repository/{name}",
        ),
    ),
}
