"""The relational database on docker: one shard (:class:`Database`), a primary and ``DatabaseArgs.replicas``
streaming replicas of PostgreSQL or MySQL on the data network, over TLS from the internal CA, with a metrics exporter
per server; and the shard map that routes to the shards.

A stack builds ``webstack:database.shards`` of them (:func:`components.docker.platform.database_shards`): shard 0 is
the component ``database`` (its containers and volumes keep the names they had before sharding: ``database-primary``,
``database-replica``, ...), shard ``k`` is ``database-shard-<k>``. Each is independent: its own primary, replicas,
credentials and volumes. :func:`shard_map_document` publishes the same document as the aws platform
(:func:`components.shard_map.build_shard_map`: writers, readers, table routing and the hash ring), with each shard's
DNS names on the data network; the backend receives it as a file and applications route with
:mod:`components.shard_map`. Replica ``1`` of a shard is ``<shard>-replica``, replica ``i`` (2 and up)
``<shard>-replica-<i>``, each with its own replication slot on its primary.

The servers' files (configuration, init and start scripts) are rendered by :mod:`components.docker.database_config`,
which says what each configures.
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_docker as docker

from ..settings import DEFAULT_USERNAMES
from ..shard_map import build_shard_map
from .common import (
    ContainerSpec,
    DatabaseEndpoint,
    HealthCheck,
    ScrapeTarget,
    Upload,
    volume,
)
from .database_config import (
    APP_USER,
    BACKUP_USER,
    DATABASE_CPUS,
    DATABASE_MEMORY_MB,
    DEFAULT_DATABASE_NAME,
    DEFAULT_ENGINE,
    DEFAULT_MASTER_USERNAME,
    DEFAULT_REPLICAS,
    ENGINE_PORTS,
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
)
from .tls_ca import (
    CA_FILE,
    InternalCa,
    InternalCaArgs,
    config_path,
    configured_container,
    container_name,
    generated_secret,
    issue_certificate,
    server_names,
    tls_uploads,
)

DATABASE_TYPE = "webstack:docker:Database"


# -- the component -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatabaseArgs:
    """Inputs of :class:`Database`: one shard, a primary and its streaming replicas. Every default is the secure (and
    the stack settings') choice; the network and the images have none."""

    data_network: pulumi.Input[str]
    """The Docker name of the internal data network: the servers and their exporters join it, and no other."""
    image: pulumi.Input[str]
    """The engine's image id (PostgreSQL or MySQL, as ``engine``)."""
    exporter_image: pulumi.Input[str]
    """postgres-exporter or mysqld-exporter, as ``engine``; its health check needs ``wget``."""
    engine: str | None = None
    """``postgres`` (PostgreSQL) or ``mysql`` (MySQL). Default (None): ``postgres``."""
    port: int | None = None
    """Port the servers listen on (1150-65535). Default (None): the engine's (5432 or 3306, :data:`ENGINE_PORTS`)."""
    replicas: int | None = None
    """Streaming replicas of the primary (0-5), each with its own replication slot and volume. Default (None): 1."""
    database_name: str | None = None
    """The app's database, created on the primary. Default (None): ``app``."""
    master_username: str | None = None
    """PostgreSQL's superuser (MySQL's is root), which logs in over the primary's local socket only; never a default
    name (admin, root, postgres, ...). Default (None): ``webstack_admin``."""
    shard: int | None = None
    """Which shard this is (its index in the shard map). Default (None): 0."""
    ca_cert_pem: pulumi.Input[str] | None = None
    """The internal CA certificate that signs the servers' certificates and that clients verify them against; with
    ``ca_key_pem``. Default (None): the component creates its own CA (``<name>-ca``)."""
    ca_key_pem: pulumi.Input[str] | None = None
    """The internal CA's private key (a secret); with ``ca_cert_pem``."""


def validate_database_args(args: DatabaseArgs) -> None:
    """What would make the servers fail to start, or unsafe; errors name the Args field. (A stack's settings are
    validated, naming their keys, in ``components/settings/database.py``.)"""
    engine = args.engine if args.engine is not None else DEFAULT_ENGINE
    if engine not in ENGINE_PORTS:
        _refuse("engine", "be postgres or mysql", engine)
    if args.port is not None and not 1150 <= args.port <= 65535:
        _refuse("port", "be between 1150 and 65535", args.port)
    if args.replicas is not None and not 0 <= args.replicas <= 5:
        _refuse("replicas", "be between 0 and 5", args.replicas)
    if args.shard is not None and args.shard < 0:
        _refuse("shard", "be 0 or more", args.shard)
    if args.master_username is not None:
        if args.master_username in DEFAULT_USERNAMES:
            _refuse("master_username", "not be a default user name", args.master_username)
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,15}", args.master_username):
            _refuse("master_username", "be 1-16 lowercase letters, digits or _, starting with a letter",
                    args.master_username)  # fmt: skip
    if args.database_name is not None and not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", args.database_name):
        _refuse("database_name", "be lowercase letters, digits or _, starting with a letter", args.database_name)
    if (args.ca_cert_pem is None) != (args.ca_key_pem is None):
        raise ValueError("DatabaseArgs.ca_cert_pem and DatabaseArgs.ca_key_pem go together")


