#!/usr/bin/env bash
# The benchmark seen from outside (issue 18): the release server, a real MTA and an
# outside load tool, through the public API only.
#
#   scripts/outside-view.sh                # SQLite (synchronous=FULL)
#   scripts/outside-view.sh postgres       # a throwaway PostgreSQL (scripts/pg-test-server.sh)
#
# 1. a private Postfix on loopback that takes mail for outside.example into one Maildir;
# 2. the release `convene` with CONVENE_SMTP_URL pointing at it, an admin made with
#    `convene organizer create`, an API token made through the API;
# 3. N invitations created over HTTP by 8 clients (POST /events/{slug}/invitations);
# 4. the invitation emails counted as Postfix delivers them, and every token read back
#    from those emails (the only way an outsider learns them);
# 5. wrk registering every token into one event at concurrency 64, then wrk reading the
#    invitation pages for 10 s.
# It prints a table of the figures, for BENCHMARKS.md. Needs root (Postfix runs as its
# own users), postfix and wrk (installed with apt-get when missing).
#
# Knobs: CONVENE_OUTSIDE_INVITATIONS (default 5000), CONVENE_OUTSIDE_BIN (a convene binary
# to measure instead of building this tree's), CARGO_TARGET_DIR.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=scripts/private-postfix.sh
source "$repo_root/scripts/private-postfix.sh"
which_db="${1:-sqlite}"
n="${CONVENE_OUTSIDE_INVITATIONS:-5000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo_root/target}"
log() { printf 'outside-view: %s\n' "$*" >&2; }

[[ "$(id -u)" -eq 0 ]] || { log "needs root (Postfix)"; exit 2; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[[ -x /usr/sbin/postfix ]] || missing+=(postfix)
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ -n "${CONVENE_OUTSIDE_BIN:-}" ]]; then
    bin="$CONVENE_OUTSIDE_BIN" # another build, to compare
else
    cargo build --release --locked --bin convene
    bin="$CARGO_TARGET_DIR/release/convene"
fi

