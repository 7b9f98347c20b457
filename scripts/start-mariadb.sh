#!/usr/bin/env bash
# Start a private MariaDB server for the template tests (as root, which CI and containers
# are): its own data folder, port and socket, so a MariaDB already running on the
# machine (port 3306) is never touched. Idempotent: a server already running from this
# folder is reused. Prints the URL the tests read from CHASSIS_TEST_MYSQL_URL.
#
#   scripts/start-mariadb.sh [port] [folder]
#   MARIADB_TEST_PASSWORD   root's password over TCP (default: chassis)
set -euo pipefail

port="${1:-3307}"
root_dir="${2:-/tmp/chassis-mariadb-${port}}"
password="${MARIADB_TEST_PASSWORD:-chassis}"
datadir="${root_dir}/data"
socket="${root_dir}/mysqld.sock"

case "$password" in
  *"'"* | *"\\"*) echo "MARIADB_TEST_PASSWORD must not contain quotes or backslashes" >&2; exit 2 ;;
esac

ping_server() {
  mariadb-admin --socket="$socket" --user=root --connect-timeout=2 ping >/dev/null 2>&1
}

mkdir -p "$root_dir"
if [ ! -d "${datadir}/mysql" ]; then
  mariadb-install-db --user=root --datadir="$datadir" --skip-test-db \
    --auth-root-authentication-method=socket >"${root_dir}/install.log" 2>&1 || {
    cat "${root_dir}/install.log" >&2
    exit 1
  }
fi

if ! ping_server; then
  # Detached from this shell's output, so callers that capture it do not wait on it.
  nohup mariadbd --user=root --datadir="$datadir" --port="$port" --bind-address=127.0.0.1 \
    --socket="$socket" --pid-file="${root_dir}/mysqld.pid" \
    --log-error="${root_dir}/error.log" --skip-name-resolve \
    --innodb-flush-log-at-trx-commit=2 --max-connections=300 \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    ping_server && break
    sleep 0.5
  done
  if ! ping_server; then
    echo "MariaDB did not start within 60s; its log:" >&2
    tail -n 30 "${root_dir}/error.log" >&2 || true
    exit 1
  fi
fi

# root keeps socket authentication locally; over TCP (what the tests use) it has a
# password. skip-name-resolve: 127.0.0.1 is a host of its own, not "localhost".
mariadb --socket="$socket" --user=root <<SQL
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '${password}';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '${password}';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
SQL

echo "mysql://root:${password}@127.0.0.1:${port}/mysql"
