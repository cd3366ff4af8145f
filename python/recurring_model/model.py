"""The click model rebuilt from a checkpoint's description: a torch.nn.Module that computes what the trainer computes."""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

from .description import ModelDescription


class FusedEmbeddings(torch.nn.Module):
    """All embedding tables in one [total rows, dim] parameter: table j's row r is row offset_j + r."""

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.weight = torch.nn.Parameter(weight, requires_grad=False)


class RecurringModel(torch.nn.Module):
    """
    A Recurring DLRM: bottom MLP over the dense inputs, fused embedding tables, dot interaction, top MLP, sigmoid.
    Its state_dict names are the checkpoint's (``embeddings.weight``, ``bottom.0.weight``, ...).

    ``forward(dense, rows, bag_rows, bag_offsets)`` takes already featurized inputs (``featurize``) and returns click
    probabilities [B]:

    - dense [B, D] float32: the transformed dense features;
    - rows [B, S1] int64: each single-valued feature's row in its own table, schema order;
    - bag_rows [N] int64 and bag_offsets [B * M + 1] int64: the M multi-valued features, bag ``b = event * M + m``
      holding ``bag_rows[bag_offsets[b]:bag_offsets[b + 1]]`` (the trainer's batch layout, also the ONNX export's
      inputs); an absent or empty list is the single row 0 (``featurize`` writes it so; an empty bag means the same).
      Omit both when M is 0.

    It scripts with ``torch.jit.script``. ``featurize`` and ``score`` are Python conveniences left out of the script.
    """

    def __init__(self, description: ModelDescription, tensors: Dict[str, torch.Tensor], checkpoint_id: str = ""):
        super().__init__()
        self.description = description
        # What the weights are: the checkpoint's id, then the last delta's once deltas are applied.
        self.checkpoint_id = checkpoint_id
        self.base_checkpoint_id = checkpoint_id
        self.embeddings = FusedEmbeddings(_tensor(tensors, description.embedding_tensor, [description.embedding_rows, description.embedding_dim]))
        self.bottom = _mlp(description.bottom, tensors)
        self.top = _mlp(description.top, tensors)
        self.dim = description.embedding_dim
        self.multi_count = len(description.multi_valued)
        self.register_buffer("single_offsets", torch.tensor([s.offset for s in description.single_valued], dtype=torch.int64), persistent=False)
        self.register_buffer("multi_offsets", torch.tensor([s.offset for s in description.multi_valued], dtype=torch.int64), persistent=False)
        self.register_buffer("mean_pooled", torch.tensor([s.pooling == "mean" for s in description.multi_valued], dtype=torch.bool), persistent=False)
        features = len(description.sparse) + 1
        pairs = torch.tril_indices(features, features, offset=-1)
        self.features = features
        self.register_buffer("lower_triangle", pairs[0] * features + pairs[1], persistent=False)

    def forward(self, dense: torch.Tensor, rows: torch.Tensor, bag_rows: Optional[torch.Tensor] = None,
                bag_offsets: Optional[torch.Tensor] = None) -> torch.Tensor:
        return torch.sigmoid(self.logits(dense, rows, bag_rows, bag_offsets))

    @torch.jit.export
    def logits(self, dense: torch.Tensor, rows: torch.Tensor, bag_rows: Optional[torch.Tensor] = None,
               bag_offsets: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The logits [B] before the sigmoid."""
        bottom = dense
        for layer in self.bottom:
            bottom = F.relu(layer(bottom))
        embedded = self.embedded(rows, bag_rows, bag_offsets, bottom.shape[0])
        everything = torch.cat([bottom.unsqueeze(1), embedded], 1)
        products = torch.bmm(everything, everything.transpose(1, 2)).view(bottom.shape[0], self.features * self.features)
        x = torch.cat([bottom, products.index_select(1, self.lower_triangle)], 1)
        last = len(self.top) - 1
        for i, layer in enumerate(self.top):
            x = layer(x)
            if i < last:
                x = F.relu(x)
        return x.squeeze(1)

    def embedded(self, rows: torch.Tensor, bag_rows: Optional[torch.Tensor], bag_offsets: Optional[torch.Tensor], batch: int) -> torch.Tensor:
        """[B, S, dim]: the single-valued features' rows, then the multi-valued features pooled, as the interaction takes them."""
        weight = self.embeddings.weight
        singles = weight.index_select(0, (rows + self.single_offsets).reshape(-1)).view(batch, rows.shape[1], self.dim)
        if self.multi_count == 0:
            return singles
        if bag_rows is None or bag_offsets is None:
            raise ValueError("this model has multi-valued features: give bag_rows and bag_offsets")
        bags = batch * self.multi_count
        if bag_offsets.shape[0] != bags + 1:
            raise ValueError("bag_offsets must hold one offset per event and multi-valued feature, and the end")
        sizes = bag_offsets[1:] - bag_offsets[:-1]
        bag_of = torch.repeat_interleave(torch.arange(bags, device=bag_rows.device), sizes)
        feature_of_bag = torch.arange(bags, device=bag_rows.device) % self.multi_count
        fused = bag_rows + self.multi_offsets.index_select(0, feature_of_bag.index_select(0, bag_of))
        # Sum: weight 1; mean: 1 / size of the bag, multiplied into each value before the sum, as the trainer does.
        inverse_sizes = torch.ones(bags, dtype=weight.dtype, device=weight.device) / sizes.clamp(min=1).to(weight.dtype)
        bag_weights = torch.where(self.mean_pooled.index_select(0, feature_of_bag), inverse_sizes, torch.ones_like(inverse_sizes))
        values = weight.index_select(0, fused) * bag_weights.index_select(0, bag_of).unsqueeze(1)
        pooled = torch.zeros(bags, self.dim, dtype=weight.dtype, device=weight.device).index_add_(0, bag_of, values)
        # An empty bag is an absent list: its table's row 0, as the trainer (and the ONNX graph) embed it.
        missing = weight.index_select(0, self.multi_offsets.index_select(0, feature_of_bag)) * (sizes == 0).to(weight.dtype).unsqueeze(1)
        pooled = pooled + missing
        return torch.cat([singles, pooled.view(batch, self.multi_count, self.dim)], 1)

    @torch.jit.ignore
    def apply_delta(self, folder: str) -> None:
        """
        Applies a delta in place (its files verified first): the embedding rows it carries and every MLP tensor. It
        must follow what the model holds now (its previousId is ``checkpoint_id``), so a delta is never applied to a
        model it was not written against.
        """
        from .checkpoint import DELTA_ROWS, CheckpointError, Delta
        delta = Delta(folder)
        if delta.manifest["previousId"] != self.checkpoint_id or delta.manifest["baseId"] != self.base_checkpoint_id:
            raise CheckpointError(f"{folder}: delta {delta.id} follows {delta.manifest['previousId']} of base {delta.manifest['baseId']}, "
                                  f"but the model holds {self.checkpoint_id} of base {self.base_checkpoint_id}")
        tensors = dict(delta.tensors)
        rows = tensors.pop(DELTA_ROWS)
        values = _tensor(tensors, self.description.embedding_tensor, [rows.shape[0], self.dim])
        layers = [(linear, _tensor(tensors, spec.weight, list(linear.weight.shape)), _tensor(tensors, spec.bias, list(linear.bias.shape)))
                  for linear, spec in zip(list(self.bottom) + list(self.top), self.description.bottom + self.description.top)]
        if rows.dtype != torch.int64 or rows.dim() != 1 or (rows.numel() and (rows.min() < 0 or rows.max() >= self.embeddings.weight.shape[0])):
            raise CheckpointError(f"{folder}: {DELTA_ROWS} does not name rows of the table")
        with torch.no_grad():
            self.embeddings.weight.index_copy_(0, rows, values)
            for linear, weight, bias in layers:
                linear.weight.copy_(weight)
                linear.bias.copy_(bias)
        self.checkpoint_id = delta.id

    @torch.jit.ignore
    def featurize(self, events):
        """Model inputs for a list of events: dicts (JSON-shaped) or Criteo TSV lines. See ``recurring_model.Features``."""
        from .features import Featurizer
        return Featurizer(self.description).featurize(events)

    @torch.jit.ignore
    def score(self, events) -> torch.Tensor:
        """Click probabilities [B] (float32) for a list of events, as the trainer gives them."""
        features = self.featurize(events)
        with torch.no_grad():
            return self(*features.inputs())


def _tensor(tensors: Dict[str, torch.Tensor], name: str, shape: List[int]) -> torch.Tensor:
    if name not in tensors:
        raise ValueError(f"model.safetensors lacks {name}")
    tensor = tensors[name]
    if tensor.dtype != torch.float32 or list(tensor.shape) != shape:
        raise ValueError(f"{name} is {tensor.dtype} {list(tensor.shape)}, not float32 {shape}")
    return tensor


def _mlp(layers, tensors: Dict[str, torch.Tensor]) -> torch.nn.ModuleList:
    modules = []
    for layer in layers:
        linear = torch.nn.utils.skip_init(torch.nn.Linear, layer.inputs, layer.outputs)
        linear.weight = torch.nn.Parameter(_tensor(tensors, layer.weight, [layer.outputs, layer.inputs]), requires_grad=False)
        linear.bias = torch.nn.Parameter(_tensor(tensors, layer.bias, [layer.outputs]), requires_grad=False)
        modules.append(linear)
    return torch.nn.ModuleList(modules)
