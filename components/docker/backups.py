"""Database backups on docker: a daily logical dump of the primary, shipped to the backups bucket of the object storage.

Two long-running containers share a scratch volume:

- ``backup`` (role ``backup``), on the database image (it has ``pg_dump`` / ``mysqldump``): every day at
  ``webstack:docker.backupHourUtc`` it dumps the app database from the primary as the backup role, over TLS that
  verifies the primary's certificate, into the outbox: PostgreSQL in the custom format (``pg_dump -Fc``, compressed),
  MySQL as ``mysqldump --single-transaction`` piped through ``gzip``. A dump taken on a Sunday (UTC) is marked for
  the ``weekly/`` prefix as well as ``daily/``. Its health check is the heartbeat: unhealthy when the last dump that
  reached the bucket is more than 26 hours old (the first start counts as one, so a new stack has a day's grace);
- ``backup-upload`` (role ``backup-upload``), on the mc image: uploads each finished dump to the backups bucket
  (``daily/<file>``, and ``weekly/<file>`` on Sundays) over TLS verified against the internal CA, with the backup
  user's credentials (write and read the backups bucket, delete nothing); MinIO encrypts it at rest (SSE-S3 with its
  KMS key, the bucket's default). Then it deletes the local copy and writes the heartbeat.

Retention is the bucket's lifecycle (see :mod:`components.docker.storage`): daily dumps
``webstack:backups.dailyRetentionDays``, weekly ones ``webstack:docker.weeklyRetentionDays``.

Both scripts keep ``state/failures`` and write ``metrics/backup.prom`` in the scratch volume, in Prometheus' text
format (``webstack_backup_failures_total``, the counter the BackupJobFailed alert watches, and
``webstack_backup_last_success_timestamp_seconds``): a textfile collector that mounts the volume read-only exposes them.

Restoring. The dumps never touch the host's disk and the superuser's password never leaves the primary: the uploader
streams the dump out of MinIO, and ``pg_restore`` / ``mysql`` run inside the primary, over its local socket.
:func:`restore_command` writes the command, and :attr:`Backups.restore_instructions` has it with the stack's container
names (``<upload>`` is ``webstack-<stack>-backups-upload``, ``<primary>`` is ``webstack-<stack>-database-primary``)::

    # list the dumps (daily/ and weekly/)
    docker exec <upload> sh -c '. /etc/webstack/mc-env.sh && mc ls --recursive store/backups/'
    # stop the web services; restore one dump into the primary (the replica follows it)
    docker exec <upload> sh -c '. /etc/webstack/mc-env.sh && mc cat store/backups/daily/<file>' \\
      | docker exec -i <primary> sh -c 'PGPASSFILE=/etc/webstack/secrets/admin.pgpass pg_restore \\
          --clean --if-exists --exit-on-error --no-password --host=/var/run/postgresql --port=5432 \\
          --username=webstack_admin --dbname=app'

For MySQL the second half is ``docker exec -i <primary> sh -c 'gunzip | mysql
--defaults-extra-file=/etc/webstack/secrets/admin.cnf app'`` (``mysqldump`` wrote ``DROP TABLE IF EXISTS`` before each
table, as ``--clean`` does for PostgreSQL).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.docker import database as db
from components.docker.common import ContainerSpec, HealthCheck, Networks, Upload, volume
from components.docker.database import Database
from components.docker.storage import BACKUPS_BUCKET, DAILY_PREFIX, MC_ALIAS, MC_ENV_FILE, ObjectStorage, mc_env_script
from components.docker.tls_ca import CA_FILE, config_path, configured_container, container_name
from components.settings import Settings

BACKUPS_TYPE = "webstack:docker:Backups"
#: A dump older than this (seconds) since it last reached the bucket makes the backup container unhealthy.
HEARTBEAT_MAX_AGE_SECONDS = 26 * 3600
#: The uploader's loop writes a sign of life every minute; older than this, it is stuck.
UPLOADER_MAX_SILENCE_SECONDS = 300
BACKUP_MEMORY_MB = 512
UPLOAD_MEMORY_MB = 256
#: Where the scratch volume is mounted in the backup container: the database image's data directory, which belongs
#: to the database user, so that the new volume takes that owner (and the unprivileged dump can write to it).
SCRATCH_MOUNTS = {"postgres": db.POSTGRES_DATA_MOUNT, "mysql": db.MYSQL_DATA_MOUNT}
#: Where the uploader (mc image) mounts the same volume.
UPLOAD_MOUNT = "/backup"
SHELLS = {"postgres": "/bin/sh", "mysql": "/bin/bash"}


def dump_file_name(settings: Settings) -> str:
    """A dump's file name as the shell builds it (``$stamp`` is the UTC time of the dump)."""
    suffix = "dump" if settings.database.engine == "postgres" else "sql.gz"
    return f"{settings.database.database_name}-$stamp.{suffix}"


