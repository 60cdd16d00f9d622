"""Database backups on docker: a daily logical dump of every shard's primary, encrypted by the job itself and shipped
to the backups bucket of the object storage; the job's metrics are served to Prometheus.

Three long-running containers share a scratch volume:

- ``backup`` (role ``backup``, container ``<name>-dump``), on the backup image (the dump tools of the server's
  release, and ``openssl``: :func:`components.docker.images.backup_image`): every day at
  ``BackupsArgs.backup_hour_utc`` (a stack's ``webstack:docker.backupHourUtc``) it dumps the app database of each
  shard's primary as that shard's backup role, over TLS that verifies the primary's certificate, and encrypts the dump
  before it touches the disk (:func:`encrypt`: ``openssl enc`` AES-256-CBC with a PBKDF2-derived key and a random
  salt, the passphrase a generated 64-character secret, :attr:`Backups.encryption_key`, kept in the stack's state as a
  secret and delivered only to this container).
  PostgreSQL dumps in the custom format (``pg_dump -Fc``, compressed), MySQL with ``mysqldump --single-transaction``
  through ``gzip``. A dump taken on a Sunday (UTC) is marked for the ``weekly/`` prefix as well as ``daily/``. A shard
  whose dump fails is tried again every minute of the backup hour. Its health check is the heartbeat: unhealthy when
  the oldest shard's last dump that reached the bucket is more than 26 hours old (the first start counts as one, so a
  new stack has a day's grace);
- ``backup-upload`` (role ``backup-upload``), on the mc image: uploads each finished dump to the backups bucket
  (``daily/<file>``, and ``weekly/<file>`` on Sundays) over TLS verified against the internal CA, with the backup
  user's credentials (write and read the backups bucket, delete nothing); MinIO encrypts it at rest once more
  (SSE-S3, the bucket's default). Then it deletes the local copy and writes the heartbeat;
- ``backup-metrics`` (role ``exporter-backup``): Prometheus' node exporter with only its textfile collector, which
  serves ``metrics/*.prom`` of the scratch volume (mounted read-only) on :data:`METRICS_PORT`; Prometheus scrapes it
  as the job ``backup``.

Dump files are ``<database>-<UTC time>.dump.enc`` (MySQL: ``.sql.gz.enc``), with ``-shard-<k>`` after the database
name when the stack has more than one shard. Retention is the bucket's lifecycle (see
:mod:`components.docker.storage`): daily dumps ``webstack:backups.dailyRetentionDays``, weekly ones
``webstack:docker.weeklyRetentionDays``.

Both scripts keep per-shard state (``state/failures-<k>``, ``state/last-success-<k>``) and write
``metrics/backup.prom`` in Prometheus' text format: ``webstack_backup_failures_total{shard}``, the counter the
BackupJobFailed alert watches, and ``webstack_backup_last_success_timestamp_seconds{shard}``.

Restoring. The dumps never touch the host's disk in plaintext and no key leaves its container: the uploader streams
the encrypted dump out of MinIO, the backup container decrypts it (:func:`decrypt`), and ``pg_restore`` / ``mysql``
run inside the shard's primary, over its local socket. :func:`restore_command` writes the command, and
:attr:`Backups.restore_instructions` has it with the stack's container names (``<upload>`` is
``webstack-<stack>-backups-upload``, ``<dump>`` ``webstack-<stack>-backups-dump``, ``<primary>``
``webstack-<stack>-database-primary``, or ``...-database-shard-<k>-primary``)::

    # list the dumps (daily/ and weekly/)
    docker exec <upload> sh -c '. /etc/webstack/mc-env.sh && mc ls --recursive store/backups/'
    # stop the web services; restore one dump into the primary (the replicas follow it)
    docker exec <upload> sh -c '. /etc/webstack/mc-env.sh && mc cat store/backups/daily/<file>' \\
      | docker exec -i <dump> sh -c 'openssl enc -d -aes-256-cbc -pbkdf2 -iter 600000 -md sha256 \\
          -pass file:/etc/webstack/secrets/backup-key' \\
      | docker exec -i <primary> sh -c 'PGPASSFILE=/etc/webstack/secrets/admin.pgpass pg_restore \\
          --clean --if-exists --exit-on-error --no-password --host=/var/run/postgresql --port=5432 \\
          --username=webstack_admin --dbname=app'

For MySQL the last part is ``docker exec -i <primary> sh -c 'gunzip | mysql
--defaults-extra-file=/etc/webstack/secrets/admin.cnf app'`` (``mysqldump`` wrote ``DROP TABLE IF EXISTS`` before each
table, as ``--clean`` does for PostgreSQL). Dumps made before the job encrypted them (``.dump``, ``.sql.gz``) restore
without the middle part.
"""

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from . import database_config as db
from .common import ContainerSpec, HealthCheck, ScrapeTarget, Upload, container, volume
from .storage import BACKUPS_BUCKET, DAILY_PREFIX, MC_ALIAS, MC_ENV_FILE, mc_env_script
from .tls_ca import CA_FILE, config_path, configured_container, container_name, generated_secret

