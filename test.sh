#!/usr/bin/env bash
# Runs every WarmTransfer test. Installs what is missing first; safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The browser tests drive Debian's Chromium.
WT_NEEDS_BROWSER=1 source eng/prerequisites.sh

dotnet build WarmTransfer.sln
dotnet test WarmTransfer.sln --no-build "$@"
