"""GazeNeRF's evaluation (``gazejax evaluate``): fit each held-out input, render the target.

Pairs are fixed per subject (:func:`protocol_pairs`: by default our own
rule; with ``eval.target_list`` GazeNeRF's published target lists, e.g.
``xgaze_evaluation_target_single_subject.txt``). Each input is fitted
and rendered at its target's gaze, camera and lighting by
:func:`gazejax.methods.gazenerf.fitting.fit_and_redirect` (the compiled fit
and render ``gazejax redirect`` uses too), ``eval.fit_batch`` subjects at
once, and scored by :mod:`gazejax.evaluation.protocol` against the TRUE
target image (SynthGaze knows it; for h5 data it is the dataset's target
image) with the background outside the head whitened, as the published
GazeNeRF evaluation does; the do-nothing input is whitened with its own
head mask.

Rows: ``do_nothing``; ``output`` (fitted, then redirected); ``unfitted``
(the trained network rendering the input's dataset codes at the target with
no fitting: whether the network itself follows the gaze, apart from what
fitting keeps or loses); ``seen`` (the same number of inputs drawn from the
TRAINING split, each re-rendered from its own learnt offsets, gaze and camera
and scored against itself: the network's ceiling, since a gaze it cannot
reproduce on an image it was trained on, it cannot redirect a new subject
to; overall rows only); ``target``. The judge is ``eval.estimator_checkpoint``,
or else the functional loss's estimator (``loss.estimator_checkpoint``);
LPIPS with ``eval.lpips_checkpoint``. Buckets use the head-frame gazes.

Also writes ``workdir/gazenerf_eval.png``: one column for each of the first
10 pairs; rows input, fitted and redirected, unfitted, true target, all
whitened outside the head as scored.
"""

import functools
import pathlib

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from gazejax.convert import frozen_network
from gazejax.data import pairing
from gazejax.data import pipeline as pipeline_lib
from gazejax.evaluation.buckets import bucket_widths
from gazejax.evaluation.judges import load_judges, record_labels
from gazejax.evaluation.protocol import DO_NOTHING, OUTPUT, TARGET, PairBatch, evaluate_redirection
from gazejax.methods.gazenerf import latent
from gazejax.methods.gazenerf import training as method
from gazejax.methods.gazenerf.fitting import fit_and_redirect
from gazejax.methods.gazenerf.losses import region_masks, whiten_outside
from gazejax.pretrained.gaze_estimator import estimate_angles
from gazejax.train.sample_grid import save_grid

# Picture rows (save_grid orders rows by name) and the protocol rows they show.
_PICTURE_ROWS = {"1 input": DO_NOTHING, "2 fitted, redirected": OUTPUT, "3 unfitted": "unfitted",
                 "4 true target": TARGET}
# Columns of the picture: the first pairs only, since the ETH protocol has 1500 pairs at 512^2.
_PICTURE_PAIRS = 10


def protocol_pairs(identity, frame, view, inputs_per_subject, max_subjects, target_rows=None):
    """Fixed (input, target) record indices per subject, deterministic.

    Inputs are each subject's first ``inputs_per_subject`` records. The
    target of input ``k`` is the subject's record ``target_rows[k]`` when a
    list is given (GazeNeRF's published ``*_evaluation_target_single_subject.txt``,
    :func:`read_target_list`), else the next record of the same subject with
    a different frame (so a different gaze), cycling.

    Raises:
      ValueError: ``target_rows`` is shorter than the inputs or names a row
        the subject does not have.
    """
    if target_rows is not None and len(target_rows) < inputs_per_subject:
        raise ValueError(f"the target list has {len(target_rows)} rows for {inputs_per_subject} inputs per subject")
    pairs = []
    for subject in np.unique(identity)[:max_subjects]:
        rows = np.flatnonzero(identity == subject)
        for k, i in enumerate(rows[:inputs_per_subject]):
            if target_rows is not None:
                if not 0 <= target_rows[k] < len(rows):
                    raise ValueError(f"the target list names row {target_rows[k]} (line {k + 1}) "
                                     f"but subject {subject} has {len(rows)} records")
                pairs.append((int(i), int(rows[target_rows[k]])))
                continue
            others = [j for j in np.roll(rows, -(k + 1)) if frame[j] != frame[i]]
            if others:
                pairs.append((int(i), int(others[0])))
    return pairs


def read_target_list(path):
    """(K,) int: one target row per line of GazeNeRF's target-list file (``eval.target_list``)."""
    path = pathlib.Path(path).expanduser()
    if not path.is_file():
        raise ValueError(f"eval.target_list {path}: no such file")
    try:
        rows = np.loadtxt(path, dtype=np.int64, ndmin=1)
    except ValueError:
        rows = None
    if rows is None or rows.ndim != 1:
        raise ValueError(f"eval.target_list {path}: not one integer per line")
    return rows


