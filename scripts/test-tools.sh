#!/usr/bin/env bash
# Extra Debian tools the test suite checks the shipped deploy files with (test/deploy/):
#   promtool, prometheus   (package prometheus)              check config/rules, rule unit tests, a real server
#   amtool                 (package prometheus-alertmanager) check alertmanager.yml
#   systemd-analyze        (package systemd)                 verify the units
#   docker-compose         (package docker-compose)          `docker-compose config` on the monitoring stack
# Idempotent: installs only what is missing; `apt-get update` runs only when something must be
# installed. Every apt call has a timeout. The packages' services are not started (policy-rc.d).
set -euo pipefail
log() { printf '[test-tools] %s\n' "$*" >&2; }

missing=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)

if [ ${#missing[@]} -eq 0 ]; then
  log "ready: $(promtool --version 2>&1 | head -1)"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  log "need root to install ${missing[*]}"
  exit 1
fi

# Installing these packages would start prometheus/alertmanager as services on a machine whose
# PID 1 is systemd. The tests start their own server on a random loopback port, so forbid service
# starts for the duration of the install (only when no policy is in place already).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

log "installing ${missing[*]}"
timeout 300 apt-get update -qq
DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for tool in promtool prometheus amtool systemd-analyze docker-compose; do
  command -v "$tool" >/dev/null 2>&1 || { log "$tool still missing after install"; exit 1; }
done
log "ready: $(promtool --version 2>&1 | head -1)"
