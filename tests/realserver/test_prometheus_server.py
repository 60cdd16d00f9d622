"""A running Prometheus (Debian 12's 2.42; the pinned image is 2.55.1) with the local stack's generated
``prometheus.yml`` and rules, scraping small stand-ins on loopback: the web services' ``up`` series exist under the
jobs the catalog's alerts read, a frontend outage raises the frontend alerts, and a failed backup, counted by the
backup job's own script and served by the node exporter the program configures, fires BackupJobFailed.

Adapted, and nothing else: the files' paths (under a scratch directory); every scrape target ``host:port`` moved to
``127.0.0.1:<free port>`` (Prometheus' own to its listen address), with stand-ins answering only for the frontend
and backend jobs (an empty 200 at the metrics path: a valid scrape) and the backup job (Debian's node exporter 1.5
with the program's flags; the pinned one is 1.8.2); the object storage job's CA file (the mocks' placeholder) is the
CA made here. One setting is changed for time's sake: the global ``scrape_interval`` and ``evaluation_interval``,
15 s -> 1 s, so that an outage is seen in seconds. The rules are as generated, ``for:`` included: UnhealthyTargets
(``for: 2m``) and TasksBelowDesired (``for: 5m``) are therefore seen *pending* here (active, waiting out their
``for``), which is how Prometheus starts every alert that fires; that they then fire after their ``for`` is promtool's
verdict over the same series (test_prometheus.py's "every target down" cases). Waiting here for 2 and 5 minutes
would be most of the tier's budget for no other check. BackupJobFailed (``for: 0m``) fires outright.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from components.docker import backups, monitoring
from components.docker.monitoring_config import PROMETHEUS_CONFIG_FILE, PROMETHEUS_RULES_FILE
from tests.components.docker_support import localize
from tests.realserver.backups import SUNDAY_AT_FIVE, SUNDAY_AT_TWO, Layout, lay_out, run_loop
from tests.realserver.conftest import (
    Pki,
    Workspace,
    delivered,
    free_port,
    inputs,
    poll,
    require,
    wait_for_port,
    workspace_at,
)
from tests.realserver.upstreams import MetricsTarget

PROMETHEUS = "monitoring-prometheus"
WEB_JOBS = ("frontend", "backend")


@dataclass
class Monitoring:
    space: Workspace
    port: int
    rules: dict[str, Any]
    targets: dict[str, list[int]]
    """Each job's targets' ports here."""
    web: dict[str, list[MetricsTarget]]
    backup: Layout

    def query(self, promql: str) -> list[dict[str, Any]]:
        url = f"http://127.0.0.1:{self.port}/api/v1/query?query={urllib.parse.quote(promql)}"
        return json.loads(urllib.request.urlopen(url, timeout=60).read())["data"]["result"]

    def up(self, job: str) -> list[float]:
        return sorted(float(series["value"][1]) for series in self.query(f'up{{job="{job}"}}'))

    def alerts(self, name: str) -> list[dict[str, Any]]:
        url = f"http://127.0.0.1:{self.port}/api/v1/alerts"
        found = json.loads(urllib.request.urlopen(url, timeout=60).read())["data"]["alerts"]
        return [alert for alert in found if alert["labels"]["alertname"] == name]

    def rule(self, name: str) -> dict[str, Any]:
        [rule] = [r for group in self.rules["groups"] for r in group["rules"] if r["alert"] == name]
        return rule

    def start_web(self, job: str) -> None:
        self.web[job] = [MetricsTarget(port) for port in self.targets.get(job, [])]

    def stop_web(self, job: str) -> None:
        for target in self.web.pop(job, []):
            target.stop()


def adapt(config: dict[str, Any], space: Workspace, prometheus_port: int) -> dict[str, list[int]]:
    """Every target moved to loopback (see the module docstring), in place; each job's ports."""
    config["global"]["scrape_interval"] = config["global"]["evaluation_interval"] = "1s"
    ports: dict[str, list[int]] = {}
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            moved = [prometheus_port if job["job_name"] == "prometheus" else free_port() for _ in static["targets"]]
            static["targets"] = [f"127.0.0.1:{port}" for port in moved]
            ports.setdefault(job["job_name"], []).extend(moved)
    for alerting in config["alerting"]["alertmanagers"]:
        for static in alerting["static_configs"]:
            static["targets"] = [f"127.0.0.1:{free_port()}" for _ in static["targets"]]
    return ports


