#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite.
#
# Used two ways:
#
#   1. Sourced (this is what scripts/test.sh does):
#          source scripts/pg-test-server.sh
#          trap pg_test_stop EXIT
#          pg_test_start            # sets PG_TEST_DIR, PG_TEST_PORT, PG_TEST_URL
#          ...
#          pg_test_stop             # idempotent; stops the server, removes the dir
#
#   2. As a command:
#          scripts/pg-test-server.sh start        # prints shell assignments for `eval`
#          scripts/pg-test-server.sh stop DIR     # or with PG_TEST_DIR in the environment
#          scripts/pg-test-server.sh run -- CMD...  # start, run CMD with
#                                                   # CONVENE_TEST_DATABASE_URL set, stop
#
#    It also has pg_test_run_child / pg_test_kill_child, which run a long command (cargo)
#    in its own process group so that an INT/TERM to the script stops it and cleanup runs.
#
# The cluster lives in a fresh directory ${TMPDIR:-/tmp}/convene-pg.XXXXXX (data, log and
# Unix socket), listens on 127.0.0.1 on the first free port of 5433..5499 (tried from a
# random offset, so concurrent runs rarely collide), trusts local connections for the
# superuser `postgres`, and is deleted by pg_test_stop. As root the server runs as the
# `postgres` system user; otherwise as the current user.
#
# Knobs (environment):
#   CONVENE_PG_BINDIR        PostgreSQL bin dir (default /usr/lib/postgresql/15/bin, else the
#                            newest /usr/lib/postgresql/*/bin, else initdb on PATH)
#   CONVENE_PG_PORT_MIN/MAX  port range (default 5433..5499)
#   CONVENE_PG_MAX_CONNECTIONS  (default 300: the tests open many pools)

_pg_test_log() { printf 'pg-test-server: %s\n' "$*" >&2; }

# Prints the directory holding initdb/pg_ctl, or fails.
pg_test_bindir() {
    local d
    if [[ -n "${CONVENE_PG_BINDIR:-}" ]]; then
        [[ -x "$CONVENE_PG_BINDIR/initdb" ]] || return 1
        printf '%s\n' "$CONVENE_PG_BINDIR"
        return 0
    fi
    if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
        printf '%s\n' /usr/lib/postgresql/15/bin
        return 0
    fi
    # Any other Debian-packaged version, newest first.
    while IFS= read -r d; do
        if [[ -x "$d/initdb" ]]; then
            printf '%s\n' "$d"
            return 0
        fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5nr)
    if d="$(command -v initdb 2>/dev/null)" && [[ -n "$d" ]]; then
        dirname "$d"
        return 0
    fi
    return 1
}

# Runs a command as the user that owns the cluster, from inside the cluster dir
# (so that `postgres` never has to read the caller's working directory).
_pg_test_as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd "$PG_TEST_DIR" && runuser -u postgres -- "$@")
    else
        (cd "$PG_TEST_DIR" && "$@")
    fi
}

