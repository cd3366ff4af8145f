#!/usr/bin/env bash
# Builds a self-contained linux-x64 bundle of `recurring` WITHOUT libtorch: on a GPU machine the host's CUDA
# libtorch is used instead (for example a PyTorch wheel's torch/lib), so the bundle stays small enough to copy:
#
#   scripts/publish-bundle.sh [out-dir]          # -> out-dir/recurring-linux-x64.tar.xz (default out/)
#   tar xJf recurring-linux-x64.tar.xz && cd recurring
#   LD_LIBRARY_PATH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")') ./recurring run
#   (or set Torch:NativeLibraryDirectory / RECURRING_Torch__NativeLibraryDirectory to that folder)
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir="${1:-out}"
bundle_dir="$out_dir/recurring"
archive="$out_dir/recurring-linux-x64.tar.xz"
limit_mb=60

rm -rf "$bundle_dir" "$archive"
mkdir -p "$out_dir"
dotnet publish src/Daemon/Recurring.Daemon.csproj -c Release -r linux-x64 --self-contained \
  -p:BundleHostLibTorch=true -p:RecurringGlibcxxFix=always -o "$bundle_dir" --nologo -v quiet
# (RecurringGlibcxxFix=always: the GPU host's libstdc++ is unknown here, and a weak version need only widens where it loads.)

# Natives for other systems come with some packages; the bundle is linux-x64 only.
find "$bundle_dir" -path '*/runtimes/*' -prune -type d ! -name 'linux-x64' -exec rm -rf {} + 2>/dev/null || true
if compgen -G "$bundle_dir/libtorch*.so" >/dev/null; then
  echo "publish-bundle: a CPU libtorch slipped into the bundle; it must come from the host" >&2
  exit 1
fi

tar -C "$out_dir" -cJf "$archive" recurring
size_mb=$(( $(stat -c %s "$archive") / 1024 / 1024 ))
echo "bundle: $archive (${size_mb} MB)"
if (( size_mb >= limit_mb )); then
  echo "publish-bundle: the archive is ${size_mb} MB, over the ${limit_mb} MB limit" >&2
  exit 1
fi
