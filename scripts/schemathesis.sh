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
# emails: their slug, tokens and ids are offered to schemathesis beside what it generates). Then every operation is run twice, anonymously and with the admin's session
# cookie, with the checks
#   not_a_server_error, status_code_conformance, content_type_conformance,
#   response_schema_conformance, response_headers_conformance
# so that any 5xx, any status the document does not declare, or any answer that does not
# match its schema fails the run. Writes carry `Origin: <the server>`, as a browser on our
# own pages would, so that the cross-site guard lets them through; the per-address limits
# are raised (CONVENE_TOKEN_MISS_LIMIT, CONVENE_INVITATION_REQUEST_LIMIT,
# CONVENE_LOGIN_ADDRESS_LIMIT) so that one client gets real answers, not 429s.
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

[parameters]
"path.slug" = { dictionary = "slugs", probability = 0.7 }
"path.id" = { dictionary = "item_ids", probability = 0.7 }

[[operations]]
include-path-regex = "^/api/v1/invitations/"
parameters = { "path.token" = { dictionary = "invitation_tokens", probability = 0.7 } }

[[operations]]
include-path-regex = "^/api/v1/manage/"
parameters = { "path.token" = { dictionary = "manage_tokens", probability = 0.7 } }
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
    log "no server error, undeclared status or schema violation (seed $seed)"
fi
exit "$rc"
