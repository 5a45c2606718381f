"""Checkpoints of a scaling study: one JSON file per finished cell, so a killed study resumes.

A stored cell is reused only for the very same cell, so the key must change
whenever anything that can change a cell's numbers changes:

- the **folder** of a study is named by a key of the estimator (its class,
  with the source of a class of yours, and every parameter at every depth,
  callables keyed by their code, constants, defaults and closures), the
  data, the root seed, the scorer (keyed the same way) and the versions of
  the packages that compute it;
- the **file** of a cell names its source size, target size and trial, and
  a key of the trial's split (its train and test rows and its seeds), so
  any change of ``test_size`` or ``cv``, a generator of splits included, is
  a different file.

What cannot be keyed by value (a generator or iterator as a parameter, an
object that neither pickles nor exposes its attributes) is refused with a
``TypeError`` naming the parameter, rather than keyed by its name.

Sizes and the number of trials are not part of any key: a cell's numbers
depend only on its own source size, target size and trial, so extending a
study reuses its cells. One file per cell, written by the job that computed
it, means parallel workers never share a file (skorch#819) and a killed run
loses at most the cells in flight. A file that is edited or damaged is
detected when read, reported with a warning naming it, and computed again.
"""

import functools
import hashlib
import inspect
import json
import math
import os
import tempfile
import types
import warnings

import joblib
import numpy as np
from sklearn.base import BaseEstimator

# Code of these packages is keyed by their version, not by its source.
_VERSIONED_PACKAGES = ("sim2real_sklearn", "sklearn", "torch", "skorch", "numpy", "scipy",
                       "joblib", "pandas", "rdkit")
_MAX_DEPTH = 50


class CellStore:
    """The checkpoint folder of one study; a store without folder keeps nothing.

    Examples
    --------
    >>> import tempfile
    >>> store = CellStore.open(tempfile.mkdtemp(), key_parts=["my study"])
    >>> name = cell_name(n_source=100, n_target=None, trial=3, split_key="5e1f")
    >>> write_atomically(store.path(name), {"error": 0.25, "fit_time": 1.0, "score_time": 0.1,
    ...                                     "fit_error": None, "group_errors": None})
    >>> store.read(name)["error"]
    0.25
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
        checkpoint_dir = os.fspath(checkpoint_dir)
        if os.path.exists(checkpoint_dir) and not os.path.isdir(checkpoint_dir):
            raise NotADirectoryError(
                f"checkpoint_dir={checkpoint_dir!r} is a file; it must be a folder "
                "(created if missing) where each finished cell is kept."
            )
        key = joblib.hash(key_parts)
        directory = os.path.join(checkpoint_dir, f"study-{key[:16]}")
        os.makedirs(directory, exist_ok=True)
        return cls(directory)

    def path(self, name):
        return None if self.directory is None else os.path.join(self.directory, name)

    def read(self, name, n_groups=None):
        """The stored cell, or None when it is missing or malformed (then it is computed again).

        A malformed file (not JSON, not a cell, a non-finite error, a wrong
        number of group errors) is reported with a warning that names it.
        """
        path = self.path(name)
        if path is None or not os.path.exists(path):
            return None
        try:
            with open(path) as f:
                cell = json.load(f)
            _check_cell(cell, n_groups)
        except (OSError, ValueError, TypeError) as exc:
            warnings.warn(f"Checkpoint file {path} is malformed ({exc}): its cell is computed "
                          "again and the file replaced.", UserWarning, stacklevel=3)
            return None
        return cell


def _check_cell(cell, n_groups):
    if not isinstance(cell, dict):
        raise ValueError(f"a cell is a JSON object, this is a {type(cell).__name__}")
    missing = {"error", "fit_time", "score_time", "fit_error", "group_errors"} - set(cell)
    if missing:
        raise ValueError(f"missing {sorted(missing)}")
    if cell["fit_error"] is not None:
        raise ValueError("a failed fit is never stored")
    for key in ("error", "fit_time", "score_time"):
        if not (isinstance(cell[key], (int, float)) and not isinstance(cell[key], bool)
                and math.isfinite(cell[key])):
            raise ValueError(f"{key} is {cell[key]!r}, not a finite number")
    groups = cell["group_errors"]
    if n_groups is None:
        if groups is not None:
            raise ValueError("group errors of a study without score_groups")
    elif not (isinstance(groups, list) and len(groups) == n_groups and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in groups)):
        raise ValueError(f"group_errors must be a list of {n_groups} numbers")
    if not isinstance(cell.get("strategy"), (str, type(None))):
        raise ValueError(f"strategy is {cell['strategy']!r}, not a name")


def study_key(estimator, data, random_state, scoring, gridded):
    """What the checkpoint folder of a study is keyed on.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> study_key(Ridge(), [1.0], 0, "r2", False) == study_key(Ridge(), [1.0], 0, "r2", False)
    True
    >>> key = study_key(Ridge(), [1.0], 0, "r2", False)
    >>> key == study_key(Ridge(alpha=2), [1.0], 0, "r2", False)
    False
    """
    return [
        token(estimator, "estimator"),
        [(name, token(value, f"estimator parameter {name!r}"))
         for name, value in sorted(estimator.get_params(deep=True).items())],
        joblib.hash(data),
        random_state,
        token(scoring, "scoring"),
        gridded,
        _versions(),
    ]


def split_key(trial):
    """A short key of a trial's split: its train and test rows, seeds and leakage guard."""
    groups = None if trial.test_groups is None else np.asarray(trial.test_groups).tolist()
    return joblib.hash([np.asarray(trial.train), np.asarray(trial.test), list(trial.seeds),
                        groups])[:12]


