"""model.json: the description every Recurring checkpoint carries next to its tensors (docs/serving.md)."""
import json
from dataclasses import dataclass
from typing import List, Optional, Tuple

from . import hashing

SUPPORTED_VERSION = 1
TRANSFORMS = ("none", "log1p", "standardize")
POOLINGS = ("sum", "mean")
ACTIVATIONS = ("none", "relu")


@dataclass(frozen=True)
class DenseInput:
    index: int
    name: str
    transform: str
    default: Optional[float]
    mean: Optional[float]
    variance: Optional[float]


@dataclass(frozen=True)
class SparseInput:
    index: int
    name: str
    rows: int
    offset: int
    multi: bool
    max_values: int
    pooling: str
    interaction_slot: int


@dataclass(frozen=True)
class Layer:
    weight: str
    bias: str
    inputs: int
    outputs: int
    activation: str


@dataclass(frozen=True)
class ModelDescription:
    version: int
    label: str
    dense: Tuple[DenseInput, ...]
    sparse: Tuple[SparseInput, ...]
    embedding_tensor: str
    embedding_rows: int
    embedding_dim: int
    bottom: Tuple[Layer, ...]
    interaction_features: Tuple[str, ...]
    top: Tuple[Layer, ...]

    @property
    def single_valued(self) -> List[SparseInput]:
        """Single-valued features in schema order: the columns of the ``rows`` input."""
        return [s for s in self.sparse if not s.multi]

    @property
    def multi_valued(self) -> List[SparseInput]:
        """Multi-valued features in schema order: bag m of each event."""
        return [s for s in self.sparse if s.multi]

    @property
    def has_criteo_layout(self) -> bool:
        """13 dense and 26 single-valued sparse features: a Criteo TSV line fills them in order."""
        return len(self.dense) == 13 and len(self.sparse) == 26 and not self.multi_valued

    @staticmethod
    def parse(text: str) -> "ModelDescription":
        try:
            return _parse(json.loads(text))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"model.json does not describe a model: {e}") from e


def _parse(doc: dict) -> ModelDescription:
    version = doc["version"]
    if version > SUPPORTED_VERSION:
        raise ValueError(f"version {version} is newer than this package reads ({SUPPORTED_VERSION}): upgrade recurring-model")
    if doc["architecture"] != "dlrm":
        raise ValueError(f"architecture {doc['architecture']!r} is not dlrm")
    if doc["hashing"]["algorithm"] != hashing.ALGORITHM or doc["hashing"]["missingRow"] != hashing.MISSING_ROW:
        raise ValueError(f"hashing {doc['hashing']} is not {hashing.ALGORITHM} with missing values in row 0")
    if doc["interaction"]["kind"] != "dot" or doc["output"] != "sigmoid":
        raise ValueError("only the dot interaction and a sigmoid output are known")
    dense = tuple(DenseInput(d["index"], d["name"], _one_of(d["transform"], TRANSFORMS), d["default"], d["mean"], d["variance"])
                  for d in doc["dense"])
    sparse = tuple(SparseInput(s["index"], s["name"], s["rows"], s["offset"], s["multi"], s["maxValues"],
                               _one_of(s["pooling"], POOLINGS), s["interactionSlot"]) for s in doc["sparse"])
    embeddings = doc["embeddings"]
    if embeddings["dtype"] != "F32":
        raise ValueError(f"embeddings are {embeddings['dType']}, not F32")
    description = ModelDescription(
        version=version,
        label=doc["label"],
        dense=dense,
        sparse=sparse,
        embedding_tensor=embeddings["tensor"],
        embedding_rows=embeddings["rows"],
        embedding_dim=embeddings["dim"],
        bottom=tuple(_layer(l) for l in doc["bottom"]),
        interaction_features=tuple(doc["interaction"]["features"]),
        top=tuple(_layer(l) for l in doc["top"]),
    )
    _check(description, doc["interaction"])
    return description


def _layer(l: dict) -> Layer:
    return Layer(l["weight"], l["bias"], l["inputs"], l["outputs"], _one_of(l["activation"], ACTIVATIONS))


def _one_of(value: str, allowed: Tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _check(d: ModelDescription, interaction: dict) -> None:
    """The forward pass this package builds must be the one described: fail now rather than score wrongly."""
    if [s.index for s in d.sparse] != list(range(len(d.sparse))) or [x.index for x in d.dense] != list(range(len(d.dense))):
        raise ValueError("features are not listed in index order")
    offset = 0
    for s in d.sparse:
        if s.offset != offset or s.rows < 2:
            raise ValueError(f"sparse feature {s.name!r} does not start at row {offset} of the fused table")
        offset += s.rows
    if offset != d.embedding_rows:
        raise ValueError(f"the tables hold {offset} rows, the fused table {d.embedding_rows}")
    order = d.single_valued + d.multi_valued
    if [s.interaction_slot for s in order] != list(range(1, len(order) + 1)) or list(d.interaction_features) != ["bottom"] + [s.name for s in order]:
        raise ValueError("the interaction is not the bottom output, the single-valued then the multi-valued features")
    features = len(d.sparse) + 1
    if interaction["pairs"] != features * (features - 1) // 2 or interaction["outputs"] != d.embedding_dim + interaction["pairs"]:
        raise ValueError("the interaction's width does not follow from its features")
    for name, layers, first, last in (("bottom", d.bottom, len(d.dense), d.embedding_dim), ("top", d.top, interaction["outputs"], 1)):
        widths = [first] + [l.outputs for l in layers]
        if not layers or [l.inputs for l in layers] != widths[:-1] or widths[-1] != last:
            raise ValueError(f"the {name} MLP's layers do not chain from {first} to {last} outputs")
    if any(l.activation != "relu" for l in d.bottom) or any(l.activation != "relu" for l in d.top[:-1]) or d.top[-1].activation != "none":
        raise ValueError("activations other than ReLU after every layer but the logit are not known")
