"""The worker processes of a parallel study, started early and stopped at once.

joblib's loky backend starts its workers when a study gives out its first
job, and each then imports torch, scikit-learn and this package (3 to 4 s)
and builds its first optimiser, when torch imports ``torch._dynamo``
(about 2 s more): 5 to 8 s of a one-off study on two cores in which the
study waits. At the end, loky's exit handler waits for each worker to wind
down (about 1.5 s more). The command line starts the workers as its first
step instead, so that they import while its own process does the same and
reads the user's files, and stops them at once when it is done.
"""

import os
import shutil
import tempfile
import time


def start_workers(n_jobs):
    """Start joblib's workers for ``n_jobs`` and have each import what a study's jobs use.

    Call it before importing torch: the workers' start then overlaps the
    caller's own imports. The same pool (``Parallel(n_jobs=n_jobs)`` with
    joblib's defaults, as ``scaling_curve`` creates it) is reused by the study.

    Parameters
    ----------
    n_jobs : int
        As given to ``scaling_curve``.

    Returns
    -------
    wait : callable or None
        Waits until every worker is ready and returns their process ids;
        None when the study runs in this process (or ``n_jobs`` is invalid,
        which the study reports).

    Examples
    --------
    >>> start_workers(n_jobs=1) is None  # a study in this process: nothing to start
    True

    A command starts them first, waits before its study, and stops them last::

        wait = start_workers(n_jobs=-1)
        ...  # imports, reading and featurizing the files
        wait()
        result = scaling_curve(..., n_jobs=-1)
        stop_workers()
    """
    from joblib import Parallel, delayed, effective_n_jobs

    try:
        n_workers = effective_n_jobs(n_jobs)
    except (TypeError, ValueError):
        return None
    if n_workers == 1:
        return None
    # Each warm-up job waits for the others to start (a folder of their process ids):
    # a worker that finished its own would otherwise take the next one too, and leave
    # another worker unprepared (one time in five on a pool already warm).
    meeting = tempfile.mkdtemp(prefix="sim2real-workers-")
    # A generator: joblib gives the jobs out in the background and returns at once.
    pending = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_prepare)(meeting, n_workers) for _ in range(n_workers))

    def wait():
        try:
            return list(pending)
        finally:
            shutil.rmtree(meeting, ignore_errors=True)
    return wait


def stop_workers():
    """Stop joblib's worker processes now instead of at the interpreter's exit.

    They hold no result (every job has returned), so they are killed rather
    than asked to wind down. The next parallel call starts new ones.
    """
    from joblib.externals.loky import get_reusable_executor

    # reuse=True: the running pool, whatever its arguments (a new one if none is running)
    get_reusable_executor(reuse=True).shutdown(wait=True, kill_workers=True)


def _prepare(meeting, n_workers, timeout=120.0):
    """In a worker: import the study's modules and build an optimiser once.

    Then wait until ``n_workers`` warm-up jobs have written their process id
    in the folder ``meeting``, so that no worker takes two of them (at most
    ``timeout`` seconds: a pool with fewer workers only loses the guarantee).
    """
    import torch

    from .scaling import _curve  # noqa: F401  (the jobs' function and all it imports)
    from .transfer import _batched  # noqa: F401  (the stacked trials)

    # torch imports torch._dynamo when an optimiser first adds its parameters
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    pid = os.getpid()
    open(os.path.join(meeting, str(pid)), "w").close()
    deadline = time.monotonic() + timeout
    while len(os.listdir(meeting)) < n_workers and time.monotonic() < deadline:
        time.sleep(0.005)
    return pid