def cell_name(n_source, n_target, trial, split_key):
    """The file name of one cell."""
    target = "all" if n_target is None else int(n_target)
    return f"source-{int(n_source)}_target-{target}_trial-{int(trial)}_split-{split_key}.json"


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


# -- keys of values -----------------------------------------------------------------


def token(value, where, _depth=0):
    """A stable key of a value, across processes, that changes whenever the value does.

    Data are keyed by value (``joblib.hash``); estimators by their class and,
    for a class of yours, its source (their parameters are keyed one by one
    by :func:`study_key`); functions by their code, constants, defaults,
    closures and the globals they read, so that two lambdas that differ only
    in a constant get different keys. ``where`` names the value in the
    ``TypeError`` raised for what cannot be keyed.

    Examples
    --------
    >>> one, thousand = (lambda t, p: abs(t - p) * 1), (lambda t, p: abs(t - p) * 1000)
    >>> token(one, "scoring") == token(thousand, "scoring")
    False
    >>> token(iter([1, 2]), "cv")
    Traceback (most recent call last):
    ...
    TypeError: Cannot key cv for checkpointing: a list_iterator ...
    """
    if _depth > _MAX_DEPTH:
        raise TypeError(f"Cannot key {where} for checkpointing: it nests too deeply (a cycle?).")
    deeper = functools.partial(token, where=where, _depth=_depth + 1)
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value)
    if isinstance(value, BaseEstimator):
        # Its parameters are keyed separately, at every depth, by study_key.
        return _class_token(type(value))
    if isinstance(value, type):
        return _class_token(value)
    if isinstance(value, (types.FunctionType, types.MethodType)):
        return _function_token(value, deeper)
    if isinstance(value, functools.partial):
        return ["partial", deeper(value.func), [deeper(a) for a in value.args],
                sorted((k, deeper(v)) for k, v in value.keywords.items())]
    if isinstance(value, (types.BuiltinFunctionType, np.ufunc)):
        name = getattr(value, "__qualname__", value.__name__)
        return f"{getattr(value, '__module__', None)}.{name}"
    if isinstance(value, (types.GeneratorType, types.CoroutineType)) or (
            hasattr(value, "__next__") and iter(value) is value):
        raise TypeError(
            f"Cannot key {where} for checkpointing: a {type(value).__name__} is consumed as it "
            "is read, so a re-run could not know which values it held. Pass a list (for cv, "
            "the splitter itself or list(cv.split(...))), or run without checkpoint_dir."
        )
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [deeper(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", sorted(((repr(k), deeper(v)) for k, v in value.items()))]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted(repr(deeper(v)) for v in value)]
    if isinstance(value, (np.ndarray, np.generic)):
        return joblib.hash(value)
    attributes = getattr(value, "__dict__", None)
    if attributes is not None:
        # An object such as a scorer: its class and its attributes, a function inside included.
        return [_class_token(type(value)), sorted((k, deeper(v)) for k, v in attributes.items())]
    try:
        return joblib.hash(value)
    except Exception as exc:
        raise TypeError(
            f"Cannot key {where} for checkpointing: a {type(value).__name__} neither pickles nor "
            f"exposes its attributes ({exc}). Run without checkpoint_dir."
        ) from None


def _class_token(cls):
    name = f"{cls.__module__}.{cls.__qualname__}"
    if cls.__module__.split(".")[0] in _VERSIONED_PACKAGES or cls.__module__ == "builtins":
        return name
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return name  # defined where its source cannot be read (a notebook cell, say)
    return f"{name}:{hashlib.sha256(source.encode()).hexdigest()[:16]}"


def _function_token(function, deeper):
    code = function.__code__
    reads = {}
    for name in code.co_names:  # the globals it reads (a module-level constant, say)
        value = function.__globals__.get(name, _MISSING)
        if value is _MISSING or isinstance(value, types.ModuleType):
            continue
        if isinstance(value, (types.FunctionType, type)) and value is not function:
            reads[name] = f"{getattr(value, '__module__', '')}.{value.__qualname__}"
        elif value is not function:
            reads[name] = deeper(value)
    return [
        f"{function.__module__}.{function.__qualname__}",
        _code_token(code),
        deeper(function.__defaults__),
        deeper(function.__kwdefaults__),
        [deeper(cell.cell_contents) for cell in (function.__closure__ or ())],
        sorted(reads.items()),
        deeper(getattr(function, "__self__", None)) if isinstance(function, types.MethodType)
        else None,
    ]


_MISSING = object()


def _code_token(code):
    return [code.co_code.hex(), code.co_names,
            [_code_token(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts]]


def _versions():
    """Versions of the packages that compute a cell, read without importing them."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("sim2real-sklearn", "scikit-learn", "numpy", "scipy", "torch", "skorch",
                    "rdkit"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return versions
