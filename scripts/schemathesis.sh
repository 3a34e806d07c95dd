#!/usr/bin/env bash
# Fuzzes the real server against its own OpenAPI document with schemathesis (a tool we
# did not write), on SQLite and on a throwaway PostgreSQL:
#
#   scripts/schemathesis.sh              # both databases
#   scripts/schemathesis.sh sqlite       # or: postgres
#
# For each database: a fresh database, an admin made with `convene organizer create`, the
# server on a free port, and some data to reach (an event, an open invitation, a
# registration with a nomination and a scholarship request, a request for an invitation,
# emails: their slug, tokens and ids are offered to schemathesis beside what it
# generates). The seeding signs in once and makes an admin API token through the API
# (`POST /api/v1/auth/tokens`). Then every operation is run as an outsider would run it:
# with every check schemathesis has (`--checks all`), no `Origin`, first with
# `Authorization: Bearer <the token>` as the only credential, then anonymously (public
# operations as a stranger sees them, and every signed-in one refused). So any 5xx, any
# status or answer the document does not declare, a body the document allows that the
# server refuses or one it forbids that the server takes, a credential ignored, or a
# method not refused with 405 fails the run. The per-address limits are raised
# (CONVENE_TOKEN_MISS_LIMIT, CONVENE_INVITATION_REQUEST_LIMIT, CONVENE_LOGIN_ADDRESS_LIMIT)
# so that one client gets real answers, not 429s. The one narrowing, in the generated
# schemathesis.toml with its reasons: operations whose rules span several fields or the
# stored data (dates in order, an expiry in the future, known placeholders...) may
# answer a schema-valid body with 422.
#
# Knobs: CONVENE_SCHEMATHESIS_EXAMPLES (examples per operation and phase, default 10),
# CONVENE_SCHEMATHESIS_SEED (default: random; printed, to replay a failure),
# CONVENE_SCHEMATHESIS_VENV (where schemathesis is installed; default under ~/.cache).
# Reports (JUnit) and server logs go to $CARGO_TARGET_DIR/schemathesis/.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo_root/target}"
venv="${CONVENE_SCHEMATHESIS_VENV:-${HOME:-/root}/.cache/convene/schemathesis-$SCHEMATHESIS_VERSION}"
examples="${CONVENE_SCHEMATHESIS_EXAMPLES:-10}"
seed="${CONVENE_SCHEMATHESIS_SEED:-$((RANDOM * 32768 + RANDOM))}"
which="${1:-both}"
out="$CARGO_TARGET_DIR/schemathesis"
mkdir -p "$out"

