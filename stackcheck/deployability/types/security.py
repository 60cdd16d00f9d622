"""The type table (:mod:`stackcheck.deployability.types`) of identity, keys and secrets: IAM roles and policies, KMS
keys, Secrets Manager secrets, SSM parameters."""

from __future__ import annotations

from stackcheck.deployability.types.model import TF, Identity, TypeMap, ops

TYPES: dict[str, TypeMap] = {
    # -- iam -------------------------------------------------------------------------------------------------------
    "aws:iam/role:Role": TypeMap(
        "resource", "AWS::IAM::Role", renames={"name": "RoleName"}, identity=Identity("iam", "role")
    ),
    "aws:iam/rolePolicy:RolePolicy": TypeMap(
        "resource",
        "AWS::IAM::RolePolicy",
        renames={"role": "RoleName", "name": "PolicyName", "policy": "PolicyDocument"},
        identity=Identity("iam", "role", "@parent", parent="role"),
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": TypeMap(
        "property",
        "AWS::IAM::Role",
        prop="ManagedPolicyArns",
        root="policyArn",
        actions=ops(
            ("iam:AttachRolePolicy", "iam:ListAttachedRolePolicies"),
            ("iam:ListAttachedRolePolicies",),
            (),
            ("iam:DetachRolePolicy",),
        ),
        source=f"{TF}iam/role_policy_attachment.go",
        identity=Identity("iam", "role", "@parent", parent="role"),
    ),
    # -- keys ------------------------------------------------------------------------------------------------------
    "aws:kms/key:Key": TypeMap(
        "resource",
        "AWS::KMS::Key",
        renames={"policy": "KeyPolicy", "deletionWindowInDays": "PendingWindowInDays"},
        identity=Identity("kms", "key"),
    ),
    "aws:kms/alias:Alias": TypeMap(
        "resource", "AWS::KMS::Alias", renames={"name": "AliasName"}, identity=Identity("kms", "alias")
    ),
    # -- secrets and parameters ------------------------------------------------------------------------------------
    "aws:secretsmanager/secret:Secret": TypeMap(
        "resource", "AWS::SecretsManager::Secret", identity=Identity("secretsmanager", "Secret")
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": TypeMap(
        "property",
        "AWS::SecretsManager::Secret",
        prop="SecretString",
        root="secretString",
        actions=ops(
            ("secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue"),
            ("secretsmanager:GetSecretValue",),
            ("secretsmanager:UpdateSecretVersionStage", "secretsmanager:ListSecretVersionIds"),
            ("secretsmanager:UpdateSecretVersionStage", "secretsmanager:GetSecretValue"),
        ),
        source=f"{TF}secretsmanager/secret_version.go",
        identity=Identity("secretsmanager", "Secret", "@parent", parent="secretId"),
    ),
    "aws:ssm/parameter:Parameter": TypeMap(
        "resource",
        "AWS::SSM::Parameter",
        renames={"insecureValue": "Value"},
        identity=Identity("ssm", "parameter"),
    ),
}