def metrics_functions(scratch: str) -> list[str]:
    """Shell functions both scripts share: the failure counter and the metrics file."""
    return [
        f'state="{scratch}/state"',
        f'metrics="{scratch}/metrics"',
        'mkdir -p "$state" "$metrics"',
        "write_metrics() {",
        '    failures="$(cat "$state/failures" 2>/dev/null || echo 0)"',
        '    success="$(cat "$state/last-success" 2>/dev/null || echo 0)"',
        "    {",
        '        echo "# HELP webstack_backup_failures_total Database dumps and uploads that failed."',
        '        echo "# TYPE webstack_backup_failures_total counter"',
        '        echo "webstack_backup_failures_total $failures"',
        '        echo "# HELP webstack_backup_last_success_timestamp_seconds When a dump last reached the bucket."',
        '        echo "# TYPE webstack_backup_last_success_timestamp_seconds gauge"',
        '        echo "webstack_backup_last_success_timestamp_seconds $success"',
        '    } > "$metrics/backup.prom.tmp"',
        '    chmod 0644 "$metrics/backup.prom.tmp"',
        '    mv "$metrics/backup.prom.tmp" "$metrics/backup.prom"',
        "}",
        "record_failure() {",
        '    echo "$(( $(cat "$state/failures" 2>/dev/null || echo 0) + 1 ))" > "$state/failures"',
        "    write_metrics",
        '    echo "backup: $1 failed" >&2',
        "}",
    ]


def dump_command(settings: Settings, host: str, outfile: str) -> str:
    """The shell command that dumps the app database from the primary into ``outfile``."""
    database = settings.database
    if database.engine == "postgres":
        conninfo = (
            f"host={host} port={database.effective_port} user={db.BACKUP_USER} dbname={database.database_name} "
            f"sslmode=verify-full sslrootcert={CA_FILE}"
        )
        return f'pg_dump --format=custom --compress=6 --no-password --file="{outfile}" "{conninfo}"'
    return (
        f"mysqldump --defaults-extra-file={config_path('secrets', 'backup.cnf')} --single-transaction --quick "
        f"--routines --triggers --events --set-gtid-purged=OFF --no-tablespaces {database.database_name} "
        f'| gzip -6 > "{outfile}"'
    )


def backup_script(settings: Settings, host: str) -> str:
    """The backup container's loop: at the backup hour, once a day, dump into the outbox and mark the dump for the
    uploader (``daily``, and ``weekly`` on Sundays)."""
    engine = settings.database.engine
    scratch = SCRATCH_MOUNTS[engine]
    name = dump_file_name(settings)
    lines = [
        f"#!{SHELLS[engine]}",
        f"# Generated by webstack: dumps {settings.database.database_name} every day at "
        f"{settings.docker.backup_hour_utc:02d}:00 UTC; backup-upload ships the dumps.",
        "set -euo pipefail" if engine == "mysql" else "set -eu",
        "umask 007",
        f'outbox="{scratch}/outbox"',
        'mkdir -p "$outbox"',
        *metrics_functions(scratch),
    ]
    if engine == "postgres":
        lines += [
            f"export PGPASSFILE={config_path('secrets', 'backup.pgpass')}",
        ]
    lines += [
        "# The first start counts as a success: a new stack is healthy until its first backup is due.",
        '[ -s "$state/last-success" ] || date -u +%s > "$state/last-success"',
        "write_metrics",
        "while true; do",
        '    today="$(date -u +%Y-%m-%d)"',
        f'    if [ "$(date -u +%H)" = "{settings.docker.backup_hour_utc:02d}" ] \\',
        '        && [ "$(cat "$state/last-run" 2>/dev/null || true)" != "$today" ]; then',
        '        stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
        f'        name="{name}"',
        '        prefixes="daily"',
        '        if [ "$(date -u +%u)" = "7" ]; then prefixes="daily weekly"; fi',
        f"        if {dump_command(settings, host, '$outbox/$name.partial')}; then",
        '            mv "$outbox/$name.partial" "$outbox/$name"',
        '            echo "$prefixes" > "$outbox/$name.ready"',
        '            echo "$today" > "$state/last-run"',
        '            echo "backup: dumped $name" >&2',
        "        else",
        '            rm -f "$outbox/$name.partial"',
        '            record_failure "the dump"',
        "        fi",
        "    fi",
        "    sleep 60",
        "done",
        "",
    ]
    return "\n".join(lines)