log() { printf 'schemathesis.sh: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
    log "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" && [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
        # Debian's own python3 keeps venv in a separate package.
        apt-get install -y --no-install-recommends python3-venv
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$venv/bin/schemathesis" --version

cargo build --locked --bin convene
bin="$CARGO_TARGET_DIR/debug/convene"

# shellcheck source=scripts/pg-test-server.sh
source "$repo_root/scripts/pg-test-server.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/convene-schemathesis.XXXXXX")"
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
cleanup() {
    stop_server
    pg_test_stop || true
    rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------- one database

fuzz() {
    local name="$1" database_url="$2" port base password dir
    port="$(free_port)"
    base="http://127.0.0.1:$port"
    password="fuzzing passphrase $RANDOM$RANDOM"
    dir="$work/$name"
    mkdir -p "$dir"
    export DATABASE_URL="$database_url"
    export CONVENE_BIND="127.0.0.1:$port" CONVENE_BASE_URL="$base"
    export CONVENE_MAIL_DIR="$dir/mail" CONVENE_EMAIL_POLL_MS=100
    export CONVENE_TOKEN_MISS_LIMIT=1000000 CONVENE_INVITATION_REQUEST_LIMIT=1000000
    export CONVENE_LOGIN_ADDRESS_LIMIT=1000000 CONVENE_LOG_FORMAT=json
    # `/bounces` answers only with a bounce token set (404 otherwise, which the check of
    # required headers cannot tell from a missing-credential refusal); the fuzzer does not
    # know it, so it sees the endpoint refuse what it sends (401), as it should.
    CONVENE_BOUNCE_TOKEN="schemathesis-bounce-$RANDOM$RANDOM$RANDOM"
    export CONVENE_BOUNCE_TOKEN
    export RUST_LOG="${RUST_LOG:-info}"

    log "$name: server on $base"
    "$bin" migrate
    printf '%s\n' "$password" | "$bin" organizer create \
        --email fuzz-admin@example.org --name "Fuzz Admin" --role admin --password-stdin
    "$bin" serve >"$out/server-$name.log" 2>&1 &
    server_pid=$!

    # Waits for the server, signs in, and makes data for the fuzzer to reach; prints
    # shell assignments (the cookie and the tokens).
    local seeded
    seeded="$(BASE="$base" PASSWORD="$password" MAIL_DIR="$dir/mail" python3 - <<'PY'
import email, glob, json, os, re, shlex, sys, time, urllib.error, urllib.request

base, mail_dir = os.environ["BASE"], os.environ["MAIL_DIR"]

def call(method, path, body=None, cookie=None):
    req = urllib.request.Request(base + path, method=method)
    req.add_header("Origin", base)
    if cookie:
        req.add_header("Cookie", cookie)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, data, timeout=30) as res:
            return res.status, res.headers, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read() or b"null")

for _ in range(300):
    try:
        if call("GET", "/readyz")[0] == 200:
            break
    except OSError:
        pass
    time.sleep(0.1)
else:
    sys.exit("the server did not become ready")

status, headers, _ = call("POST", "/api/v1/auth/login",
                          {"email": "fuzz-admin@example.org", "password": os.environ["PASSWORD"]})
assert status == 200, status
cookie = headers["Set-Cookie"].split(";")[0]
# The fuzzer's credential, as an integration would hold one.
status, _, body = call("POST", "/api/v1/auth/tokens", {"name": "schemathesis", "role": "admin"}, cookie)
assert status == 201, (status, body)
api_token = body["token"]

event = {"slug": "summit-2027", "name": "Fuzz Summit", "venue": "Hall", "city": "Springfield",
         "starts_on": "2099-05-12", "ends_on": "2099-05-14", "timezone": "America/Chicago",
         "capacity": 50, "scholarship_budget_cents": 500000, "currency": "USD"}
assert call("POST", "/api/v1/events", event, cookie)[0] == 201

invitation_ids = []

def invite(address):
    status, _, body = call("POST", "/api/v1/events/summit-2027/invitations",
                           {"email": address, "full_name": "Ada Lovelace", "title": "Mayor",
                            "community": {"name": "Springfield", "state": "IL"}}, cookie)
    assert status == 201, (status, body)
    invitation_ids.append(body["id"])
    for _ in range(300):
        for path in glob.glob(os.path.join(mail_dir, "*.eml")):
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f)
            if address not in msg.get("To", ""):
                continue
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode()
                    found = re.search(r"/invite/([A-Za-z0-9_-]{43})", text)
                    if found:
                        return found.group(1)
        time.sleep(0.1)
    sys.exit("no invitation email for " + address)

open_token = invite("open-invitation@example.org")
registered_token = invite("registered@example.org")
status, _, body = call("POST", f"/api/v1/invitations/{registered_token}/registration",
                       {"full_name": "Ada Lovelace", "email": "registered@example.org",
                        "title": "Mayor", "organization": "City of Springfield",
                        "young_leader_nomination": {
                            "full_name": "Grace Hopper", "email": "grace@example.org",
                            "title": "Youth Council Chair", "organization": "Youth Council",
                            "reason": "She leads the youth council."},
                        "travel_scholarship": {
                            "travelers": 2, "estimated_cost_cents": 120000,
                            "requested_amount_cents": 80000, "justification": "Two flights."}})
assert status == 201, (status, body)
manage_token = body["manage_url"].rsplit("/", 1)[1]

# Ids of every kind of item, offered for `{id}` wherever it appears.
ids = list(invitation_ids)
status, _, mine = call("GET", f"/api/v1/manage/{manage_token}")
assert status == 200, (status, mine)
ids += [n["id"] for n in mine["nominations"]]
if mine.get("scholarship"):
    ids.append(mine["scholarship"]["id"])
status, _, body = call("POST", "/api/v1/events/summit-2027/invitation-requests",
                       {"full_name": "Alan Turing", "email": "alan@example.org", "title": "Mayor",
                        "organization": "City of Shelbyville", "community": "Shelbyville, IL",
                        "reason": "We would like to take part."})
assert status == 202, (status, body)
for listing in ["invitation-requests", "emails"]:
    status, _, body = call("GET", f"/api/v1/events/summit-2027/{listing}", cookie=cookie)
    assert status == 200, (listing, status, body)
    ids += [item["id"] for item in body["items"]]
for key, value in [("API_TOKEN", api_token), ("OPEN_TOKEN", open_token),
                   ("REGISTERED_TOKEN", registered_token), ("MANAGE_TOKEN", manage_token),
                   ("ITEM_IDS", json.dumps(ids))]:
    print(f"{key}={shlex.quote(value)}")
