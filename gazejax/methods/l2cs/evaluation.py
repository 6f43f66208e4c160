"""L2CS evaluation (``gazejax evaluate``): angular error over every held-out record."""

import jax
import numpy as np

from gazejax.data import pipeline as pipeline_lib
from gazejax.geometry import angular_error
from gazejax.methods.l2cs import training


def evaluate(config, state, workdir):
    """Mean angular error over all records of ``data.eval_split`` (held-out identities).

    Gaze (``angular_error_deg``, its median, and the predict-the-mean-training-gaze
    baseline) and, with ``model.head_pose``, head pose (``head_error_deg``).
    """
    del workdir  # the trainer writes eval.json
    source, _ = pipeline_lib.open_source(config.data, config.data.eval_split)
    predict_fn = jax.jit(lambda s, x: training.predict(config, s, x))
    mean_gaze = np.asarray(training.mean_training_gaze(state))
    errors = {}
    for start in range(0, len(source), config.batch_size):
        records = [pipeline_lib.to_float(source[i]) for i in range(start, min(start + config.batch_size, len(source)))]
        images, labels = training.images_and_labels(config, {k: np.stack([r[k] for r in records]) for k in records[0]})
        predicted = predict_fn(state, images)
        predicted["baseline"] = np.broadcast_to(mean_gaze, labels["gaze"].shape)
        labels["baseline"] = labels["gaze"]
        for name, label in labels.items():
            errors.setdefault(name, []).append(np.asarray(angular_error(predicted[name], label)))
    errors = {k: np.concatenate(v) for k, v in errors.items()}
    results = {
        "angular_error_deg": float(errors["gaze"].mean()),
        "angular_error_deg_median": float(np.median(errors["gaze"])),
        "mean_gaze_baseline_deg": float(errors["baseline"].mean()),
        "num_images": int(errors["gaze"].size),
    }
    if "head" in errors:
        results["head_error_deg"] = float(errors["head"].mean())
        results["head_error_deg_median"] = float(np.median(errors["head"]))
    return results
