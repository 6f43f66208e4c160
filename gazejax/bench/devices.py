"""Peak FLOP/s and memory bandwidth of the accelerators the benchmarks know.

A benchmark divides XLA's FLOP count (or its estimate of the bytes moved) by
its median time and by these peaks to report the fraction of the device it
achieves. Names are matched as substrings of jax's ``device_kind``; a CPU
or an unknown device gives None.
"""

import jax

# Dense peak TFLOP/s of float32 matmuls as XLA runs them by default on these
# GPUs (TF32 tensor cores). Substring matches, first hit wins, so the more
# specific names come first.
PEAK_TFLOPS = {
    "H100 PCIe": 378.0,
    "H100": 494.7,  # SXM (80GB HBM3)
    "H200": 494.7,
    "A100": 156.0,
    "RTX 3090": 35.6,
}

# Peak HBM/DRAM bandwidth in GB/s, matched as a substring of jax's device_kind.
PEAK_BANDWIDTH_GBPS = {
    "H200": 4800.0,
    "H100 PCIe": 2000.0,
    "H100": 3350.0,  # SXM
    "A100-SXM4-80GB": 2039.0,
    "A100": 1555.0,  # 40 GB and PCIe
    "L40S": 864.0,
    "L4": 300.0,
    "RTX 4090": 1008.0,
    "RTX 3090": 936.0,
    "V100": 900.0,
    "TPU v5p": 2765.0,
    "TPU v5 lite": 819.0,
    "TPU v4": 1200.0,
}


def _lookup(table):
    dev = jax.devices()[0]
    if dev.platform == "cpu":
        return None
    kind = getattr(dev, "device_kind", "")
    return next((value for name, value in table.items() if name in kind), None)


def peak_tflops():
    """Dense float32 (TF32) peak TFLOP/s of the default device, or None."""
    return _lookup(PEAK_TFLOPS)


def peak_bandwidth_gbps():
    """Peak memory bandwidth (GB/s) of the default device, or None."""
    return _lookup(PEAK_BANDWIDTH_GBPS)
