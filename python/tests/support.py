"""Checkpoints written by the tests themselves, in the layout docs/checkpoints.md and docs/serving.md describe."""
import hashlib
import json
import os
import struct

import numpy as np

DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name, array in tensors.items():
        header[name] = {"dtype": DTYPES[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for array in tensors.values():
            f.write(np.ascontiguousarray(array).tobytes())


def description(dense, sparse, dim, bottom, top_hidden, label="label"):
    """model.json for dense [(name, transform, default, mean, variance)], sparse [(name, rows, multi, max_values, pooling)]."""
    offsets = np.concatenate([[0], np.cumsum([s[1] for s in sparse])[:-1]]).tolist()
    order = [j for j, s in enumerate(sparse) if not s[2]] + [j for j, s in enumerate(sparse) if s[2]]
    slots = {j: i + 1 for i, j in enumerate(order)}
    features = len(sparse) + 1
    pairs = features * (features - 1) // 2

    def layers(name, widths, relu_last):
        return [{"weight": f"{name}.{i}.weight", "bias": f"{name}.{i}.bias", "inputs": widths[i], "outputs": widths[i + 1],
                 "activation": "relu" if i < len(widths) - 2 or relu_last else "none"} for i in range(len(widths) - 1)]

    return {
        "version": 1, "architecture": "dlrm", "label": label,
        "dense": [{"index": i, "name": n, "transform": t, "default": d, "mean": m, "variance": v} for i, (n, t, d, m, v) in enumerate(dense)],
        "sparse": [{"index": j, "name": n, "rows": r, "offset": offsets[j], "multi": mu, "maxValues": mv, "pooling": p, "interactionSlot": slots[j]}
                   for j, (n, r, mu, mv, p) in enumerate(sparse)],
        "hashing": {"algorithm": "fnv1a64-splitmix64", "missingRow": 0},
        "embeddings": {"tensor": "embeddings.weight", "rows": sum(s[1] for s in sparse), "dim": dim, "dtype": "F32"},
        "bottom": layers("bottom", [len(dense)] + bottom + [dim], True),
        "interaction": {"kind": "dot", "features": ["bottom"] + [sparse[j][0] for j in order], "pairs": pairs, "outputs": dim + pairs},
        "top": layers("top", [dim + pairs] + top_hidden + [1], False),
        "output": "sigmoid",
    }


def random_tensors(desc, seed=0):
    rng = np.random.default_rng(seed)
    tensors = {"embeddings.weight": rng.uniform(-0.5, 0.5, (desc["embeddings"]["rows"], desc["embeddings"]["dim"])).astype(np.float32)}
    for layer in desc["bottom"] + desc["top"]:
        tensors[layer["weight"]] = rng.normal(0, 0.5, (layer["outputs"], layer["inputs"])).astype(np.float32)
        tensors[layer["bias"]] = rng.normal(0, 0.1, layer["outputs"]).astype(np.float32)
    return tensors


def write_checkpoint(directory, desc, tensors, sequence=1):
    """A checkpoint folder with model.json, model.safetensors and a manifest listing both; returns its path."""
    checkpoint_id = f"ckpt-s{sequence:012d}-20261201T000000.000Z-{sequence:012d}"
    folder = os.path.join(directory, checkpoint_id)
    os.makedirs(folder)
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(desc, f, indent=2)
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    files = []
    for name in ("model.safetensors", "model.json"):
        data = open(os.path.join(folder, name), "rb").read()
        files.append({"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump({"formatVersion": 2, "id": checkpoint_id, "sequence": sequence, "files": files}, f)
    return folder


CRITEO_DENSE = [(f"I{i}", "log1p", None, None, None) for i in range(1, 14)]
CRITEO_SPARSE = [(f"C{j}", 50 + j, False, 16, "sum") for j in range(1, 27)]

MIXED_DENSE = [("price", "log1p", None, None, None), ("hour", "none", 12.0, None, None), ("score", "standardize", None, 2.5, 4.0),
               ("flat", "standardize", None, 1.0, 0.0)]
MIXED_SPARSE = [("user_id", 40, False, 16, "sum"), ("tags", 30, True, 3, "sum"), ("country", 20, False, 16, "sum"),
                ("topics", 25, True, 2, "mean")]