# Succeeds if nothing listens on 127.0.0.1:PORT (and we could bind it).
pg_test_port_free() {
    local port="$1"
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
        return
    fi
    if command -v ss >/dev/null 2>&1; then
        [[ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ]]
        return
    fi
    # Last resort: a refused connection means nobody listens there.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Starts the server. On success sets and exports PG_TEST_DIR, PG_TEST_PORT, PG_TEST_URL,
# PG_TEST_BINDIR. On failure cleans up after itself and returns non-zero.
pg_test_start() {
    local bindir base dir owner_group port_min port_max span offset i port started=0 attempts=0 t0 t1
    t0=$(date +%s)
    if ! bindir="$(pg_test_bindir)"; then
        _pg_test_log "PostgreSQL server binaries not found (looked for /usr/lib/postgresql/15/bin/initdb;"
        _pg_test_log "on Debian: apt-get install postgresql, or set CONVENE_PG_BINDIR)"
        return 1
    fi
    if [[ "$(id -u)" -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        _pg_test_log "running as root but there is no 'postgres' system user (PostgreSQL refuses to run as root)"
        return 1
    fi

    base="${TMPDIR:-/tmp}"
    if ! dir="$(mktemp -d "$base/convene-pg.XXXXXX")"; then
        _pg_test_log "could not create a temp dir under $base"
        return 1
    fi
    PG_TEST_DIR="$dir"
    PG_TEST_BINDIR="$bindir"
    export PG_TEST_DIR PG_TEST_BINDIR

    # The Unix socket path ($dir/.s.PGSQL.NNNN) must fit in sun_path (107 bytes).
    if (( ${#dir} + 15 > 107 )); then
        _pg_test_log "temp dir path too long for a Unix socket: $dir (set TMPDIR=/tmp)"
        pg_test_stop
        return 1
    fi

    if [[ "$(id -u)" -eq 0 ]]; then
        owner_group="$(id -gn postgres)"
        chown "postgres:$owner_group" "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            _pg_test_log "user postgres cannot write $dir (is a parent directory private? try TMPDIR=/tmp)"
            pg_test_stop
            return 1
        fi
    fi

    # --no-locale: C collation (what SQLite's BINARY does, and no dependency on generated
    # locales); --no-sync: the initial files need not be flushed for a throwaway cluster
    # (the running server still uses fsync=on).
    if ! _pg_test_as_owner "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
        --no-locale --no-sync >"$dir/initdb.log" 2>&1; then
        _pg_test_log "initdb failed:"
        sed 's/^/    /' "$dir/initdb.log" >&2 || true
        pg_test_stop
        return 1
    fi

    port_min="${CONVENE_PG_PORT_MIN:-5433}"
    port_max="${CONVENE_PG_PORT_MAX:-5499}"
    span=$((port_max - port_min + 1))
    offset=$((RANDOM % span))
    for ((i = 0; i < span; i++)); do
        port=$((port_min + (offset + i) % span))
        pg_test_port_free "$port" || continue
        attempts=$((attempts + 1))
        if _pg_test_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=${CONVENE_PG_MAX_CONNECTIONS:-300}" \
            start >"$dir/pg_ctl.log" 2>&1; then
            started=1
            break
        fi
        # Lost a race for the port, or a real failure: show why, try once or twice more.
        _pg_test_log "pg_ctl start on port $port failed:"
        tail -n 5 "$dir/postgres.log" 2>/dev/null | sed 's/^/    /' >&2 || true
        if ((attempts >= 3)); then
            break
        fi
    done
    if ((started == 0)); then
        _pg_test_log "could not start PostgreSQL (ports $port_min..$port_max, $attempts attempt(s))"
        pg_test_stop
        return 1
    fi

    PG_TEST_PORT="$port"
    PG_TEST_URL="postgres://postgres@127.0.0.1:$port/postgres"
    export PG_TEST_PORT PG_TEST_URL

    # pg_ctl -w already waited; make sure TCP on 127.0.0.1 answers too.
    for ((i = 0; i < 60; i++)); do
        if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 2; then
            t1=$(date +%s)
            _pg_test_log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') ready on 127.0.0.1:$port (dir $dir, $((t1 - t0))s)"
            return 0
        fi
        sleep 0.5
    done
    _pg_test_log "PostgreSQL started but does not answer on 127.0.0.1:$port"
    tail -n 20 "$dir/postgres.log" 2>/dev/null | sed 's/^/    /' >&2 || true
    pg_test_stop
    return 1
}

# Stops the server started by pg_test_start (or the one in PG_TEST_DIR / $1) and removes
# its directory. Safe to call more than once and after a failed start.
pg_test_stop() {
    local dir="${1:-${PG_TEST_DIR:-}}" bindir pid i
    [[ -n "$dir" ]] || return 0
    case "$(basename "$dir")" in
        convene-pg.*) ;;
        *)
            _pg_test_log "refusing to remove $dir (not a convene-pg.* dir)"
            return 1
            ;;
    esac
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        bindir="${PG_TEST_BINDIR:-$(pg_test_bindir || true)}"
        pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
        if [[ -n "$bindir" ]]; then
            PG_TEST_DIR="$dir" _pg_test_as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
                PG_TEST_DIR="$dir" _pg_test_as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
                true
        fi
        # Whatever happened above, make sure the postmaster is gone.
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill -QUIT "$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf -- "$dir"
    if [[ "$dir" == "${PG_TEST_DIR:-}" ]]; then
        unset PG_TEST_DIR PG_TEST_PORT PG_TEST_URL
    fi
    return 0
}

# Runs "$@" in the background in its own process group (stdin from /dev/null) and waits
# for it, so that a trapped INT/TERM reaches the script at once and pg_test_kill_child can
# stop the whole group (e.g. cargo and the test binaries it started) before cleanup.
# Returns the command's exit status.
PG_TEST_CHILD=""
pg_test_run_child() {
    local rc=0 had_m=0
    [[ $- == *m* ]] && had_m=1
    set -m
    "$@" </dev/null &
    PG_TEST_CHILD=$!
    ((had_m)) || set +m
    wait "$PG_TEST_CHILD" || rc=$?
    PG_TEST_CHILD=""
    return "$rc"
}

# Succeeds while process $1 runs (a zombie does not count: bash may not reap it while a
# trap runs).
_pg_test_alive() {
    local st
    if [[ -r "/proc/$1/stat" ]]; then
        st="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"
        [[ -n "$st" && "$st" != Z ]]
    elif [[ -d /proc/self ]]; then
        return 1
    else
        kill -0 "$1" 2>/dev/null
    fi
}

# Sends a signal (default TERM) to the process group started by pg_test_run_child, gives
# it up to 10 s, then kills whatever is left of the group.
pg_test_kill_child() {
    local sig="${1:-TERM}" pid="$PG_TEST_CHILD" i
    [[ -n "$pid" ]] || return 0
    kill "-$sig" -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        _pg_test_alive "$pid" || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    PG_TEST_CHILD=""
}

_pg_test_main() {
    set -euo pipefail
    local cmd="${1:-}"
    shift || true
    case "$cmd" in
        start)
            pg_test_start
            printf 'PG_TEST_DIR=%q; PG_TEST_PORT=%q; CONVENE_TEST_DATABASE_URL=%q; export PG_TEST_DIR PG_TEST_PORT CONVENE_TEST_DATABASE_URL\n' \
                "$PG_TEST_DIR" "$PG_TEST_PORT" "$PG_TEST_URL"
            ;;
        stop)
            pg_test_stop "${1:-${PG_TEST_DIR:-}}"
            ;;
        run)
            [[ "${1:-}" == "--" ]] && shift
            [[ $# -gt 0 ]] || { _pg_test_log "usage: $0 run -- CMD [ARGS...]"; exit 2; }
            trap 'pg_test_stop' EXIT
            trap 'pg_test_kill_child TERM; exit 130' INT
            trap 'pg_test_kill_child TERM; exit 143' TERM
            pg_test_start
            local rc=0
            pg_test_run_child env CONVENE_TEST_DATABASE_URL="$PG_TEST_URL" "$@" || rc=$?
            exit "$rc"
            ;;
        *)
            echo "usage: $0 start | stop [DIR] | run -- CMD [ARGS...]" >&2
            exit 2
            ;;
    esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    _pg_test_main "$@"
fi