BACKUPS_TYPE = "webstack:docker:Backups"
#: The hour (UTC) of the daily dump unless ``BackupsArgs.backup_hour_utc`` says otherwise (the guides' 02:00, and
#: ``webstack:docker.backupHourUtc``'s default).
BACKUP_HOUR_UTC = 2
#: A dump older than this (seconds) since it last reached the bucket makes the backup container unhealthy.
HEARTBEAT_MAX_AGE_SECONDS = 26 * 3600
#: The uploader's loop writes a sign of life every minute; older than this, it is stuck.
UPLOADER_MAX_SILENCE_SECONDS = 300
BACKUP_MEMORY_MB = 512
UPLOAD_MEMORY_MB = 256
#: Where the scratch volume is mounted in the backup container: the database image's data directory (mode 1777 in
#: both the Alpine and the Debian PostgreSQL images, and the mysql user's in MySQL's), so that a new volume is
#: writable by the unprivileged dump.
SCRATCH_MOUNTS = {"postgres": db.POSTGRES_DATA_MOUNT, "mysql": db.MYSQL_DATA_MOUNT}
#: Where the uploader (mc image) and the metrics exporter mount the same volume.
UPLOAD_MOUNT = "/backup"
#: Both backup images have bash (pipefail: a failed dump is not hidden by the encryption after it).
SHELL = "/bin/bash"
#: The encryption key's file in the backup container, and its length (letters and digits: about 380 bits).
KEY_FILE = config_path("secrets", "backup-key")
KEY_LENGTH = 64
#: ``openssl enc`` (openssl-enc(1), OpenSSL 1.1.1 and 3.x): AES-256-CBC with a key derived by PBKDF2 (SHA-256, this
#: many iterations, OWASP's 2023 figure for PBKDF2-HMAC-SHA256) from the passphrase and a random salt stored in the
#: file. ``enc`` offers no authenticated mode (its manual: no CCM or GCM); pg_restore and gunzip reject a damaged
#: dump, and the bucket's objects are versioned and written only by the backup user.
CIPHER = ("-aes-256-cbc", "-pbkdf2", "-iter", "600000", "-md", "sha256")
#: The node exporter (textfile collector only) that serves the backup metrics.
METRICS_PORT = 9100
METRICS_DIR = f"{UPLOAD_MOUNT}/metrics"
METRICS_JOB = "backup"
METRICS_FLAGS = (
    "--collector.disable-defaults",
    "--collector.textfile",
    f"--collector.textfile.directory={METRICS_DIR}",
    f"--web.listen-address=:{METRICS_PORT}",
)


def encrypt() -> str:
    """The filter that encrypts a dump (stdin to stdout) with the key file."""
    return " ".join(["openssl", "enc", *CIPHER, "-salt", "-pass", f"file:{KEY_FILE}"])


def decrypt() -> str:
    """The filter that decrypts what :func:`encrypt` wrote."""
    return " ".join(["openssl", "enc", "-d", *CIPHER, "-pass", f"file:{KEY_FILE}"])


