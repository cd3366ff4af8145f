"""Finding, verifying and reading Recurring checkpoints: manifest.json, model.json and safetensors files."""
import hashlib
import json
import os
import re
import struct
import sys
from typing import Dict, List

import torch

MANIFEST = "manifest.json"
DESCRIPTION = "model.json"
MODEL = "model.safetensors"

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}
_MAX_HEADER = 100_000_000
_CHUNK = 1 << 24

# ckpt-s<sequence>-<time>-<step>, or format version 1's ckpt-<time>-<step> (older than any with a sequence).
_CHECKPOINT_NAME = re.compile(r"^ckpt-(?:s(\d{12})-)?\d{8}T\d{6}\.\d{3}Z-\d{12,}$")
# delta-s<base sequence>-<index>-<time>-<step>
_DELTA_NAME = re.compile(r"^delta-s(\d{12})-(\d{6})-\d{8}T\d{6}\.\d{3}Z-\d{12,}$")
DELTA_ROWS = "embeddings.rows"


class CheckpointError(ValueError):
    """A checkpoint that is missing, damaged, or not one this package can read."""


def read_verified(folder: str, name: str, manifest: dict) -> bytearray:
    """A file of a checkpoint, checked against the size and SHA-256 its manifest lists."""
    listed = {f["name"]: f for f in manifest["files"]}
    if name not in listed:
        raise CheckpointError(f"{folder}: the manifest lists no {name} (a checkpoint written before model descriptions? "
                              "load a newer one, or re-save it with a current recurring)")
    path = os.path.join(folder, name)
    try:
        size = os.path.getsize(path)
    except OSError:
        raise CheckpointError(f"{folder}: {name} is missing: the checkpoint is incomplete") from None
    if size != listed[name]["bytes"]:
        raise CheckpointError(f"{folder}: {name} is {size} bytes, but the manifest says {listed[name]['bytes']}")
    data = bytearray(size)
    digest = hashlib.sha256()
    view = memoryview(data)
    with open(path, "rb") as f:
        for start in range(0, size, _CHUNK):
            chunk = view[start:start + _CHUNK]
            if f.readinto(chunk) != len(chunk):
                raise CheckpointError(f"{folder}: {name} ended early")
            digest.update(chunk)
    if digest.hexdigest() != listed[name]["sha256"].lower():
        raise CheckpointError(f"{folder}: {name} does not match its SHA-256: the file is corrupt")
    return data


