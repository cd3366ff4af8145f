"""Events to model inputs: the trainer's transforms and hashing, for JSON-shaped dicts and Criteo TSV lines."""
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from . import hashing
from .description import DenseInput, ModelDescription

CRITEO_FIELDS = 40
MAX_LINE_BYTES = 65536

# What the trainer's Criteo parser accepts: a 0/1 label; dense values as plain decimal numbers (sign, point, exponent;
# no spaces, hex or thousands separators), empty when missing; categoricals as 1 to 16 hex digits, empty when missing.
_DENSE_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_HEX_TEXT = re.compile(r"[0-9a-fA-F]{1,16}\Z")

Event = Union[Dict[str, Any], str, bytes]


@dataclass
class Features:
    """
    A batch of B events as the model takes it (see ``RecurringModel``), and as the ONNX export's inputs are named:
    dense [B, D] float32, rows [B, S1] int64, bag_rows [N] int64 and bag_offsets [B * M + 1] int64; labels [B] float32,
    or None when an event has no label; dropped_values: list values beyond a feature's maxValues, left out.
    """
    dense: torch.Tensor
    rows: torch.Tensor
    bag_rows: torch.Tensor
    bag_offsets: torch.Tensor
    labels: Optional[torch.Tensor]
    dropped_values: int = 0

    def inputs(self) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.dense, self.rows, self.bag_rows, self.bag_offsets


def parse_criteo_line(line: Union[str, bytes], description: ModelDescription) -> Dict[str, Any]:
    """One Criteo TSV line (label, 13 dense, 26 hex categorical fields) as an event dict under the model's names.
    Raises ValueError for a line the trainer would reject as malformed."""
    if not description.has_criteo_layout:
        raise ValueError("this model does not read Criteo lines: its schema is not 13 dense and 26 single-valued sparse features")
    if isinstance(line, bytes):
        if len(line.rstrip(b"\n")) > MAX_LINE_BYTES:
            raise ValueError(f"line is over the {MAX_LINE_BYTES}-byte limit")
        line = line.decode("latin-1")
    line = line[:-1] if line.endswith("\n") else line
    line = line[:-1] if line.endswith("\r") else line
    fields = line.split("\t")
    if len(fields) != CRITEO_FIELDS:
        raise ValueError(f"expected {CRITEO_FIELDS} tab-separated fields, found {len(fields)}")
    if fields[0] not in ("0", "1"):
        raise ValueError(f"field 1 (label): {fields[0][:40]!r} is not 0 or 1")
    event: Dict[str, Any] = {description.label: int(fields[0])}
    for i, feature in enumerate(description.dense):
        text = fields[1 + i]
        if text == "":
            continue
        if not _DENSE_TEXT.match(text):
            raise ValueError(f"field {2 + i} (dense {feature.name}): {text[:40]!r} is not a number")
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"field {2 + i} (dense {feature.name}): {text[:40]!r} is not a finite number")
        event[feature.name] = value
    for j, feature in enumerate(description.sparse):
        text = fields[14 + j]
        if text == "":
            continue
        if not _HEX_TEXT.match(text):
            raise ValueError(f"field {15 + j} (categorical {feature.name}): {text[:40]!r} is not 1 to 16 hex digits")
        event[feature.name] = int(text, 16)
    return event


