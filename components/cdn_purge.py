"""Emptying a Cloudflare zone's cache after a deployment: one ``local.Command`` that runs where ``pulumi`` runs.

Not a child of the ``Cdn``: what triggers it (a new deployment of the services) is built after the Cdn, whose
records the deployment's smoke test waits for.
"""

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi_command import local


def purge_on_deploy(
    name: str,
    *,
    zone_id: str,
    api_token: pulumi.Input[str] | None,
    triggers: Sequence[pulumi.Input[Any]],
    after: Sequence[pulumi.Resource] = (),
    opts: pulumi.ResourceOptions | None = None,
) -> local.Command:
    """Purge the zone's cache whenever ``triggers`` change (a new deployment), after ``after``. The token (None:
    the deployer's own CLOUDFLARE_API_TOKEN, as the provider reads it) reaches curl through the environment and its
    standard input, never a command line (``ps``) or the logs."""
    url = f"https://api.cloudflare.com/client/v4/zones/{zone_id}/purge_cache"
    return local.Command(
        name,
        create=(
            # printf is a shell builtin: the header reaches curl on stdin, not in its arguments.
            "printf 'Authorization: Bearer %s\\n' \"$CLOUDFLARE_API_TOKEN\" | "
            "curl --fail --silent --show-error --output /dev/null --max-time 30 --retry 3 -X POST -H @- "
            f"-H 'Content-Type: application/json' --data '{{\"purge_everything\":true}}' {url} "
            f"|| {{ echo 'cache purge failed: {url}' >&2; exit 1; }}"
        ),
        environment=None if api_token is None else {"CLOUDFLARE_API_TOKEN": pulumi.Output.secret(api_token)},
        triggers=list(triggers),
        logging=local.Logging.STDERR,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(after))),
    )
