"""The relational database on docker: ``webstack:database.shards`` shards, each a primary and
``webstack:database.replicas`` streaming replicas of PostgreSQL or MySQL on the data network, over TLS from the
internal CA, with a metrics exporter per server, and the shard map that routes to them.

Shards (:func:`database_shards`): shard 0 is the component ``database`` (its containers and volumes keep the names
they had before sharding: ``database-primary``, ``database-replica``, ...), shard ``k`` is ``database-shard-<k>``.
Each is independent: its own primary, replicas, credentials and volumes. :func:`docker_shard_map` publishes the same
document as the aws platform (:func:`components.shard_map.build_shard_map`: writers, readers, table routing and the
hash ring), with each shard's DNS names on the data network; the backend receives it as a file and applications
route with :mod:`components.shard_map`. Replica ``1`` of a shard is ``<shard>-replica``, replica ``i`` (2 and up)
``<shard>-replica-<i>``, each with its own replication slot on its primary.

The servers' files (configuration, init and start scripts) are rendered by :mod:`components.docker.database_config`,
which says what each configures.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_docker as docker

from ..settings import Settings
from ..shard_map import build_shard_map
from .common import (
    ContainerSpec,
    DatabaseEndpoint,
    HealthCheck,
    Networks,
    ScrapeTarget,
    Upload,
    volume,
)
from .database_config import (
    APP_USER,
    BACKUP_USER,
    DATABASE_CPUS,
    DATABASE_MEMORY_MB,
    EXPORTER_CPUS,
    EXPORTER_MEMORY_MB,
    EXPORTER_UID,
    MONITOR_USER,
    MYSQL_DATA_MOUNT,
    MYSQL_EXPORTER_PORT,
    MYSQL_SOCKET,
    MYSQL_TMPFS,
    MYSQL_UID,
    PGDATA,
    POSTGRES_DATA_MOUNT,
    POSTGRES_EXPORTER_FLAGS,
    POSTGRES_EXPORTER_PORT,
    POSTGRES_SOCKET_DIR,
    POSTGRES_TMPFS,
    POSTGRES_UID,
    REPLICATION_USER,
    Role,
    exporter_alias,
    mysql_client_cnf,
    mysql_cnf,
    mysql_primary_init,
    mysql_replica_init,
    mysql_roles_init,
    mysql_start_script,
    pg_hba_conf,
    postgres_init_sql,
    postgres_roles_init,
    postgres_start_script,
    postgresql_conf,
    replica_name,
    replication_slot,
    secret_file,
    shard_name,
)
from .tls_ca import (
    CA_FILE,
    InternalCa,
    InternalCaArgs,
    config_path,
    configured_container,
    container_name,
    generated_secret,
    server_names,
    tls_uploads,
)

DATABASE_TYPE = "webstack:docker:Database"


# -- the component -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatabaseArgs:
    """Inputs of :class:`Database`."""

    settings: Settings
    networks: Networks
    image: pulumi.Input[str]
    """The engine's image id (PostgreSQL or MySQL, per ``settings.database.engine``)."""
    exporter_image: pulumi.Input[str]
    """postgres-exporter or mysqld-exporter."""
    ca: InternalCa | None = None
    """The stack's internal CA; ``None``: the component creates its own."""
    shard: int = 0
    """Which shard this is (its index in the shard map)."""


def _secret(path: str, content: pulumi.Input[str]) -> Upload:
    return Upload(path, pulumi.Output.secret(content), "0400")


def _plain(path: str, content: pulumi.Input[str]) -> Upload:
    return Upload(path, content, "0440")


