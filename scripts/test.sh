#!/usr/bin/env bash
# The test command: runs the whole test suite on SQLite, then again on PostgreSQL, then
# the browser tests (tests/browser/run.sh: headless Chromium against the real binary).
#
#   scripts/test.sh                   # everything, both backends
#   scripts/test.sh login             # only tests whose name contains "login", both backends
#   scripts/test.sh --test api -- --exact some::test   # args before `--` go to `cargo test`,
#                                                      # args after it to the test binaries
#
# PostgreSQL: a throwaway server (scripts/pg-test-server.sh) is started in a temp dir on a
# free port in 5433..5499 and removed on exit; the harness creates a fresh database per test
# from CONVENE_TEST_DATABASE_URL and drops it when the test ends (a database left behind
# fails the run). As root on Debian, missing packages (postgresql, libpq-dev, pkg-config)
# are installed with apt-get; otherwise they must be there already.
#
# Tests that need more than a plain `cargo test` has are #[ignore]d with their reason and
# named below with the pass that runs them: after each pass's run, those of its tests run
# again with --ignored. Any other ignored test, or one whose need is missing here (not
# root), is not run and is counted as skipped, never as passed; under CI=true nothing may
# be left unrun (CI runs as root, both passes).
#
# Environment:
#   CONVENE_TEST_THREADS=4          --test-threads for the test binaries
#   CARGO_TARGET_DIR                default ~/.cache/convene/target (outside the clone, so
#                                   reruns reuse the build; an empty one works)
#   CONVENE_TEST_SKIP_POSTGRES=1    skip the PostgreSQL run (never honoured when CI=true)
#   CONVENE_TEST_SKIP_BROWSER=1     skip the browser tests when Chromium or Node.js is missing
#                                   (never honoured when CI=true); they are not run either
#                                   when arguments select Rust tests
#   CONVENE_FIGURES_FILE            set by this script for each run: the fault tests
#                                   (tests/api/faults) append their FIGURES lines to it,
#                                   printed together before the summary
#   CONVENE_TEST_SUMMARY_FILE       if set, the closing "total: N passed, N failed, N skipped"
#                                   line is also written there (.ci/run repeats it last)
#
# Exit status: 0 if every run passes, non-zero otherwise.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=scripts/pg-test-server.sh
source "$repo_root/scripts/pg-test-server.sh"

log() { printf '[test.sh] %s\n' "$*" >&2; }
die() {
    printf '[test.sh] error: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------- arguments and settings
cargo_args=()
test_args=()
after_dashdash=0
for arg in "$@"; do
    if ((after_dashdash)); then
        test_args+=("$arg")
    elif [[ "$arg" == "--" ]]; then
        after_dashdash=1
    else
        cargo_args+=("$arg")
    fi
done

threads="${CONVENE_TEST_THREADS:-4}"
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "CONVENE_TEST_THREADS must be a positive integer (got '$threads')"

is_ci=0
[[ "${CI:-}" == "true" ]] && is_ci=1

# The #[ignore]d tests and the pass that runs them (full names, as libtest prints them).
# A test of its own PostgreSQL server (stopped and started under load): PostgreSQL pass.
postgres_pass_tests=(
    faults::postgres_outage::requests_fail_cleanly_while_postgresql_is_down_and_the_pool_recovers_by_itself
    group_commit::a_burst_of_writes_through_the_committer_is_vacuumed_and_analyzed_once_it_ends
    group_commit::on_postgresql_a_write_is_answered_once_it_is_on_disk
    group_commit::on_postgresql_durable_returns_once_earlier_commits_are_on_disk
    group_commit::on_postgresql_a_lost_flush_answers_503_and_the_next_writes_go_on
    group_commit::on_postgresql_a_flushing_connection_lost_while_idle_is_replaced_before_the_next_write
    group_commit::on_postgresql_without_the_flush_statement_commits_wait_for_their_own_flush
)
# Needs root to mount a small disk; runs an SQLite file whatever the pass: SQLite pass.
sqlite_pass_root_tests=(
    faults::disk::a_full_disk_is_a_clear_507_corrupts_nothing_and_writes_resume_when_space_returns
)
is_root=0
[[ "$(id -u)" -eq 0 ]] && is_root=1

skip_pg=0
if [[ "${CONVENE_TEST_SKIP_POSTGRES:-}" == "1" ]]; then
    if ((is_ci)); then
        log "CI=true: ignoring CONVENE_TEST_SKIP_POSTGRES=1, the PostgreSQL run is required"
    else
        skip_pg=1
    fi
fi

home="${HOME:-}"
[[ -n "$home" ]] || home="$(getent passwd "$(id -u)" | cut -d: -f6 || true)"
[[ -n "$home" ]] || home="${TMPDIR:-/tmp}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$home/.cache/convene/target}"
mkdir -p "$CARGO_TARGET_DIR"

# Colours only when a person is watching (cargo's output goes through tee below).
if [[ -t 1 ]]; then
    export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-always}"
