"""Frozen pretrained networks, loaded from ``gazejax convert`` (or ``gazejax export``) directories.

The one layer that turns a checkpoint directory into a ready function or
``(module, variables)``: gaze estimators (:mod:`.gaze_estimator`), perceptual
feature networks (:mod:`.perceptual`), LPIPS (:mod:`.lpips`) and FID
Inception (:mod:`.fid`). The networks themselves are in :mod:`gazejax.models`;
reading and writing the directories is :mod:`gazejax.convert`. Every method
names them with the same config keys: ``loss.perceptual_checkpoint``,
``loss.estimator_checkpoint``, ``eval.estimator_checkpoint``,
``eval.lpips_checkpoint``, ``eval.fid_checkpoint``.
"""
