"""
The package against the trainer, on fixtures `dotnet test` writes (tests/Daemon.Tests/Serving/ParityFixtures.cs) and
passes in RECURRING_PARITY_DIR: a Criteo-preset checkpoint with `recurring evaluate --predictions` output, and a
checkpoint of a multi-valued schema with the trainer's features and probabilities for JSON-shaped events.
"""
import json
import os

import numpy as np
import pytest
import torch

import recurring_model
from recurring_model import cli, metrics

FIXTURES = os.environ.get("RECURRING_PARITY_DIR")
if not FIXTURES and os.environ.get("RECURRING_PARITY_REQUIRED") == "1":
    raise RuntimeError("RECURRING_PARITY_REQUIRED is set but RECURRING_PARITY_DIR is not")
pytestmark = pytest.mark.skipif(not FIXTURES, reason="the trainer's parity fixtures come from `dotnet test Recurring.sln` "
                                                     "(PythonPackageTests), which sets RECURRING_PARITY_DIR")
TOLERANCE = 1e-5


def fixture(*parts):
    return os.path.join(FIXTURES, *parts)


def read_predictions(text):
    rows = [line.split("\t") for line in text.splitlines()]
    assert rows[0] == ["line", "label", "probability"]
    return [int(r[0]) for r in rows[1:]], [r[1] for r in rows[1:]], np.array([float(r[2]) for r in rows[1:]])


def score_command(capsys, *args):
    assert cli.main(["score", *args]) == 0
    return capsys.readouterr()


def test_criteo_predictions_equal_recurring_evaluates_within_1e_5(capsys):
    expected_lines, expected_labels, expected = read_predictions(open(fixture("criteo", "predictions.tsv")).read())
    scored = score_command(capsys, "--model", fixture("criteo", "checkpoints"), "--data", fixture("criteo", "events.tsv"))
    lines, labels, actual = read_predictions(scored.out)

    assert (lines, labels) == (expected_lines, expected_labels)
    assert len(lines) == 1504 and scored.err == "9 malformed lines skipped\n"
    assert np.max(np.abs(actual - expected)) <= TOLERANCE


def test_criteo_auc_agrees_with_recurring_evaluate_to_4_decimals(capsys):
    evaluate = json.load(open(fixture("criteo", "evaluate.json")))
    figures = json.loads(score_command(capsys, "--model", fixture("criteo", "checkpoints"), "--data", fixture("criteo", "events.tsv"),
                                       "--auc", "--json").out.splitlines()[-1])
    assert (figures["events"], figures["malformedLines"]) == (evaluate["events"], evaluate["malformedLines"])
    assert f"{figures['auc']:.4f}" == f"{evaluate['auc']:.4f}"
    assert f"{figures['logLoss']:.4f}" == f"{evaluate['logLoss']:.4f}"


def multi_events():
    return [json.loads(line) for line in open(fixture("multi", "events.jsonl"), encoding="utf-8")]


def test_multi_valued_features_are_the_trainers_bit_for_bit():
    model = recurring_model.load(fixture("multi", "checkpoints"))
    trainer = json.load(open(fixture("multi", "features.json")))
    features = model.featurize(multi_events())

    assert features.dense.reshape(-1).tolist() == np.array(trainer["dense"], dtype=np.float32).tolist()
    assert features.rows.reshape(-1).tolist() == trainer["rows"]
    assert features.bag_rows.tolist() == trainer["bagRows"]
    assert features.bag_offsets.tolist() == trainer["bagOffsets"]


def test_multi_valued_predictions_equal_the_trainers_within_1e_5_and_auc_to_4_decimals():
    model = recurring_model.load(fixture("multi", "checkpoints"))
    _, labels, expected = read_predictions(open(fixture("multi", "predictions.tsv")).read())
    events = multi_events()

    actual = model.score(events).numpy().astype(np.float64)

    assert np.max(np.abs(actual - expected)) <= TOLERANCE
    assert [str(int(e["clicked"])) for e in events] == labels
    auc = metrics.auc(actual, np.array(labels, dtype=np.float32))
    assert f"{auc:.4f}" == f"{json.load(open(fixture('multi', 'evaluate.json')))['auc']:.4f}"


def test_the_scripted_multi_valued_model_scores_like_the_trainer():
    model = recurring_model.load(fixture("multi", "checkpoints"))
    _, _, expected = read_predictions(open(fixture("multi", "predictions.tsv")).read())
    features = model.featurize(multi_events())

    with torch.no_grad():
        actual = torch.jit.script(model)(*features.inputs()).numpy().astype(np.float64)

    assert np.max(np.abs(actual - expected)) <= TOLERANCE


def test_base_and_deltas_are_the_trainers_full_checkpoint_bit_for_bit():
    trainer = recurring_model.load(fixture("multi", "full"))
    applied = recurring_model.load(fixture("multi", "checkpoints"), deltas=True)
    base = recurring_model.load(fixture("multi", "checkpoints"))

    assert applied.checkpoint_id.startswith("delta-") and applied.base_checkpoint_id == base.checkpoint_id
    expected, actual, before = trainer.state_dict(), applied.state_dict(), base.state_dict()
    assert sorted(actual) == sorted(expected)
    assert all(torch.equal(actual[name], expected[name]) for name in expected)
    assert not all(torch.equal(before[name], expected[name]) for name in expected)
    events = multi_events()
    assert torch.equal(applied.score(events), trainer.score(events))


def test_deltas_apply_one_by_one_in_order_and_never_out_of_it():
    base = recurring_model.load(fixture("multi", "checkpoints"))
    chain = recurring_model.checkpoint.delta_chain(recurring_model.checkpoint.open_checkpoint(fixture("multi", "checkpoints")))
    assert len(chain) == 2

    with pytest.raises(recurring_model.CheckpointError, match="follows"):
        base.apply_delta(chain[1])
    base.apply_delta(chain[0])
    base.apply_delta(chain[1])

    assert base.checkpoint_id == os.path.basename(chain[1])
    assert all(torch.equal(v, recurring_model.load(fixture("multi", "full")).state_dict()[k]) for k, v in base.state_dict().items())
