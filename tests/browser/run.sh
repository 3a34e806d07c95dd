#!/usr/bin/env bash
# The browser tests: the real `convene` binary, a real SMTP server and headless Chromium.
#
#   tests/browser/run.sh                      # every browser test
#   tests/browser/run.sh --test-name-pattern=keyboard   # args go to `node --test`
#
# What it does: builds the binary (`cargo build`), installs the Node packages from the
# committed package-lock.json with `npm ci` when node_modules is missing or stale, checks
# for Node.js 20+ and Chromium, then runs tests/browser/tests/*.test.js with Node's test
# runner, one file at a time. Each test file starts its own server on a free port with a
# fresh SQLite database and its own SMTP server (see lib/harness.js), and stops them.
# As root on Debian, a missing Chromium is installed with apt-get.
#
# Environment:
#   CARGO_TARGET_DIR                 default ~/.cache/convene/target (as scripts/test.sh);
#                                    screenshots go to $CARGO_TARGET_DIR/browser-screenshots
#   CONVENE_BIN                      use this binary instead of building one
#   CHROMIUM                         the browser (default /usr/bin/chromium)
#   CONVENE_TEST_SKIP_BROWSER=1      skip when Chromium or Node.js is missing (never honoured
#                                    when CI=true)
#   CONVENE_BROWSER_SUMMARY_FILE     if set, "PASSED FAILED SKIPPED" is written there
#
# Closes with a line "browser: N passed, N failed, N skipped". Exit status 0 if all passed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
cd "$here"

log() { printf '[browser] %s\n' "$*" >&2; }

is_ci=0
[[ "${CI:-}" == "true" ]] && is_ci=1

summary() {
    local p="$1" f="$2" sk="$3"
    [[ -z "${CONVENE_BROWSER_SUMMARY_FILE:-}" ]] || echo "$p $f $sk" >"$CONVENE_BROWSER_SUMMARY_FILE"
    echo "browser: $p passed, $f failed, $sk skipped"
}

# Stops here: skipped (exit 0) when allowed, a failure otherwise.
missing() {
    log "error: $*"
    if [[ "${CONVENE_TEST_SKIP_BROWSER:-}" == "1" ]] && ! ((is_ci)); then
        log "CONVENE_TEST_SKIP_BROWSER=1: skipping the browser tests"
        summary 0 0 0
        exit 0
    fi
    ((is_ci)) && log "(CI=true: the browser tests cannot be skipped)"
    ((is_ci)) || log "to skip them locally: CONVENE_TEST_SKIP_BROWSER=1"
    summary 0 1 0
    exit 1
}

home="${HOME:-}"
[[ -n "$home" ]] || home="$(getent passwd "$(id -u)" | cut -d: -f6 || true)"
[[ -n "$home" ]] || home="${TMPDIR:-/tmp}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$home/.cache/convene/target}"

# ---------------------------------------------------------------- Chromium
chromium="${CHROMIUM:-}"
if [[ -z "$chromium" ]]; then
    chromium="$(command -v chromium || true)"
fi
if [[ -z "$chromium" || ! -x "$chromium" ]]; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing Chromium (Debian package chromium)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update >&2 && apt-get install -y --no-install-recommends chromium fonts-liberation >&2 ||
            missing "apt-get could not install chromium"
        chromium="$(command -v chromium || true)"
    fi
    [[ -n "$chromium" && -x "$chromium" ]] ||
        missing "Chromium not found: install Debian's chromium package (apt-get install chromium) or set CHROMIUM"
fi
export CHROMIUM="$chromium"

# ---------------------------------------------------------------- Node.js and packages
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    missing "Node.js 20 or later and npm are needed (https://nodejs.org, or your system's packages)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || missing "Node.js $(node --version) is too old: 20 or later is needed"

# npm ci when node_modules is missing or older than the lock file.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    log "installing Node packages from package-lock.json (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >&2 || missing "npm ci failed"
fi

# ---------------------------------------------------------------- the binary
work="$(mktemp -d "${TMPDIR:-/tmp}/convene-browser.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
if [[ -z "${CONVENE_BIN:-}" ]]; then
    log "building convene (cargo build --locked --bin convene)"
    (cd "$repo_root" && cargo build --locked --bin convene >&2) || {
        log "error: the build failed"
        summary 0 1 0
        exit 1
    }
    # A copy, so that another build into the same target folder cannot swap it mid-run.
    cp "$CARGO_TARGET_DIR/debug/convene" "$work/convene"
    export CONVENE_BIN="$work/convene"
fi
[[ -x "$CONVENE_BIN" ]] || missing "no convene binary at $CONVENE_BIN"

export CONVENE_SCREENSHOT_DIR="$CARGO_TARGET_DIR/browser-screenshots"
export CONVENE_BROWSER_LOG_DIR="$CARGO_TARGET_DIR/browser-logs"
mkdir -p "$CONVENE_SCREENSHOT_DIR"
rm -rf -- "$CONVENE_BROWSER_LOG_DIR"
log "$("$chromium" --version 2>/dev/null | tail -n 1); node $(node --version); screenshots in $CONVENE_SCREENSHOT_DIR"

# ---------------------------------------------------------------- run
set +e
node --test --test-concurrency=1 --test-timeout=300000 --test-reporter=spec \
    "$@" tests/ 2>&1 | tee "$work/out.log"
rc=${PIPESTATUS[0]}
set -e

counts() { sed 's/\x1b\[[0-9;]*m//g' "$work/out.log" | awk -v k="$1" '$1 == "ℹ" && $2 == k { n = $3 } END { print n + 0 }'; }
passed="$(counts pass)"
# A cancelled test (a timeout, a failed hook) did not pass: it counts as failed.
failed=$(($(counts fail) + $(counts cancelled)))
skipped=$(($(counts skipped) + $(counts todo)))
if ((rc != 0 && failed == 0)); then
    failed=1
fi
if ((failed > 0)); then
    log "the servers' logs of this run are in $CONVENE_BROWSER_LOG_DIR"
fi
echo
summary "$passed" "$failed" "$skipped"
((rc == 0 && failed == 0))
