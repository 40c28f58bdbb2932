"""A paired test of two methods over the same held-out cases and seeds: is a difference more than chance?"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.stats import wilcoxon

__all__ = ["paired_case_test"]


def paired_case_test(
    reference: Mapping[int, Mapping[str, float]], other: Mapping[int, Mapping[str, float]]
) -> dict[str, float | int | list[float]]:
    """Wilcoxon signed-rank test of the per-case differences ``reference - other`` over the cases both scored.

    The unit is the case: a case's difference is averaged over the seeds (the same seed gives both methods the
    same initialisation, data order and modality dropping, so the runs pair up), and the test asks whether the
    case-level differences centre on zero (two-sided). Treating each (seed, case) as a unit would count a case
    once per seed as if it were new evidence, and overstate the certainty; the seeds' spread shows in
    ``per_seed`` instead.

    Args:
        reference: seed -> case -> score (e.g. a case's Dice averaged over the modality subsets) of one method.
        other: the same of the method compared with it.

    Returns:
        ``cases`` and ``seeds`` paired, ``mean_difference`` (over cases), ``per_seed`` (the mean difference of
        each paired seed), ``better`` and ``worse`` (cases where the reference is ahead or behind) and
        ``p_value`` (nan with fewer than two cases; 1.0 when every difference is zero).

    Raises:
        ValueError: the two share no seed and case.
    """
    seeds = sorted(set(reference) & set(other))
    cases = sorted(set.intersection(*(set(reference[s]) & set(other[s]) for s in seeds))) if seeds else []
    if not cases:
        raise ValueError("the two methods share no seed and case to pair; score both on the same cases and seeds.")
    diff = np.array([[reference[s][c] - other[s][c] for c in cases] for s in seeds], dtype=np.float64)
    per_case = diff.mean(axis=0)
    if len(cases) < 2:
        p_value = math.nan
    elif not np.any(per_case):
        p_value = 1.0
    else:
        p_value = float(wilcoxon(per_case, zero_method="zsplit", alternative="two-sided").pvalue)
    return {
        "cases": len(cases),
        "seeds": len(seeds),
        "mean_difference": float(per_case.mean()),
        "per_seed": [float(d) for d in diff.mean(axis=1)],
        "better": int((per_case > 0).sum()),
        "worse": int((per_case < 0).sum()),
        "p_value": p_value,
    }
