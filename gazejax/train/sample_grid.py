"""Tiles sample images into one PNG grid (one row per named image set)."""

import pathlib

import numpy as np
from PIL import Image


def tile(images, max_columns=8):
    """Tiles ``{name: (N, H, W, 3) float in [0, 1]}`` into one (rows*H, cols*W, 3) uint8.

    Each entry becomes one row of at most ``max_columns`` images; all entries
    must share H and W. Rows are in sorted-name order so grids are comparable.
    """
    rows = []
    columns = min(max_columns, max(len(v) for v in images.values()))
    for name in sorted(images):
        batch = np.clip(np.asarray(images[name], np.float32), 0.0, 1.0)[:columns]
        if batch.ndim != 4 or batch.shape[-1] != 3:
            raise ValueError(f"sample {name!r} has shape {batch.shape}, expected (N, H, W, 3)")
        pad = np.zeros((columns - len(batch),) + batch.shape[1:], np.float32)
        rows.append(np.concatenate(list(np.concatenate([batch, pad])), axis=1))
    return (np.concatenate(rows, axis=0) * 255 + 0.5).astype(np.uint8)


def save_grid(path, images, max_columns=8):
    """Writes :func:`tile` of ``images`` as a PNG at ``path``; returns the grid."""
    grid = tile(images, max_columns)
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path)
    return grid