@pytest.fixture(scope="module")
def running(local_run: Any, pki: Pki) -> Iterator[Monitoring]:
    require("prometheus", "node-exporter", "postgres")
    with workspace_at("prometheus-server") as space:
        moved = {monitoring.PROMETHEUS_CONFIG_DIR: str(space.path("prometheus"))}
        files = delivered(local_run, PROMETHEUS)
        files = {path: pki.ca_cert.read_text() if path.endswith(".pem") else text for path, text in files.items()}
        placed = space.place(files, moved, 0o644)
        port = free_port()
        config = yaml.safe_load(placed[PROMETHEUS_CONFIG_FILE].read_text())
        targets = adapt(config, space, port)
        placed[PROMETHEUS_CONFIG_FILE].write_text(yaml.safe_dump(config))
        # The backup job's metrics as its own script writes them: a round outside the backup hour (no failure yet).
        layout = lay_out(space, local_run, pki, {"database-primary": free_port()})
        run_loop(layout, "backups-dump", layout.at(SUNDAY_AT_FIVE))
        [exporter_port] = targets[backups.METRICS_JOB]
        flags = [
            localize(flag, {backups.UPLOAD_MOUNT: str(layout.scratch)}).replace(
                f":{backups.METRICS_PORT}", f"127.0.0.1:{exporter_port}"
            )
            for flag in inputs(local_run, "backups-metrics")["command"]
        ]
        exporter = space.start(["prometheus-node-exporter", *flags], log="node-exporter.log")
        wait_for_port(exporter_port, proc=exporter, log=space.path("node-exporter.log"))
        state = space.path("tsdb")
        state.mkdir()
        space.user.own(space.root)
        proc = space.start(
            ["prometheus", f"--config.file={placed[PROMETHEUS_CONFIG_FILE]}", f"--storage.tsdb.path={state}",
             f"--web.listen-address=127.0.0.1:{port}"],
            log="prometheus.log",
        )  # fmt: skip
        wait_for_port(port, proc=proc, log=space.path("prometheus.log"))
        rules = yaml.safe_load(placed[PROMETHEUS_RULES_FILE].read_text())
        running = Monitoring(space, port, rules, targets, {}, layout)
        for job in WEB_JOBS:
            running.start_web(job)
        try:
            yield running
        finally:
            for job in WEB_JOBS:
                running.stop_web(job)


def test_the_web_services_are_scraped_under_the_jobs_the_alerts_read(running: Monitoring) -> None:
    # Two frontends and three backends (webstack:web.*.desiredCount), each its own target.
    assert poll(lambda: running.up("frontend") == [1.0, 1.0] and running.up("backend") == [1.0, 1.0, 1.0]), (
        running.query("up")
    )
    assert running.alerts("UnhealthyTargets") == []
    assert [a for a in running.alerts("TasksBelowDesired") if a["labels"]["job"] in WEB_JOBS] == []


def test_a_frontend_outage_raises_the_frontend_alerts(running: Monitoring) -> None:
    """Both frontends stop: their ``up`` drops to 0, and the two alerts that read it become active with the labels
    and summaries the catalog gives them."""
    assert poll(lambda: running.up("frontend") == [1.0, 1.0]), running.query("up")
    running.stop_web("frontend")
    try:
        assert poll(lambda: running.up("frontend") == [0.0, 0.0])
        for name, labels in (("UnhealthyTargets", {}), ("TasksBelowDesired", {"job": "frontend"})):
            rule = running.rule(name)
            assert poll(lambda n=name: bool(running.alerts(n))), f"{name} never became active"
            [alert] = running.alerts(name)
            assert alert["labels"] == {"alertname": name, **labels, **rule["labels"]}
            assert alert["annotations"]["summary"] == rule["annotations"]["summary"]
            # Active, waiting out its `for` (see the module docstring); promtool shows it firing afterwards.
            assert alert["state"] == "pending", alert
        assert running.up("backend") == [1.0, 1.0, 1.0]
    finally:
        running.start_web("frontend")


def test_a_failed_backup_fires_backup_job_failed(running: Monitoring) -> None:
    """The backup hour comes, the dump fails (nothing listens where the primary should be): the job's script counts
    it, the node exporter serves it, Prometheus scrapes it as the job ``backup``, and BackupJobFailed fires."""
    failures = 'webstack_backup_failures_total{job="backup",shard="0"}'
    assert poll(lambda: [s["value"][1] for s in running.query(failures)] == ["0"])
    result = run_loop(running.backup, "backups-dump", running.backup.at(SUNDAY_AT_TWO))
    assert "backup: the dump of shard 0 failed" in result.stderr
    assert poll(lambda: [s["value"][1] for s in running.query(failures)] == ["1"])
    assert poll(lambda: [a["state"] for a in running.alerts("BackupJobFailed")] == ["firing"])
    [alert] = running.alerts("BackupJobFailed")
    rule = running.rule("BackupJobFailed")
    assert {key: alert["labels"][key] for key in ("job", "shard", "severity")} == {
        "job": backups.METRICS_JOB,
        "shard": "0",
        "severity": rule["labels"]["severity"],
    }
