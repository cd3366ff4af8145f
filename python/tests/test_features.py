"""featurize: the trainer's Criteo parsing, dense transforms and sparse layout (docs/features.md, docs/serving.md)."""
import math

import numpy as np
import pytest

from recurring_model import hashing, parse_criteo_line


def criteo_line(label="1", dense=(), categorical=()):
    return "\t".join([label, *dense, *[""] * (13 - len(dense)), *categorical, *[""] * (26 - len(categorical))])


def test_a_criteo_line_becomes_an_event_under_the_models_names(criteo_model):
    event = parse_criteo_line(criteo_line("1", ["5", "", "-3", "1.5e2"], ["68fd1e64", "", "FFFFFFFFFFFFFFFF"]), criteo_model.description)
    assert event == {"label": 1, "I1": 5.0, "I3": -3.0, "I4": 150.0, "C1": 0x68FD1E64, "C3": 2**64 - 1}


def test_a_trailing_carriage_return_is_ignored(criteo_model):
    assert parse_criteo_line(criteo_line("0") + "\r\n", criteo_model.description) == {"label": 0}


@pytest.mark.parametrize("line,problem", [
    ("\t".join(["1"] * 39), "expected 40 tab-separated fields, found 39"),
    (criteo_line("2"), "is not 0 or 1"),
    (criteo_line("1", ["1,5"]), "is not a number"),
    (criteo_line("1", [" 1"]), "is not a number"),
    (criteo_line("1", ["0x1"]), "is not a number"),
    (criteo_line("1", ["inf"]), "is not a number"),
    (criteo_line("1", ["1e400"]), "is not a finite number"),
    (criteo_line("1", ["."]), "is not a number"),
    (criteo_line("1", [], ["1" * 17]), "is not 1 to 16 hex digits"),
    (criteo_line("1", [], ["g1"]), "is not 1 to 16 hex digits"),
])
def test_a_line_the_trainer_rejects_is_rejected(criteo_model, line, problem):
    with pytest.raises(ValueError, match=problem):
        parse_criteo_line(line, criteo_model.description)


def test_criteo_rows_are_the_documented_hash_rows_and_missing_is_row_0(criteo_model):
    features = criteo_model.featurize([criteo_line("1", [], ["68fd1e64", ""])])
    assert features.rows[0, 0].item() == hashing.row("C1", 0x68FD1E64, 51)
    assert features.rows[0, 1].item() == 0


def test_log1p_clamps_negatives_and_a_missing_value_without_default_is_0(criteo_model):
    features = criteo_model.featurize([criteo_line("0", ["-3", "", "7"])])
    assert features.dense[0, :3].tolist() == [0.0, 0.0, np.float32(math.log(8))]


def test_dense_transforms_defaults_and_statistics(mixed_model):
    features = mixed_model.featurize([{"price": 3.0, "score": 6.5, "flat": 9.0}, {"hour": 7}])
    assert features.dense.tolist() == [
        [np.float32(math.log(4.0)), 12.0, np.float32((6.5 - 2.5) * (1 / math.sqrt(4.0))), 0.0],
        [0.0, 7.0, 0.0, 0.0],
    ]


def test_single_values_hash_as_integers_or_strings(mixed_model):
    features = mixed_model.featurize([{"user_id": 42, "country": "DE"}, {"user_id": "42"}])
    assert features.rows.tolist() == [
        [hashing.row("user_id", 42, 40), hashing.row("country", "DE", 20)],
        [hashing.row("user_id", "42", 40), 0],
    ]


def test_bags_follow_embedding_bags_layout_with_row_0_for_an_absent_or_empty_list(mixed_model):
    features = mixed_model.featurize([{"tags": ["a", 7], "topics": []}, {"topics": ["x"]}])
    tag_rows = [hashing.row("tags", "a", 30), hashing.row("tags", 7, 30)]
    assert features.bag_offsets.tolist() == [0, 2, 3, 4, 5]
    assert features.bag_rows.tolist() == [*tag_rows, 0, 0, hashing.row("topics", "x", 25)]


def test_values_beyond_max_values_are_dropped_and_counted(mixed_model):
    features = mixed_model.featurize([{"tags": ["a", "b", "c", "d", "e"], "topics": ["x", "y", "z"]}])
    assert features.bag_offsets.tolist() == [0, 3, 5]
    assert features.bag_rows.shape[0] == 5
    assert features.dropped_values == 3


def test_a_scalar_for_a_multi_valued_feature_is_a_list_of_one_and_a_null_in_a_list_is_missing(mixed_model):
    expected = mixed_model.featurize([{"tags": ["a"], "user_id": 5}])
    for event in ({"tags": "a", "user_id": [5]}, {"tags": [None, "a", None], "user_id": [None, 5]}):
        actual = mixed_model.featurize([event])
        assert (actual.bag_rows.tolist(), actual.rows.tolist()) == (expected.bag_rows.tolist(), expected.rows.tolist())


def test_a_dense_value_may_be_a_numeric_string(mixed_model):
    assert mixed_model.featurize([{"hour": "7.5"}]).dense[0, 1].item() == 7.5


def test_labels_come_with_every_event_or_not_at_all(mixed_model):
    assert mixed_model.featurize([{"label": 1}, {"label": False}, {"label": "1"}, {"label": 0.0}]).labels.tolist() == [1.0, 0.0, 1.0, 0.0]
    assert mixed_model.featurize([{"label": 1}, {}]).labels is None


@pytest.mark.parametrize("event,problem", [
    ({"user_id": [1, 2]}, "single-valued but has 2 values"),
    ({"user_id": 1.5}, "is not an integer or a string"),
    ({"user_id": True}, "is not an integer or a string"),
    ({"user_id": 2**64}, "does not fit in 64 bits"),
    ({"tags": [1.0]}, "is not an integer or a string"),
    ({"price": "3 "}, "is not a finite number"),
    ({"price": [3]}, "is not a finite number"),
    ({"price": float("nan")}, "is not a finite number"),
    ({"label": 2}, "not 0 or 1"),
])
def test_a_bad_value_names_its_event_and_feature(mixed_model, event, problem):
    with pytest.raises(ValueError, match=f"event 1: .*{problem}"):
        mixed_model.featurize([{}, event])


def test_a_criteo_line_for_another_schema_is_refused(mixed_model):
    with pytest.raises(ValueError, match="does not read Criteo lines"):
        mixed_model.featurize([criteo_line()])
