#!/usr/bin/env bash
# Runs the benchmarks against the whole system (emulator, Redis, RabbitMQ) built in Release, prints the table and
# writes it as JSON and Markdown to bench/results/. Installs what is missing first.
#   bench/run.sh                      every scenario, full size
#   bench/run.sh --scenario webhook   one scenario (webhook, ring, flow, workers; repeatable)
#   bench/run.sh --smoke              every scenario at a tiny size
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

source eng/prerequisites.sh

dotnet build bench --configuration Release
dotnet bench/bin/Release/net10.0/Benchmarks.dll "$@"
