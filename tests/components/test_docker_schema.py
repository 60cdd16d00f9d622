"""Pulumi's component-provider analyzer (``pulumi.provider.experimental.analyzer.Analyzer``, the code that turns a
Python component into the schema other languages see) run over every docker component: the inputs it infers, which
are required, their types, a description for each, and the outputs.

Every docker component is in the analyzer's reach and described here: one whose Args held webstack's settings models
(or resources of this package, which ship no ``pulumi-plugin.json``) would fail, and a new component fails until its
schema is written here."""

from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.analyzer import Analyzer

import components.docker

#: Where the analyzer's references point: this package's own types, and pulumi-docker's resources.
TYPES = "#/types/webstack:index:"
DOCKER = "/docker/v5.2.0/schema.json#/resources/docker:index%2F"
#: name -> (inputs: name -> (type, required), outputs: name -> (type, required)), as the analyzer names them (a
#: type's reference in place of a nested type's or a resource's type).
SCHEMAS: dict[str, tuple[dict[str, tuple[str, bool]], dict[str, tuple[str, bool]]]] = {
    "Network": (
        {"tunnelSubnet": ("string", False)},
        {
            "edgeNetwork": ("string", True),
            "appNetwork": ("string", True),
            "dataNetwork": ("string", True),
            "adminNetwork": ("string", True),
            "tunnelNetwork": ("string", False),
        },
    ),
    "Backups": (
        {
            "dataNetwork": ("string", True),
            "backupImage": ("string", True),
            "mcImage": ("string", True),
            "metricsImage": ("string", True),
            "shards": ("array", True),
            "databaseCaPem": ("string", True),
            "storageHost": ("string", True),
            "storageCaPem": ("string", True),
            "storageAccessKey": ("string", True),
            "storageSecretKey": ("string", True),
            "engine": ("string", False),
            "port": ("integer", False),
            "databaseName": ("string", False),
            "masterUsername": ("string", False),
            "backupHourUtc": ("integer", False),
            "storageSetup": (f"{DOCKER}container:Container", False),
        },
        {"restoreInstructions": ("string", True), "metricsAddress": ("string", True)},
    ),
    "Cache": (
        {
            "dataNetwork": ("string", True),
            "image": ("string", True),
            "exporterImage": ("string", True),
            "maxmemoryPolicy": ("string", False),
            "tls": ("boolean", False),
            "caCertPem": ("string", False),
            "caKeyPem": ("string", False),
        },
        {
            "host": ("string", True),
            "port": ("integer", True),
            "password": ("string", True),
            "tls": ("boolean", True),
            "caPem": ("string", False),
        },
    ),
    "Database": (
        {
            "dataNetwork": ("string", True),
            "image": ("string", True),
            "exporterImage": ("string", True),
            "engine": ("string", False),
            "port": ("integer", False),
            "replicas": ("integer", False),
            "databaseName": ("string", False),
            "masterUsername": ("string", False),
            "shard": ("integer", False),
            "caCertPem": ("string", False),
            "caKeyPem": ("string", False),
        },
        {
            "shard": ("integer", True),
            "engine": ("string", True),
            "host": ("string", True),
            "replicaHosts": ("array", True),
            "port": ("integer", True),
            "databaseName": ("string", True),
            "user": ("string", True),
            "password": ("string", True),
            "caPem": ("string", True),
            "adminUser": ("string", True),
            "adminPassword": ("string", True),
            "backupUser": ("string", True),
            "backupPassword": ("string", True),
            "primaryContainerName": ("string", True),
        },
    ),
    "InternalCa": ({"validityPeriodHours": ("integer", False)}, {"certPem": ("string", True)}),
    "ObjectStorage": (
        {
            "dataNetwork": ("string", True),
            "image": ("string", True),
            "mcImage": ("string", True),
            "dailyRetentionDays": ("integer", False),
            "weeklyRetentionDays": ("integer", False),
            "noncurrentVersionDays": ("integer", False),
            "objectLockMode": ("string", False),
            "objectLockDays": ("integer", False),
            "caCertPem": ("string", False),
            "caKeyPem": ("string", False),
        },
        {
            "host": ("string", True),
            "url": ("string", True),
            "documentsBucket": ("string", True),
            "backupsBucket": ("string", True),
            "accessKey": ("string", True),
            "secretKey": ("string", True),
            "backupAccessKey": ("string", True),
            "backupSecretKey": ("string", True),
            "caPem": ("string", True),
        },
    ),
    "Tunnel": (
        {
            "edgeNetwork": ("string", True),
            "tunnelNetwork": ("string", True),
            "image": ("string", True),
            "token": ("string", True),
            "originCaPem": ("string", True),
            "seedImage": ("string", True),
        },
        {"containerName": ("string", True)},
    ),
    "LoadBalancer": (
        {
            "domain": ("string", True),
            "image": ("string", True),
            "edgeNetwork": ("string", True),
            "appNetwork": ("string", True),
            "frontend": (f"{TYPES}Upstream", True),
            "backend": (f"{TYPES}Upstream", True),
            "tunnelNetwork": ("string", False),
            "proxy": (f"{TYPES}Proxy", False),
            "certificatePem": ("string", False),
            "privateKeyPem": ("string", False),
            "httpPort": ("integer", False),
            "httpsPort": ("integer", False),
            "bindAddress": ("string", False),
            "stickiness": ("boolean", False),
            "apiRateLimit": (f"{TYPES}RateLimitArgs", False),
            "loginRateLimit": (f"{TYPES}RateLimitArgs", False),
            "generalRateLimit": (f"{TYPES}RateLimitArgs", False),
            "hstsIncludeSubdomains": ("boolean", False),
            "hstsPreload": ("boolean", False),
            "contentSecurityPolicy": ("string", False),
            "permissionsPolicy": ("string", False),
            "dependsOn": ("array", False),
        },
        {
            "url": ("string", True),
            "certificatePem": ("string", True),
            "config": ("string", True),
            "container": (f"{DOCKER}container:Container", True),
            "originUrl": ("string", True),
        },
    ),
    "Monitoring": (
        {
            "appNetwork": ("string", True),
            "dataNetwork": ("string", True),
            "adminNetwork": ("string", True),
            "prometheusImage": ("string", True),
            "alertmanagerImage": ("string", True),
            "grafanaImage": ("string", True),
            "cadvisorImage": ("string", True),
            "targets": ("array", False),
            "alertEmails": ("array", False),
            "smtpSmarthost": ("string", False),
            "smtpFrom": ("string", False),
            "webhookUrl": ("string", False),
            "thresholds": ("object", False),
            "externalLabels": ("object", False),
            "adminBindAddress": ("string", False),
        },
        {
            "containers": ("object", True),
            "prometheusUrl": ("string", True),
            "alertmanagerUrl": ("string", True),
            "grafanaUrl": ("string", True),
            "adminUser": ("string", True),
            "adminPassword": ("string", True),
        },
    ),
    "WebTier": (
        {
            "appNetwork": ("string", True),
            "dataNetwork": ("string", True),
            "frontend": (f"{TYPES}WebServiceArgs", True),
            "backend": (f"{TYPES}WebServiceArgs", True),
            "database": (f"{TYPES}DatabaseEndpoint", True),
            "cache": (f"{TYPES}CacheEndpoint", True),
            "storage": (f"{TYPES}StorageEndpoint", True),
            "healthCheckIntervalSeconds": ("integer", False),
            "healthCheckTimeoutSeconds": ("integer", False),
            "healthCheckRetries": ("integer", False),
            "metricsPath": ("string", False),
            "migrationCommand": ("array", False),
            "shardMap": ("string", False),
            "shardPasswords": ("array", False),
        },
        {
            "frontends": ("array", True),
            "backends": ("array", True),
            "frontendHosts": ("array", True),
            "backendHosts": ("array", True),
            "frontend": (f"{TYPES}Upstream", True),
            "backend": (f"{TYPES}Upstream", True),
            "scrapeTargets": ("array", True),
        },
    ),
}
#: The nested types the components' Args and outputs use: name -> properties, as in :data:`SCHEMAS`.
NESTED: dict[str, dict[str, tuple[str, bool]]] = {
    "BackupShardArgs": {
        "host": ("string", True),
        "backupPassword": ("string", True),
        "primaryContainerName": ("string", True),
        "backupUser": ("string", False),
        "primary": (f"{DOCKER}container:Container", False),
    },
    "Upstream": {"service": ("string", True), "members": ("array", True)},
    "Proxy": {"trusted": ("array", True), "admitted": ("array", False), "clientCaPem": ("string", False)},
    "RateLimitArgs": {
        "limit": ("integer", True),
        "windowSeconds": ("integer", True),
        "path": ("string", False),
        "match": ("string", False),
    },
    "ScrapeTarget": {
        "job": ("string", True),
        "address": ("string", True),
        "metricsPath": ("string", False),
        "scheme": ("string", False),
        "caPem": ("string", False),
    },
    "WebServiceArgs": {
        "image": ("string", True),
        "port": ("integer", True),
        "desiredCount": ("integer", False),
        "cpu": ("integer", False),
        "memory": ("integer", False),
        "user": ("string", False),
        "healthCheckPath": ("string", False),
        "environment": ("object", False),
        "secrets": ("object", False),
        "volume": (f"{DOCKER}volume:Volume", False),
        "volumePath": ("string", False),
    },
    "DatabaseEndpoint": {
        "engine": ("string", True),
        "host": ("string", True),
        "replicaHosts": ("array", True),
        "port": ("integer", True),
        "name": ("string", True),
        "user": ("string", True),
        "password": ("string", True),
        "caPem": ("string", True),
    },
    "CacheEndpoint": {"host": ("string", True), "port": ("integer", True), "password": ("string", True)},
    "StorageEndpoint": {
        "url": ("string", True),
        "documentsBucket": ("string", True),
        "backupsBucket": ("string", True),
        "accessKey": ("string", True),
        "secretKey": ("string", True),
        "caPem": ("string", True),
    },
}


