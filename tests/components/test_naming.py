"""Names and the tag set."""

from __future__ import annotations

from components.naming import Naming
from components.settings import parse_settings
from tests.conftest import valid_config


def test_tags_carry_the_stack_and_the_user_tags() -> None:
    config = valid_config(
        **{"webstack:environment": "staging", "webstack:tags": '{"CostCenter": "web", "Owner": "platform"}'}
    )
    settings = parse_settings(config, (), stack="staging")
    naming = Naming.from_settings(settings)
    assert naming.tags == {
        "CostCenter": "web",
        "Owner": "platform",
        "Project": "webstack",
        "Stack": "staging",
        "Environment": "staging",
        "ManagedBy": "pulumi",
    }


def test_physical_names_start_with_project_and_stack() -> None:
    naming = Naming("webstack", "prod", "prod")
    assert naming.prefix == "webstack-prod"
    assert naming.physical("flow", "logs") == "webstack-prod-flow-logs"
