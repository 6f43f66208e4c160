"""The methods, one folder each, every one with the same parts.

``<name>/method.py`` assembles ``METHOD`` (the trainer's plug-in, see
:mod:`gazejax.train.method`) from ``training.py`` (state init, the training
step, its metrics and sample images), ``losses.py`` where the method has
its own objectives, ``evaluation.py`` (the ``gazejax evaluate`` protocol)
and ``inference.py`` or ``export.py`` (what ``gazejax redirect``/``export``
use, loaded with :func:`gazejax.run_loading.load_model`); the network's
modules sit beside them. Nothing outside ``gazejax.methods``,
``gazejax.commands`` and ``gazejax.bench`` imports a method.
"""
