"""MGGR's evaluation (``gazejax evaluate``): the shared protocol on eye patches, by redirection angle.

``eval.num_batches`` redirection pairs of ``data.eval_split`` (identities
disjoint from training); each eye patch is redirected and scored by
:mod:`gazejax.evaluation.protocol` against the TRUE target patch (whole
patch, no mask). Rows: ``do_nothing``, ``coarse`` (MGGR-C, the flow warp),
``output`` (MGGR, refined and clipped to [0, 1]) and ``target``. Judges:
``eval.estimator_checkpoint`` (gaze error against the target patch's
label) and ``eval.lpips_checkpoint``. Pairs are grouped as the paper's
Fig. 5 by ``|d pitch| + |d yaw|`` of the patch gazes, in steps of
``eval.bucket_deg`` up to ``eval.max_bucket_deg``.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.data.pipeline import make_pipeline
from gazejax.evaluation.buckets import bucket_widths
from gazejax.evaluation.judges import load_judges
from gazejax.evaluation.protocol import OUTPUT, PairBatch, evaluate_redirection
from gazejax.methods.mggr import training as mggr


def evaluate(config, state, workdir):
    """Runs the protocol above on this process's batches; returns its report."""
    del workdir  # the trainer writes eval.json
    pipe = make_pipeline(
        config.data, config.data.eval_split, global_batch_size=config.batch_size, seed=config.seed,
        process_index=jax.process_index(), process_count=jax.process_count(),
    )
    patch_pairs = jax.jit(functools.partial(mggr.patch_pairs, config))
    outputs = jax.jit(functools.partial(_outputs, config))
    batches = (_pair_batch(config, pipe.local_batch(i), patch_pairs)
               for i in range(config.eval.num_batches))
    return evaluate_redirection(batches, lambda batch: outputs(state.params, batch.inputs),
                                load_judges(config.eval), **bucket_widths(config.eval)).report


def _outputs(config, params, pairs):
    out = mggr.redirect(config, params, pairs["source"], pairs["head_pose"], pairs["source_gaze"],
                        pairs["target_gaze"])
    return {"coarse": out["coarse"], OUTPUT: jnp.clip(out["refined"], 0.0, 1.0)}


def _pair_batch(config, batch, patch_pairs):
    """The patch pairs of a batch of record pairs (both eyes: ``len(data.eyes)`` x B)."""
    pairs = patch_pairs(batch)
    source, target = batch["source"], batch["target"]
    same_view = (np.tile(source["view"] == target["view"], len(config.data.eyes))
                 if "view" in source else None)
    return PairBatch(
        source=pairs["source"], target=pairs["target"],
        source_gaze=pairs["source_gaze"], target_gaze=pairs["target_gaze"],
        labels={"gaze": pairs["target_gaze"]}, same_view=same_view, inputs=pairs,
    )