def dump_file_name(engine: str, database: str, shard: int = 0, shards: int = 1) -> str:
    """A dump's file name as the shell builds it (``$stamp`` is the UTC time of the dump) for the database
    ``database`` of ``shard`` among ``shards``."""
    suffix = "dump" if engine == "postgres" else "sql.gz"
    label = f"-shard-{shard}" if shards > 1 else ""
    return f"{database}{label}-$stamp.{suffix}.enc"


def credentials_file(engine: str, shard: int) -> str:
    """The backup role's credentials for ``shard`` in the backup container."""
    extension = "pgpass" if engine == "postgres" else "cnf"
    return config_path("secrets", f"backup-{shard}.{extension}")


def metrics_functions(scratch: str, shards: int) -> list[str]:
    """Shell functions both scripts share: the per-shard failure counters and the metrics file."""
    indexes = " ".join(str(index) for index in range(shards))
    return [
        f'state="{scratch}/state"',
        f'metrics="{scratch}/metrics"',
        f'shards="{indexes}"',
        'mkdir -p "$state" "$metrics"',
        "write_metrics() {",
        '    tmp="$metrics/backup.prom.$$.tmp"',
        "    {",
        '        echo "# HELP webstack_backup_failures_total Database dumps and uploads that failed."',
        '        echo "# TYPE webstack_backup_failures_total counter"',
        "        for shard in $shards; do",
        '            echo "webstack_backup_failures_total{shard=\\"$shard\\"} '
        '$(cat "$state/failures-$shard" 2>/dev/null || echo 0)"',
        "        done",
        '        echo "# HELP webstack_backup_last_success_timestamp_seconds When a dump last reached the bucket."',
        '        echo "# TYPE webstack_backup_last_success_timestamp_seconds gauge"',
        "        for shard in $shards; do",
        '            echo "webstack_backup_last_success_timestamp_seconds{shard=\\"$shard\\"} '
        '$(cat "$state/last-success-$shard" 2>/dev/null || echo 0)"',
        "        done",
        '    } > "$tmp"',
        '    chmod 0644 "$tmp"',
        '    mv "$tmp" "$metrics/backup.prom"',
        "}",
        "record_failure() {",
        '    echo "$(( $(cat "$state/failures-$1" 2>/dev/null || echo 0) + 1 ))" > "$state/failures-$1"',
        "    write_metrics",
        '    echo "backup: $2 failed" >&2',
        "}",
    ]


def dump_command(engine: str, port: int, database: str, shard: int, host: str) -> str:
    """The shell pipeline that dumps the app database ``database`` of the primary ``host`` (listening on ``port``) of
    ``shard``, encrypted, to stdout."""
    if engine == "postgres":
        conninfo = (
            f"host={host} port={port} user={db.BACKUP_USER} dbname={database} sslmode=verify-full sslrootcert={CA_FILE}"
        )
        dump = (
            f"PGPASSFILE={credentials_file(engine, shard)} pg_dump --format=custom --compress=6 --no-password "
            f'"{conninfo}"'
        )
    else:
        dump = (
            f"mysqldump --defaults-extra-file={credentials_file(engine, shard)} --single-transaction --quick "
            f"--routines --triggers --events --set-gtid-purged=OFF --no-tablespaces {database} "
            "| gzip -6"
        )
    return f"{dump} | {encrypt()}"


