#!/usr/bin/env bash
# One-shot GPU measurement, run from the repository root on the GPU machine (PyTorch with CUDA, no .NET, no network),
# after `scripts/publish-bundle.sh out` built out/recurring-linux-x64.tar.xz on a build machine:
#
#   bench/gpu/measure.sh [out-dir]     -> results/*.json and results/summary.txt
#
# Measures, side by side on the same GPU: Recurring's train step vs bench/reference/dlrm_reference.py at batch 2048
# and 16384, `recurring bench stream` on CUDA with the embedded broker, and `recurring bench amgp` (AMGP vs dense
# wall time) on CUDA. Peak GPU memory comes from the reference (torch.cuda.max_memory_allocated) and nvidia-smi.
set -euo pipefail
out="${1:-out}"
results="${OUT:-results}"
mkdir -p "$results" "$out"
[[ -d "$out/recurring" ]] || tar -C "$out" -xJf "$out/recurring-linux-x64.tar.xz"
torch_lib=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")')
export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export RECURRING_Torch__NativeLibraryDirectory="$torch_lib" RECURRING_Training__Device=cuda
recurring="$out/recurring/recurring"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$results/gpu.txt"

"$recurring" generate --events 1100000 --seed 1 --out "$results/events.tsv" --json | tail -1 > "$results/generate.json"
for batch in 2048 16384; do
  python3 bench/reference/dlrm_reference.py --data "$results/events.tsv" --batch "$batch" --steps 100 --device cuda --json \
    | tail -1 > "$results/reference-$batch.json"
done
"$recurring" bench train --seconds 10 --json | tail -1 > "$results/train.json"
( while sleep 1; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits; done ) > "$results/memory-trace.txt" &
sampler=$!
"$recurring" bench stream --partitions 16 --json | tail -1 > "$results/stream.json"
"$recurring" bench amgp --seeds 1 --events 2000000 --chart "$results/amgp-cuda.png" --json | tail -1 > "$results/amgp.json"
kill "$sampler"
python3 - "$results" <<'PY'
import json, sys, pathlib
r = pathlib.Path(sys.argv[1])
ours = {x["batchSize"]: x["rowWiseSamplesPerSecond"] for x in json.loads((r / "train.json").read_text())["results"]}
lines = []
for batch in (2048, 16384):
    ref = json.loads((r / f"reference-{batch}.json").read_text())
    lines.append(f"batch {batch}: recurring {ours[batch]:,.0f}/s, pytorch {ref['samplesPerSecond']:,.0f}/s, ratio {ours[batch] / ref['samplesPerSecond']:.3f}, reference peak {ref['peakMemoryBytes'] / 2**30:.2f} GiB")
stream = json.loads((r / "stream.json").read_text())
lines.append(f"stream: end to end {stream['endToEndEventsPerSecond']:,.0f}/s vs trainer alone {stream['trainerAloneEventsPerSecond']:,.0f}/s, ratio {stream['ratio']:.3f}")
for mode in json.loads((r / "amgp.json").read_text())["modes"]:
    lines.append(f"amgp {mode['mode']}: wall time / dense {mode['wallTimeRatioToDense']['mean']:.3f}, eval AUC {mode['evalAuc']['mean']:.4f}")
trace = [int(x) for x in (r / "memory-trace.txt").read_text().split() if x.isdigit()]
lines.append(f"nvidia-smi peak memory used during stream/amgp: {max(trace) if trace else 'n/a'} MiB")
(r / "summary.txt").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
