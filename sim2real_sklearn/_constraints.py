"""Parameter constraints scikit-learn's own cannot say, for the ``_parameter_constraints`` tables.

A count (an int that is not a bool), a tuple of layer widths, a torch module
class, a torch device, a path; and :func:`check_device`, the one check of a
device string. Data checks are in ``_validation.py``.
"""

import numbers
import os

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval


class _Rule(HasMethods):
    """Base of the package's own constraints.

    scikit-learn's ``make_constraint`` accepts only its own constraint classes
    (``Interval``, ``StrOptions``, ``HasMethods``, ...), so a rule of ours
    subclasses one of them and overrides the test and its description.
    """

    def __init__(self):
        super().__init__([])


class Count(Interval):
    """scikit-learn's ``Interval`` of ints, without booleans: ``n_trials=True`` is a mistake, not 1.

    Examples
    --------
    >>> Count(1, None, closed="left").is_satisfied_by(True)
    False
    """

    def __init__(self, left, right, *, closed):
        super().__init__(numbers.Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


class LayerWidths(_Rule):
    """A tuple or list of positive ints (hidden layer widths); empty means no hidden layer."""

    def is_satisfied_by(self, val):
        return isinstance(val, (tuple, list)) and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in val)

    def __str__(self):
        return "a tuple of ints >= 1 (hidden layer widths)"


class TorchModuleClass(_Rule):
    """A ``torch.nn.Module`` subclass (the class, not an instance)."""

    def is_satisfied_by(self, val):
        import torch

        return isinstance(val, type) and issubclass(val, torch.nn.Module)

    def __str__(self):
        return "a torch.nn.Module subclass (the class, not an instance)"


class TorchDevice(_Rule):
    """A string or ``torch.device`` that torch parses: 'cpu', 'cuda', 'cuda:1', 'mps', ..."""

    def is_satisfied_by(self, val):
        import torch

        if not isinstance(val, (str, torch.device)):
            return False
        try:
            torch.device(val)
        except (RuntimeError, TypeError, ValueError):
            return False
        return True

    def __str__(self):
        return "a torch device such as 'cpu', 'cuda' or 'cuda:0'"


class PathLike(_Rule):
    """A path given as ``os.PathLike`` (a ``str`` is its own constraint)."""

    def is_satisfied_by(self, val):
        return isinstance(val, os.PathLike)

    def __str__(self):
        return "an os.PathLike path"


def check_device(device, name="device"):
    """The torch device as a string, refused with a named error if this machine lacks it.

    Examples
    --------
    >>> check_device("cpu")
    'cpu'
    """
    import torch

    try:
        torch_device = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(f"{name}={device!r} is not a torch device: {exc}") from exc
    try:
        torch.empty(0, device=torch_device)
    except (RuntimeError, AssertionError) as exc:
        raise ValueError(
            f"{name}={device!r} is not available on this machine ({exc}). "
            f"Use {name}='cpu'."
        ) from exc
    return str(torch_device)
