"""How torch uses the CPU while the package trains: its threads, and its subnormal floats."""

import sys
from contextlib import contextmanager


@contextmanager
def torch_threads(n_threads):
    """Run with ``n_threads`` torch CPU threads, then restore the previous number.

    ``None`` leaves torch's setting alone. torch is only looked up, never
    imported: an estimator that uses torch has imported it already, and
    importing torch for one that does not (a Ridge in a scaling study) would
    cost seconds per worker.

    Small networks train fastest on one thread: on a 2-core machine two
    threads made a 256-128 MLP up to 20x slower per batch, and parallel
    trials each need their own core.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    torch = sys.modules.get("torch") if n_threads is not None else None
    if torch is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def flush_denormals():
    """Train with float32 numbers below 1.2e-38 taken as zero, then restore the setting.

    A unit that stops learning (a ReLU that never fires) gets zero gradients,
    and Adam's moments of its weights decay geometrically: after a few
    thousand steps they reach the subnormal range, where x86 arithmetic is
    tens of times slower. In the demo's pretraining on 12,800 rows, fused
    Adam took 0.66 ms a step instead of 0.23 for this reason alone. A moment
    that small moves no weight (its step is about 1e-31), so flushing it to
    zero changes the training by nothing measurable. Usable as a decorator.

    Examples
    --------
    >>> import torch
    >>> with flush_denormals():
    ...     (torch.tensor([1e-30]) * 1e-9).item()
    0.0
    >>> (torch.tensor([1e-30]) * 1e-9).item() > 0  # restored
    True
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    # torch has no getter: a product whose result is subnormal tells the current mode
    previous = bool((torch.tensor([1e-30]) * 1e-9).item() == 0)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(previous)
