"""How many CPU threads torch uses while the package trains or predicts."""

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
