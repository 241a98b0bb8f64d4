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

# The whole-app tests take longest, so their systems get the cores first. The other projects run one after another beside
# them at a lower priority, in the time those systems leave idle.
(
  renice -n 10 -p "$BASHPID" >/dev/null
  for project in tests/CallCenter.Tests tests/TwilioEmulator.Tests tests/WarmTransfer.Testing.Tests; do
    dotnet test "$project" --configuration Release --no-build --filter "$filter" "$@" || exit 1
  done
) &
others=$!
status=0
dotnet test tests/AppHost.Tests --configuration Release --no-build --filter "$filter" "$@" || status=$?
wait "$others" || status=$?
exit "$status"
