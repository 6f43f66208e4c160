"""The one accumulator of evaluation scores: per-pair values of named rows, reduced at the end."""

import numpy as np


class ScoreTable:
    """Per-pair scores ``{row: {metric: (N,) values}}`` gathered batch by batch.

    :meth:`add` appends one batch of a row; :meth:`rows` reduces every
    (row, metric) over all pairs so far, or over a boolean selection of them
    (a redirection-angle bucket, the same-view pairs). The values are kept
    rather than summed so that any selection, and medians, come from one pass
    over the data; that is one float per pair and score.
    """

    def __init__(self):
        self._values = {}  # (row, metric) -> list of (n,) arrays

    def add(self, row, scores):
        """Appends ``{metric: (n,) values}`` of ``row`` (one value per pair of this batch)."""
        for metric, values in scores.items():
            self._values.setdefault((row, metric), []).append(np.asarray(values).reshape(-1))

    def rows(self, where=None, reduce=np.mean):
        """``{row: {metric: reduce(values)}}`` over all pairs, or those where ``where`` (bool (N,)).

        A selection with no pairs gives no entry. Raises ValueError when
        ``where`` does not have one entry per pair of a score.
        """
        out = {}
        for (row, metric), parts in self._values.items():
            values = np.concatenate(parts)
            if where is not None:
                if len(where) != len(values):
                    raise ValueError(f"selection of {len(where)} pairs for {row}/{metric}, "
                                     f"which has {len(values)}")
                values = values[where]
            if values.size:
                out.setdefault(row, {})[metric] = float(reduce(values))
        return out
