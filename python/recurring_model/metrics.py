"""AUC, log loss and normalized entropy, defined as `recurring evaluate` defines them."""
import math

import numpy as np

PROBABILITY_FLOOR = 1e-7


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of (click, non-click) pairs ordered correctly, ties counting 1/2; NaN with one class only."""
    scores = np.asarray(scores, dtype=np.float32)
    labels = np.asarray(labels) > 0.5
    order = np.argsort(scores, kind="stable")
    sorted_scores, sorted_labels = scores[order], labels[order]
    _, starts, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    clicks = np.add.reduceat(sorted_labels.astype(np.int64), starts) if len(scores) else np.zeros(0, np.int64)
    non_clicks = counts - clicks
    below = np.concatenate([[0], np.cumsum(non_clicks)[:-1]])
    total_clicks, total_non_clicks = int(clicks.sum()), int(non_clicks.sum())
    if total_clicks == 0 or total_non_clicks == 0:
        return math.nan
    return float(np.sum(clicks * (below + non_clicks / 2.0)) / (total_clicks * total_non_clicks))


def log_loss(probabilities: np.ndarray, labels: np.ndarray) -> float:
    p = np.clip(np.asarray(probabilities, dtype=np.float64), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    y = np.asarray(labels) > 0.5
    return float(np.mean(np.where(y, -np.log(p), -np.log(1 - p)))) if len(p) else math.nan


def normalized_entropy(log_loss_value: float, click_rate: float) -> float:
    if not 0 < click_rate < 1:
        return math.nan
    entropy = -(click_rate * math.log(click_rate) + (1 - click_rate) * math.log(1 - click_rate))
    return log_loss_value / entropy
