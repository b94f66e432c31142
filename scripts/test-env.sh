#!/usr/bin/env bash
# Prepares this machine for the test suite: a running Docker engine that accepts --gpus,
# and the local busybox test image. Idempotent; safe to run again. Needs root.
set -euo pipefail

TEST_IMAGE=${DS01_TEST_IMAGE:-ds01-test-busybox:latest}
HOOK_DIR=/usr/local/bin
log() { printf '[test-env] %s\n' "$*" >&2; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    timeout 300 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# dockerd only accepts --gpus when this hook is on its PATH at start-up; a stub is enough for
# containers to carry real DeviceRequests (no GPU is touched).
install_gpu_hook_stub() {
  if [ ! -x "$HOOK_DIR/nvidia-container-runtime-hook" ]; then
    printf '#!/bin/sh\nexit 0\n' > "$HOOK_DIR/nvidia-container-runtime-hook"
    chmod 755 "$HOOK_DIR/nvidia-container-runtime-hook"
    HOOK_CREATED=1
  fi
}

# `docker run --runtime=nvidia` needs a runtime of that name; here it is plain runc (there is no
# GPU), registered in daemon.json, which dockerd re-reads on SIGHUP. An existing daemon.json is the
# machine's own: it is left alone.
DAEMON_JSON=/etc/docker/daemon.json
nvidia_runtime_known() { timeout 5 docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"nvidia"'; }
register_nvidia_runtime() {
  if [ -e "$DAEMON_JSON" ]; then
    grep -q '"nvidia"' "$DAEMON_JSON" || log "$DAEMON_JSON exists without an nvidia runtime; --runtime=nvidia tests will be skipped"
    return
  fi
  mkdir -p "$(dirname "$DAEMON_JSON")"
  printf '{ "runtimes": { "nvidia": { "path": "runc" } } }\n' > "$DAEMON_JSON"
  if engine_up && ! nvidia_runtime_known; then
    kill -HUP "$(cat /var/run/docker.pid)"
    for _ in $(seq 1 50); do nvidia_runtime_known && return; sleep 0.2; done
    log "dockerd did not pick up the nvidia runtime from $DAEMON_JSON"
  fi
}

engine_up() { timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_dockerd() {
  if engine_up && [ "${HOOK_CREATED:-0}" = 0 ]; then return; fi
  if engine_up; then
    log "restarting dockerd so it sees the GPU hook"
    kill "$(cat /var/run/docker.pid)" 2>/dev/null || true
    for _ in $(seq 1 50); do engine_up || break; sleep 0.2; done
  fi
  rm -f /var/run/docker.pid
  log "starting dockerd"
  nohup setsid dockerd >/var/log/ds01-test-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 150); do engine_up && return; sleep 0.2; done
  log "dockerd did not come up; last log lines:"; tail -20 /var/log/ds01-test-dockerd.log >&2
  exit 1
}

build_test_image() {
  if timeout 10 docker image inspect "$TEST_IMAGE" >/dev/null 2>&1; then return; fi
  log "building $TEST_IMAGE from busybox-static"
  local root; root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/workspace" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for app in $("$root/bin/busybox" --list); do
    [ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  tar -C "$root" -c . | timeout 120 docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$TEST_IMAGE" >/dev/null
  rm -rf "$root"
}

install_packages
install_gpu_hook_stub
register_nvidia_runtime
start_dockerd
build_test_image
log "ready: $(docker version --format 'engine {{.Server.Version}}'), image $TEST_IMAGE"
