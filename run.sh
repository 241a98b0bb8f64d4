#!/usr/bin/env bash
# Runs the whole WarmTransfer system (with the Twilio emulator) and prints where the dashboard
# and the agent portal are. Installs what is missing first; safe to run again. Ctrl+C stops it all.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

source eng/prerequisites.sh

dotnet build AppHost
exec dotnet run --project AppHost --no-build "$@"