def component_names() -> list[str]:
    return sorted(
        name
        for name in components.docker.__all__
        if issubclass(getattr(components.docker, name), pulumi.ComponentResource)
    )


def shape(properties: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {
        name: (prop.type.value if prop.type is not None else str(prop.ref), not prop.optional)
        for name, prop in properties.items()
    }


def test_every_component_is_described() -> None:
    assert set(SCHEMAS) == set(component_names())


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_analyzer_infers_the_components_schema(name: str) -> None:
    component = getattr(components.docker, name)
    definition = Analyzer("webstack").analyze([component])["component_definitions"][name]
    inputs, outputs = SCHEMAS[name]
    assert shape(definition.inputs) == inputs
    assert shape(definition.outputs) == outputs
    undocumented = [key for key, prop in {**definition.inputs, **definition.outputs}.items() if not prop.description]
    assert undocumented == []
    assert definition.description


def test_all_described_components_analyze_together() -> None:
    # One package: the analyzer rejects two types of the same name, so every component must analyze beside the others.
    result = Analyzer("webstack").analyze([getattr(components.docker, name) for name in sorted(SCHEMAS)])
    assert sorted(result["component_definitions"]) == sorted(SCHEMAS)
    types = result["type_definitions"]
    assert {name: shape(definition.properties) for name, definition in types.items()} == NESTED
    undocumented = [
        f"{name}.{key}" for name, definition in types.items() for key, prop in definition.properties.items()
        if not prop.description
    ]  # fmt: skip
    assert undocumented == []
    assert all(definition.description for definition in types.values())


def test_the_backups_shards_are_a_documented_nested_type() -> None:
    result = Analyzer("webstack").analyze([components.docker.Backups])
    items = result["component_definitions"]["Backups"].inputs["shards"].items
    assert items is not None
    assert items.ref == f"{TYPES}BackupShardArgs"
    shard = result["type_definitions"]["BackupShardArgs"]
    assert shape(shard.properties) == {
        "host": ("string", True),
        "backupPassword": ("string", True),
        "primaryContainerName": ("string", True),
        "backupUser": ("string", False),
        "primary": (f"{DOCKER}container:Container", False),
    }
    assert shard.description
    assert [key for key, prop in shard.properties.items() if not prop.description] == []
