"""The device mesh, shardings and global batches (data parallelism with jit + ``jax.sharding``).

One 1-D ``Mesh`` over every device of every process with axis ``'data'``: the
batch is split along its leading axis, the train state is replicated.
"""

import os

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

DATA_AXIS = "data"


def initialize_distributed(coordinator_address=None, num_processes=None, process_id=None):
    """Starts ``jax.distributed`` when this is one process of a multi-process run.

    With explicit arguments they are used as given; otherwise a cluster launcher
    (SLURM, Open MPI, TPU pods: anything JAX auto-detects) is recognised from
    its environment. A plain single-process launch does nothing. On CPU the
    cross-process collectives go through gloo.
    """
    if coordinator_address is None and not _launched_by_cluster():
        return
    # Only the CPU client reads this flag; it must be set before backends start.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=coordinator_address,
        num_processes=num_processes,
        process_id=process_id,
    )


def _launched_by_cluster():
    markers = ("SLURM_JOB_ID", "OMPI_COMM_WORLD_SIZE", "TPU_WORKER_HOSTNAMES")
    return any(m in os.environ for m in markers)


def make_mesh():
    """A 1-D mesh over all devices (all processes) with the ``'data'`` axis.

    The axis is ``Auto``: XLA propagates shardings inside the step, so model
    code stays sharding-agnostic (with ``jax.make_mesh``'s ``Explicit``
    default, sharded types leak into the models, e.g. into reshapes).
    """
    return jax.make_mesh(
        (jax.device_count(),), (DATA_AXIS,), axis_types=(jax.sharding.AxisType.Auto,)
    )


def data_sharding(mesh):
    """Leading (batch) axis split over ``'data'``."""
    return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def replicated(mesh):
    """The same full array on every device."""
    return NamedSharding(mesh, PartitionSpec())


def local_batch_size(global_batch_size):
    """This process's share of the global batch; raises ValueError if it does not divide."""
    devices, processes = jax.device_count(), jax.process_count()
    if global_batch_size <= 0 or global_batch_size % devices:
        raise ValueError(
            f"batch_size {global_batch_size} must be a positive multiple of the "
            f"device count {devices} ({processes} process(es))"
        )
    return global_batch_size // processes


def global_batch(mesh, local_batch):
    """Assembles per-process numpy batches (nested dicts) into global sharded arrays.

    Args:
      mesh: the data mesh.
      local_batch: nested dict of arrays with leading size ``global // process_count``.

    Returns:
      the same tree of ``jax.Array`` with leading size ``global``, sharded on ``'data'``.
    """
    sharding = data_sharding(mesh)
    return jax.tree.map(
        lambda x: jax.make_array_from_process_local_data(sharding, np.asarray(x)), local_batch
    )