def read_manifest(folder: str) -> dict:
    """A checkpoint's or a delta's manifest.json, naming the folder it lies in."""
    path = os.path.join(folder, MANIFEST)
    try:
        with open(path, "rb") as f:
            manifest = json.loads(f.read())
    except FileNotFoundError:
        raise CheckpointError(f"{folder}: {MANIFEST} is missing: not a checkpoint, or an incomplete one") from None
    except ValueError as e:
        raise CheckpointError(f"{folder}: {MANIFEST} is not valid JSON: {e}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise CheckpointError(f"{folder}: {MANIFEST} does not describe a checkpoint")
    if manifest.get("id") != os.path.basename(os.path.normpath(folder)):
        raise CheckpointError(f"{folder}: {MANIFEST} belongs to {manifest.get('id')}")
    return manifest


def checkpoints_newest_first(directory: str) -> List[str]:
    """The checkpoint folders of a checkpoint directory, newest (highest sequence) first."""
    found = []
    for name in os.listdir(directory):
        match = _CHECKPOINT_NAME.match(name)
        if match and os.path.isdir(os.path.join(directory, name)):
            found.append((int(match.group(1) or 0), name))
    return [os.path.join(directory, name) for _, name in sorted(found, reverse=True)]


def parse_safetensors(data: bytearray, origin: str) -> Dict[str, torch.Tensor]:
    """Every tensor of a safetensors file held in ``data``; the tensors share its memory."""
    if sys.byteorder != "little":
        raise CheckpointError("reading safetensors needs a little-endian machine")
    if len(data) < 8:
        raise CheckpointError(f"{origin}: too short for a safetensors file")
    (header_bytes,) = struct.unpack_from("<Q", data, 0)
    if not 0 < header_bytes <= min(_MAX_HEADER, len(data) - 8):
        raise CheckpointError(f"{origin}: header length {header_bytes} is out of range")
    try:
        header = json.loads(bytes(data[8:8 + header_bytes]))
    except ValueError as e:
        raise CheckpointError(f"{origin}: the header is not JSON: {e}") from None
    start = 8 + header_bytes
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(entry.get("dtype"))
        begin, end = entry["data_offsets"]
        shape = entry["shape"]
        if dtype is None or not 0 <= begin <= end <= len(data) - start:
            raise CheckpointError(f"{origin}: tensor {name} has an unknown dtype or lies outside the file")
        count = 1
        for size in shape:
            count *= size
        if count * torch.empty((), dtype=dtype).element_size() != end - begin:
            raise CheckpointError(f"{origin}: tensor {name} spans {end - begin} bytes, not its shape's")
        if count == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(data, dtype=dtype, count=count, offset=start + begin).view(shape)
    return tensors


class Checkpoint:
    """A verified checkpoint: its folder, manifest, model.json's text and model.safetensors' tensors."""

    def __init__(self, folder: str):
        self.folder = folder
        self.manifest = read_manifest(folder)
        self.description = read_verified(folder, DESCRIPTION, self.manifest).decode("utf-8")
        self.tensors = parse_safetensors(read_verified(folder, MODEL, self.manifest), os.path.join(folder, MODEL))

    @property
    def id(self) -> str:
        return self.manifest["id"]

    @property
    def sequence(self) -> int:
        match = _CHECKPOINT_NAME.match(self.id)
        return int(match.group(1) or 0) if match else 0


class Delta:
    """A verified delta: its manifest and its model tensors (the optimizer's half is for resuming training, not read)."""

    def __init__(self, folder: str):
        self.folder = folder
        self.manifest = read_manifest(folder)
        if "baseId" not in self.manifest or "previousId" not in self.manifest:
            raise CheckpointError(f"{folder}: not a delta (its manifest names no base)")
        self.tensors = parse_safetensors(read_verified(folder, MODEL, self.manifest), os.path.join(folder, MODEL))

    @property
    def id(self) -> str:
        return self.manifest["id"]


def delta_chain(checkpoint: Checkpoint) -> List[str]:
    """The delta folders beside a checkpoint that apply to it, in order (index 1, 2, ... each naming the one before);
    the chain ends before the first missing index or unreadable manifest."""
    directory = os.path.dirname(os.path.normpath(checkpoint.folder))
    candidates = []
    for name in os.listdir(directory):
        match = _DELTA_NAME.match(name)
        if match and int(match.group(1)) == checkpoint.sequence:
            candidates.append((int(match.group(2)), name))
    chain, previous = [], checkpoint.id
    for index, name in sorted(candidates):
        if index != len(chain) + 1:
            break
        folder = os.path.join(directory, name)
        try:
            manifest = read_manifest(folder)
        except CheckpointError:
            break
        if manifest.get("baseId") != checkpoint.id or manifest.get("previousId") != previous:
            break
        chain.append(folder)
        previous = manifest["id"]
    return chain


def open_checkpoint(path: str) -> Checkpoint:
    """``path`` itself when it is a checkpoint folder, else the newest checkpoint of the directory ``path`` that verifies."""
    if not os.path.isdir(path):
        raise CheckpointError(f"{path}: no such checkpoint folder or directory")
    if os.path.exists(os.path.join(path, MANIFEST)):
        return Checkpoint(path)
    problems = []
    for folder in checkpoints_newest_first(path):
        try:
            return Checkpoint(folder)
        except CheckpointError as e:
            problems.append(str(e))
    detail = "; ".join(problems) if problems else "no ckpt-* folders"
    raise CheckpointError(f"{path} holds no valid checkpoint ({detail})")
