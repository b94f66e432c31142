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
start_dockerd
build_test_image
log "ready: $(docker version --format 'engine {{.Server.Version}}'), image $TEST_IMAGE"
