"""From a sparse value to an embedding row, exactly as Recurring's trainer does (docs/features.md, "Hashing").

1. Canonical bytes: the feature name in UTF-8, one 0x00 byte, then 0x01 and the integer's 8 bytes little-endian
   (two's complement; an unsigned 64-bit id gives the same bits), or 0x02 and the string's UTF-8 bytes as given.
2. FNV-1a 64 of those bytes.
3. SplitMix64's finaliser.
4. Row: 1 + h mod (rows - 1); a missing value is row 0.

Integers are hashed with numpy, many at a time; strings one by one (with a cache, as ids repeat).
"""
from functools import lru_cache
from typing import Iterable, Union

import numpy as np

ALGORITHM = "fnv1a64-splitmix64"
MISSING_ROW = 0

_MASK = (1 << 64) - 1
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_INTEGER = 0x01
_STRING = 0x02
_MIN_INT64 = -(1 << 63)

Value = Union[int, str]


def _fnv(h: int, data: bytes) -> int:
    for b in data:
        h = ((h ^ b) * _FNV_PRIME) & _MASK
    return h


def _finalise(h: int) -> int:
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _MASK
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _MASK
    return h ^ (h >> 31)


@lru_cache(maxsize=None)
def feature_prefix(feature: str) -> int:
    """The FNV-1a state after the feature's name and the 0x00 separator."""
    return _fnv(_FNV_OFFSET, feature.encode("utf-8") + b"\x00")


def check_integer(value: int) -> int:
    """The value's 64 bits as an unsigned integer; ids from -2^63 to 2^64 - 1 are accepted."""
    if not _MIN_INT64 <= value <= _MASK:
        raise ValueError(f"integer {value} does not fit in 64 bits")
    return value & _MASK


def hash_value(feature: str, value: Value) -> int:
    """The 64-bit hash of one present value (before the row is taken)."""
    prefix = feature_prefix(feature)
    if isinstance(value, str):
        return _hash_string(prefix, value)
    data = bytes([_INTEGER]) + check_integer(value).to_bytes(8, "little")
    return _finalise(_fnv(prefix, data))


@lru_cache(maxsize=1 << 16)
def _hash_string(prefix: int, value: str) -> int:
    return _finalise(_fnv(prefix, bytes([_STRING]) + value.encode("utf-8")))


def row(feature: str, value, rows: int) -> int:
    """The row of ``value`` (an int, a str, or None for missing) in ``feature``'s table of ``rows`` rows."""
    if rows < 2:
        raise ValueError(f"a table needs at least 2 rows, not {rows}")
    if value is None:
        return MISSING_ROW
    return 1 + hash_value(feature, value) % (rows - 1)


_U_PRIME = np.uint64(_FNV_PRIME)


def _finalise_array(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def integer_rows(feature: str, values: np.ndarray, rows: int) -> np.ndarray:
    """Rows (int64) of many present integer values at once; ``values`` holds their 64 bits as uint64."""
    values = np.asarray(values, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = np.full(values.shape, feature_prefix(feature), dtype=np.uint64)
        h ^= np.uint64(_INTEGER)
        h *= _U_PRIME
        for shift in range(0, 64, 8):
            h ^= (values >> np.uint64(shift)) & np.uint64(0xFF)
            h *= _U_PRIME
        h = _finalise_array(h)
    return (h % np.uint64(rows - 1)).astype(np.int64) + 1


def string_rows(feature: str, values: Iterable[str], rows: int) -> np.ndarray:
    """Rows (int64) of present string values."""
    prefix = feature_prefix(feature)
    return np.fromiter((1 + _hash_string(prefix, v) % (rows - 1) for v in values), dtype=np.int64)
