"""What a study's worker gives back to the system when a job ends: the C heap's free pages."""

import ctypes
import ctypes.util
import functools
import sys


def release_freed_memory():
    """Return the free pages of the C heap to the operating system; whether it ran.

    glibc keeps the memory of freed blocks in its heap for later use, and a
    torch tensor of a few hundred kilobytes (a stack's activations, a batch of
    inputs) is such a block: a worker that has trained a few stacks holds
    hundreds of megabytes it no longer uses. joblib's loky workers take that
    growth for a leak: a worker more than 300 MB above its size after its
    first job is stopped and replaced, with the warning "A worker stopped
    while some jobs were given to the executor", and the new one imports
    torch and receives the study's data again (measured: the chi study's
    sparse run after two dense ones in one session restarted both workers).
    ``malloc_trim`` gives the pages back in well under a millisecond; a
    scaling study calls it after each job. Elsewhere than glibc (macOS,
    Windows, musl) it does nothing and returns False.

    Examples
    --------
    >>> release_freed_memory() in (True, False)
    True
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


@functools.cache  # looked up once per process
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # musl has no such symbol
        return None
