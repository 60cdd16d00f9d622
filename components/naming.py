"""Names and tags.

Logical names (the ``name`` of a resource in the Pulumi program) are short and stable: a component named
``network`` calls its children ``network-vpc``, ``network-app-0`` and so on, and the engine keeps them unique per
stack. Physical names (what AWS shows) start with ``<project>-<stack>`` so that several stacks can share an account
without colliding.

Every resource carries the same tag set, applied once through the explicit providers' ``default_tags``: Project,
Stack, Environment and ManagedBy=pulumi, plus the user's tags from ``webstack:tags``. Resources that a policy must
recognise carry a role tag as well (``webstack:role``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .settings import Settings

#: The tag that tells the policy pack what part a resource plays (for example which security group fronts the
#: internet). Its values are the ``ROLE_*`` constants below.
ROLE_TAG = "webstack:role"
ROLE_LOAD_BALANCER = "lb"
ROLE_APP = "app"
ROLE_DATA = "data"
ROLE_CACHE = "cache"


@dataclass(frozen=True)
class Naming:
    """Names and tags for one stack."""

    project: str
    stack: str
    environment: str
    user_tags: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Naming:
        return cls(settings.project, settings.stack, settings.environment, tuple(sorted(settings.tags.items())))

    @property
    def prefix(self) -> str:
        """The physical-name prefix, e.g. ``webstack-prod``."""
        return f"{self.project}-{self.stack}"

    def physical(self, *parts: str) -> str:
        """A physical name: ``physical("flow-logs")`` is ``webstack-prod-flow-logs``."""
        return "-".join((self.prefix, *parts))

    @property
    def tags(self) -> dict[str, str]:
        """The tags every resource of the stack carries (the providers' default tags)."""
        return {
            **dict(self.user_tags),
            "Project": self.project,
            "Stack": self.stack,
            "Environment": self.environment,
            "ManagedBy": "pulumi",
        }