class Featurizer:
    """Turns events into model inputs under one model's description, exactly as the trainer's encoder does."""

    def __init__(self, description: ModelDescription):
        self.description = description
        self._scales = [_scale(d) for d in description.dense]

    def encode_dense(self, feature: DenseInput, raw) -> float:
        """A dense model input, in double precision before it is stored as float32 (as the trainer computes it)."""
        x = feature.default if raw is None else raw
        if x is None:
            return 0.0
        if feature.transform == "log1p":
            return math.log(1 + max(x, 0.0))
        if feature.transform == "standardize":
            return (x - feature.mean) * self._scales[feature.index]
        return float(x)

    def featurize(self, events: Sequence[Event]) -> Features:
        d = self.description
        dicts = [self._as_dict(e, n) for n, e in enumerate(events)]
        count = len(dicts)
        dense = np.zeros((count, len(d.dense)), dtype=np.float32)
        for n, event in enumerate(dicts):
            for feature in d.dense:
                dense[n, feature.index] = self.encode_dense(feature, _dense_value(event.get(feature.name), feature.name, n))

        singles = d.single_valued
        rows = np.zeros((count, len(singles)), dtype=np.int64)
        for k, feature in enumerate(singles):
            values = _Values(feature.name)
            for n, event in enumerate(dicts):
                listed = _listed(event.get(feature.name))
                if len(listed) > 1:
                    raise ValueError(f"event {n}: sparse feature {feature.name!r} is single-valued but has {len(listed)} values")
                if listed:
                    values.add(n, listed[0], n)
            values.write_rows(rows[:, k], feature.rows)

        multis = d.multi_valued
        bag_offsets = np.zeros(count * len(multis) + 1, dtype=np.int64)
        by_feature = [_Values(f.name) for f in multis]
        dropped = 0
        size = 0
        for n, event in enumerate(dicts):
            for m, feature in enumerate(multis):
                bag_offsets[n * len(multis) + m] = size
                listed = _listed(event.get(feature.name))
                dropped += max(0, len(listed) - feature.max_values)
                listed = listed[:feature.max_values]
                # An absent or empty list is one value, row 0, so it has an embedding of its own.
                size += max(1, len(listed))
                for i, item in enumerate(listed):
                    by_feature[m].add(size - len(listed) + i, item, n)
        bag_offsets[-1] = size
        bag_rows = np.zeros(size, dtype=np.int64)
        for m, feature in enumerate(multis):
            by_feature[m].write_rows(bag_rows, feature.rows)

        labels = [_label(event.get(d.label), d.label, n) for n, event in enumerate(dicts)]
        return Features(
            dense=torch.from_numpy(dense),
            rows=torch.from_numpy(rows),
            bag_rows=torch.from_numpy(bag_rows),
            bag_offsets=torch.from_numpy(bag_offsets),
            labels=None if any(l is None for l in labels) else torch.tensor(labels, dtype=torch.float32),
            dropped_values=dropped,
        )

    def _as_dict(self, event: Event, n: int) -> Dict[str, Any]:
        if isinstance(event, dict):
            return event
        if isinstance(event, (str, bytes)):
            try:
                return parse_criteo_line(event, self.description)
            except ValueError as e:
                raise ValueError(f"event {n}: {e}") from None
        raise TypeError(f"event {n} is a {type(event).__name__}; events are dicts or Criteo TSV lines")


class _Values:
    """One sparse feature's present values with where their rows go; integers hashed together, strings one by one."""

    def __init__(self, feature: str):
        self.feature = feature
        self.int_at: List[int] = []
        self.ints: List[int] = []
        self.str_at: List[int] = []
        self.strs: List[str] = []

    def add(self, at: int, value, event: int) -> None:
        if isinstance(value, str):
            self.str_at.append(at)
            self.strs.append(value)
        elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
            try:
                self.ints.append(hashing.check_integer(int(value)))
            except ValueError as e:
                raise ValueError(f"event {event}: sparse feature {self.feature!r}: {e}") from None
            self.int_at.append(at)
        else:
            raise ValueError(f"event {event}: sparse feature {self.feature!r}: {value!r} is not an integer or a string")

    def write_rows(self, into: np.ndarray, rows: int) -> None:
        if self.ints:
            into[self.int_at] = hashing.integer_rows(self.feature, np.array(self.ints, dtype=np.uint64), rows)
        if self.strs:
            into[self.str_at] = hashing.string_rows(self.feature, self.strs, rows)


def _listed(value) -> list:
    """A sparse field's present values: a list without its nulls, a scalar as a list of one, null or absent as none."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [item for item in value if item is not None]
    return [value]


def _scale(feature: DenseInput) -> float:
    """1 / sqrt(variance) for a standardized feature; 0 for a constant one (it carries no information)."""
    if feature.transform != "standardize":
        return 1.0
    return 1 / math.sqrt(feature.variance) if feature.variance > 0 else 0.0


def _dense_value(value, name: str, n: int) -> Optional[float]:
    """A number, or a string holding one as Criteo's dense fields are written; null or absent is missing."""
    if value is None:
        return None
    if isinstance(value, str) and _DENSE_TEXT.match(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"event {n}: dense feature {name!r}: {value!r} is not a finite number")
    return float(value)


def _label(value, name: str, n: int) -> Optional[float]:
    """0, 1, true, false, "0" or "1"; None when absent (scoring needs no label)."""
    if value is None:
        return None
    if isinstance(value, str) and value in ("0", "1"):
        return float(value)
    if isinstance(value, numbers.Real) and not isinstance(value, str) and value in (0, 1):
        return float(value)
    raise ValueError(f"event {n}: label {name!r} is {value!r}, not 0 or 1")
