"""L2CS-Net's training filter: only the records whose gaze lies within a range.

L2CS-Net trains on MPIIFaceGaze only with ``|pitch|, |yaw| <= 42 deg`` (its
bins end there) and evaluates on every test record; ``data.train_gaze_limit_deg``
asks the trainer for the same (:func:`make_pipeline`'s ``gaze_limit_deg``).
The kept rows are read once from every record's ``gaze`` (radians) and cached
beside the split's pairing index.
"""

import os
import pathlib

import numpy as np
import tqdm


class RowSubset:
    """The records ``rows`` of a random-access source, in that order."""

    def __init__(self, source, rows):
        self._source = source
        self._rows = np.asarray(rows, np.int64)

    def __len__(self):
        return len(self._rows)

    def __getitem__(self, index):
        return self._source[int(self._rows[index])]


def rows_within(source, limit_deg, cache_path=None):
    """(K,) int64: the records of ``source`` whose gaze has ``|pitch|, |yaw| <= limit_deg``.

    Raises:
      ValueError: no record is within the range.
    """
    cache = None
    if cache_path is not None:
        cache = pathlib.Path(cache_path)
        cache = cache.with_name(f"{cache.stem}_gaze_within_{limit_deg:g}deg.npz")
        if cache.is_file():
            with np.load(cache) as cached:
                if int(cached["records"]) == len(source):
                    return cached["rows"]
    gaze = np.array([np.asarray(record["gaze"], np.float64).reshape(2) for record in
                     tqdm.tqdm(source, desc=f"gaze within {limit_deg:g} deg", unit="record",
                               leave=False)]).reshape(-1, 2)
    rows = np.flatnonzero(np.all(np.abs(np.degrees(gaze)) <= limit_deg, axis=1))
    if not len(rows):
        raise ValueError(f"no record has |pitch| and |yaw| within {limit_deg:g} deg")
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, rows=rows, records=len(source))
        os.replace(tmp, cache)
    return rows
