"""The rebuilt module against the forward pass docs/serving.md describes, computed here with numpy, event by event."""
import json
import os

import numpy as np
import torch

import recurring_model

EVENTS = [
    {"label": 1, "price": 12.0, "hour": 3, "score": 1.0, "user_id": 42, "country": "DE", "tags": ["a", "b", 9], "topics": ["x", "y"]},
    {"label": 0, "user_id": -7, "tags": [], "topics": ["x"]},
    {"label": 0, "price": -1.0, "country": "日本", "tags": ["a", "a"], "topics": ["y", "z", "w"]},
    {"label": 1},
]


def reference_probabilities(folder, features):
    """sigmoid(top(concat(z, lower-triangle dots of [z, e_1..e_S]))) with z = bottom(dense), from model.json alone."""
    desc = json.load(open(os.path.join(folder, "model.json")))
    tensors = {k: v.numpy().astype(np.float64) for k, v in recurring_model.checkpoint.parse_safetensors(
        bytearray(open(os.path.join(folder, "model.safetensors"), "rb").read()), "").items()}
    table = tensors[desc["embeddings"]["tensor"]]
    singles = [s for s in desc["sparse"] if not s["multi"]]
    multis = [s for s in desc["sparse"] if s["multi"]]
    offsets = features.bag_offsets.tolist()
    result = []
    for n in range(features.dense.shape[0]):
        x = features.dense[n].numpy().astype(np.float64)
        for layer in desc["bottom"]:
            x = np.maximum(tensors[layer["weight"]] @ x + tensors[layer["bias"]], 0)
        vectors = [x] + [table[s["offset"] + features.rows[n, k].item()] for k, s in enumerate(singles)]
        for m, s in enumerate(multis):
            b = n * len(multis) + m
            rows = features.bag_rows[offsets[b]:offsets[b + 1]].tolist()
            pooled = sum(table[s["offset"] + r] for r in rows)
            vectors.append(pooled / len(rows) if s["pooling"] == "mean" else pooled)
        dots = [vectors[i] @ vectors[j] for i in range(len(vectors)) for j in range(i)]
        y = np.concatenate([x, dots])
        for layer in desc["top"]:
            y = tensors[layer["weight"]] @ y + tensors[layer["bias"]]
            if layer["activation"] == "relu":
                y = np.maximum(y, 0)
        result.append(1 / (1 + np.exp(-y[0])))
    return np.array(result)


def test_scores_are_the_documented_forward_pass(mixed_checkpoint, mixed_model):
    features = mixed_model.featurize(EVENTS)
    np.testing.assert_allclose(mixed_model.score(EVENTS).numpy(), reference_probabilities(mixed_checkpoint, features), atol=1e-6)


def test_the_scripted_module_scores_exactly_like_the_eager_one(mixed_model, tmp_path):
    features = mixed_model.featurize(EVENTS)
    path = str(tmp_path / "model.pt")
    torch.jit.script(mixed_model).save(path)
    scripted = torch.jit.load(path)
    assert torch.equal(scripted(*features.inputs()), mixed_model(*features.inputs()))
    assert torch.equal(scripted.logits(*features.inputs()), mixed_model.logits(*features.inputs()))


def test_a_model_without_multi_valued_features_takes_dense_and_rows_only(criteo_model):
    features = criteo_model.featurize(["\t".join(["1", "3"] + [""] * 12 + ["68fd1e64"] + [""] * 25)])
    scripted = torch.jit.script(criteo_model)
    assert torch.equal(scripted(features.dense, features.rows), criteo_model(*features.inputs()))


def test_state_dict_names_are_the_checkpoints_tensor_names(mixed_checkpoint, mixed_model):
    stored = recurring_model.checkpoint.parse_safetensors(bytearray(open(os.path.join(mixed_checkpoint, "model.safetensors"), "rb").read()), "")
    state = mixed_model.state_dict()
    assert sorted(state) == sorted(stored)
    assert all(torch.equal(state[name], stored[name]) for name in stored)


def test_an_empty_bag_scores_like_the_row_0_the_trainer_gives_an_absent_list(mixed_model):
    features = mixed_model.featurize([{"tags": [], "topics": ["x"]}, {"tags": ["a"], "topics": []}])
    zero, x, a, zero_again = features.bag_rows.tolist()
    assert (zero, zero_again, features.bag_offsets.tolist()) == (0, 0, [0, 1, 2, 3, 4])

    as_empty_bags = mixed_model(features.dense, features.rows, torch.tensor([x, a]), torch.tensor([0, 0, 1, 2, 2]))

    assert torch.equal(as_empty_bags, mixed_model(*features.inputs()))