def backup_script(engine: str, port: int, database: str, hour_utc: int, hosts: Sequence[str]) -> str:
    """The backup container's loop: at ``hour_utc``, once a day per shard, dump ``database`` of each primary
    (``hosts``, by shard) into the outbox and mark the dump for the uploader (``<shard> daily``, and ``weekly`` on
    Sundays)."""
    scratch = SCRATCH_MOUNTS[engine]
    lines = [
        f"#!{SHELL}",
        f"# Generated by webstack: dumps {database} of every shard each day at "
        f"{hour_utc:02d}:00 UTC, encrypted; backup-upload ships the dumps.",
        "set -euo pipefail",
        "umask 007",
        f'outbox="{scratch}/outbox"',
        'mkdir -p "$outbox"',
        *metrics_functions(scratch, len(hosts)),
        "# The first start counts as a success: a new stack is healthy until its first backup is due.",
        "for shard in $shards; do",
        '    [ -s "$state/last-success-$shard" ] || date -u +%s > "$state/last-success-$shard"',
        "done",
        "write_metrics",
        "while true; do",
        '    today="$(date -u +%Y-%m-%d)"',
        f'    if [ "$(date -u +%H)" = "{hour_utc:02d}" ]; then',
        '        prefixes="daily"',
        '        if [ "$(date -u +%u)" = "7" ]; then prefixes="daily weekly"; fi',
    ]
    for shard, host in enumerate(hosts):
        lines += [
            f'        if [ "$(cat "$state/last-run-{shard}" 2>/dev/null || true)" != "$today" ]; then',
            '            stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
            f'            name="{dump_file_name(engine, database, shard, len(hosts))}"',
            f'            if {dump_command(engine, port, database, shard, host)} > "$outbox/$name.partial"; then',
            '                mv "$outbox/$name.partial" "$outbox/$name"',
            f'                echo "{shard} $prefixes" > "$outbox/$name.ready"',
            f'                echo "$today" > "$state/last-run-{shard}"',
            '                echo "backup: dumped $name" >&2',
            "            else",
            '                rm -f "$outbox/$name.partial"',
            f'                record_failure {shard} "the dump of shard {shard}"',
            "            fi",
            "        fi",
        ]
    lines += ["    fi", "    sleep 60", "done", ""]
    return "\n".join(lines)


def upload_script(shards: int) -> str:
    """The uploader's loop: every finished dump to the backups bucket under each prefix it is marked for, then the
    local copy goes and the shard's heartbeat is written."""
    return "\n".join(
        [
            "#!/bin/sh",
            "# Generated by webstack: ships finished dumps from the outbox to the backups bucket.",
            "set -eu",
            f". {MC_ENV_FILE}",
            "umask 007",
            f'outbox="{UPLOAD_MOUNT}/outbox"',
            *metrics_functions(UPLOAD_MOUNT, shards),
            "while true; do",
            "    date -u +%s > /tmp/alive",
            '    for ready in "$outbox"/*.ready; do',
            '        [ -e "$ready" ] || continue',
            '        dump="${ready%.ready}"',
            '        name="${dump##*/}"',
            '        set -- $(cat "$ready")',
            '        shard="$1"',
            "        shift",
            "        uploaded=yes",
            '        for prefix in "$@"; do',
            f'            mc cp --quiet "$dump" "{MC_ALIAS}/{BACKUPS_BUCKET}/$prefix/$name" || uploaded=no',
            "        done",
            '        if [ "$uploaded" = yes ]; then',
            '            rm -f "$dump" "$ready"',
            '            date -u +%s > "$state/last-success-$shard"',
            "            write_metrics",
            '            echo "backup-upload: uploaded $name" >&2',
            "        else",
            '            record_failure "$shard" "the upload of $name"',
            "        fi",
            "    done",
            "    sleep 60",
            "done",
            "",
        ]
    )


def heartbeat_check(state_file: str, max_age_seconds: int) -> list[str]:
    """A shell health check: healthy while ``state_file`` (a glob: the oldest of them counts) holds a time (epoch
    seconds) younger than the limit."""
    oldest = f"$(cat {state_file} | sort -n | head -n 1)"
    return ["[", f'"$(( $(date +%s) - {oldest} ))"', "-lt", str(max_age_seconds), "]"]


def _heartbeat_health(state_file: str, max_age_seconds: int) -> HealthCheck:
    """The container's health check: :func:`heartbeat_check` every minute, after a minute's grace at start."""
    return HealthCheck(
        heartbeat_check(state_file, max_age_seconds), interval_seconds=60, start_period_seconds=60, shell=True
    )


def _mc(command: str) -> str:
    return shlex.quote(f". {MC_ENV_FILE} && {command}")


def list_command(uploader_container: str) -> str:
    """Lists the dumps in the backups bucket."""
    return f"docker exec {uploader_container} sh -c {_mc(f'mc ls --recursive {MC_ALIAS}/{BACKUPS_BUCKET}/')}"


