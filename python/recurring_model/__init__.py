"""
recurring-model: serve models trained by Recurring from PyTorch.

    import recurring_model
    model = recurring_model.load("checkpoints")            # the newest valid checkpoint, or one ckpt-* folder
    probabilities = model.score([{"label": 0, "I1": 3, "C1": 0x68fd1e64}])
    features = model.featurize(events)                     # the inputs, hashed and transformed as the trainer does
    probabilities = model(*features.inputs())
    scripted = torch.jit.script(model)                     # for TorchServe, Triton's PyTorch backend, C++

docs/serving.md is the reference.
"""
from typing import Iterable, Union

from .checkpoint import CheckpointError, delta_chain, open_checkpoint
from .description import ModelDescription
from .features import Features, Featurizer, parse_criteo_line
from .hashing import row
from .model import RecurringModel

__all__ = ["load", "RecurringModel", "ModelDescription", "Features", "Featurizer", "parse_criteo_line", "row", "CheckpointError"]
__version__ = "0.1.0"


def load(path: str, deltas: Union[bool, Iterable[str]] = False) -> RecurringModel:
    """
    The model of a checkpoint, in evaluation mode, on the CPU: ``path`` is a checkpoint folder (``ckpt-...``) or a
    checkpoint directory, whose newest checkpoint that verifies is taken. Every file read is checked against its
    manifest (size and SHA-256).

    ``deltas``: True applies every delta of the checkpoint's chain found beside it (``delta-...`` folders written with
    Checkpoints:Deltas), giving the model the trainer had at the last one; a list of delta folders applies those, in
    order, the first following the checkpoint. ``model.apply_delta(folder)`` applies later ones in place.
    """
    checkpoint = open_checkpoint(path)
    model = RecurringModel(ModelDescription.parse(checkpoint.description), checkpoint.tensors, checkpoint.id)
    for folder in (delta_chain(checkpoint) if deltas is True else [] if deltas is False else deltas):
        model.apply_delta(folder)
    return model.eval()
