"""A toy redirection method: the whole plug-in surface a method needs.

Predicts the target image of a pair from the source image and the target gaze
with one dense layer; only its model, loss and step live here.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from gazejax.train.method import Method, TrainState


class ToyRedirector(nn.Module):
    """(N,H,W,3) source image, (N,2) target gaze -> (N,H,W,3) image in [0,1]."""

    @nn.compact
    def __call__(self, image, gaze):
        n, h, w, c = image.shape
        features = jnp.concatenate([image.reshape(n, -1), gaze], axis=-1)
        return nn.sigmoid(nn.Dense(h * w * c)(features)).reshape(n, h, w, c)


def _optimizer(config):
    return optax.adam(config.optim.lr)


def init(config, key, batch):
    params = ToyRedirector().init(key, batch["source"]["image"], batch["target"]["gaze"])["params"]
    return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                      opt_state=_optimizer(config).init(params))


def _loss(params, batch):
    predicted = ToyRedirector().apply({"params": params}, batch["source"]["image"],
                                      batch["target"]["gaze"])
    return jnp.mean(jnp.square(predicted - batch["target"]["image"]))


def train_step(config, state, batch, key):
    del key  # deterministic model
    loss, grads = jax.value_and_grad(_loss)(state.params, batch)
    updates, opt_state = _optimizer(config).update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    if config.optim.diverge_at_step:
        diverged = state.step + 1 >= config.optim.diverge_at_step
        params = jax.tree.map(lambda p: jnp.where(diverged, jnp.nan, p), params)
    return state.replace(params=params, opt_state=opt_state), {"loss": loss}


def eval_step(config, state, batch):
    return {"mse": _loss(state.params, batch)}


def sample_images(config, state, batch):
    predicted = ToyRedirector().apply({"params": state.params}, batch["source"]["image"],
                                      batch["target"]["gaze"])
    return {"source": batch["source"]["image"], "predicted": predicted,
            "target": batch["target"]["image"]}


METHOD = Method(init=init, train_step=train_step, eval_step=eval_step,
                sample_images=sample_images)
