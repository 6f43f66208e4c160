"""The generic trainer and the contract that methods plug into (layout: docs/architecture.md).

- :mod:`~gazejax.train.method`: the plug-in contract (``Method``, ``TrainState``).
- :mod:`~gazejax.train.trainer`: ``train(config, workdir)`` / ``evaluate(config, workdir)``.
- :mod:`~gazejax.train.config_loading`: ``load_config("configs/x.py:variant[,key=value]", overrides)``
  and the standard config fields; :mod:`~gazejax.train.config_args` parses the variant argument.
- :mod:`~gazejax.train.sharding`: mesh, shardings, global batches, ``jax.distributed``.
- :mod:`~gazejax.train.checkpointing`: orbax checkpoints (last N + best, exact resume; only
  finite states are saved, each with checksums verified on restore, falling back to the newest
  intact one).
- :mod:`~gazejax.train.microbatching`: gradient accumulation over slices of a step's batch.
- :mod:`~gazejax.train.config_checks`: ranges of the standard fields, checked before any work;
  :mod:`~gazejax.train.workdir_lock`: one trainer per workdir.
- :mod:`~gazejax.train.metrics_log` (JSON lines + TensorBoard events),
  :mod:`~gazejax.train.sample_grid`, :mod:`~gazejax.train.stop_signal`: observability.
- the methods themselves live in ``gazejax/methods/<name>/``, each exposing ``METHOD``.
"""
