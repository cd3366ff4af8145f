#!/usr/bin/env python3
"""Plain PyTorch DLRM trained for one epoch on a Criteo TSV and scored on another: the independent accuracy check
that docs/training.md compares `recurring train-offline` with, side by side on the same events.

Textbook PyTorch, none of Recurring's choices: one torch.nn.Embedding(sparse=True) per table with the Adagrad
optimizer (element-wise accumulators), Adagrad on the MLPs, BCE-with-logits, one pass in file order. Architecture
and hashing as Recurring's defaults (bottom 13-512-256-64-16, top 367-512-256-1, dot interaction, rows hashed as
docs/training.md documents, dense log1p(max(x, 0))), so only the training recipe differs.

  python3 dlrm_accuracy.py --train train.tsv --eval eval.tsv --json
"""
import argparse
import json
import math
import time

import torch

from dlrm_reference import DENSE, DIM, TABLES, mlp, read_tsv


def read(path, rows, limit=None):
    dense, cats, labels = read_tsv(path, rows, limit)
    return torch.tensor(dense, dtype=torch.float32), torch.tensor(cats, dtype=torch.int64), torch.tensor(labels, dtype=torch.float32)


class Dlrm(torch.nn.Module):
    def __init__(self, rows, init_bound):
        super().__init__()
        self.tables = torch.nn.ModuleList(torch.nn.Embedding(rows, DIM, sparse=True) for _ in range(TABLES))
        for table in self.tables:
            torch.nn.init.uniform_(table.weight, -init_bound, init_bound)
        features = TABLES + 1
        self.bottom = mlp([DENSE, 512, 256, 64, DIM], relu_last=True)
        self.top = mlp([DIM + features * (features - 1) // 2, 512, 256, 1], relu_last=False)
        i, j = torch.tril_indices(features, features, offset=-1)
        self.lower = i * features + j

    def forward(self, dense, cats):
        bottom = self.bottom(dense)
        everything = torch.stack([bottom] + [table(cats[:, t]) for t, table in enumerate(self.tables)], 1)
        products = torch.bmm(everything, everything.transpose(1, 2)).flatten(1)
        return self.top(torch.cat([bottom, products.index_select(1, self.lower)], 1)).squeeze(1)


def auc(scores, labels):
    """Rank-based AUC, ties at mid-rank."""
    order = scores.argsort()
    ranks = torch.empty_like(scores, dtype=torch.float64)
    sorted_scores = scores[order]
    position = torch.arange(1, len(scores) + 1, dtype=torch.float64)
    _, inverse, counts = torch.unique_consecutive(sorted_scores, return_inverse=True, return_counts=True)
    ends = counts.cumsum(0).to(torch.float64)
    mid = ends - (counts.to(torch.float64) - 1) / 2
    ranks[order] = mid[inverse]
    positives = labels.sum().item()
    negatives = len(labels) - positives
    return (ranks[labels == 1].sum().item() - positives * (positives + 1) / 2) / (positives * negatives)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", required=True)
    parser.add_argument("--eval", required=True)
    parser.add_argument("--events", type=int, default=None, help="train on the first N lines only")
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--mlp-lr", type=float, default=0.02)
    parser.add_argument("--embedding-lr", type=float, default=0.05)
    parser.add_argument("--init-bound", type=float, default=0.2)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    dense, cats, labels = read(args.train, args.rows, args.events)
    eval_dense, eval_cats, eval_labels = read(args.eval, args.rows)
    model = Dlrm(args.rows, args.init_bound)
    sparse = torch.optim.Adagrad(list(model.tables.parameters()), lr=args.embedding_lr)
    dense_optimizer = torch.optim.Adagrad(list(model.bottom.parameters()) + list(model.top.parameters()), lr=args.mlp_lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    start = time.perf_counter()
    for first in range(0, len(labels), args.batch):
        batch = slice(first, first + args.batch)
        loss = loss_fn(model(dense[batch], cats[batch]), labels[batch])
        sparse.zero_grad()
        dense_optimizer.zero_grad()
        loss.backward()
        sparse.step()
        dense_optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        scores = torch.cat([torch.sigmoid(model(eval_dense[k:k + 8192], eval_cats[k:k + 8192])) for k in range(0, len(eval_labels), 8192)])
    clipped = scores.double().clamp(1e-7, 1 - 1e-7)
    y = eval_labels.double()
    logloss = -(y * clipped.log() + (1 - y) * (1 - clipped).log()).mean().item()
    rate = y.mean().item()
    entropy = -(rate * math.log(rate) + (1 - rate) * math.log(1 - rate))
    result = {
        "torch": torch.__version__, "trainEvents": len(labels), "evalEvents": len(eval_labels), "batch": args.batch,
        "mlpLearningRate": args.mlp_lr, "embeddingLearningRate": args.embedding_lr,
        "evalAuc": auc(scores.double(), eval_labels), "evalLogLoss": logloss, "evalNe": logloss / entropy, "trainingSeconds": seconds,
    }
    print(json.dumps(result) if args.json else f"eval AUC {result['evalAuc']:.4f}, logloss {logloss:.4f}, NE {result['evalNe']:.4f} ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
