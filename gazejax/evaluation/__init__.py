"""The evaluation protocol every method shares (``gazejax evaluate``), and its report.

- :mod:`.protocol`: the redirection protocol, written once. A method hands it
  batches of (source, target) pairs (:class:`~.protocol.PairBatch`) and a
  ``redirect(batch) -> {row: images}`` function; the protocol scores every
  row, the do-nothing baseline (output = source) and the true target (the
  judge's floor) with the same metrics, over all pairs, the same-view pairs
  and redirection-angle buckets.
- :mod:`.judges`: the frozen networks that score (gaze estimator, LPIPS, FID
  Inception), loaded from the ``eval.*_checkpoint`` keys.
- :mod:`.scores`: :class:`~.scores.ScoreTable`, the one accumulator of
  per-pair scores.
- :mod:`.buckets`: redirection-angle buckets.
- :mod:`.table`: the report as the text table ``gazejax evaluate`` prints.

The report (``eval.json``, written by :func:`gazejax.train.trainer.evaluate`
with ``method`` and ``step`` in front) is::

    {"method": str, "step": int, "pairs": int,
     "rows": {"do_nothing": {metric: mean}, "output": {...}, <method rows>, "target": {...}},
     "same_view": {"pairs": int, "rows": {...}},
     "buckets": [{"redirection_deg": float, "pairs": int, "rows": {...}}, ...]}

Every row has the same metrics (see :mod:`.protocol`). This layer never
imports a method.
"""
