"""What an application brings to the docker platform: its secrets as files, its migration as a run-once container.

- **Secrets** (``webstack:appSecrets``): each value is uploaded, from the Pulumi secret, as
  ``/run/webstack/secrets/<NAME>`` (mode 0400, owned by the service's user) into the container's config volume, and
  the environment names the file: ``<NAME>_FILE``. The value itself is never an environment variable.
- **Migration** (``webstack:app.migration.command``): a container from the backend's image, with the backend's
  environment, files and networks, that runs the command once. The provider attaches to it until it exits
  (``attach``), so ``pulumi up`` waits; its exit code is then checked: any other than 0 fails the update with the
  container's name (``docker logs <name>`` shows what happened), and the backends, whose environment carries the
  check's result (``WEBSTACK_MIGRATION``), are never created from the new version. The container is replaced, and so
  runs again, whenever the backend's image or the command changes; an unchanged ``pulumi up`` leaves it alone.
"""

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_docker as docker

from .common import ContainerSpec, Upload, container, container_name

#: Where an application's secret files arrive, inside the service's config volume.
APP_SECRETS_DIR = "/run/webstack/secrets"
#: The backends' variable that carries the migration's outcome (and so makes them wait for it).
MIGRATION_ENV = "WEBSTACK_MIGRATION"


class MigrationFailed(pulumi.RunError):
    """The migration container exited non-zero."""


def app_secret_files(values: Mapping[str, pulumi.Input[str]]) -> tuple[list[Upload], dict[str, str]]:
    """The uploads of an application's secrets, and the ``<NAME>_FILE`` variables that point at them."""
    uploads = [
        Upload(f"{APP_SECRETS_DIR}/{name}", pulumi.Output.secret(value), "0400") for name, value in values.items()
    ]
    environment = {f"{name}_FILE": f"{APP_SECRETS_DIR}/{name}" for name in values}
    return uploads, environment


def check_exit(name: str, code: int | None) -> str:
    """The migration's outcome as a value the backends carry; raises unless it exited 0."""
    if code != 0:
        raise MigrationFailed(
            f"the migration failed: container {container_name(name)} exited {code}; "
            f"`docker logs {container_name(name)}` shows its output"
        )
    return "succeeded"


def migration(
    name: str,
    backend: ContainerSpec,
    command: Sequence[str],
    volumes: Mapping[str, docker.Volume],
    opts: pulumi.ResourceOptions,
) -> tuple[docker.Container, pulumi.Output[str]]:
    """The run-once migration container and the gate value: ``<container id>:succeeded`` once it exited 0."""
    spec = ContainerSpec(
        image=backend.image,
        user=backend.user,
        role="migration",
        networks=backend.networks,
        health=None,
        memory_mb=backend.memory_mb,
        cpus=backend.cpus,
        command=list(command),
        envs=backend.envs,
        uploads=backend.uploads,
        tmpfs=backend.tmpfs,
        volumes=volumes,
        long_running=False,
        run_to_completion=True,
    )
    job = container(name, spec, opts)
    gate = pulumi.Output.concat(job.id, ":", job.exit_code.apply(lambda code: check_exit(name, code)))
    return job, gate
