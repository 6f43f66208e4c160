"""LiveGaze's evaluation (``gazejax evaluate``): the shared protocol on held-out SynthGaze identities.

``eval.num_batches`` redirection pairs of ``data.eval_split`` (identities
disjoint from training), scored by :mod:`gazejax.evaluation.protocol`
against the TRUE target image inside the target's face mask (Table 1 of the
LiveGaze paper reports face-masked PSNR/SSIM), or over the whole image for
data without face masks (MPIIFaceGaze). Rows: ``do_nothing``,
``output`` (the redirection, clipped to [0, 1]) and ``target``. Judges:
``eval.estimator_checkpoint`` (gaze and, when the judge reads it, head-pose
errors against the target's camera-frame ``gaze`` and ``head_pose``),
``eval.lpips_checkpoint``, ``eval.fid_checkpoint``. Buckets use the
head-frame gazes the model is given; ``same_view`` pairs share a camera.
"""

import jax
import jax.numpy as jnp

from gazejax.data.pipeline import make_pipeline
from gazejax.evaluation.buckets import bucket_widths
from gazejax.evaluation.judges import load_judges, record_labels
from gazejax.evaluation.protocol import OUTPUT, PairBatch, evaluate_redirection
from gazejax.methods.livegaze.training import model_variables, redirect


def evaluate(config, state, workdir):
    """Runs the protocol above on this process's batches; returns its report."""
    del workdir  # the trainer writes eval.json
    pipe = make_pipeline(
        config.data, config.data.eval_split, global_batch_size=config.batch_size, seed=config.seed,
        process_index=jax.process_index(), process_count=jax.process_count(),
    )
    output = jax.jit(lambda variables, image, gaze, camera: jnp.clip(
        redirect(config, variables, image, gaze, camera)["image"], 0.0, 1.0))
    variables = model_variables(state.params, state.extra)

    def outputs(batch):
        target = batch.inputs["target"]
        return {OUTPUT: output(variables, batch.source, target["gaze_head"], target["camera"])}

    batches = (_pair_batch(pipe.local_batch(i)) for i in range(config.eval.num_batches))
    return evaluate_redirection(batches, outputs, load_judges(config.eval),
                                **bucket_widths(config.eval)).report


def _pair_batch(pair):
    source, target = pair["source"], pair["target"]
    return PairBatch(
        source=source["image"], target=target["image"],
        source_gaze=source["gaze_head"], target_gaze=target["gaze_head"],
        labels=record_labels(target), mask=target.get("face_mask"),
        same_view=source["view"] == target["view"], inputs=pair,
    )