def upload_script() -> str:
    """The uploader's loop: every finished dump to the backups bucket under each prefix it is marked for, then the
    local copy goes and the heartbeat is written."""
    return "\n".join(
        [
            "#!/bin/sh",
            "# Generated by webstack: ships finished dumps from the outbox to the backups bucket.",
            "set -eu",
            f". {MC_ENV_FILE}",
            "umask 007",
            f'outbox="{UPLOAD_MOUNT}/outbox"',
            *metrics_functions(UPLOAD_MOUNT),
            "while true; do",
            "    date -u +%s > /tmp/alive",
            '    for ready in "$outbox"/*.ready; do',
            '        [ -e "$ready" ] || continue',
            '        dump="${ready%.ready}"',
            '        name="${dump##*/}"',
            "        uploaded=yes",
            '        for prefix in $(cat "$ready"); do',
            f'            mc cp --quiet "$dump" "{MC_ALIAS}/{BACKUPS_BUCKET}/$prefix/$name" || uploaded=no',
            "        done",
            '        if [ "$uploaded" = yes ]; then',
            '            rm -f "$dump" "$ready"',
            '            date -u +%s > "$state/last-success"',
            "            write_metrics",
            '            echo "backup-upload: uploaded $name" >&2',
            "        else",
            '            record_failure "the upload of $name"',
            "        fi",
            "    done",
            "    sleep 60",
            "done",
            "",
        ]
    )


def heartbeat_check(state_file: str, max_age_seconds: int) -> list[str]:
    """A shell health check: healthy while ``state_file`` holds a time (epoch seconds) younger than the limit."""
    return ["[", f'"$(( $(date +%s) - $(cat {state_file}) ))"', "-lt", str(max_age_seconds), "]"]


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
    settings: Settings,
    uploader_container: str,
    primary_container: str,
    object_key: str = f"{DAILY_PREFIX}<file>",
) -> str:
    """The command (run where the Docker CLI reaches the stack's host) that restores the dump ``object_key`` of the
    backups bucket into the primary: streamed from MinIO by the uploader, restored inside the primary over its local
    socket as the superuser (PostgreSQL: ``pg_restore --clean --if-exists``; MySQL: ``mysql <`` the unzipped dump)."""
    database = settings.database
    fetch = f"docker exec {uploader_container} sh -c {_mc(f'mc cat {MC_ALIAS}/{BACKUPS_BUCKET}/{object_key}')}"
    if database.engine == "postgres":
        restore = (
            f"PGPASSFILE={db.secret_file('admin.pgpass')} pg_restore --clean --if-exists --exit-on-error "
            f"--no-password --host={db.POSTGRES_SOCKET_DIR} --port={database.effective_port} "
            f"--username={database.master_username} --dbname={database.database_name}"
        )
    else:
        restore = f"gunzip | mysql --defaults-extra-file={db.secret_file('admin.cnf')} {database.database_name}"
    return f"{fetch} \\\n  | docker exec -i {primary_container} sh -c {shlex.quote(restore)}"


def restore_instructions(settings: Settings, uploader_container: str, primary_container: str) -> str:
    """How to list and restore the backups of this stack, for the README and the stack's outputs."""
    return "\n".join(
        [
            "# List the dumps (daily/ and weekly/):",
            list_command(uploader_container),
            "# Stop the web services first. Restore one dump into the primary (the replica follows it):",
            restore_command(settings, uploader_container, primary_container),
        ]
    )