work="$(mktemp -d /tmp/convene-outside.XXXXXX)"
chmod 755 "$work"
server_pid=""
cleanup() {
    [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    private_postfix_stop "$work"
    if [[ "$which_db" == postgres ]]; then pg_test_stop || true; fi
    rm -rf -- "$work"
}
trap cleanup EXIT
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------- Postfix
pf="$work/postfix"
smtp_port="$(free_port)"
private_postfix_start "$work" "$smtp_port" maildir
log "postfix on 127.0.0.1:$smtp_port, mail into $pf/mail/inbox"

# ---------------------------------------------------------------- the service
if [[ "$which_db" == postgres ]]; then
    # shellcheck source=scripts/pg-test-server.sh
    source "$repo_root/scripts/pg-test-server.sh"
    pg_test_start >/dev/null
    db_url="${PG_TEST_URL%/*}/convene_outside"
    "$PG_TEST_BINDIR/psql" "$PG_TEST_URL" -qc "CREATE DATABASE convene_outside" >/dev/null
else
    db_url="sqlite://$work/convene.db"
fi
port="$(free_port)"
base="http://127.0.0.1:$port"
export DATABASE_URL="$db_url" CONVENE_BIND="127.0.0.1:$port" CONVENE_BASE_URL="$base" \
    CONVENE_SMTP_URL="smtp://127.0.0.1:$smtp_port" CONVENE_LOG_FORMAT=json \
    CONVENE_TOKEN_MISS_LIMIT=100000
"$bin" migrate >/dev/null
echo 'an outside benchmark passphrase' | "$bin" organizer create --email admin@bench.example \
    --name 'Outside Admin' --role admin --password-stdin >/dev/null
"$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 200); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && break
    sleep 0.05
done
log "convene on $base ($which_db)"

# ---------------------------------------------------------------- invitations over HTTP
echo
echo "### The outside view ($which_db): $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) before"
echo
echo "| what | requests | rate | p50 | p99 | notes |"
echo "|---|---:|---:|---:|---:|---|"
python3 - "$base" "$n" "$pf/mail/inbox" "$work" <<'PY'
import json, os, re, sys, threading, time, urllib.request, http.cookiejar
base, n, inbox, work = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def call(method, path, body=None, headers=None, opener=urllib.request.urlopen):
    req = urllib.request.Request(base + path, method=method, headers=headers or {})
    if body is not None:
        req.data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with opener(req) as res:
        return res.status, json.loads(res.read() or b"null")

jar = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
call("POST", "/api/v1/auth/login",
     {"email": "admin@bench.example", "password": "an outside benchmark passphrase"}, opener=jar.open)
_, made = call("POST", "/api/v1/auth/tokens", {"name": "outside view", "role": "admin"},
               headers={"Origin": base}, opener=jar.open)
auth = {"Authorization": "Bearer " + made["token"]}
with open(os.path.join(work, "api_token"), "w") as out:
    out.write(made["token"])
start = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 200 * 86400))
end = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 202 * 86400))
call("POST", "/api/v1/events", {
    "slug": "outside", "name": "The outside view", "venue": "Main hall", "city": "Lisbon",
    "starts_on": start, "ends_on": end, "timezone": "Europe/Lisbon",
    "capacity": n * 9 // 10, "scholarship_budget_cents": 0, "currency": "EUR",
    # About 1.5 kB of Markdown, as the in-process benchmark's event (benches/loadgen/seed.rs):
    # the invitee's page and the emails show it as HTML.
    "description": "Two days with the chief executives of forty cities, on what they learned "
        "running their communities through **three hard years**, and what they will try next.\n\n"
        "## The programme\n\n1. *Opening*: the state of cities, in the mayors' own words.\n"
        "2. Working sessions in groups of eight, each led by two of you.\n"
        "3. Site visits: the [transit hub](https://example.org/transit) and the new library.\n"
        "4. Closing: what each city commits to for the coming year.\n\n## Who comes\n\n"
        "Chief executives and the young leaders they nominate. Each executive may bring one "
        "young leader from their community; scholarships cover part of the travel.\n\n"
        "> We are not here to be told what works. We are here to compare notes.\n\n"
        "| Day | Morning | Afternoon |\n|---|---|---|\n| Tuesday | Opening | Working sessions |\n"
        "| Wednesday | Site visits | Commitments |\n",
    "practical_info": "## Getting there\n\nThe venue is ten minutes on foot from the central "
        "station. Parking is limited: please come by train if you can, and tell us in the form "
        "if you need a space.\n\n## Staying\n\nRooms are held at the **Riverside Hotel** until "
        "four weeks before the event; mention the summit when you book. See the "
        "[hotel's page](https://example.org/hotel).\n\n- Badges are printed at the door.\n"
        "- Dietary needs: tell us in the registration form.\n"
        "- Questions: write to the organizing team.\n"}, headers=auth)

latencies, failures, lock = [], [], threading.Lock()
def invite(worker):
    for i in range(worker, n, 8):
        t = time.perf_counter()
        try:
            status, _ = call("POST", "/api/v1/events/outside/invitations", {
                "email": f"exec{i}@outside.example", "full_name": f"Executive {i}",
                "title": "City Manager", "community": {"name": f"Town {i % 40}", "state": "IL"}},
                headers=auth)
        except Exception as e:  # an HTTP error is a failure to report, not a crash
            status = getattr(e, "code", 0)
        with lock:
            latencies.append(time.perf_counter() - t)
            if status != 201:
                failures.append(status)
began = time.perf_counter()
threads = [threading.Thread(target=invite, args=(w,)) for w in range(8)]
for t in threads: t.start()
for t in threads: t.join()
took = time.perf_counter() - began
latencies.sort()
pct = lambda p: latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000
print(f"| invitations created over HTTP, 8 clients | {n} | {n / took:.0f}/s | "
      f"{pct(50):.1f} ms | {pct(99):.1f} ms | {len(failures)} errors |", flush=True)

# The invitation emails, as Postfix delivers them.
new = os.path.join(inbox, "new")
deadline = time.time() + 900
while time.time() < deadline:
    files = os.listdir(new) if os.path.isdir(new) else []
    if len(files) >= n:
        break
    time.sleep(0.2)
files = [os.path.join(new, f) for f in os.listdir(new)]
mtimes = sorted(os.path.getmtime(f) for f in files)
span = (mtimes[-1] - mtimes[0]) if len(mtimes) > 1 else 0
since = mtimes[-1] - (began + time.time() - time.perf_counter()) if mtimes else 0
print(f"| invitation emails delivered into Postfix's Maildir | {len(files)} | "
      f"{len(files) / span if span else 0:.0f} emails/s (first to last delivery) | | | "
      f"last one {since:.1f} s after the first request |", flush=True)