def restore_command(
    engine: str,
    port: int,
    database: str,
    admin_user: str,
    uploader_container: str,
    dump_container: str,
    primary_container: str,
    object_key: str = f"{DAILY_PREFIX}<file>",
) -> str:
    """The command (run where the Docker CLI reaches the stack's host) that restores the dump ``object_key`` of the
    backups bucket into ``database`` of a primary: streamed from MinIO by the uploader, decrypted by the backup
    container, restored inside the primary over its local socket as the superuser ``admin_user`` (PostgreSQL:
    ``pg_restore --clean --if-exists``; MySQL: ``mysql <`` the unzipped dump, as root from its option file)."""
    fetch = f"docker exec {uploader_container} sh -c {_mc(f'mc cat {MC_ALIAS}/{BACKUPS_BUCKET}/{object_key}')}"
    if engine == "postgres":
        restore = (
            f"PGPASSFILE={db.secret_file('admin.pgpass')} pg_restore --clean --if-exists --exit-on-error "
            f"--no-password --host={db.POSTGRES_SOCKET_DIR} --port={port} "
            f"--username={admin_user} --dbname={database}"
        )
    else:
        restore = f"gunzip | mysql --defaults-extra-file={db.secret_file('admin.cnf')} {database}"
    return (
        f"{fetch} \\\n  | docker exec -i {dump_container} sh -c {shlex.quote(decrypt())} \\\n"
        f"  | docker exec -i {primary_container} sh -c {shlex.quote(restore)}"
    )


def restore_instructions(
    engine: str,
    port: int,
    database: str,
    admin_user: str,
    uploader_container: str,
    dump_container: str,
    primary_containers: Sequence[str],
) -> str:
    """How to list and restore the backups of this stack (every shard), for docs/local-stack.md and the stack's
    outputs."""
    lines = ["# List the dumps (daily/ and weekly/):", list_command(uploader_container)]
    for shard, primary in enumerate(primary_containers):
        which = f" of shard {shard} (its files: *-shard-{shard}-*)" if len(primary_containers) > 1 else ""
        lines += [
            f"# Stop the web services first. Restore one dump{which} into its primary (the replicas follow it):",
            restore_command(engine, port, database, admin_user, uploader_container, dump_container, primary),
        ]
    return "\n".join(lines)


@dataclass(frozen=True)
class BackupShardArgs:
    """One shard's primary, as the backups reach it."""

    host: str
    """The primary's DNS name on the data network (``Database.host``)."""
    backup_password: pulumi.Input[str]
    """The shard's backup role's password (a secret: ``Database.backup_password``)."""
    primary_container_name: str
    """The primary's Docker name (``Database.primary_container_name``), for the restore instructions."""
    backup_user: str | None = None
    """The shard's backup role (``Database.backup_user``), which may read the app database and nothing else. Default
    (None): ``backup``."""
    primary: docker.Container | None = None
    """The primary's container: the dump container is created after it. Default (None): no ordering (the dump of a
    shard that is not up yet fails and is tried again every minute of the backup hour)."""