PY
)"
    eval "$seeded"

    # The seeded slug, tokens and ids are offered beside generated values (70% of the
    # time), so that the fuzzer also reaches real events, invitations and registrations.
    cat >"$dir/schemathesis.toml" <<TOML
[dictionaries.slugs]
values = ["summit-2027"]
[dictionaries.invitation_tokens]
values = ["$OPEN_TOKEN", "$REGISTERED_TOKEN"]
[dictionaries.manage_tokens]
values = ["$MANAGE_TOKEN"]
[dictionaries.item_ids]
values = $ITEM_IDS

# The fuzzer's credential is the API token given with -H, and only that: otherwise it
# also makes up values for the other scheme (a session cookie) and sends them beside
# the token, which the server rightly refuses (401), so those requests would test
# nothing else. The ignored_auth check still sends requests without the token and with
# a wrong one to see them refused.
[generation]
with-security-parameters = false

[parameters]
"path.slug" = { dictionary = "slugs", probability = 0.7 }
"path.id" = { dictionary = "item_ids", probability = 0.7 }

[[operations]]
include-path-regex = "^/api/v1/invitations/"
parameters = { "path.token" = { dictionary = "invitation_tokens", probability = 0.7 } }

[[operations]]
include-path-regex = "^/api/v1/manage/"
parameters = { "path.token" = { dictionary = "manage_tokens", probability = 0.7 } }

# Rules between fields, or against the stored data, that a JSON Schema cannot state: a
# body the document allows may still be refused with a 422 naming the field. Only for
# these operations does positive_data_acceptance also take 422 (its defaults otherwise):
#   events: ends_on not before starts_on and within a year of it, registration opening
#     before closing, an IANA time zone, an ISO 4217 currency;
#   agenda: a session within the event's days, ending after it starts;
#   auth_create (API tokens), invitations: an expiry in the future (and within a year);
#   invitations_bulk: the CSV's header must name the required columns;
#   auth_change: the current password must be the account's;
#   invitee_register, registrations_create, registrant_nominate and _request_scholarship:
#     a young leader nominates no one, a nominee is not the registrant, the amount asked
#     is at most the estimated cost;
#   email templates, announcements: placeholders must be ones the email knows, an
#     announcement's audience must name at least one group;
#   scholarships_decide: an award at most the amount asked, a reply-by with approvals only;
#   webhooks_create: an http(s) URL with a host and no credentials, a well-formed secret,
#     each event once;
#   check-in_create: exactly one of code and registration_id;
#   survey_answer: the answers the survey's wave asks.
[[operations]]
include-operation-id = [
    "events_create", "events_update", "agenda_create", "agenda_update", "auth_create",
    "invitations_create", "invitations_bulk", "auth_change", "invitee_register",
    "registrations_create", "registrant_nominate", "registrant_request_scholarship",
    "email_templates_replace", "email_templates_preview", "email_templates_test",
    "announcements_create", "scholarships_decide", "webhooks_create", "check-in_create",
    "survey_answer",
]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
TOML

    local as rc=0 pass_rc
    # One worker: with several, hypothesis parses lambdas' source in threads at once, which
    # CPython 3.11 can fail with "AST constructor recursion depth mismatch" (a tool error).
    for as in token anonymous; do
        local auth=()
        if [[ "$as" == token ]]; then
            auth=(-H "Authorization: Bearer $API_TOKEN")
        fi
        log "$name: every operation as $as (seed $seed, $examples examples)"
        # From the work dir: schemathesis keeps a cache (`.schemathesis/`) where it runs.
        (cd "$dir" && "$venv/bin/schemathesis" --config-file "$dir/schemathesis.toml" run \
            "$base/api/v1/openapi.json" --url "$base" \
            --checks all \
            --phases examples,coverage,fuzzing \
            --max-examples "$examples" --seed "$seed" \
            --workers 1 --request-timeout 30 --no-color \
            "${auth[@]}" \
            --report junit --report-junit-path "$out/junit-$name-$as.xml") \
            && pass_rc=0 || pass_rc=$?
        if ((pass_rc != 0)); then
            log "$name: schemathesis found problems as $as (exit $pass_rc); server log: $out/server-$name.log"
            rc=$pass_rc
        fi
    done
    stop_server
    return "$rc"
}

rc=0
if [[ "$which" == sqlite || "$which" == both ]]; then
    fuzz sqlite "sqlite://$work/sqlite.db" || rc=1
fi
if [[ "$which" == postgres || "$which" == both ]]; then
    pg_test_start
    fuzz postgres "$PG_TEST_URL" || rc=1
    pg_test_stop
fi
if ((rc == 0)); then
    log "every check passed on every operation, with the token and anonymously (seed $seed)"
fi
exit "$rc"