def _refuse(field: str, rule: str, got: object) -> None:
    raise ValueError(f"DatabaseArgs.{field} must {rule}, got {got!r}")


def _secret(path: str, content: pulumi.Input[str]) -> Upload:
    return Upload(path, pulumi.Output.secret(content), "0400")


def _plain(path: str, content: pulumi.Input[str]) -> Upload:
    return Upload(path, content, "0440")


class Database(pulumi.ComponentResource):
    """One shard: a primary and its streaming replicas of PostgreSQL or MySQL over TLS from an internal CA, each with
    a metrics exporter, every credential generated."""

    shard: int
    """Which shard this is (its index in the shard map)."""
    engine: str
    """``postgres`` or ``mysql``."""
    host: str
    """The primary's DNS name on the data network (writes)."""
    replica_hosts: list[str]
    """The replicas' DNS names on the data network (reads), in order."""
    port: int
    """The port every server listens on."""
    database_name: str
    """The app's database."""
    user: str
    """The app's role: owner of the app's database, nothing else."""
    password: pulumi.Output[str]
    """The app role's generated password (a secret)."""
    ca_pem: pulumi.Output[str]
    """The CA that signed the servers' certificates: clients verify the servers' names against it."""
    admin_user: str
    """The superuser (PostgreSQL: ``master_username``; MySQL: root), reachable only inside the primary."""
    admin_password: pulumi.Output[str]
    """The superuser's generated password (a secret)."""
    backup_user: str
    """A role that may read everything in the app database and nothing else (``pg_read_all_data`` / SELECT...)."""
    backup_password: pulumi.Output[str]
    """The backup role's generated password (a secret)."""
    primary_container_name: str
    """The primary's Docker name (``docker exec`` for restores)."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_database_args(args)
        super().__init__(DATABASE_TYPE, name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self.shard = args.shard if args.shard is not None else 0
        self.engine = engine = args.engine if args.engine is not None else DEFAULT_ENGINE
        self.port = port = args.port if args.port is not None else ENGINE_PORTS[engine]
        self.database_name = args.database_name if args.database_name is not None else DEFAULT_DATABASE_NAME
        self._master_username = args.master_username if args.master_username is not None else DEFAULT_MASTER_USERNAME
        replicas = args.replicas if args.replicas is not None else DEFAULT_REPLICAS
        if args.ca_cert_pem is not None and args.ca_key_pem is not None:
            ca_cert, self._ca_key = pulumi.Output.from_input(args.ca_cert_pem), args.ca_key_pem
        else:
            own = InternalCa(f"{name}-ca", InternalCaArgs(), opts=pulumi.ResourceOptions(parent=self))
            ca_cert, self._ca_key = own.cert_pem, own.key_pem
        self.ca_pem = ca_cert
        self._passwords = {
            key: generated_secret(f"{name}-{key}-password", self._child)
            for key in ("admin", "app", "replication", "monitor", "backup", "reader")
        }
        self._primary_host = f"{name}-primary"
        self._replica_hosts = [replica_name(name, number) for number in range(1, replicas + 1)]
        self._slots = [replication_slot(name, number) for number in range(1, replicas + 1)]
        hosts = [self._primary_host, *self._replica_hosts]
        self._certs = {
            host: issue_certificate(host, server_names(host, host), ca_cert, self._ca_key, self) for host in hosts
        }
        self.volumes: list[docker.Volume] = [
            volume(f"{host}-data", "db-primary" if index == 0 else "db-replica", self._child)
            for index, host in enumerate(hosts)
        ]
        self.primary: docker.Container
        self.replicas: list[docker.Container]
        if engine == "postgres":
            self.admin_user = self._master_username
            self.primary = self._postgres_primary()
            self.replicas = [self._postgres_replica(number) for number in range(1, replicas + 1)]
        else:
            self.admin_user = "root"
            self.primary = self._mysql_primary()
            self.replicas = [self._mysql_replica(number) for number in range(1, replicas + 1)]
        servers: list[tuple[Role, str, docker.Container]] = [
            ("primary", self._primary_host, self.primary),
            *(("replica", host, replica) for host, replica in zip(self._replica_hosts, self.replicas, strict=True)),
        ]
        self.exporters: list[docker.Container] = [self._exporter(host, server) for _, host, server in servers]
        self.containers: list[docker.Container] = [self.primary, *self.replicas, *self.exporters]
        """The primary, the replicas and the exporters (not the seeds that deliver their files)."""
        self.primary_container_name = container_name(self._primary_host)
        self.admin_password = self._passwords["admin"]
        self.backup_user, self.backup_password = BACKUP_USER, self._passwords["backup"]
        self.host, self.replica_hosts, self.user = self._primary_host, list(self._replica_hosts), APP_USER
        self.password = pulumi.Output.secret(self._passwords["app"])
        self.endpoint: DatabaseEndpoint = DatabaseEndpoint(
            engine=engine,
            host=self._primary_host,
            replica_hosts=tuple(self._replica_hosts),
            port=port,
            name=self.database_name,
            user=APP_USER,
            password=self.password,
            ca_pem=ca_cert,
        )
        exporter_port = POSTGRES_EXPORTER_PORT if engine == "postgres" else MYSQL_EXPORTER_PORT
        self.scrape_targets: list[ScrapeTarget] = [
            ScrapeTarget(
                job="database" if role == "primary" else "replica", address=f"{exporter_alias(h)}:{exporter_port}"
            )
            for role, h, _ in servers
        ]
        self.register_outputs(
            {"host": self.endpoint.host, "replicaHosts": list(self.endpoint.replica_hosts), "engine": engine}
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
        start = 60 if role == "primary" else 600  # a replica clones the primary first
        if self.engine == "postgres":
            user = f"{POSTGRES_UID}:{POSTGRES_UID}"
            probe = ["pg_isready", "--quiet", f"--host={POSTGRES_SOCKET_DIR}", f"--port={self.port}"]
        else:
            user = f"{MYSQL_UID}:{MYSQL_UID}"
            probe = ["mysqladmin", "ping", "--silent", f"--socket={MYSQL_SOCKET}"]
        return ContainerSpec(
            image=self._args.image,
            user=user,
            role=f"db-{role}",
            networks=[self._args.data_network],
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
        passwords, port, database = self._passwords, self.port, self.database_name
        admin = self._master_username
        host = self._primary_host
        uploads = [
            _plain(config_path("start.sh"), postgres_start_script(port, "primary")),
            _plain(config_path("postgresql.conf"), postgresql_conf(port, "primary")),
            _plain(config_path("pg_hba.conf"), pg_hba_conf(database)),
            _plain(config_path("initdb", "10-webstack.sql"), postgres_init_sql(database, self._slots)),
            _plain(config_path("initdb", "20-webstack-roles.sql"), postgres_roles_init(database)),
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
        passwords, port = self._passwords, self.port
        host, slot = self._replica_hosts[number - 1], self._slots[number - 1]
        primary = self._primary_host
        uploads = [
            _plain(config_path("start.sh"), postgres_start_script(port, "replica", primary, slot)),
            _plain(config_path("postgresql.conf"), postgresql_conf(port, "replica", primary_host=primary, slot=slot)),
            _plain(config_path("pg_hba.conf"), pg_hba_conf(self.database_name)),
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
        passwords, database = self._passwords, self.database_name
        host = self._primary_host
        envs = {
            **self._mysql_env(),
            "MYSQL_DATABASE": database,
            "MYSQL_USER": APP_USER,
            "MYSQL_PASSWORD_FILE": secret_file("app-password"),
        }
        uploads = [
            _plain(config_path("start.sh"), mysql_start_script("primary")),
            _plain(config_path("mysql.cnf"), mysql_cnf(self.port, "primary", server_id=1)),
            _plain(config_path("initdb", "10-webstack.sh"), mysql_primary_init(database)),
            _plain(config_path("initdb", "20-webstack-roles.sh"), mysql_roles_init(database)),
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
        passwords = self._passwords
        host = self._replica_hosts[number - 1]
        uploads = [
            _plain(config_path("start.sh"), mysql_start_script("replica")),
            _plain(config_path("mysql.cnf"), mysql_cnf(self.port, "replica", server_id=1 + number)),
            _plain(config_path("initdb", "10-webstack.sh"), mysql_replica_init(self.port, self._primary_host)),
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
        engine, port = self.engine, self.port
        alias = exporter_alias(host)
        if engine == "postgres":
            listen = POSTGRES_EXPORTER_PORT
            envs: dict[str, pulumi.Input[str]] = {
                "DATA_SOURCE_URI": f"{host}:{port}/postgres?sslmode=verify-full&sslrootcert={CA_FILE}",
                "DATA_SOURCE_USER": MONITOR_USER,
                "DATA_SOURCE_PASS_FILE": secret_file("monitor-password"),
            }
            command: list[pulumi.Input[str]] | None = list(POSTGRES_EXPORTER_FLAGS)
            uploads = [
                _plain(CA_FILE, self.ca_pem),
                _secret(secret_file("monitor-password"), self._passwords["monitor"]),
            ]
        else:
            listen = MYSQL_EXPORTER_PORT
            envs = {}
            command = [f"--config.my-cnf={secret_file('exporter.cnf')}", f"--mysqld.address={host}:{port}"]
            cnf = self._passwords["monitor"].apply(
                lambda pw: mysql_client_cnf(MONITOR_USER, pw, host=host, port=port, ca_file=CA_FILE)
            )
            uploads = [_plain(CA_FILE, self.ca_pem), _secret(secret_file("exporter.cnf"), cnf)]
        spec = ContainerSpec(
            image=self._args.exporter_image,
            user=f"{EXPORTER_UID}:{EXPORTER_UID}",
            role=f"exporter-{engine}",
            networks=[self._args.data_network],
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


def shard_map_document(shards: Sequence[Database], tables: Mapping[str, int], virtual_nodes: int) -> dict[str, Any]:
    """The shard map (:func:`components.shard_map.build_shard_map`) of the docker shards (``tables``: table -> shard;
    ``virtual_nodes``: the hash ring's): each shard's writer and readers as DNS names on the data network. Credentials
    are not in it: each shard's app password is a file."""
    if not shards:
        raise ValueError("a shard map needs at least one shard")
    return build_shard_map(
        [{"writer": shard.host, "readers": list(shard.replica_hosts)} for shard in shards],
        tables,
        virtual_nodes=virtual_nodes,
        engine=shards[0].engine,
        port=shards[0].port,
    )


def shard_map_text(document: Mapping[str, Any]) -> str:
    """A shard map (:func:`shard_map_document`) as the file the backend reads."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
