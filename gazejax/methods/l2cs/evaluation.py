"""L2CS evaluation (``gazejax evaluate``): the estimator's angular errors over every held-out record.

Not a redirection: the report has the protocol's top-level shape
(``pairs`` = scored images, ``rows``) with two rows, ``output`` (the
estimator) and ``mean_training_gaze`` (predicting the mean training gaze
for every image), each with ``{gaze,head}_error_deg`` means and medians
(``*_median``); the head pose only with ``model.head_pose``.
"""

import jax
import numpy as np

from gazejax.data import pipeline as pipeline_lib
from gazejax.evaluation.protocol import OUTPUT
from gazejax.evaluation.scores import ScoreTable
from gazejax.geometry import angular_error
from gazejax.methods.l2cs import training


def evaluate(config, state, workdir):
    """Errors over all records of ``data.eval_split`` (held-out identities), as above."""
    del workdir  # the trainer writes eval.json
    source, _ = pipeline_lib.open_source(config.data, config.data.eval_split)
    predict_fn = jax.jit(lambda s, x: training.predict(config, s, x))
    mean_gaze = np.asarray(training.mean_training_gaze(state))
    table = ScoreTable()
    for start in range(0, len(source), config.batch_size):
        records = [pipeline_lib.to_float(source[i]) for i in range(start, min(start + config.batch_size, len(source)))]
        images, labels = training.images_and_labels(config, {k: np.stack([r[k] for r in records]) for k in records[0]})
        predicted = predict_fn(state, images)
        table.add(OUTPUT, {f"{name}_error_deg": angular_error(predicted[name], label)
                           for name, label in labels.items()})
        table.add("mean_training_gaze", {"gaze_error_deg": angular_error(
            np.broadcast_to(mean_gaze, labels["gaze"].shape), labels["gaze"])})
    means, medians = table.rows(), table.rows(reduce=np.median)
    rows = {row: {**scores, **{f"{k}_median": v for k, v in medians[row].items()}}
            for row, scores in means.items()}
    return {"pairs": len(source), "rows": rows}