@dataclass(frozen=True)
class BackupsArgs:
    """Inputs of :class:`Backups`. Every default is the secure (and the stack settings') choice; the network, the
    images, the shards and the object storage have none."""

    data_network: pulumi.Input[str]
    """The Docker name of the internal data network, where the primaries, MinIO and Prometheus are."""
    backup_image: pulumi.Input[str]
    """The backup image's id: the server's dump tools and openssl (:func:`components.docker.images.backup_image`)."""
    mc_image: pulumi.Input[str]
    """The MinIO client (mc) image id: the uploader's."""
    metrics_image: pulumi.Input[str]
    """The node exporter's image id."""
    shards: Sequence[BackupShardArgs]
    """Every shard's primary, in shard order (at least one)."""
    database_ca_pem: pulumi.Input[str]
    """The CA that signed the primaries' certificates (``Database.ca_pem``): the dumps verify it."""
    storage_host: str
    """MinIO's DNS name on the data network (``ObjectStorage.host``)."""
    storage_ca_pem: pulumi.Input[str]
    """The CA that signed MinIO's certificate (``ObjectStorage.ca_pem``)."""
    storage_access_key: pulumi.Input[str]
    """The backup user's access key on MinIO (a secret: ``ObjectStorage.backup_access_key``); it may write and read the
    backups bucket and delete nothing."""
    storage_secret_key: pulumi.Input[str]
    """The backup user's secret key (a secret: ``ObjectStorage.backup_secret_key``)."""
    engine: str | None = None
    """The shards' engine, ``postgres`` or ``mysql``. Default (None): ``postgres``."""
    port: int | None = None
    """The port the primaries listen on. Default (None): the engine's (5432 or 3306)."""
    database_name: str | None = None
    """The app's database, the one dumped. Default (None): ``app``."""
    master_username: str | None = None
    """PostgreSQL's superuser, which the restore instructions log in as (MySQL: root). Default (None):
    ``webstack_admin``."""
    backup_hour_utc: int | None = None
    """Hour (UTC, 0-23) of the daily dump. Default (None): 2 (:data:`BACKUP_HOUR_UTC`)."""
    storage_setup: docker.Container | None = None
    """The object storage's setup job (``ObjectStorage.setup``), which creates the backup user: the uploader is created
    after it. Default (None): no ordering (a failed upload is tried again every minute)."""


def validate_backups_args(args: BackupsArgs) -> None:
    """What would make the job fail every night; errors name the Args field."""
    if not args.shards:
        raise ValueError("BackupsArgs.shards must name at least one shard, got []")
    if args.engine is not None and args.engine not in db.ENGINE_PORTS:
        raise ValueError(f"BackupsArgs.engine must be postgres or mysql, got {args.engine!r}")
    if args.backup_hour_utc is not None and not 0 <= args.backup_hour_utc <= 23:
        raise ValueError(f"BackupsArgs.backup_hour_utc must be between 0 and 23, got {args.backup_hour_utc!r}")


