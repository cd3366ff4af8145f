"""python -m recurring_model score: the predictions file format of `recurring evaluate --predictions`, or the figures."""
import json
import os
import subprocess
import sys

import pytest

import support

from recurring_model import cli

PACKAGE_ROOT = os.path.join(os.path.dirname(__file__), "..")


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run(capsys):
    """The command in this process (importing torch again per test would cost seconds)."""
    def invoke(*args):
        code = cli.main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return invoke


@pytest.fixture
def criteo_checkpoint(tmp_path):
    desc = support.description(support.CRITEO_DENSE, support.CRITEO_SPARSE, dim=4, bottom=[8], top_hidden=[6])
    return support.write_checkpoint(str(tmp_path), desc, support.random_tensors(desc))


def line(label, i):
    return "\t".join([label, str(i)] + [""] * 12 + [f"{i:x}"] + [""] * 25)


def test_score_prints_line_label_and_probability_and_skips_malformed_lines(run, criteo_checkpoint, tmp_path):
    data = tmp_path / "events.tsv"
    data.write_text("\n".join([line("1", 1), "garbage", line("0", 2), line("0", 3)]))

    result = run("score", "--model", criteo_checkpoint, "--data", str(data))

    rows = [r.split("\t") for r in result.stdout.splitlines()]
    assert result.returncode == 0, result.stderr
    assert rows[0] == ["line", "label", "probability"]
    assert [r[:2] for r in rows[1:]] == [["1", "1"], ["3", "0"], ["4", "0"]]
    assert all(0 < float(r[2]) < 1 for r in rows[1:])
    assert result.stderr == "1 malformed lines skipped\n"


def test_score_with_auc_and_json_ends_with_one_json_object(run, criteo_checkpoint, tmp_path):
    data = tmp_path / "events.tsv"
    data.write_text("\n".join(line(str(i % 2), i) for i in range(20)) + "\n")

    result = run("score", "--model", criteo_checkpoint, "--data", str(data), "--auc", "--json")

    figures = json.loads(result.stdout.splitlines()[-1])
    assert figures["events"] == 20 and figures["malformedLines"] == 0
    assert 0 <= figures["auc"] <= 1


def test_json_lines_are_scored_with_bad_events_skipped(run, tmp_path):
    desc = support.description(support.MIXED_DENSE, support.MIXED_SPARSE, dim=4, bottom=[6], top_hidden=[5])
    folder = support.write_checkpoint(str(tmp_path), desc, support.random_tensors(desc))
    data = tmp_path / "events.jsonl"
    data.write_text('{"label": 1, "tags": ["a"]}\n{"label": 0, "user_id": 1.5}\nnot json\n{"label": 0}\n')

    result = run("score", "--model", folder, "--data", str(data))

    assert [r.split("\t")[:2] for r in result.stdout.splitlines()[1:]] == [["1", "1"], ["4", "0"]]
    assert result.stderr == "2 malformed lines skipped\n"


def test_a_missing_model_is_one_line_and_exit_code_2_from_python_dash_m(tmp_path):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    result = subprocess.run([sys.executable, "-m", "recurring_model", "score", "--model", str(tmp_path / "nowhere"), "--data", str(tmp_path / "x.tsv")],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
