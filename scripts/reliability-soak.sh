#!/usr/bin/env bash
# The long versions of the reliability tests (docs/reliability.md): 20 SIGKILLs instead of 5, 16,384 events
# instead of 6,144, nine damaged checkpoints instead of three, a 20 s broker outage, three fuzz seeds.
# CI runs the short versions as part of `dotnet test`; this takes about ten minutes on two cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export RELIABILITY_SOAK=1
exec dotnet test tests/Daemon.Tests/Recurring.Daemon.Tests.csproj -c Release \
  --filter "FullyQualifiedName~Recurring.Daemon.Tests.Reliability" \
  --logger "console;verbosity=detailed" "$@"