tokens = set()
for f in files:
    body = open(f, encoding="utf-8", errors="replace").read().replace("=\n", "")
    tokens.update(re.findall(r"/invite/([A-Za-z0-9_-]{20,})", body))
with open(os.path.join(work, "tokens.txt"), "w") as out:
    out.write("\n".join(sorted(tokens)) + "\n")
if len(tokens) != n:
    sys.exit(f"outside-view: {len(tokens)} tokens read from {len(files)} emails, {n} expected")
PY

# ---------------------------------------------------------------- wrk
cat >"$work/register.lua" <<'LUA'
-- Each of wrk's two threads takes every other token, so that each is registered once,
-- and stops when its tokens are used. wrk itself then waits out -d, so the time is taken
-- here: from a thread's first request to its last answer (CLOCK_MONOTONIC via LuaJIT's
-- ffi), and the answers are counted here too (wrk drops those in flight at a stop).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } convene_timespec;
int clock_gettime(int clk_id, convene_timespec *tp);
]]
local ts = ffi.new("convene_timespec")
local function now() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9 end
tokens, i, first, threads = {}, 0, 0, {}
answered, refused, t_first, t_last = 0, 0, 0, 0
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
function setup(thread)
  thread:set("first", first); first = first + 1
  threads[#threads + 1] = thread
end
function init(args) i = first - 1 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  if t_first == 0 then t_first = now() end
  i = i + 2
  if i > #tokens then wrk.thread:stop() end
  local t = tokens[((i - 1) % #tokens) + 1]
  return wrk.format(nil, "/api/v1/invitations/" .. t .. "/registration",
    nil, string.format('{"full_name":"Executive %d","email":"exec%d@outside.example","title":"City Manager","organization":"City government"}', i, i))
end
function response(status, headers, body)
  answered = answered + 1
  if status ~= 201 then refused = refused + 1 end
  t_last = now()
end
function done(summary, latency, requests)
  local n, bad, from, to = 0, 0, math.huge, 0
  for _, t in ipairs(threads) do
    n = n + t:get("answered"); bad = bad + t:get("refused")
    from = math.min(from, t:get("t_first")); to = math.max(to, t:get("t_last"))
  end
  io.write(string.format("wrk-summary %d %d %d %.1f %.1f %.1f\n", n, bad,
    math.floor((to - from) * 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
LUA
cat >"$work/read.lua" <<'LUA'
local tokens, i = {}, 0
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
function request()
  i = i + 1
  return wrk.format("GET", "/api/v1/invitations/" .. tokens[(i % #tokens) + 1])
end
function done(summary, latency, requests)
  io.write(string.format("wrk-summary %d %d %d %.1f %.1f %.1f\n", summary.requests,
    summary.errors.status, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
LUA
export TOKENS="$work/tokens.txt"
row() { # name, wrk output
    read -r _ reqs errs dur p50 p99 max < <(grep '^wrk-summary' <<<"$2")
    python3 -c "import sys; r,e,d=int(sys.argv[1]),int(sys.argv[2]),int(sys.argv[3]); print(f'| $1 | {r} | {r/(d/1e6):.0f}/s | $p50 ms | $p99 ms | {e} non-2xx, max $max ms |')" "$reqs" "$errs" "$dur"
}
# wrk runs for -d whatever happens; long enough for 200 registrations/s.
out="$(wrk -t2 -c64 -d$((n / 200 + 5))s --timeout 10s -s "$work/register.lua" "$base")"
registered="$(row "registrations by wrk, 64 connections, each token once" "$out")"
out="$(wrk -t2 -c64 -d10s -s "$work/read.lua" "$base")"
read_row="$(row "invitation reads by wrk, 64 connections, 10 s" "$out")"
echo "$registered"
echo "$read_row"
stored="$(curl -fs -H "Authorization: Bearer $(cat "$work/api_token")" \
    "$base/api/v1/events/outside/registrations?limit=1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')"
echo
echo "- $stored registrations stored for $n invitations (a token registered twice would be a 409, counted above as non-2xx); wrk counts the answers it read, not those in flight when a thread ran out of tokens"
echo "- load average (1 min) after: $(cut -d' ' -f1 /proc/loadavg)"
