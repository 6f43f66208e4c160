"""Benchmarks behind ``gazejax bench NAME --json OUT``.

Each benchmark is a module ``gazejax.bench.<name>`` defining
``run(args) -> list[dict]`` and, when it can run several config variants,
``VARIANTS`` (``gazejax bench NAME --variant V``); every record is built
with :func:`gazejax.bench.timing.record`.
"""

BENCHMARKS = {
    "synthgaze": "SynthGaze images/s at 128^2 and 512^2",
    "render": "EG3D-style tri-plane render, forward and forward+backward, JAX vs PyTorch",
    "eg3d": "EG3D generator at 512^2 (batch 1, 4) and a G+D training step, JAX vs PyTorch",
    "l2cs": "L2CS ResNet-50 at 448^2, JAX vs PyTorch",
    "livegaze": "LiveGaze encode/render/total latency at 512^2",
    "gazenerf": "GazeNeRF training step and per-subject fit",
    "train_memory": "compiled memory of the GazeNeRF and LiveGaze training steps under each memory option",
    "mggr": "MGGR redirect latency and stage-1/2 training steps",
    "gpu": "every benchmark at the papers' shapes with FLOP and bandwidth fractions (--quick on a CPU)",
    "scaling": "render and LiveGaze time and memory against rays x samples and output side (JSON + PNG plot)",
    "input": "input pipeline pairs/s against a LiveGaze 512^2 training step's consumption",
    "pipeline": "photo/video path per frame: detection, head pose, normalization, model, paste at 720p/1080p",
}
