#!/usr/bin/env bash
# Runs every WarmTransfer test. Installs what is missing first; safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Every process a test starts lives for seconds or minutes: profile-guided recompiling would cost more than it returns.
export DOTNET_TieredPGO=0

# The browser tests drive Debian's Chromium.
WT_NEEDS_BROWSER=1 source eng/prerequisites.sh

# The runs on a local Redis Cluster take a system of their own: './test.sh --cluster' runs them, and only them.
filter='Category!=Cluster'
if [ "${1:-}" = "--cluster" ]; then
  shift
  filter='Category=Cluster'
fi

# Release: the services the tests start share two cores, and optimised code leaves more of them to the tests.
dotnet build WarmTransfer.sln --configuration Release
dotnet test WarmTransfer.sln --configuration Release --no-build --filter "$filter" "$@"