class Backups(pulumi.ComponentResource):
    """The daily encrypted dump of every shard, its upload to the backups bucket, and its metrics."""

    restore_instructions: str
    """How to list the dumps and restore one into its shard's primary (``docker exec`` commands)."""
    metrics_address: str
    """``host:port`` of the backup metrics on the data network (``webstack_backup_failures_total``, ...), for
    Prometheus."""

    def __init__(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_backups_args(args)
        super().__init__(BACKUPS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        shards = list(args.shards)
        engine = args.engine if args.engine is not None else db.DEFAULT_ENGINE
        port = args.port if args.port is not None else db.ENGINE_PORTS[engine]
        database = args.database_name if args.database_name is not None else db.DEFAULT_DATABASE_NAME
        admin = args.master_username if args.master_username is not None else db.DEFAULT_MASTER_USERNAME
        hour = args.backup_hour_utc if args.backup_hour_utc is not None else BACKUP_HOUR_UTC
        uid = db.POSTGRES_UID if engine == "postgres" else db.MYSQL_UID
        scratch_mount = SCRATCH_MOUNTS[engine]
        # Dumps wait here until they reach the bucket, with the heartbeats and the failure counters: protected like
        # the other data volumes.
        self.scratch: docker.Volume = volume(f"{name}-scratch", "backup", child)
        """The outbox, the state (heartbeats, failures) and ``metrics/backup.prom``."""
        self.metrics_file = "metrics/backup.prom"
        """``backup.prom``'s path inside :attr:`scratch`."""
        self.encryption_key: pulumi.Output[str] = generated_secret(f"{name}-encryption-key", child, length=KEY_LENGTH)
        """The passphrase of every dump (a secret)."""
        credentials = [
            Upload(
                credentials_file(engine, index),
                pulumi.Output.secret(_credentials(engine, port, database, shard)),
                "0400",
            )
            for index, shard in enumerate(shards)
        ]
        primaries = [shard.primary for shard in shards if shard.primary is not None]
        self.backup: docker.Container = configured_container(
            f"{name}-dump",
            ContainerSpec(
                image=args.backup_image,
                user=f"{uid}:{uid}",
                role="backup",
                networks=[args.data_network],
                health=_heartbeat_health(f"{scratch_mount}/state/last-success-*", HEARTBEAT_MAX_AGE_SECONDS),
                memory_mb=BACKUP_MEMORY_MB,
                cpus=0.5,
                entrypoint=[SHELL, config_path("backup.sh")],
                uploads=[
                    Upload(
                        config_path("backup.sh"),
                        backup_script(engine, port, database, hour, [shard.host for shard in shards]),
                        "0440",
                    ),
                    Upload(CA_FILE, args.database_ca_pem, "0440"),
                    Upload(KEY_FILE, self.encryption_key, "0400"),
                    *credentials,
                ],
                tmpfs={"/tmp": "size=16m"},
                volumes={scratch_mount: self.scratch},
            ),
            pulumi.ResourceOptions(parent=self, depends_on=primaries),
        )
        access_file, secret_file = config_path("secrets", "access-key"), config_path("secrets", "secret-key")
        setup = [args.storage_setup] if args.storage_setup is not None else []
        self.uploader: docker.Container = configured_container(
            f"{name}-upload",
            ContainerSpec(
                image=args.mc_image,
                user=f"{uid}:{uid}",
                role="backup-upload",
                networks=[args.data_network],
                health=_heartbeat_health("/tmp/alive", UPLOADER_MAX_SILENCE_SECONDS),
                memory_mb=UPLOAD_MEMORY_MB,
                cpus=0.5,
                entrypoint=["/bin/sh", config_path("upload.sh")],
                uploads=[
                    Upload(config_path("upload.sh"), upload_script(len(shards)), "0440"),
                    Upload(MC_ENV_FILE, mc_env_script(args.storage_host, access_file, secret_file), "0440"),
                    Upload(CA_FILE, args.storage_ca_pem, "0440"),
                    Upload(access_file, pulumi.Output.secret(args.storage_access_key), "0400"),
                    Upload(secret_file, pulumi.Output.secret(args.storage_secret_key), "0400"),
                ],
                tmpfs={"/tmp": "size=16m"},
                volumes={UPLOAD_MOUNT: self.scratch},
            ),
            # After the backup container: the scratch volume must take its owner from the backup image first.
            pulumi.ResourceOptions(parent=self, depends_on=[self.backup, *setup]),
        )
        # The scripts' directories are the backup user's (umask 007): the exporter reads them as that user.
        self.metrics: docker.Container = container(
            f"{name}-metrics",
            ContainerSpec(
                image=args.metrics_image,
                user=f"{uid}:{uid}",
                role="exporter-backup",
                networks=[args.data_network],
                health=HealthCheck(["wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{METRICS_PORT}/metrics"]),
                memory_mb=64,
                cpus=0.1,
                command=list(METRICS_FLAGS),
                read_only_volumes={UPLOAD_MOUNT: self.scratch},
                aliases=[f"{name}-metrics"],
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[self.backup]),
        )
        self.containers: list[docker.Container] = [self.backup, self.uploader, self.metrics]
        self.metrics_address = f"{name}-metrics:{METRICS_PORT}"
        self.scrape_targets: list[ScrapeTarget] = [ScrapeTarget(job=METRICS_JOB, address=self.metrics_address)]
        self.restore_instructions = restore_instructions(
            engine,
            port,
            database,
            admin,
            container_name(f"{name}-upload"),
            container_name(f"{name}-dump"),
            [shard.primary_container_name for shard in shards],
        )
        self.register_outputs({"restoreInstructions": self.restore_instructions})


def _credentials(engine: str, port: int, database: str, shard: BackupShardArgs) -> pulumi.Output[str]:
    """The backup role's credentials for one shard: a pgpass line, or a MySQL client option file over verified TLS."""
    user = shard.backup_user if shard.backup_user is not None else db.BACKUP_USER
    if engine == "postgres":
        return pulumi.Output.concat("*:*:", database, ":", user, ":", shard.backup_password, "\n")
    return pulumi.Output.from_input(shard.backup_password).apply(
        lambda pw: db.mysql_client_cnf(user, pw, host=shard.host, port=port, ca_file=CA_FILE)
    )
