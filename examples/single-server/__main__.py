"""One server's private side from webstack's docker components: the stack's bridge networks, an internal CA, and on
the internal data network a PostgreSQL primary with a streaming replica and a Redis, each serving TLS only with a
certificate that CA signs. Nothing of webstack's own configuration: no stack file of webstack's, no settings, no
platform."""

import pulumi
import pulumi_docker as docker
from webstack.docker import (
    Cache,
    CacheArgs,
    Database,
    DatabaseArgs,
    InternalCa,
    InternalCaArgs,
    Network,
    NetworkArgs,
)

config = pulumi.Config()
provider = docker.Provider("docker", host=config.get("dockerHost") or None)
on_host = pulumi.ResourceOptions(provider=provider)

# Pinned images, as webstack's policy pack requires (never a floating tag).
redis = docker.RemoteImage("redis", name="redis:7.4.1-alpine", keep_locally=True, opts=on_host)
exporter = docker.RemoteImage(
    "redis-exporter", name="oliver006/redis_exporter:v1.66.0-alpine", keep_locally=True, opts=on_host
)

postgres = docker.RemoteImage("postgres", name="postgres:16.6-alpine", keep_locally=True, opts=on_host)
postgres_exporter = docker.RemoteImage(
    "postgres-exporter", name="quay.io/prometheuscommunity/postgres-exporter:v0.16.0", keep_locally=True, opts=on_host
)

network = Network("network", NetworkArgs(), on_host)
ca = InternalCa("ca", InternalCaArgs(), opts=on_host)
database = Database(
    "database",
    DatabaseArgs(
        data_network=network.data_network,
        image=postgres.image_id,
        exporter_image=postgres_exporter.image_id,
        ca_cert_pem=ca.cert_pem,
        ca_key_pem=ca.key_pem,
        # The rest keeps its defaults: PostgreSQL on 5432, one streaming replica, generated passwords, no published
        # port.
    ),
    on_host,
)
cache = Cache(
    "cache",
    CacheArgs(
        data_network=network.data_network,
        image=redis.image_id,
        exporter_image=exporter.image_id,
        tls=True,
        ca_cert_pem=ca.cert_pem,
        ca_key_pem=ca.key_pem,
        # The rest keeps its defaults: a generated password, AOF persistence, no published port.
    ),
    on_host,
)

pulumi.export("redisHost", cache.host)
pulumi.export("redisPort", cache.port)
pulumi.export("redisPassword", cache.password)
pulumi.export("caCertificate", ca.cert_pem)
pulumi.export("databaseHost", database.host)
pulumi.export("databasePassword", database.password)
