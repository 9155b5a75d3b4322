#!/usr/bin/env bash
# Smoke test of the image as the README runs it: builds it, runs it with a named volume on
# /home/depositdesk/data, waits for /healthz and the image's HEALTHCHECK, adds an agent through
# `docker exec` and uses its token, then replaces the container and checks that the agent, the
# database and the generated secret key survived on the volume. Exit status 0 means all passed.
#   scripts/docker-smoke.sh [IMAGE_TAG]      (DOCKER=podman works too)
# Where Docker has no bridge network (dockerd --bridge=none) the container shares the host's
# network instead of publishing a port, and PORT moves it off 8000 (the HEALTHCHECK follows PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
docker="${DOCKER:-docker}"
image="${1:-depositdesk}"
name="depositdesk-smoke-$$"
volume="dd-data-smoke-$$"
port="${SMOKE_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"

cleanup() {
    "$docker" rm -f "$name" >/dev/null 2>&1 || true
    "$docker" volume rm "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT
step() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; "$docker" logs "$name" 2>&1 | tail -30 >&2 || true; exit 1; }

if "$docker" network inspect bridge >/dev/null 2>&1; then
    build_net=() run_net=(-p "$port:8000")  # the README's command: -p HOST:8000 -v VOLUME:/home/depositdesk/data
else
    build_net=(--network host) run_net=(--network host -e "PORT=$port")
fi

step "build $image"
"$docker" build "${build_net[@]}" -t "$image" . >/tmp/depositdesk-smoke-build.log 2>&1 \
    || { tail -30 /tmp/depositdesk-smoke-build.log >&2; fail "docker build"; }

run() { "$docker" run -d --name "$name" "${run_net[@]}" -v "$volume:/home/depositdesk/data" "$image" >/dev/null; }
get() { python3 - "$@" <<'EOF'
import sys, urllib.request, urllib.error
url, token = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
try:
    print(urllib.request.urlopen(request, timeout=5).status)
except urllib.error.HTTPError as exc:
    print(exc.code)
except OSError:
    print("down")
EOF
}
wait_healthy() {
    for _ in $(seq 1 90); do
        if [ "$(get "http://127.0.0.1:$port/healthz")" = 200 ]; then break; fi
        if [ "$("$docker" inspect -f '{{.State.Running}}' "$name")" != true ]; then fail "the container exited"; fi
        sleep 1
    done
    [ "$(get "http://127.0.0.1:$port/healthz")" = 200 ] || fail "/healthz did not answer 200"
    for _ in $(seq 1 90); do
        health="$("$docker" inspect -f '{{.State.Health.Status}}' "$name")"
        [ "$health" = healthy ] && return 0
        sleep 1
    done
    fail "HEALTHCHECK status is $health"
}

step "run with a new volume (port $port)"
run
wait_healthy
step "/healthz 200, HEALTHCHECK healthy"
owner="$("$docker" exec "$name" stat -c %U /home/depositdesk/data)"
[ "$owner" = depositdesk ] || fail "the data directory belongs to $owner"

step "agents add through docker exec"
token="$("$docker" exec "$name" depositdesk agents add smoke 2>/dev/null | tail -1)"
[ -n "$token" ] || fail "no token printed"
[ "$(get "http://127.0.0.1:$port/api/investigations/none" "$token")" = 404 ] || fail "the new token is refused"
[ "$(get "http://127.0.0.1:$port/api/investigations/none" "not-a-token")" = 401 ] || fail "a wrong token is accepted"
key_before="$("$docker" exec "$name" sha256sum data/secret_key)"

step "replace the container, same volume"
"$docker" rm -f "$name" >/dev/null
run
wait_healthy
[ "$(get "http://127.0.0.1:$port/api/investigations/none" "$token")" = 404 ] || fail "the agent did not survive"
[ "$("$docker" exec "$name" sha256sum data/secret_key)" = "$key_before" ] || fail "the secret key changed"
step "restart in place"
"$docker" restart "$name" >/dev/null
wait_healthy
[ "$(get "http://127.0.0.1:$port/api/investigations/none" "$token")" = 404 ] || fail "the agent did not survive a restart"

echo "PASS: image builds, runs with the README's volume, healthy, agents add via docker exec, data survives"
