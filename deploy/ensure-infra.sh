#!/usr/bin/env bash
# PostgreSQL and RabbitMQ (with its management plugin) for `make run` and `make test`.
# Starts whichever is installed but stopped; says what to install when one is missing.
# Quiet and quick when everything already answers. Ports can be overridden for other set-ups.
set -uo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
AMQP_PORT=${AMQP_PORT:-5672}
RABBIT_MANAGEMENT_PORT=${RABBIT_MANAGEMENT_PORT:-15672}
PATH="$PATH:/usr/sbin:/sbin"

listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_for SECONDS COMMAND...: true as soon as COMMAND succeeds.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 1
    done
}

missing=()

install_hint() {
    cat >&2 <<HINT

Install what is missing, then run the command again:
  Debian/Ubuntu:  sudo apt-get install -y ${missing[*]}
                  (then: sudo rabbitmq-plugins enable rabbitmq_management)
  or with Docker: docker-compose up -d postgres rabbitmq
HINT
}

ensure_postgres() {
    listening "$PG_HOST" "$PG_PORT" && return 0
    if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        echo "PostgreSQL is not running on $PG_HOST:$PG_PORT and is not installed." >&2
        missing+=(postgresql)
        return 1
    fi
    local version
    version=$(ls /etc/postgresql | sort -V | tail -1)
    echo "Starting PostgreSQL $version ..."
    pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
        echo "pg_ctlcluster could not start the cluster (run it as root or the postgres user)." >&2
    if ! wait_for 30 listening "$PG_HOST" "$PG_PORT"; then
        echo "PostgreSQL did not come up on $PG_HOST:$PG_PORT; see /var/log/postgresql/." >&2
        return 1
    fi
    echo "PostgreSQL is up."
}

# The test suites run up to three systems at once (the services' tests, the running system's
# tests and a benchmark's own system), each service process with its connection pool: more than
# PostgreSQL's default 100 connections. A local cluster this script can restart is raised to
# PG_MAX_CONNECTIONS once (ALTER SYSTEM, kept across restarts); elsewhere it says what to set.
PG_MAX_CONNECTIONS=${PG_MAX_CONNECTIONS:-300}

ensure_connection_limit() {
    local limit version
    limit=$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -Atc "SHOW max_connections" 2>/dev/null) ||
        return 0
    ((limit >= PG_MAX_CONNECTIONS)) && return 0
    if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        echo "PostgreSQL allows $limit connections; the test suites need $PG_MAX_CONNECTIONS" \
            "(set max_connections and restart it)." >&2
        return 0
    fi
    version=$(ls /etc/postgresql | sort -V | tail -1)
    echo "Raising PostgreSQL's max_connections from $limit to $PG_MAX_CONNECTIONS (a restart) ..."
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -qc \
        "ALTER SYSTEM SET max_connections = $PG_MAX_CONNECTIONS" &&
        pg_ctlcluster --skip-systemctl-redirect "$version" main restart &&
        wait_for 30 listening "$PG_HOST" "$PG_PORT" ||
        echo "Could not raise max_connections; tests may meet 'too many clients'." >&2
}

ensure_rabbitmq() {
    if ! listening 127.0.0.1 "$AMQP_PORT"; then
        if ! command -v rabbitmq-server >/dev/null; then
            echo "RabbitMQ is not running on 127.0.0.1:$AMQP_PORT and is not installed." >&2
            missing+=(rabbitmq-server)
            return 1
        fi
        echo "Starting RabbitMQ ..."
        rabbitmq-server -detached
        # The node takes a few seconds before the CLI can even reach it.
        if ! wait_for 90 rabbitmqctl -q await_startup >/dev/null 2>&1; then
            echo "RabbitMQ did not start; see /var/log/rabbitmq/." >&2
            return 1
        fi
        echo "RabbitMQ is up."
    fi
    listening 127.0.0.1 "$RABBIT_MANAGEMENT_PORT" && return 0
    # nameko's test fixtures make a vhost per test through the management API.
    echo "Enabling the RabbitMQ management plugin ..."
    if ! rabbitmq-plugins -q enable rabbitmq_management >/dev/null; then
        echo "Could not enable rabbitmq_management; run: sudo rabbitmq-plugins enable rabbitmq_management" >&2
        return 1
    fi
    if ! wait_for 60 listening 127.0.0.1 "$RABBIT_MANAGEMENT_PORT"; then
        echo "The RabbitMQ management API did not come up on port $RABBIT_MANAGEMENT_PORT." >&2
        return 1
    fi
    echo "RabbitMQ management API is up."
}

status=0
ensure_postgres && ensure_connection_limit || status=1
ensure_rabbitmq || status=1
((${#missing[@]} == 0)) || install_hint
exit $status
