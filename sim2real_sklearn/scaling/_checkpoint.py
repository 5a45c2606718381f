"""Checkpoints of a scaling study: one JSON file per finished cell, so a killed study resumes.

The files of one study live in a folder named by a key of everything that
can change a cell's numbers (the estimator and its parameters, the data, the
root seed, the splits and the scorer). Sizes and the number of trials are
left out of the key: a cell's numbers depend only on its own source size,
target size and trial, so extending a study reuses its cells.

One file per cell, written by the job that computed it, means parallel
workers never share a file (skorch#819) and a killed run loses at most the
cells in flight.
"""

import json
import os
import tempfile

import joblib
from sklearn.base import BaseEstimator


class CellStore:
    """The checkpoint folder of one study; a store without folder keeps nothing.

    Examples
    --------
    >>> import tempfile
    >>> store = CellStore.open(tempfile.mkdtemp(), key_parts=["my study"])
    >>> name = cell_name(n_source=100, n_target=None, trial=3)
    >>> write_atomically(store.path(name), {"error": 0.25})
    >>> store.read(name)
    {'error': 0.25}
    >>> CellStore.open(None, key_parts=[]).path(name) is None
    True
    """

    def __init__(self, directory):
        self.directory = directory

    @classmethod
    def open(cls, checkpoint_dir, key_parts):
        """The store of the study keyed by ``key_parts``, created if missing."""
        if checkpoint_dir is None:
            return cls(None)
        key = joblib.hash(key_parts)
        directory = os.path.join(os.fspath(checkpoint_dir), f"study-{key[:16]}")
        os.makedirs(directory, exist_ok=True)
        return cls(directory)

    def path(self, name):
        return None if self.directory is None else os.path.join(self.directory, name)

    def read(self, name):
        """The stored cell, or None if it is missing or unreadable (then it is computed again)."""
        path = self.path(name)
        if path is None or not os.path.exists(path):
            return None
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None


def study_key(estimator, data, random_state, splits, scoring, gridded):
    """What the checkpoint folder of a study is keyed on."""
    return [
        _params_token(estimator),
        joblib.hash(data),
        random_state,
        _token(splits),
        _token(scoring),
        gridded,
    ]


def cell_name(n_source, n_target, trial):
    """The file name of one cell."""
    target = "all" if n_target is None else int(n_target)
    return f"source-{int(n_source)}_target-{target}_trial-{int(trial)}.json"


def write_atomically(path, payload):
    """Write to a temporary file then rename: a reader never sees half a cell."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(payload, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _params_token(estimator):
    params = estimator.get_params(deep=True)
    return [type(estimator).__qualname__] + [
        (k, _token(params[k])) for k in sorted(params)
    ]


def _token(value):
    """A stable token of a parameter value, across processes."""
    if isinstance(value, BaseEstimator):
        # Its parameters are listed separately by get_params(deep=True).
        return f"{type(value).__module__}.{type(value).__qualname__}"
    try:
        return joblib.hash(value)
    except Exception:  # lambdas and other unpicklable callables
        code = getattr(value, "__code__", None)
        if code is not None:
            return f"{value.__module__}.{value.__qualname__}:{joblib.hash(code.co_code)}"
        return repr(value)