class Database(pulumi.ComponentResource):
    """One shard: a primary and ``webstack:database.replicas`` streaming replicas, each with a metrics exporter."""

    shard: int
    endpoint: DatabaseEndpoint
    scrape_targets: list[ScrapeTarget]
    admin_user: str
    """The superuser (PostgreSQL: ``masterUsername``; MySQL: root), reachable only inside the primary."""
    admin_password: pulumi.Output[str]
    backup_user: str
    """A role that may read everything in the app database and nothing else (``pg_read_all_data`` / SELECT...)."""
    backup_password: pulumi.Output[str]
    primary: docker.Container
    replicas: list[docker.Container]
    exporters: list[docker.Container]
    containers: list[docker.Container]
    """The primary, the replicas and the exporters (not the seeds that deliver their files)."""
    primary_container_name: str
    """The primary's Docker name (``docker exec`` for restores)."""
    volumes: list[docker.Volume]
    ca: InternalCa

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(DATABASE_TYPE, name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self.shard = args.shard
        settings = args.settings
        database = settings.database
        self.ca = (
            args.ca
            if args.ca is not None
            else InternalCa(f"{name}-ca", InternalCaArgs(), opts=pulumi.ResourceOptions(parent=self))
        )
        self._passwords = {
            key: generated_secret(f"{name}-{key}-password", self._child)
            for key in ("admin", "app", "replication", "monitor", "backup", "reader")
        }
        self._primary_host = f"{name}-primary"
        self._replica_hosts = [replica_name(name, number) for number in range(1, database.replicas + 1)]
        self._slots = [replication_slot(name, number) for number in range(1, database.replicas + 1)]
        hosts = [self._primary_host, *self._replica_hosts]
        self._certs = {host: self.ca.issue(host, server_names(host, host), self) for host in hosts}
        self.volumes = [volume(f"{host}-data", "db-primary" if index == 0 else "db-replica", self._child)
                        for index, host in enumerate(hosts)]  # fmt: skip
        if database.engine == "postgres":
            self.admin_user = database.master_username
            self.primary = self._postgres_primary()
            self.replicas = [self._postgres_replica(number) for number in range(1, database.replicas + 1)]
        else:
            self.admin_user = "root"
            self.primary = self._mysql_primary()
            self.replicas = [self._mysql_replica(number) for number in range(1, database.replicas + 1)]
        servers: list[tuple[Role, str, docker.Container]] = [
            ("primary", self._primary_host, self.primary),
            *(("replica", host, replica) for host, replica in zip(self._replica_hosts, self.replicas, strict=True)),
        ]
        self.exporters = [self._exporter(host, server) for _, host, server in servers]
        self.containers = [self.primary, *self.replicas, *self.exporters]
        self.primary_container_name = container_name(self._primary_host)
        self.admin_password = self._passwords["admin"]
        self.backup_user, self.backup_password = BACKUP_USER, self._passwords["backup"]
        self.endpoint = DatabaseEndpoint(
            engine=database.engine,
            host=self._primary_host,
            replica_hosts=tuple(self._replica_hosts),
            port=database.effective_port,
            name=database.database_name,
            user=APP_USER,
            password=pulumi.Output.secret(self._passwords["app"]),
            ca_pem=self.ca.cert_pem,
        )
        exporter_port = POSTGRES_EXPORTER_PORT if database.engine == "postgres" else MYSQL_EXPORTER_PORT
        self.scrape_targets = [
            ScrapeTarget(
                job="database" if role == "primary" else "replica", address=f"{exporter_alias(h)}:{exporter_port}"
            )
            for role, h, _ in servers
        ]
        self.register_outputs(
            {"host": self.endpoint.host, "replicaHosts": list(self.endpoint.replica_hosts), "engine": database.engine}
        )

    @property
    def replica(self) -> docker.Container | None:
        """The first replica, if there is one."""
        return self.replicas[0] if self.replicas else None

    def _spec(
        self,
        role: Role,
        host: str,
        envs: Mapping[str, pulumi.Input[str]],
        uploads: list[Upload],
        tmpfs: dict[str, str],
        data: docker.Volume,
        data_mount: str,
    ) -> ContainerSpec:
        database = self._args.settings.database
        start = 60 if role == "primary" else 600  # a replica clones the primary first
        if database.engine == "postgres":
            user = f"{POSTGRES_UID}:{POSTGRES_UID}"
            probe = ["pg_isready", "--quiet", f"--host={POSTGRES_SOCKET_DIR}", f"--port={database.effective_port}"]
        else:
            user = f"{MYSQL_UID}:{MYSQL_UID}"
            probe = ["mysqladmin", "ping", "--silent", f"--socket={MYSQL_SOCKET}"]
        return ContainerSpec(
            image=self._args.image,
            user=user,
            role=f"db-{role}",
            networks=[self._args.networks.data],
            health=HealthCheck(probe, interval_seconds=10, retries=5, start_period_seconds=start),
            memory_mb=DATABASE_MEMORY_MB,
            cpus=DATABASE_CPUS,
            entrypoint=["/bin/sh", config_path("start.sh")],
            envs=envs,
            uploads=uploads,
            tmpfs=tmpfs,
            volumes={data_mount: data},
            aliases=[host],
        )

    def _deliver(self, host: str, spec: ContainerSpec, after: list[pulumi.Resource]) -> docker.Container:
        return configured_container(host, spec, pulumi.ResourceOptions(parent=self, depends_on=after))

    def _postgres_primary(self) -> docker.Container:
        settings, passwords = self._args.settings, self._passwords
        admin = settings.database.master_username
        host = self._primary_host
        uploads = [
            _plain(config_path("start.sh"), postgres_start_script(settings, "primary")),
            _plain(config_path("postgresql.conf"), postgresql_conf(settings, "primary")),
            _plain(config_path("pg_hba.conf"), pg_hba_conf(settings)),
            _plain(config_path("initdb", "10-webstack.sql"), postgres_init_sql(settings, self._slots)),
            _plain(config_path("initdb", "20-webstack-roles.sql"), postgres_roles_init(settings)),
            *tls_uploads(self._certs[host]),
            _secret(secret_file("admin-password"), passwords["admin"]),
            _secret(secret_file("admin.pgpass"), pulumi.Output.concat("*:*:*:", admin, ":", passwords["admin"], "\n")),
            *(
                _secret(secret_file(f"{key}-password"), passwords[key])
                for key in ("app", "replication", "monitor", "backup", "reader")
            ),
        ]
        envs = {
            "PGDATA": PGDATA,
            "POSTGRES_USER": admin,
            "POSTGRES_PASSWORD_FILE": secret_file("admin-password"),
            "POSTGRES_DB": "postgres",
            "POSTGRES_INITDB_ARGS": "--data-checksums",
        }
        spec = self._spec("primary", host, envs, uploads, POSTGRES_TMPFS, self.volumes[0], POSTGRES_DATA_MOUNT)
        return self._deliver(host, spec, [])

    def _postgres_replica(self, number: int) -> docker.Container:
        settings, passwords = self._args.settings, self._passwords
        host, slot = self._replica_hosts[number - 1], self._slots[number - 1]
        primary = self._primary_host
        uploads = [
            _plain(config_path("start.sh"), postgres_start_script(settings, "replica", primary, slot)),
            _plain(
                config_path("postgresql.conf"), postgresql_conf(settings, "replica", primary_host=primary, slot=slot)
            ),
            _plain(config_path("pg_hba.conf"), pg_hba_conf(settings)),
            *tls_uploads(self._certs[host]),
            _secret(
                secret_file("replication.pgpass"),
                pulumi.Output.concat("*:*:replication:", REPLICATION_USER, ":", passwords["replication"], "\n"),
            ),
        ]
        spec = self._spec(
            "replica", host, {"PGDATA": PGDATA}, uploads, POSTGRES_TMPFS, self.volumes[number], POSTGRES_DATA_MOUNT
        )
        return self._deliver(host, spec, [self.primary])

    def _mysql_env(self) -> dict[str, str]:
        return {
            "MYSQL_ROOT_PASSWORD_FILE": secret_file("admin-password"),
            "MYSQL_ROOT_HOST": "localhost",
            "MYSQL_INITDB_SKIP_TZINFO": "1",
        }

    def _admin_cnf(self) -> pulumi.Output[str]:
        return self._passwords["admin"].apply(lambda pw: mysql_client_cnf("root", pw, socket=MYSQL_SOCKET))

    def _mysql_primary(self) -> docker.Container:
        settings, passwords = self._args.settings, self._passwords
        host = self._primary_host
        envs = {
            **self._mysql_env(),
            "MYSQL_DATABASE": settings.database.database_name,
            "MYSQL_USER": APP_USER,
            "MYSQL_PASSWORD_FILE": secret_file("app-password"),
        }
        uploads = [
            _plain(config_path("start.sh"), mysql_start_script("primary")),
            _plain(config_path("mysql.cnf"), mysql_cnf(settings, "primary", server_id=1)),
            _plain(config_path("initdb", "10-webstack.sh"), mysql_primary_init(settings)),
            _plain(config_path("initdb", "20-webstack-roles.sh"), mysql_roles_init(settings)),
            *tls_uploads(self._certs[host]),
            _secret(secret_file("admin-password"), passwords["admin"]),
            _secret(secret_file("admin.cnf"), self._admin_cnf()),
            *(
                _secret(secret_file(f"{key}-password"), passwords[key])
                for key in ("app", "replication", "monitor", "backup", "reader")
            ),
        ]
        spec = self._spec("primary", host, envs, uploads, MYSQL_TMPFS, self.volumes[0], MYSQL_DATA_MOUNT)
        return self._deliver(host, spec, [])

    def _mysql_replica(self, number: int) -> docker.Container:
        settings, passwords = self._args.settings, self._passwords
        host = self._replica_hosts[number - 1]
        uploads = [
            _plain(config_path("start.sh"), mysql_start_script("replica")),
            _plain(config_path("mysql.cnf"), mysql_cnf(settings, "replica", server_id=1 + number)),
            _plain(config_path("initdb", "10-webstack.sh"), mysql_replica_init(settings, self._primary_host)),
            *tls_uploads(self._certs[host]),
            _secret(secret_file("admin-password"), passwords["admin"]),
            _secret(secret_file("admin.cnf"), self._admin_cnf()),
            _secret(secret_file("replication-password"), passwords["replication"]),
        ]
        spec = self._spec(
            "replica", host, self._mysql_env(), uploads, MYSQL_TMPFS, self.volumes[number], MYSQL_DATA_MOUNT
        )
        return self._deliver(host, spec, [self.primary])

    def _exporter(self, host: str, server: docker.Container) -> docker.Container:
        settings = self._args.settings
        database = settings.database
        port = database.effective_port
        alias = exporter_alias(host)
        if database.engine == "postgres":
            listen = POSTGRES_EXPORTER_PORT
            envs: dict[str, pulumi.Input[str]] = {
                "DATA_SOURCE_URI": f"{host}:{port}/postgres?sslmode=verify-full&sslrootcert={CA_FILE}",
                "DATA_SOURCE_USER": MONITOR_USER,
                "DATA_SOURCE_PASS_FILE": secret_file("monitor-password"),
            }
            command: list[pulumi.Input[str]] | None = list(POSTGRES_EXPORTER_FLAGS)
            uploads = [
                _plain(CA_FILE, self.ca.cert_pem),
                _secret(secret_file("monitor-password"), self._passwords["monitor"]),
            ]
        else:
            listen = MYSQL_EXPORTER_PORT
            envs = {}
            command = [f"--config.my-cnf={secret_file('exporter.cnf')}", f"--mysqld.address={host}:{port}"]
            cnf = self._passwords["monitor"].apply(
                lambda pw: mysql_client_cnf(MONITOR_USER, pw, host=host, port=port, ca_file=CA_FILE)
            )
            uploads = [_plain(CA_FILE, self.ca.cert_pem), _secret(secret_file("exporter.cnf"), cnf)]
        spec = ContainerSpec(
            image=self._args.exporter_image,
            user=f"{EXPORTER_UID}:{EXPORTER_UID}",
            role=f"exporter-{database.engine}",
            networks=[self._args.networks.data],
            health=HealthCheck(["wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{listen}/"]),
            memory_mb=EXPORTER_MEMORY_MB,
            cpus=EXPORTER_CPUS,
            command=command,
            envs=envs,
            uploads=uploads,
            tmpfs={"/tmp": "size=8m"},
            aliases=[alias],
            # The exporter images are minimal: the seed that delivers their files runs on the database image.
            seed_image=self._args.image,
        )
        return configured_container(alias, spec, pulumi.ResourceOptions(parent=self, depends_on=[server]))


def database_shards(
    settings: Settings,
    networks: Networks,
    image: pulumi.Input[str],
    exporter_image: pulumi.Input[str],
    ca: InternalCa,
    opts: pulumi.ResourceOptions | None = None,
) -> list[Database]:
    """``webstack:database.shards`` independent shards (see the module docstring for their names)."""
    return [
        Database(
            shard_name(index),
            DatabaseArgs(
                settings=settings, networks=networks, image=image, exporter_image=exporter_image, ca=ca, shard=index
            ),
            opts,
        )
        for index in range(settings.database.shards)
    ]


def docker_shard_map(settings: Settings, shards: Sequence[Database]) -> dict[str, Any]:
    """The shard map (:func:`components.shard_map.build_shard_map`) of the docker shards: each shard's writer and
    readers as DNS names on the data network. Credentials are not in it: each shard's app password is a file."""
    database = settings.database
    return build_shard_map(
        [{"writer": shard.endpoint.host, "readers": list(shard.endpoint.replica_hosts)} for shard in shards],
        database.tables,
        virtual_nodes=database.virtual_nodes,
        engine=database.engine,
        port=database.effective_port,
    )


def shard_map_json(settings: Settings, shards: Sequence[Database]) -> str:
    return json.dumps(docker_shard_map(settings, shards), indent=2, sort_keys=True) + "\n"
