#!/usr/bin/env bash
# Installs what WarmTransfer needs on Debian/Ubuntu and is safe to run again.
# Sourced by run.sh and test.sh.
set -euo pipefail

wt_missing_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${WT_NEEDS_BROWSER:-0}" = 1 ]; then
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  fi
  echo "${missing[@]:-}"
}

wt_install_packages() {
  local missing
  missing=$(wt_missing_packages)
  [ -z "$missing" ] && return 0

  if ! command -v apt-get >/dev/null 2>&1; then
    echo "WarmTransfer needs: $missing (install them with your package manager, or run a container runtime)." >&2
    return 1
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"

  echo "Installing Debian packages: $missing"
  # The AppHost runs its own redis and rabbitmq; keep the packages' system services from starting.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    added_policy=1
  fi
  # shellcheck disable=SC2086
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
  fi
  [ "$added_policy" = 1 ] && $sudo rm -f "$policy"
  return 0
}

# npm packages of the JavaScript tests, exactly as locked.
wt_install_npm_packages() {
  local dir
  for dir in tests/TwilioEmulator.Tests/js tests/AppHost.Tests/js; do
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
  done
}

wt_install_packages
wt_install_npm_packages
