"""Redirection pairs: which records may serve as the target of a source record.

The rule (GazeNeRF/LiveGaze-style training pairs): the target shows the SAME
identity with a DIFFERENT gaze, i.e. a different frame (the eyes move between
frames; views of one frame share the gaze in the head frame). The camera is
chosen by ``same_camera``: True = same view, False = a different view, None =
any view.

Choosing a target only needs each record's (identity, frame, view), so those
ids are scanned once into a :class:`RecordIndex` and cached as an ``.npz``.
"""

import dataclasses
import pathlib

import numpy as np


@dataclasses.dataclass(frozen=True)
class RecordIndex:
    """Per-record ids, each an int32 array of shape (num_records,)."""

    identity: np.ndarray
    frame: np.ndarray
    view: np.ndarray

    def __len__(self):
        return len(self.identity)


def build_index(source, cache_path=None):
    """Reads (identity, frame, view) of every record of ``source``, once.

    Args:
      source: random-access sequence of record dicts (the SynthGaze schema).
      cache_path: optional ``.npz`` path; reused when it holds as many records
        as ``source``, written otherwise.
    """
    if cache_path is not None and pathlib.Path(cache_path).is_file():
        with np.load(cache_path) as cached:
            if len(cached["identity"]) == len(source):
                return RecordIndex(cached["identity"], cached["frame"], cached["view"])
    ids = np.array(
        [(r["identity"], r["frame"], r["view"]) for r in source], np.int32
    ).reshape(-1, 3)
    index = RecordIndex(ids[:, 0], ids[:, 1], ids[:, 2])
    if cache_path is not None:
        pathlib.Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache_path, **dataclasses.asdict(index))
    return index


class PairSampler:
    """``grain`` random map: source record index -> (source index, target index).

    Raises ValueError at construction when some record has no valid target
    (e.g. an identity with a single frame), naming the identity.
    """

    def __init__(self, index, same_camera=None):
        self._index = index
        self._same_camera = same_camera
        self._by_identity = {
            int(i): np.flatnonzero(index.identity == i) for i in np.unique(index.identity)
        }
        for identity, members in self._by_identity.items():
            counts = [len(self._candidates(m)) for m in members]
            if min(counts) == 0:
                raise ValueError(
                    f"identity {identity} has a record with no redirection target "
                    f"(same_camera={same_camera}); it needs several frames"
                    + (" and views" if same_camera is False else "")
                )

    def _candidates(self, source_i):
        members = self._by_identity[int(self._index.identity[source_i])]
        ok = self._index.frame[members] != self._index.frame[source_i]
        if self._same_camera is not None:
            same_view = self._index.view[members] == self._index.view[source_i]
            ok &= same_view == self._same_camera
        return members[ok]

    def __call__(self, source_i, rng):
        candidates = self._candidates(source_i)
        return int(source_i), int(candidates[rng.integers(len(candidates))])
