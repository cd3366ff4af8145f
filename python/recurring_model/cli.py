"""python -m recurring_model score --model DIR --data FILE [--auc] [--json]"""
import argparse
import json
import sys
from typing import Iterator, List, Optional, Tuple

import numpy as np
import torch

from . import metrics
from .checkpoint import CheckpointError
from .features import parse_criteo_line

BATCH = 4096
HEADER = "line\tlabel\tprobability"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recurring_model", description="Score events with a Recurring checkpoint.")
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="click probabilities (or AUC, logloss, NE) of a file of events",
                                description="Prints line, label and probability per event as `recurring evaluate --predictions` "
                                            "writes them, or with --auc the figures `recurring evaluate` reports.")
    score.add_argument("--model", required=True, help="a checkpoint folder (ckpt-...) or a checkpoint directory (its newest valid checkpoint)")
    score.add_argument("--data", required=True, help="Criteo TSV, or JSON lines (one event object per line; .jsonl/.json or starting with '{')")
    score.add_argument("--deltas", action="store_true", help="apply the checkpoint's deltas (Checkpoints:Deltas) first")
    score.add_argument("--auc", action="store_true", help="print AUC, logloss and NE instead of the probabilities")
    score.add_argument("--json", action="store_true", help="with --auc: one JSON object")
    args = parser.parse_args(argv)
    try:
        return _score(args)
    except (CheckpointError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _score(args) -> int:
    from . import load

    model = load(args.model, deltas=args.deltas)
    lines: List[int] = []
    labels: List[Optional[float]] = []
    scores: List[np.ndarray] = []
    malformed = 0
    out = sys.stdout
    if not args.auc:
        out.write(HEADER + "\n")
    for batch_lines, events, bad in _batches(args.data, model):
        malformed += bad
        features, batch_lines, events, bad = _featurize_valid(model, batch_lines, events)
        malformed += bad
        if not events:
            continue
        with torch.no_grad():
            probabilities = model(*features.inputs()).numpy()
        batch_labels = [_label_of(e, model.description.label) for e in events]
        if args.auc:
            scores.append(probabilities)
            labels.extend(batch_labels)
        else:
            out.write("".join(f"{line}\t{'' if label is None else int(label)}\t{p:.9g}\n"
                              for line, label, p in zip(batch_lines, batch_labels, probabilities.astype(np.float64))))
    if malformed:
        print(f"{malformed} malformed lines skipped", file=sys.stderr)
    if args.auc:
        if any(label is None for label in labels):
            raise ValueError(f"{args.data}: some events have no label {model.description.label!r}, so there is no AUC")
        p = np.concatenate(scores) if scores else np.zeros(0, np.float32)
        y = np.array(labels, dtype=np.float32)
        loss = metrics.log_loss(p, y)
        figures = {"checkpoint": model.checkpoint_id, "events": int(len(p)), "malformedLines": malformed,
                   "auc": metrics.auc(p, y), "logLoss": loss, "ne": metrics.normalized_entropy(loss, float(y.mean()) if len(y) else float("nan"))}
        if args.json:
            print(json.dumps(figures))
        else:
            print(f"events   {figures['events']}\nAUC      {figures['auc']:.4f}\nlogloss  {figures['logLoss']:.4f}\nNE       {figures['ne']:.4f}")
    return 0


def _label_of(event, label: str) -> Optional[float]:
    value = event.get(label)
    return None if value is None else float(value)


def _featurize_valid(model, lines: List[int], events: list):
    """Features of a batch; when an event holds a bad value, the batch without it (and the count of those left out)."""
    try:
        return model.featurize(events), lines, events, 0
    except (ValueError, TypeError):
        valid = []
        for line, event in zip(lines, events):
            try:
                model.featurize([event])
                valid.append((line, event))
            except (ValueError, TypeError):
                pass
        kept_lines, kept = [l for l, _ in valid], [e for _, e in valid]
        return (model.featurize(kept) if kept else None), kept_lines, kept, len(events) - len(kept)


def _batches(path: str, model) -> Iterator[Tuple[List[int], list, int]]:
    """Batches of (line numbers, parsed events, lines skipped as malformed)."""
    json_lines = path.endswith((".jsonl", ".json")) or _starts_with_brace(path)
    lines, events, bad = [], [], 0
    with open(path, "rb") as f:
        for number, raw in enumerate(_lines(f), start=1):
            try:
                event = _parse(raw, json_lines, model)
            except ValueError:
                bad += 1
                continue
            lines.append(number)
            events.append(event)
            if len(events) == BATCH:
                yield lines, events, bad
                lines, events, bad = [], [], 0
    yield lines, events, bad


def _parse(raw: bytes, json_lines: bool, model):
    if json_lines:
        event = json.loads(raw.decode("utf-8"))
        if not isinstance(event, dict):
            raise ValueError("not a JSON object")
        return event
    return parse_criteo_line(raw, model.description)


def _lines(f) -> Iterator[bytes]:
    """Lines split at '\\n' only, without it; a last line without one counts, an empty tail does not."""
    for raw in f:
        yield raw[:-1] if raw.endswith(b"\n") else raw


def _starts_with_brace(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(1) == b"{"
