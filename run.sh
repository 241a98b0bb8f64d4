#!/usr/bin/env bash
# Runs the whole WarmTransfer system and prints which Twilio it uses (the emulator unless an account is
# configured) and where the dashboard and the agent portal are. Installs what is missing first; safe to
# run again.
# Ctrl+C stops it all; the script returns once every process it started has ended.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

source eng/prerequisites.sh

dotnet build AppHost

# Every process of this run inherits the marker, down to the servers the orchestrator starts.
export WARMTRANSFER_RUN_ID="run-$$-$RANDOM"
processes_of_this_run() {
  local environ pid
  for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}; pid=${pid%/environ}
    [ "$pid" = "$$" ] && continue
    grep -qsz "^WARMTRANSFER_RUN_ID=$WARMTRANSFER_RUN_ID\$" "$environ" && echo "$pid"
  done
  return 0
}

trap ':' INT TERM
status=0
dotnet run --project AppHost --no-build "$@" || status=$?

echo "Stopping WarmTransfer..."
for _ in $(seq 1 120); do
  [ -z "$(processes_of_this_run)" ] && { echo "WarmTransfer stopped."; exit "$status"; }
  sleep 0.5
done
echo "Some WarmTransfer processes did not stop within 60 s: $(processes_of_this_run | tr '\n' ' ')" >&2
exit 1
