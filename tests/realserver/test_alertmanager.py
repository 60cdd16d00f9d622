"""Alertmanager's amtool on the generated ``alertmanager.yml`` of the local stack (nothing adapted: it names no path
or port of this host).

Debian 12's Alertmanager is 0.25; the pinned image is 0.27. A configuration with ``webstack:alertWebhookUrl`` reads
the URL from a file (``url_file``), which Alertmanager knows from 0.26 on: that variant is checked only where amtool
is 0.26 or newer, and skipped here with that reason. The local stack's own file (no webhook) uses only what both know.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from components.docker.monitoring_config import ALERTMANAGER_CONFIG_FILE, RECEIVER, SEVERITY_TIMING, alertmanager_config
from tests.realserver.conftest import Workspace, delivered, require

ALERTMANAGER = "monitoring-alertmanager"


def amtool_version(workspace: Workspace) -> tuple[int, int]:
    found = re.search(
        r"version (\d+)\.(\d+)",
        workspace.run(["amtool", "--version"]).stdout + workspace.run(["amtool", "--version"]).stderr,
    )
    assert found
    return int(found[1]), int(found[2])


def test_amtool_accepts_the_generated_configuration(workspace: Workspace, local_run: Any) -> None:
    require("amtool")
    path = workspace.write("alertmanager.yml", delivered(local_run, ALERTMANAGER)[ALERTMANAGER_CONFIG_FILE], 0o644)
    result = workspace.run(["amtool", "check-config", str(path)])
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("severity", list(SEVERITY_TIMING))
def test_each_severity_takes_its_own_route_to_the_receiver(severity: str, workspace: Workspace, local_run: Any) -> None:
    require("amtool")
    path = workspace.write("alertmanager.yml", delivered(local_run, ALERTMANAGER)[ALERTMANAGER_CONFIG_FILE], 0o644)
    labels = ["alertname=HighErrorRate", f"severity={severity}"]
    result = workspace.run(
        [
            "amtool",
            "config",
            "routes",
            "test",
            f"--config.file={path}",
            f"--verify.receivers={RECEIVER}",
            "--tree",
            *labels,
        ]
    )
    # The tree shows the route that matched: the severity's own, under the default one.
    assert f'severity="{severity}"' in result.stdout, result.stdout
    other = next(s for s in SEVERITY_TIMING if s != severity)
    assert f'severity="{other}"' not in result.stdout


def test_an_alert_without_severity_falls_back_to_the_default_route(workspace: Workspace, local_run: Any) -> None:
    require("amtool")
    path = workspace.write("alertmanager.yml", delivered(local_run, ALERTMANAGER)[ALERTMANAGER_CONFIG_FILE], 0o644)
    result = workspace.run(
        [
            "amtool",
            "config",
            "routes",
            "test",
            f"--config.file={path}",
            f"--verify.receivers={RECEIVER}",
            "--tree",
            "alertname=X",
        ]
    )
    assert "severity=" not in result.stdout


def test_a_webhook_configuration_is_valid_where_alertmanager_knows_url_file(workspace: Workspace) -> None:
    require("amtool")
    if amtool_version(workspace) < (0, 26):
        pytest.skip(
            "url_file (the webhook URL read from a secret file) needs Alertmanager 0.26; Debian's amtool is 0.25"
        )
    config = alertmanager_config(
        ["ops@example.org"], has_webhook=True, smtp_smarthost="smtp.example.org:587", smtp_from="am@example.org"
    )
    path = workspace.write("alertmanager.yml", yaml.safe_dump(config), 0o644)
    assert "SUCCESS" in workspace.run(["amtool", "check-config", str(path)]).stdout
