#!/usr/bin/env bash
# Email delivery into a real MTA (issue 18): a private Postfix on loopback that takes
# every message into its queue and then discards it, measured twice on this machine:
#
# 1. Postfix's own intake, the bound: Postfix's `smtp-source` sending N messages of the
#    size of a confirmation email over 8 kept-open connections (as our worker keeps 8),
#    to one recipient and then to a recipient each, and over 32 to a recipient each;
# 2. the service: `cargo bench --bench loadgen -- --mta-url smtp://127.0.0.1:PORT`, whose
#    scenario 4b queues N confirmation emails and times a fresh server's worker sending
#    them into this Postfix, beside scenario 4 into the harness's own sink.
#
#   scripts/postfix-bench.sh                                  # SQLite FULL only
#   CONVENE_POSTFIX_ONLY=postgres scripts/postfix-bench.sh --database-url postgres://...
#                                                             # (any loadgen arguments)
#
# Needs root (Postfix runs as its own users) and postfix (installed with apt-get when
# missing). Knobs: CONVENE_POSTFIX_MESSAGES (default 10000, the bound's messages).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=scripts/private-postfix.sh
source "$repo_root/scripts/private-postfix.sh"
log() { printf 'postfix-bench: %s\n' "$*" >&2; }
n="${CONVENE_POSTFIX_MESSAGES:-10000}"

[[ "$(id -u)" -eq 0 ]] || { log "needs root (Postfix)"; exit 2; }
if [[ ! -x /usr/sbin/postfix ]]; then
    log "installing postfix"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
fi

work="$(mktemp -d /tmp/convene-postfix.XXXXXX)"
chmod 755 "$work"
trap 'private_postfix_stop "$work"; rm -rf -- "$work"' EXIT
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
private_postfix_start "$work" "$port" discard
log "postfix on 127.0.0.1:$port, discarding"

# A confirmation email with its calendar file is about 6 kB. Each of the service's emails
# goes to another address; smtp-source sends every message to one address unless -N
# numbers the recipients, and one address keeps Postfix's address-rewriting caches warm
# (trivial-rewrite): the -N lines are the bound for the service's traffic.
bound() {
    local sessions="$1" distinct="${2:-}" started ended what="one recipient"
    [[ -n "$distinct" ]] && what="a recipient each (-N)"
    started="$(date +%s.%N)"
    /usr/sbin/smtp-source -d -s "$sessions" -m "$n" -l 6000 -f bench@example.org $distinct \
        -t someone@outside.example "127.0.0.1:$port"
    ended="$(date +%s.%N)"
    python3 -c "print(f'| Postfix intake (smtp-source, {$sessions} connections kept open), $n messages of 6 kB, $what | {$n / ($ended - $started):.0f} emails/s |')"
}
echo "| the bound | figure |"
echo "|---|---:|"
bound 8
bound 8 -N
bound 32 -N

cargo bench --bench loadgen -- --only "${CONVENE_POSTFIX_ONLY:-sqlite-full}" --mta-url "smtp://127.0.0.1:$port" "$@"
