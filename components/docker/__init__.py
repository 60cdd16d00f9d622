"""The docker platform: the same architecture as the aws platform on one Docker host (the local stack, single
servers), built with pulumi-docker from the same settings, alert catalog and policy pack.

The public API is every component and its Args class (``from webstack.docker import Database, DatabaseArgs``), and
the nested types those Args take (``WebServiceArgs``, ``BackupShardArgs``, ``Upstream``, the endpoints, ...).
Importing the package loads no provider SDK: each name is imported from its module when it is first used (a module
``__getattr__``, PEP 562), so that a program that uses one component, or the aws platform's image builds, loads only
what that needs.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_names

if TYPE_CHECKING:
    from .backups import Backups, BackupsArgs, BackupShardArgs
    from .cache import Cache, CacheArgs
    from .common import CacheEndpoint, DatabaseEndpoint, ScrapeTarget, StorageEndpoint
    from .database import Database, DatabaseArgs
    from .load_balancer import LoadBalancer, LoadBalancerArgs
    from .monitoring import Monitoring, MonitoringArgs
    from .network import Network, NetworkArgs
    from .nginx import Proxy, RateLimitArgs, Upstream
    from .storage import ObjectStorage, ObjectStorageArgs
    from .tls_ca import InternalCa, InternalCaArgs
    from .tunnel import Tunnel, TunnelArgs
    from .web_tier import WebServiceArgs, WebTier, WebTierArgs

#: Each public name -> the module (of this package) that defines it.
_HOMES = {
    "Backups": "backups",
    "BackupsArgs": "backups",
    "BackupShardArgs": "backups",
    "Cache": "cache",
    "CacheArgs": "cache",
    "CacheEndpoint": "common",
    "Database": "database",
    "DatabaseArgs": "database",
    "DatabaseEndpoint": "common",
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
    "Proxy": "nginx",
    "RateLimitArgs": "nginx",
    "ScrapeTarget": "common",
    "StorageEndpoint": "common",
    "Tunnel": "tunnel",
    "TunnelArgs": "tunnel",
    "Upstream": "nginx",
    "WebServiceArgs": "web_tier",
    "WebTier": "web_tier",
    "WebTierArgs": "web_tier",
}

__all__ = [
    "BackupShardArgs",
    "Backups",
    "BackupsArgs",
    "Cache",
    "CacheArgs",
    "CacheEndpoint",
    "Database",
    "DatabaseArgs",
    "DatabaseEndpoint",
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
    "Proxy",
    "RateLimitArgs",
    "ScrapeTarget",
    "StorageEndpoint",
    "Tunnel",
    "TunnelArgs",
    "Upstream",
    "WebServiceArgs",
    "WebTier",
    "WebTierArgs",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())
