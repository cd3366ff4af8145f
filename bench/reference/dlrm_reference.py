#!/usr/bin/env python3
"""Plain PyTorch (eager) reference of Recurring's training step, for side-by-side speed comparisons on one GPU.

Same architecture, initialisation, optimizers and batch as `recurring bench train`:
  - DLRM: bottom MLP 13-512-256-64-16 (ReLU after every layer), ONE fused embedding table (26 x rows x 16) with
    per-table row offsets, dot interaction (strict lower triangle of the 27x27 Gram matrix) concatenated after the
    bottom output, top MLP 367-512-256-1 (ReLU between layers), BCE-with-logits loss.
  - Row-wise Adagrad on the embedding rows the batch touches (sort-based deduplication, one accumulator per row),
    Adagrad (lr 0.003, eps 1e-8) on the MLPs, embedding lr 0.05.
  - Batches come from a Criteo TSV written by `recurring generate`, hashed exactly as Recurring documents
    (docs/features.md, "Hashing": FNV-1a 64 of "C<t+1>" 0x00 0x01 <8 bytes little-endian>, SplitMix64's finaliser,
    row = 1 + h mod (rows - 1), missing = row 0; dense = log1p(max(x, 0))).

Only for measurement on a GPU machine; not needed in CI.
  python3 dlrm_reference.py --data events.tsv --batch 2048 --steps 200 --device cuda --json
"""
import argparse
import json
import math
import struct
import time

import torch

DENSE, TABLES, DIM = 13, 26, 16
MASK = (1 << 64) - 1


def mix64(x):
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & MASK
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & MASK
    return x ^ (x >> 31)


def row_of(table, value, rows):
    if value is None:
        return 0
    h = 0xCBF29CE484222325
    for b in f"C{table + 1}".encode() + b"\x00\x01" + struct.pack("<Q", value & MASK):
        h = ((h ^ b) * 0x100000001B3) & MASK
    return 1 + mix64(h) % (rows - 1)


def read_tsv(path, rows, limit=None):
    """Dense features, table rows and labels of the first `limit` events of a Criteo TSV (all when None), hashed as Recurring does."""
    dense, cats, labels = [], [], []
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            labels.append(float(fields[0]))
            dense.append([math.log1p(max(float(x), 0.0)) if x else 0.0 for x in fields[1:14]])
            cats.append([row_of(t, int(c, 16) if c else None, rows) for t, c in enumerate(fields[14:40])])
            if limit and len(labels) >= limit:
                break
    return dense, cats, labels


def read_batches(path, batch, rows, limit):
    dense, cats, labels = read_tsv(path, rows, limit)
    n = len(labels) // batch * batch
    if n == 0:
        raise SystemExit(f"{path} holds fewer than {batch} events")
    to = lambda xs, dt: torch.tensor(xs[:n], dtype=dt).split(batch)
    return list(zip(to(dense, torch.float32), to(cats, torch.int64), to(labels, torch.float32)))


def mlp(widths, relu_last):
    """Linear layers with Recurring's initialisation (weights N(0, 2 / (in + out)), biases N(0, 1 / out)), ReLU between."""
    layers = []
    for k in range(len(widths) - 1):
        linear = torch.nn.Linear(widths[k], widths[k + 1])
        torch.nn.init.normal_(linear.weight, 0, math.sqrt(2 / (widths[k] + widths[k + 1])))
        torch.nn.init.normal_(linear.bias, 0, math.sqrt(1 / widths[k + 1]))
        layers.append(linear)
        if k < len(widths) - 2 or relu_last:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


class Dlrm(torch.nn.Module):
    def __init__(self, rows, device):
        super().__init__()
        self.offsets = (torch.arange(TABLES, dtype=torch.int64) * rows).to(device)
        self.embedding = torch.empty(TABLES * rows, DIM, device=device).uniform_(-0.2, 0.2)  # updated row-wise, outside autograd
        self.bottom = mlp([DENSE, 512, 256, 64, DIM], relu_last=True)
        features = TABLES + 1
        self.top = mlp([DIM + features * (features - 1) // 2, 512, 256, 1], relu_last=False)
        i, j = torch.tril_indices(features, features, offset=-1)
        self.lower = (i * features + j).to(device)
        self.to(device)

    def gather(self, table_rows):
        """Distinct rows of the batch as a leaf tensor, with a fixed output size (no host sync), as Recurring does."""
        flat = (table_rows + self.offsets).view(-1)
        sorted_rows, order = flat.sort()
        starts = torch.ones_like(sorted_rows, dtype=torch.bool)
        starts[1:] = sorted_rows[1:] != sorted_rows[:-1]
        slot_of_sorted = starts.cumsum(0) - 1
        slot_of_lookup = torch.empty_like(flat).scatter_(0, order, slot_of_sorted)
        distinct = sorted_rows.clone().scatter_(0, slot_of_sorted, sorted_rows)
        values = self.embedding.index_select(0, distinct).requires_grad_(True)
        embedded = values.index_select(0, slot_of_lookup).view(table_rows.shape[0], TABLES, DIM)
        return distinct, values, embedded

    def forward(self, dense, embedded):
        bottom = self.bottom(dense)
        everything = torch.cat([bottom.unsqueeze(1), embedded], 1)
        products = torch.bmm(everything, everything.transpose(1, 2)).flatten(1)
        return self.top(torch.cat([bottom, products.index_select(1, self.lower)], 1)).squeeze(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    device = torch.device(args.device)
    torch.manual_seed(1)
    batches = read_batches(args.data, args.batch, args.rows, limit=args.batch * min(args.steps, 64))
    model = Dlrm(args.rows, device)
    mlp_optimizer = torch.optim.Adagrad(list(model.bottom.parameters()) + list(model.top.parameters()), lr=0.003, eps=1e-8)
    accumulator = torch.zeros(model.embedding.shape[0], device=device)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def step(dense, rows, labels):
        dense = dense.pin_memory().to(device, non_blocking=True) if device.type == "cuda" else dense
        rows = rows.pin_memory().to(device, non_blocking=True) if device.type == "cuda" else rows
        labels = labels.pin_memory().to(device, non_blocking=True) if device.type == "cuda" else labels
        distinct, values, embedded = model.gather(rows)
        loss = loss_fn(model(dense, embedded), labels)
        mlp_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        mlp_optimizer.step()
        with torch.no_grad():
            grad = values.grad
            accumulator.index_add_(0, distinct, grad.square().mean(1))
            denominator = accumulator.index_select(0, distinct).sqrt_().add_(1e-8).unsqueeze(1)
            model.embedding.index_add_(0, distinct, grad / denominator, alpha=-0.05)
        return loss

    for k in range(5):  # warm-up
        step(*batches[k % len(batches)])
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for k in range(args.steps):
        step(*batches[k % len(batches)])
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    result = {
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "torch": torch.__version__,
        "batch": args.batch,
        "steps": args.steps,
        "samplesPerSecond": args.steps * args.batch / seconds,
        "peakMemoryBytes": torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None,
    }
    print(json.dumps(result) if args.json else f"{result['samplesPerSecond']:,.0f} samples/s at batch {args.batch} on {device}")


if __name__ == "__main__":
    main()
