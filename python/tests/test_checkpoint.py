"""load() trusts nothing its manifest does not vouch for, and picks the newest checkpoint that verifies."""
import json
import os
import shutil

import pytest

import recurring_model
import support


def flip_byte(path, at=-1):
    data = bytearray(open(path, "rb").read())
    data[at] ^= 0x01
    open(path, "wb").write(bytes(data))


def small_description():
    return support.description(support.MIXED_DENSE, support.MIXED_SPARSE, dim=4, bottom=[6], top_hidden=[5])


def test_a_flipped_byte_in_the_tensors_is_refused(mixed_checkpoint):
    flip_byte(os.path.join(mixed_checkpoint, "model.safetensors"))
    with pytest.raises(recurring_model.CheckpointError, match="model.safetensors does not match its SHA-256"):
        recurring_model.load(mixed_checkpoint)


def test_an_altered_description_is_refused(mixed_checkpoint):
    path = os.path.join(mixed_checkpoint, "model.json")
    size = os.path.getsize(path)
    text = open(path).read().replace('"mean"', '"sum"')
    open(path, "w").write(text + " " * (size - len(text)))
    with pytest.raises(recurring_model.CheckpointError, match="model.json does not match its SHA-256"):
        recurring_model.load(mixed_checkpoint)


def test_a_directory_gives_its_newest_checkpoint_that_verifies(tmp_path):
    desc = small_description()
    older = support.write_checkpoint(str(tmp_path), desc, support.random_tensors(desc, seed=1), sequence=2)
    newest = support.write_checkpoint(str(tmp_path), desc, support.random_tensors(desc, seed=2), sequence=10)
    damaged = support.write_checkpoint(str(tmp_path), desc, support.random_tensors(desc, seed=3), sequence=11)
    flip_byte(os.path.join(damaged, "model.safetensors"))
    os.makedirs(tmp_path / ".tmp-write-ckpt-s000000000012-20261201T000000.000Z-000000000012")
    os.makedirs(tmp_path / "lost+found")

    assert recurring_model.load(str(tmp_path)).checkpoint_id == os.path.basename(newest)
    assert recurring_model.load(older).checkpoint_id == os.path.basename(older)


def test_a_checkpoint_without_a_description_says_so(mixed_checkpoint):
    manifest_path = os.path.join(mixed_checkpoint, "manifest.json")
    manifest = json.load(open(manifest_path))
    manifest["files"] = [f for f in manifest["files"] if f["name"] != "model.json"]
    json.dump(manifest, open(manifest_path, "w"))
    with pytest.raises(recurring_model.CheckpointError, match="lists no model.json"):
        recurring_model.load(mixed_checkpoint)


def test_a_directory_without_checkpoints_says_so(tmp_path):
    with pytest.raises(recurring_model.CheckpointError, match="holds no valid checkpoint"):
        recurring_model.load(str(tmp_path))


def test_a_description_newer_than_the_package_is_refused(tmp_path):
    desc = dict(small_description(), version=2)
    folder = support.write_checkpoint(str(tmp_path), desc, support.random_tensors(small_description()))
    with pytest.raises(ValueError, match="version 2 is newer than this package reads"):
        recurring_model.load(folder)


def test_a_tensor_of_the_wrong_shape_is_refused(tmp_path):
    desc = small_description()
    tensors = support.random_tensors(desc)
    tensors["top.0.weight"] = tensors["top.0.weight"][:, :-1].copy()
    with pytest.raises(ValueError, match="top.0.weight is torch.float32"):
        recurring_model.load(support.write_checkpoint(str(tmp_path), desc, tensors))
