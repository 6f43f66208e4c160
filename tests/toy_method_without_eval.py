"""The toy method without ``eval_step`` (tests only): its checkpoints are ranked by training metrics."""

import dataclasses

import toy_method

METHOD = dataclasses.replace(toy_method.METHOD, eval_step=None)