@dataclass(frozen=True)
class BackupsArgs:
    """Inputs of :class:`Backups`."""

    settings: Settings
    networks: Networks
    database_image: pulumi.Input[str]
    """The database's image id (the dump tools match the server)."""
    mc_image: pulumi.Input[str]
    database: Database
    storage: ObjectStorage


class Backups(pulumi.ComponentResource):
    """The daily dump and its upload to the backups bucket."""

    backup: docker.Container
    uploader: docker.Container
    containers: list[docker.Container]
    scratch: docker.Volume
    """The outbox, the state (heartbeat, failures) and ``metrics/backup.prom``."""
    metrics_file: str
    """``backup.prom``'s path inside :attr:`scratch`."""
    restore_instructions: str

    def __init__(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(BACKUPS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings, database, storage = args.settings, args.database, args.storage
        engine = settings.database.engine
        uid = db.POSTGRES_UID if engine == "postgres" else db.MYSQL_UID
        scratch_mount = SCRATCH_MOUNTS[engine]
        # Dumps wait here until they reach the bucket, with the heartbeat and the failure counter: protected like the
        # other data volumes.
        self.scratch = volume(f"{name}-scratch", "backup", child)
        self.metrics_file = "metrics/backup.prom"
        if engine == "postgres":
            credentials = pulumi.Output.concat(
                "*:*:", settings.database.database_name, ":", database.backup_user, ":", database.backup_password, "\n"
            )
            credentials_file = config_path("secrets", "backup.pgpass")
        else:
            credentials = database.backup_password.apply(
                lambda pw: db.mysql_client_cnf(
                    database.backup_user,
                    pw,
                    host=database.endpoint.host,
                    port=database.endpoint.port,
                    ca_file=CA_FILE,
                )
            )
            credentials_file = config_path("secrets", "backup.cnf")
        self.backup = configured_container(
            f"{name}-dump",
            ContainerSpec(
                image=args.database_image,
                user=f"{uid}:{uid}",
                role="backup",
                networks=[args.networks.data],
                health=_heartbeat_health(f"{scratch_mount}/state/last-success", HEARTBEAT_MAX_AGE_SECONDS),
                memory_mb=BACKUP_MEMORY_MB,
                cpus=0.5,
                entrypoint=[SHELLS[engine], config_path("backup.sh")],
                uploads=[
                    Upload(config_path("backup.sh"), backup_script(settings, database.endpoint.host), "0440"),
                    Upload(CA_FILE, database.endpoint.ca_pem, "0440"),
                    Upload(credentials_file, pulumi.Output.secret(credentials), "0400"),
                ],
                tmpfs={"/tmp": "size=16m"},
                volumes={scratch_mount: self.scratch},
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[database.primary]),
        )
        access_file, secret_file = config_path("secrets", "access-key"), config_path("secrets", "secret-key")
        self.uploader = configured_container(
            f"{name}-upload",
            ContainerSpec(
                image=args.mc_image,
                user=f"{uid}:{uid}",
                role="backup-upload",
                networks=[args.networks.data],
                health=_heartbeat_health("/tmp/alive", UPLOADER_MAX_SILENCE_SECONDS),
                memory_mb=UPLOAD_MEMORY_MB,
                cpus=0.5,
                entrypoint=["/bin/sh", config_path("upload.sh")],
                uploads=[
                    Upload(config_path("upload.sh"), upload_script(), "0440"),
                    Upload(MC_ENV_FILE, mc_env_script(storage.host, access_file, secret_file), "0440"),
                    Upload(CA_FILE, storage.endpoint.ca_pem, "0440"),
                    Upload(access_file, storage.backup_access_key, "0400"),
                    Upload(secret_file, storage.backup_secret_key, "0400"),
                ],
                tmpfs={"/tmp": "size=16m"},
                volumes={UPLOAD_MOUNT: self.scratch},
            ),
            # After the backup container: the scratch volume must take its owner from the database image first.
            pulumi.ResourceOptions(parent=self, depends_on=[self.backup, storage.setup]),
        )
        self.containers = [self.backup, self.uploader]
        self.restore_instructions = restore_instructions(
            settings, container_name(f"{name}-upload"), database.primary_container_name
        )
        self.register_outputs({"restoreInstructions": self.restore_instructions})
