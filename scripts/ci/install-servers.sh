#!/usr/bin/env bash
# Installs the servers the real-server test tier (tests/realserver) runs, from Debian 12's packages: nginx, PostgreSQL,
# Redis, MariaDB, Prometheus (promtool), the node exporter (textfile collector), Alertmanager (amtool) and openssl.
# Idempotent: packages already installed are left alone and nothing is downloaded. The distribution's services are
# never started: policy-rc.d (invoke-rc.d's hook, see invoke-rc.d(8)) refuses every start during the install, and
# PostgreSQL's default cluster is not created. The tests run each server themselves, as an unprivileged user, on
# loopback ports chosen at run time.
set -euo pipefail

PACKAGES=(
    nginx
    postgresql-15
    redis-server
    mariadb-server
    prometheus
    prometheus-node-exporter
    prometheus-alertmanager
    openssl
    ca-certificates
)

missing=()
for package in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed; then
        missing+=("$package")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-servers: everything is installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-servers: root is needed to install ${missing[*]}" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
created_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# Written by webstack install-servers.sh while it installs: start no service.\nexit 101\n' > "$policy"
    chmod 0755 "$policy"
    created_policy=yes
fi
cleanup() {
    if [ "$created_policy" = yes ]; then rm -f "$policy"; fi
}
trap cleanup EXIT

# PostgreSQL's packages create and start a cluster "main" unless told not to (postgresql-common's createcluster.conf).
mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/webstack-no-main.conf

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-servers: installed ${missing[*]}"
