"""webstack's aws platform as other programs use it: every component and its Args, importable from here
(``from webstack.aws import Database, DatabaseArgs``; in the repository ``components.aws``).

Loading the package imports no provider SDK: each name is imported from its module when first asked for (a module
``__getattr__``), so a program (or a stack on the docker platform) pays for pulumi-aws only when it uses an aws
component. ``platform`` (the stack's composition) is not part of this API.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_names

if TYPE_CHECKING:  # what a type checker sees; at run time ``__getattr__`` imports the same names on first use
    from .app_secrets import AppSecrets, AppSecretsArgs
    from .backups import BackupDocumentsArgs, Backups, BackupsArgs
    from .cache import Cache, CacheArgs
    from .database import Database, DatabaseArgs
    from .database_bootstrap import DatabaseBootstrap, DatabaseBootstrapArgs
    from .dns import Dns, DnsArgs
    from .files import PersistentFiles, PersistentFilesArgs, ServiceVolume
    from .keys import Keys, KeysArgs
    from .load_balancer import (
        ClientCertificateArgs,
        LoadBalancer,
        LoadBalancerArgs,
        LoadBalancerRateLimitArgs,
        LoadBalancerRouteArgs,
        LoadBalancerTargetArgs,
    )
    from .log_archive import LogArchive, LogArchiveArgs
    from .monitoring import Monitoring, MonitoringArgs, WatchedArgs, WatchedDatabaseArgs
    from .network import Network, NetworkArgs
    from .notifications import Notifications, NotificationsArgs
    from .one_off import OneOffArgs, OneOffTask
    from .operations import Operations, OperationsArgs
    from .prometheus import Prometheus, PrometheusArgs
    from .service import ImageBuildArgs, Service, ServiceArgs
    from .sharded_database import ShardedDatabase, ShardedDatabaseArgs
    from .storage import ObjectStorage, ObjectStorageArgs
    from .task_definitions import MetricsCollector, SecretRef
    from .web_tier import WebTier, WebTierArgs

#: Every public name, and the module (of this package) that defines it.
_MODULES = {
    "AppSecrets": "app_secrets",
    "AppSecretsArgs": "app_secrets",
    "BackupDocumentsArgs": "backups",
    "Backups": "backups",
    "BackupsArgs": "backups",
    "Cache": "cache",
    "CacheArgs": "cache",
    "ClientCertificateArgs": "load_balancer",
    "Database": "database",
    "DatabaseArgs": "database",
    "DatabaseBootstrap": "database_bootstrap",
    "DatabaseBootstrapArgs": "database_bootstrap",
    "Dns": "dns",
    "DnsArgs": "dns",
    "ImageBuildArgs": "service",
    "Keys": "keys",
    "KeysArgs": "keys",
    "LoadBalancer": "load_balancer",
    "LoadBalancerArgs": "load_balancer",
    "LoadBalancerRateLimitArgs": "load_balancer",
    "LoadBalancerRouteArgs": "load_balancer",
    "LoadBalancerTargetArgs": "load_balancer",
    "LogArchive": "log_archive",
    "LogArchiveArgs": "log_archive",
    "MetricsCollector": "task_definitions",
    "Monitoring": "monitoring",
    "MonitoringArgs": "monitoring",
    "Network": "network",
    "NetworkArgs": "network",
    "Notifications": "notifications",
    "NotificationsArgs": "notifications",
    "ObjectStorage": "storage",
    "ObjectStorageArgs": "storage",
    "OneOffArgs": "one_off",
    "OneOffTask": "one_off",
    "Operations": "operations",
    "OperationsArgs": "operations",
    "PersistentFiles": "files",
    "PersistentFilesArgs": "files",
    "Prometheus": "prometheus",
    "PrometheusArgs": "prometheus",
    "Service": "service",
    "ServiceArgs": "service",
    "SecretRef": "task_definitions",
    "ServiceVolume": "files",
    "ShardedDatabase": "sharded_database",
    "ShardedDatabaseArgs": "sharded_database",
    "WatchedArgs": "monitoring",
    "WatchedDatabaseArgs": "monitoring",
    "WebTier": "web_tier",
    "WebTierArgs": "web_tier",
}

__all__ = [
    "AppSecrets",
    "AppSecretsArgs",
    "BackupDocumentsArgs",
    "Backups",
    "BackupsArgs",
    "Cache",
    "CacheArgs",
    "ClientCertificateArgs",
    "Database",
    "DatabaseArgs",
    "DatabaseBootstrap",
    "DatabaseBootstrapArgs",
    "Dns",
    "DnsArgs",
    "ImageBuildArgs",
    "Keys",
    "KeysArgs",
    "LoadBalancer",
    "LoadBalancerArgs",
    "LoadBalancerRateLimitArgs",
    "LoadBalancerRouteArgs",
    "LoadBalancerTargetArgs",
    "LogArchive",
    "LogArchiveArgs",
    "MetricsCollector",
    "Monitoring",
    "MonitoringArgs",
    "Network",
    "NetworkArgs",
    "Notifications",
    "NotificationsArgs",
    "ObjectStorage",
    "ObjectStorageArgs",
    "OneOffArgs",
    "OneOffTask",
    "Operations",
    "OperationsArgs",
    "PersistentFiles",
    "PersistentFilesArgs",
    "Prometheus",
    "PrometheusArgs",
    "SecretRef",
    "Service",
    "ServiceArgs",
    "ServiceVolume",
    "ShardedDatabase",
    "ShardedDatabaseArgs",
    "WatchedArgs",
    "WatchedDatabaseArgs",
    "WebTier",
    "WebTierArgs",
]


__getattr__, __dir__ = lazy_names(__name__, _MODULES, globals())