fi

# ---------------------------------------------------------------- system packages
# PostgreSQL server (for the throwaway cluster), libpq headers and pkg-config (diesel's
# postgres feature links the system libpq).
have_libpq_dev() {
    { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libpq 2>/dev/null; } ||
        [[ -e /usr/include/postgresql/libpq-fe.h ]]
}

missing=()
pg_missing=0
if ! pg_test_bindir >/dev/null; then
    pg_missing=1
    ((skip_pg)) || missing+=(postgresql)
fi
have_libpq_dev || missing+=(libpq-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
# dkimpy verifies the DKIM signatures of the mail the tests receive (tests/api/dkim.rs).
/usr/bin/python3 -c 'import dkim' >/dev/null 2>&1 || missing+=(python3-dkim)
# Dovecot, Postfix and openssl: the real mail server of tests/api/real_mta.rs and the
# bounce mailbox of tests/api/bounce_mailbox.rs, started by the tests themselves.
[[ -x /usr/sbin/dovecot ]] || missing+=(dovecot-imapd)
[[ -x /usr/sbin/postfix ]] || missing+=(postfix)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if ((${#missing[@]})); then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing missing packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # Postfix unconfigured: no system instance is set up or started (the tests run their own).
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections || true
        apt-get update || die "apt-get update failed"
        # The whole set: cheap when some are present, and libpq-dev needs pkg-config anyway.
        if ((skip_pg)); then
            apt-get install -y --no-install-recommends libpq-dev pkg-config python3-dkim dovecot-imapd postfix openssl ||
                die "apt-get install failed"
        else
            apt-get install -y --no-install-recommends postgresql libpq-dev pkg-config python3-dkim dovecot-imapd postfix openssl ||
                die "apt-get install failed"
        fi
        pg_missing=0
        pg_test_bindir >/dev/null || pg_missing=1
        if ((pg_missing)) && ! ((skip_pg)); then
            die "installed postgresql but found no initdb under /usr/lib/postgresql/*/bin"
        fi
    elif ((pg_missing)) && ! ((skip_pg)); then
        msg="PostgreSQL server binaries not found (/usr/lib/postgresql/15/bin/initdb)."
        msg+=$'\n'"  The suite runs on SQLite and on PostgreSQL. Install them, e.g. on Debian/Ubuntu:"
        msg+=$'\n'"      sudo apt-get install postgresql libpq-dev pkg-config"
        msg+=$'\n'"  or point CONVENE_PG_BINDIR at a directory holding initdb and pg_ctl."
        if ((is_ci)); then
            msg+=$'\n'"  (CI=true: the PostgreSQL run cannot be skipped.)"
        else
            msg+=$'\n'"  To run only the SQLite suite locally: CONVENE_TEST_SKIP_POSTGRES=1 scripts/test.sh"
        fi
        die "$msg"
    else
        log "warning: missing ${missing[*]} (cannot install: not root, or no apt-get); the build may fail to find libpq"
    fi
fi

command -v cargo >/dev/null 2>&1 ||
    die "cargo not found on PATH (install Rust with rustup: https://rustup.rs)"

# ---------------------------------------------------------------- cleanup
work="$(mktemp -d "${TMPDIR:-/tmp}/convene-test.XXXXXX")"
cleanup() {
    pg_test_kill_child TERM
    pg_test_stop || true
    rm -rf -- "$work"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------- helpers
# Runs "$@" (in its own process group) with output shown and copied to $1.
run_logged() {
    local logfile="$1"
    shift
    # shellcheck disable=SC2016 # $0 and $@ belong to the inner bash
    pg_test_run_child bash -c 'set -o pipefail; "$@" 2>&1 | tee "$0"' "$logfile" "$@"
}

# The counts "passed failed ignored binaries" of the libtest "test result:" lines of a log.
counts_of() {
    [[ -f "$1" ]] || {
        echo "0 0 0 0"
        return 0
    }
    sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
        /^test result:/ {
            bins++
            for (i = 2; i <= NF; i++) {
                if ($i ~ /^passed;?$/) p += $(i - 1)
                if ($i ~ /^failed;?$/) f += $(i - 1)
                if ($i ~ /^ignored;?$/) g += $(i - 1)
            }
        }
        END { printf "%d %d %d %d\n", p, f, g, bins }'
}

# "NAME<TAB>REASON" for each test a log reports as ignored.
ignored_in() {
    sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '/^test .* \.\.\. ignored/ {
        reason = $0; sub(/^.* \.\.\. ignored,? ?/, "", reason); print $2 "\t" reason }' | sort -u
}

# One line about a pass, from the libtest "test result:" lines of its run ($4) and of its
# run of ignored tests ($5, if any: those had been counted as ignored in the first);
# adds its counts to total_passed / total_failed / total_ignored, and names each test it
# did not run.
total_passed=0
total_failed=0
total_ignored=0
summarize() {
    local name="$1" rc="$2" secs="$3" logfile="$4" extra="${5:-}" p f g bins p2 f2 g2 bins2 failed skipped
    read -r p f g bins < <(counts_of "$logfile")
    read -r p2 f2 g2 bins2 < <(counts_of "$extra")
    p=$((p + p2))
    f=$((f + f2))
    g=$((g - p2 - f2))
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    total_ignored=$((total_ignored + g))
    if ((rc == 0)); then
        printf 'SUMMARY %-12s PASS  %s passed, %s failed, %s skipped in %s test binaries (%ss)\n' \
            "$name:" "$p" "$f" "$g" "$bins" "$secs"
    else
        printf 'SUMMARY %-12s FAIL  exit %s; %s passed, %s failed, %s skipped in %s test binaries (%ss)\n' \
            "$name:" "$rc" "$p" "$f" "$g" "$bins" "$secs"
        failed="$(cat "$logfile" ${extra:+"$extra"} 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | awk '/^test .* \.\.\. FAILED$/ { print "    " $2 }' | sort -u | head -n 30)"
        [[ -z "$failed" ]] || printf '  failed tests:\n%s\n' "$failed"
    fi
    skipped="$(ignored_in "$logfile" | while IFS=$'\t' read -r test reason; do
        if [[ -f "$extra" ]] && grep -Eq "^test $test \.\.\. (ok|FAILED)" <(sed 's/\x1b\[[0-9;]*m//g' "$extra"); then
            continue
        fi
        printf '    %s (%s)\n' "$test" "${reason:-no reason given}"
    done)"
    [[ -z "$skipped" ]] || printf '  skipped (not run in this pass):\n%s\n' "$skipped"
}

# Runs again, with --ignored, those of the tests a pass's log ($2) reports as ignored that
# this pass runs ($3...: full names), logging to $1; the rest of the arguments after `--`
# are the environment for the run. Returns its exit status (0 when there is none to run).
run_ignored() {
    local logfile="$1" passlog="$2" names=() test reason wanted=() env_args=() arg a
    shift 2
    while (($#)) && [[ "$1" != "--" ]]; do
        wanted+=("$1")
        shift
    done
    [[ "${1:-}" == "--" ]] && shift
    env_args=("$@")
    while IFS=$'\t' read -r test reason; do
        for a in "${wanted[@]}"; do
            [[ "$test" == "$a" ]] && names+=("$test")
        done
    done < <(ignored_in "$passlog")
    ((${#names[@]})) || return 0
    log "running the ignored tests of this pass: ${names[*]}"
    local extra_args=("--test-threads=$threads")
    [[ -t 1 ]] && extra_args+=("--color=always")
    for arg in "${test_args[@]}"; do
        [[ "$arg" == "--nocapture" || "$arg" == "--show-output" ]] && extra_args+=("$arg")
    done
    run_logged "$logfile" env "${env_args[@]}" cargo test --locked "${cargo_args[@]}" -- \
        --ignored --exact "${extra_args[@]}" "${names[@]}"
}

# Under CI=true, an ignored test that no pass runs is an error: CI must run everything.
check_all_assigned() {
    local test reason a known log unassigned=()
    while IFS=$'\t' read -r test reason; do
        known=0
        for a in "${postgres_pass_tests[@]}" "${sqlite_pass_root_tests[@]}"; do
            [[ "$test" == "$a" ]] && known=1
        done
        ((known)) || unassigned+=("$test ($reason)")
    done < <(for log in "$@"; do [[ -f "$log" ]] && ignored_in "$log"; done | sort -u)
    ((${#unassigned[@]})) || return 0
    printf 'SUMMARY %-12s FAIL  ignored, and run by no pass of scripts/test.sh (CI=true runs everything):\n' "ignored:"
    printf '    %s\n' "${unassigned[@]}"
    return 1
}

banner() { printf '\n=== %s ===\n\n' "$*"; }

# ---------------------------------------------------------------- run
log "repo $repo_root ($(git rev-parse --short HEAD 2>/dev/null || echo 'no commit'))"
log "$(cargo --version); CARGO_TARGET_DIR=$CARGO_TARGET_DIR; --test-threads=$threads"
((${#cargo_args[@]} + ${#test_args[@]})) && log "extra args: cargo test ${cargo_args[*]} -- ${test_args[*]}"

# Start PostgreSQL first: a broken PostgreSQL setup fails in seconds, not after the build.
if ! ((skip_pg)); then
    pg_test_start || die "could not start the throwaway PostgreSQL server"
fi

banner "building tests"
t0=$SECONDS
build_rc=0
run_logged "$work/build.log" cargo test --no-run --locked "${cargo_args[@]}" || build_rc=$?
if ((build_rc != 0)); then
    printf '\nSUMMARY build:       FAIL  exit %s (%ss); no tests were run\n' "$build_rc" "$((SECONDS - t0))"
    exit "$build_rc"
fi
log "build took $((SECONDS - t0))s"

libtest_args=("--test-threads=$threads")
[[ -t 1 ]] && libtest_args+=("--color=always")
libtest_args+=("${test_args[@]}")

banner "test suite on SQLite"
t0=$SECONDS
sqlite_rc=0
run_logged "$work/sqlite.log" env -u CONVENE_TEST_DATABASE_URL -u DATABASE_URL \
    CONVENE_FIGURES_FILE="$work/figures.txt" cargo test --locked "${cargo_args[@]}" -- "${libtest_args[@]}" || sqlite_rc=$?
sqlite_pass_ignored=()
if ((is_root || is_ci)); then
    sqlite_pass_ignored=("${sqlite_pass_root_tests[@]}")
else
    log "not root: not running ${sqlite_pass_root_tests[*]} (counted as skipped)"
fi
run_ignored "$work/sqlite-ignored.log" "$work/sqlite.log" "${sqlite_pass_ignored[@]}" -- \
    -u CONVENE_TEST_DATABASE_URL -u DATABASE_URL CONVENE_FIGURES_FILE="$work/figures.txt" || sqlite_rc=$?
sqlite_secs=$((SECONDS - t0))

pg_rc=0
if ((skip_pg)); then
    banner "test suite on PostgreSQL: SKIPPED (CONVENE_TEST_SKIP_POSTGRES=1)"
else
    banner "test suite on PostgreSQL"
    log "CONVENE_TEST_DATABASE_URL=$PG_TEST_URL"
    t0=$SECONDS
    run_logged "$work/postgres.log" env -u DATABASE_URL CONVENE_TEST_DATABASE_URL="$PG_TEST_URL" \
        CONVENE_FIGURES_FILE="$work/figures.txt" cargo test --locked "${cargo_args[@]}" -- "${libtest_args[@]}" || pg_rc=$?
    run_ignored "$work/postgres-ignored.log" "$work/postgres.log" "${postgres_pass_tests[@]}" -- \
        -u DATABASE_URL CONVENE_TEST_DATABASE_URL="$PG_TEST_URL" CONVENE_FIGURES_FILE="$work/figures.txt" || pg_rc=$?
    pg_secs=$((SECONDS - t0))
    # Every test drops the database it made: count what is left on the server.
    pg_left="$("$PG_TEST_BINDIR/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -d postgres -Atc \
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'convene\_test\_%'" 2>&1)" || pg_left="? ($pg_left)"
fi

browser_rc=0
run_browser=1
if ((${#cargo_args[@]} + ${#test_args[@]})); then
    run_browser=0
    banner "browser tests: not run (the arguments select Rust tests; run tests/browser/run.sh)"
else
    banner "browser tests"
    t0=$SECONDS
    run_logged "$work/browser.log" env CONVENE_BROWSER_SUMMARY_FILE="$work/browser.counts" \
        bash tests/browser/run.sh || browser_rc=$?
    browser_secs=$((SECONDS - t0))
fi

# The fault tests' figures (tests/api/faults): requests acknowledged, emails delivered,
# duplicates, lost, for each backend.
if [[ -s "$work/figures.txt" ]]; then
    banner "fault-test figures"
    sort "$work/figures.txt"
fi

echo
summarize sqlite "$sqlite_rc" "$sqlite_secs" "$work/sqlite.log" "$work/sqlite-ignored.log"
if ((skip_pg)); then
    printf 'SUMMARY %-12s SKIPPED (CONVENE_TEST_SKIP_POSTGRES=1; CI would run it)\n' "postgresql:"
else
    summarize postgresql "$pg_rc" "$pg_secs" "$work/postgres.log" "$work/postgres-ignored.log"
    if [[ "$pg_left" == "0" ]]; then
        printf 'SUMMARY %-12s PASS  no test database left on the PostgreSQL server\n' "databases:"
    else
        printf 'SUMMARY %-12s FAIL  %s test database(s) left on the PostgreSQL server\n' "databases:" "$pg_left"
        pg_rc=1
    fi
fi
assigned_rc=0
if ((is_ci)); then
    check_all_assigned "$work/sqlite.log" "$work/postgres.log" || assigned_rc=1
fi
if ((run_browser)); then
    read -r bp bf bs <"$work/browser.counts" 2>/dev/null || { bp=0; bf=1; bs=0; }
    total_passed=$((total_passed + bp))
    total_failed=$((total_failed + bf))
    total_ignored=$((total_ignored + bs))
    if ((browser_rc == 0)); then
        printf 'SUMMARY %-12s PASS  %s passed, %s failed, %s skipped (%ss)\n' "browser:" "$bp" "$bf" "$bs" "$browser_secs"
    else
        printf 'SUMMARY %-12s FAIL  exit %s; %s passed, %s failed, %s skipped (%ss)\n' "browser:" "$browser_rc" "$bp" "$bf" "$bs" "$browser_secs"
        failed="$(sed 's/\x1b\[[0-9;]*m//g' "$work/browser.log" | awk '/^✖ / && !seen[$0]++ { sub(/^✖ /, "    "); sub(/ \([0-9.]+ms\)$/, ""); print }' | head -n 30)"
        [[ -z "$failed" ]] || printf '  failed tests:\n%s\n' "$failed"
    fi
fi
# The plain closing line (both backends and the browser tests together; libtest's
# "ignored" counted as skipped).
total_line="total: $total_passed passed, $total_failed failed, $total_ignored skipped"
echo "$total_line"
if [[ -n "${CONVENE_TEST_SUMMARY_FILE:-}" ]]; then
    echo "$total_line" >"$CONVENE_TEST_SUMMARY_FILE"
fi

if ((sqlite_rc != 0 || pg_rc != 0 || browser_rc != 0 || assigned_rc != 0)); then
    exit 1
fi
