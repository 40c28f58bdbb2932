"""Multi-class classification scores over a set of subjects."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from monai.metrics import compute_roc_auc

__all__ = ["CLASSIFICATION_SCORES", "classification_scores"]

CLASSIFICATION_SCORES = ("accuracy", "balanced_accuracy", "macro_f1", "macro_auc")
"""Names of the scores of :func:`classification_scores`, in table order."""


def classification_scores(labels: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro F1 and macro one-vs-rest ROC AUC.

    Balanced accuracy is the mean recall over the classes present in ``labels``. Macro F1 averages the F1 of every
    class present in ``labels`` or in the predictions. Macro AUC averages MONAI's ROC AUC of each class against the
    rest over the classes that have both positive and negative subjects (NaN when none has).

    Args:
        labels: (N,) class indices.
        probs: (N, K) class probabilities; the prediction is the arg max.

    Returns:
        ``{score: value}`` for :data:`CLASSIFICATION_SCORES`, each in [0, 1] (NaN for no subjects).

    Raises:
        ValueError: shapes do not agree or a label is outside 0..K-1.
    """
    labels = np.asarray(labels, dtype=np.int64).ravel()
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] != labels.shape[0]:
        raise ValueError(f"`probs` must have shape (N, K) with N = {labels.shape[0]}, got {probs.shape}.")
    num_classes = probs.shape[1]
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must be in 0..{num_classes - 1}, got {sorted(set(labels.tolist()))}.")
    if labels.size == 0:
        return dict.fromkeys(CLASSIFICATION_SCORES, math.nan)
    pred = probs.argmax(axis=1)
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(confusion, (labels, pred), 1)
    tp = np.diag(confusion).astype(np.float64)
    support, predicted = confusion.sum(axis=1), confusion.sum(axis=0)
    present = support > 0
    f1_classes = present | (predicted > 0)
    f1 = 2 * tp[f1_classes] / (support[f1_classes] + predicted[f1_classes])
    onehot = np.eye(num_classes)[labels]
    aucs = []
    for k in range(num_classes):
        if 0 < onehot[:, k].sum() < labels.size:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                auc = compute_roc_auc(torch.as_tensor(probs[:, k]), torch.as_tensor(onehot[:, k]))
                aucs.append(float(np.asarray(auc)))
    return {
        "accuracy": float(tp.sum() / labels.size),
        "balanced_accuracy": float((tp[present] / support[present]).mean()),
        "macro_f1": float(f1.mean()),
        "macro_auc": float(np.mean(aucs)) if aucs else math.nan,
    }
