"""Heatmap of a subsets x scores table, the figure of a missing-modality evaluation."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from metakd_ext.utils.io import atomic_write

__all__ = ["subset_heatmap"]


def subset_heatmap(
    path: str | os.PathLike,
    row_names: Sequence[str],
    column_names: Sequence[str],
    values: np.ndarray,
    title: str,
    colorbar_label: str,
) -> None:
    """Writes a PNG heatmap of (rows, columns) values in % (0-100), each cell labelled; the last row is set apart.

    Args:
        path: the PNG to write (atomically).
        row_names: one name per row (the subsets, then the mean over subsets).
        column_names: one name per column (the scores).
        values: (rows, columns) values in %.
        title: figure title.
        colorbar_label: label of the colour bar.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = np.asarray(values, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(1.3 * len(column_names) + 1.3, 0.42 * len(row_names) + 1.6))
    im = ax.imshow(values, cmap="viridis", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(column_names)), list(column_names))
    ax.set_yticks(range(len(row_names)), list(row_names))
    ax.xaxis.tick_top()
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            color = "black" if values[i, j] > 60 else "white"
            ax.text(j, i, f"{values[i, j]:.1f}", ha="center", va="center", color=color, fontsize=9)
    ax.axhline(len(row_names) - 1.5, color="white", linewidth=2)
    fig.colorbar(im, ax=ax, label=colorbar_label)
    ax.set_title(title, pad=28)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120))
    plt.close(fig)
