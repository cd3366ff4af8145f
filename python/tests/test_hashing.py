"""The hashing test vectors of docs/features.md, read from the document itself, and the vectorised path."""
import os
import re

import numpy as np
import pytest

from recurring_model import hashing

FEATURES_MD = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "features.md")


def documented_vectors():
    text = open(FEATURES_MD, encoding="utf-8").read()
    table = text[text.index("| feature | value | rows | row |"):].split("\n\n")[0].splitlines()[2:]
    vectors = []
    for line in table:
        feature, value, rows, expected = [cell.strip() for cell in line.strip("|").split("|")]
        if value.startswith("integer "):
            parsed = int(value.split()[1], 0)
        elif value.startswith("string "):
            parsed = re.match(r'string "(.*?)"', value).group(1)
        else:
            assert value == "missing", value
            parsed = None
        vectors.append((feature, parsed, int(rows.replace(",", "")), int(expected)))
    return vectors


def test_the_document_lists_the_vectors():
    assert len(documented_vectors()) == 26


@pytest.mark.parametrize("feature,value,rows,expected", documented_vectors())
def test_documented_vector(feature, value, rows, expected):
    assert hashing.row(feature, value, rows) == expected


@pytest.mark.parametrize("feature,value,rows,expected", [v for v in documented_vectors() if isinstance(v[1], int)])
def test_documented_integer_vector_hashed_many_at_a_time(feature, value, rows, expected):
    bits = hashing.check_integer(value)
    assert hashing.integer_rows(feature, np.array([bits, bits], dtype=np.uint64), rows).tolist() == [expected, expected]


@pytest.mark.parametrize("feature,value,rows,expected", [v for v in documented_vectors() if isinstance(v[1], str)])
def test_documented_string_vector_hashed_many_at_a_time(feature, value, rows, expected):
    assert hashing.string_rows(feature, [value], rows).tolist() == [expected]


def test_vectorised_integers_equal_one_at_a_time():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 2**64 - 1, size=500, dtype=np.uint64)
    expected = [hashing.row("C7", int(v), 99_991) for v in values]
    assert hashing.integer_rows("C7", values, 99_991).tolist() == expected


def test_an_unsigned_id_and_its_signed_twin_share_a_row():
    assert hashing.row("item_id", 2**64 - 42, 1000) == hashing.row("item_id", -42, 1000)


def test_an_integer_wider_than_64_bits_is_refused():
    with pytest.raises(ValueError, match="does not fit in 64 bits"):
        hashing.row("item_id", 2**64, 1000)
