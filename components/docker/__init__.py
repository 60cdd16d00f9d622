"""The docker platform: the same architecture as the aws platform on one Docker host (the local stack, single
servers), built with pulumi-docker from the same settings, alert catalog and policy pack.

The public API is every component and its Args class (``from webstack.docker import Database, DatabaseArgs``), and
the nested types those Args take (``BackupShardArgs``).
Importing the package loads no provider SDK: each name is imported from its module when it is first used (a module
``__getattr__``, PEP 562), so that a program that uses one component, or the aws platform's image builds, loads only
what that needs.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_names

if TYPE_CHECKING:
    from .backups import Backups, BackupsArgs, BackupShardArgs
    from .cache import Cache, CacheArgs
    from .database import Database, DatabaseArgs
    from .load_balancer import LoadBalancer, LoadBalancerArgs
    from .monitoring import Monitoring, MonitoringArgs
    from .network import Network, NetworkArgs
    from .storage import ObjectStorage, ObjectStorageArgs
    from .tls_ca import InternalCa, InternalCaArgs
    from .tunnel import Tunnel, TunnelArgs
    from .web_tier import WebTier, WebTierArgs

#: Each public name -> the module (of this package) that defines it.
_HOMES = {
    "Backups": "backups",
    "BackupsArgs": "backups",
    "BackupShardArgs": "backups",
    "Cache": "cache",
    "CacheArgs": "cache",
    "Database": "database",
    "DatabaseArgs": "database",
    "InternalCa": "tls_ca",
    "InternalCaArgs": "tls_ca",
    "LoadBalancer": "load_balancer",
    "LoadBalancerArgs": "load_balancer",
    "Monitoring": "monitoring",
    "MonitoringArgs": "monitoring",
    "Network": "network",
    "NetworkArgs": "network",
    "ObjectStorage": "storage",
    "ObjectStorageArgs": "storage",
    "Tunnel": "tunnel",
    "TunnelArgs": "tunnel",
    "WebTier": "web_tier",
    "WebTierArgs": "web_tier",
}

__all__ = [
    "BackupShardArgs",
    "Backups",
    "BackupsArgs",
    "Cache",
    "CacheArgs",
    "Database",
    "DatabaseArgs",
    "InternalCa",
    "InternalCaArgs",
    "LoadBalancer",
    "LoadBalancerArgs",
    "Monitoring",
    "MonitoringArgs",
    "Network",
    "NetworkArgs",
    "ObjectStorage",
    "ObjectStorageArgs",
    "Tunnel",
    "TunnelArgs",
    "WebTier",
    "WebTierArgs",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())