def evaluate(config, state, workdir):
    """Runs the protocol above on ``data.eval_split``; returns its report."""
    judges = load_judges(config.eval, estimate=_estimator(config, state.extra))
    buckets = bucket_widths(config.eval)
    frozen = ml_collections.FrozenConfigDict(config)
    net = state.params["net"]
    key = jax.random.key(config.seed)

    def redirect(batch):
        inputs, targets, start = batch.inputs
        images, _ = fit_and_redirect(config, net, state.extra, inputs, targets["gaze_head"],
                                     jax.random.fold_in(key, start), target_camera=targets,
                                     target_illumination=targets["illumination_code"])
        return {OUTPUT: images["merged"], "unfitted": _render_unfitted(frozen, net, inputs, targets)}

    source, pairs = _protocol_source(config, config.data.eval_split)
    result = evaluate_redirection(_pair_batches(source, pairs, config.eval.fit_batch), redirect,
                                  judges, keep_images=_PICTURE_PAIRS, **buckets)
    seen = evaluate_redirection(_seen_batches(config), lambda batch: {
        OUTPUT: _render_seen(frozen, state.params, batch.inputs)}, judges, **buckets)
    report = result.report
    rows = report["rows"]
    report["rows"] = {**{k: v for k, v in rows.items() if k != TARGET},
                      "seen": seen.report["rows"][OUTPUT], TARGET: rows[TARGET]}
    save_grid(pathlib.Path(workdir) / "gazenerf_eval.png",
              {name: result.images[row] for name, row in _PICTURE_ROWS.items()},
              max_columns=_PICTURE_PAIRS)
    return report


def _protocol_source(config, split, with_target_list=True):
    """(source of ``split``, its :func:`protocol_pairs`), ids read through the cached pairing index.

    ``eval.target_list`` is read only ``with_target_list``: it indexes the
    evaluation subjects' records, not the training ones.
    """
    source, cache_path = pipeline_lib.open_source(config.data, split)
    index = pairing.build_index(source, cache_path)
    target_list = config.eval.get("target_list") if with_target_list else None
    pairs = protocol_pairs(index.identity, index.frame, index.view, config.eval.inputs_per_subject,
                           config.eval.max_subjects, read_target_list(target_list) if target_list else None)
    return source, pairs


def _pair_batches(source, pairs, batch_size):
    """:class:`PairBatch` es of ``pairs``, inputs and targets whitened outside their heads.

    ``inputs`` is (input records, target records, index of the first pair):
    the fitting key of a batch is folded from that index.
    """
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start:start + batch_size]
        inputs = _stack([pipeline_lib.to_float(source[i]) for i, _ in chunk])
        targets = _stack([pipeline_lib.to_float(source[j]) for _, j in chunk])
        yield PairBatch(
            source=_whitened(inputs), target=_whitened(targets),
            source_gaze=inputs["gaze_head"], target_gaze=targets["gaze_head"],
            labels=record_labels(targets), same_view=inputs["view"] == targets["view"],
            inputs=(inputs, targets, start),
        )


def _seen_batches(config):
    """The protocol's inputs from the TRAINING split, each its own target."""
    source, pairs = _protocol_source(config, config.data.split, with_target_list=False)
    inputs = [i for i, _ in pairs]
    for start in range(0, len(inputs), config.eval.fit_batch):
        records = _stack([pipeline_lib.to_float(source[i])
                          for i in inputs[start:start + config.eval.fit_batch]])
        truth = _whitened(records)
        yield PairBatch(source=truth, target=truth, source_gaze=records["gaze_head"],
                        target_gaze=records["gaze_head"], labels=record_labels(records),
                        inputs=records)


def _whitened(records):
    return whiten_outside(records["image"], region_masks(records)[0])


@functools.partial(jax.jit, static_argnums=0)
def _render_seen(config, params, records):
    """Whole-face images of training ``records`` from their own offset rows, gaze and camera."""
    rows = latent.gather(params["offsets"], method.offset_slots(config, records))
    return method.render_records(config, params["net"], records, rows)["merged"]


@functools.partial(jax.jit, static_argnums=0)
def _render_unfitted(config, net_params, inputs, targets):
    """Whole-face images of ``inputs``' codes (zero offsets) at the targets' gaze, camera, lighting."""
    records = {**inputs, "illumination_code": targets["illumination_code"]}
    camera = latent.record_camera(targets, config.model.featmap_size, method.image_size(config))
    return method.render_records(config, net_params, records, gaze=targets["gaze_head"],
                                 camera=camera)["merged"]


def _stack(rows):
    return {k: jnp.asarray(np.stack([r[k] for r in rows])) for k in rows[0]}


def _estimator(config, extra):
    """Jitted images -> {'gaze'[, 'head']} of the judge, or None.

    The judge is ``eval.estimator_checkpoint`` (None here: the protocol's
    judges load it), or else the functional loss's frozen estimator
    (``loss.estimator_checkpoint``, whose variables the run holds).
    """
    if config.eval.get("estimator_checkpoint", "") or "estimator" not in extra:
        return None
    module, info = frozen_network(config.loss.estimator_checkpoint, config.loss.get("estimator_info"))
    predict = jax.jit(lambda v, x: estimate_angles(module, v, info, x))
    return functools.partial(predict, extra["estimator"])
