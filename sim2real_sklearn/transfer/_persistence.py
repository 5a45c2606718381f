"""Save and load fitted models as data: JSON and a tensor file, never pickle.

A pickled model is a program: loading it runs whatever code its author (or
anyone who altered the file on the way) put in it. A model shared with
colleagues or downloaded from a repository is safer as plain data, so
:func:`save_model` writes a **directory** of two files:

``model.json``
    The format version, the versions of the packages that wrote it, and one
    node per estimator: its class path, its ``get_params(deep=False)`` as JSON
    (nested estimators, e.g. the steps of a ``Pipeline``, become nested nodes)
    and its fitted state (every attribute that is not a parameter). Numbers,
    strings, lists, tuples, dicts, slices and ``None`` are written as JSON;
    arrays are references into the tensor file. The SHA-256 of the tensor
    file is recorded here.
``weights-<checksum>.safetensors`` (or ``.pt``)
    Every numeric array: the network weights (its ``state_dict``) and fitted
    arrays such as a scaler's ``mean_``. The ``safetensors`` format when the
    ``safetensors`` package is installed, otherwise torch's format, read back
    with ``torch.load(weights_only=True)``. Both hold tensors only. Named by
    the start of their SHA-256, so that replacing a model is one rename of
    ``model.json``: interrupted at any moment, the folder holds the old model
    or the new one. ``save_model`` writes only into a new or empty folder, or
    over a model it saved; it never replaces or deletes a file it did not write.

:func:`load_model` reads the JSON with :mod:`json` and the tensors with a
tensor-only reader, imports only classes it allows, checked by their path
*before* anything is imported (the estimators of scikit-learn and of this
package, plus classes of modules you name), constructs each
estimator from its parameters, sets its fitted attributes, and rebuilds the
torch network of each :class:`~sim2real_sklearn.Sim2RealRegressor`
from its architecture and weights. Nothing is unpickled. Weights are read
onto the CPU and then moved to ``device``, so a model trained on a GPU loads
on a CPU-only machine.

A directory rather than one zip file: each file can be checked, diffed and
hosted on its own (a model hub shows ``model.json`` as text), and a download
tool can fetch the tensor file without unpacking anything. Pass the
checksum that :func:`save_model` returns (the SHA-256 of ``model.json``,
which itself pins the tensor file) to ``load_model(sha256=...)`` to verify a
download before anything in it is used.

Pickle and joblib keep working for everything, including what this format
refuses: callables as parameters, custom torch bodies from modules you do not
list as trusted, estimators from other packages.
"""

import hashlib
import io
import json
import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.utils.validation import check_is_fitted

from .._constraints import check_device
from ..exceptions import ModelVersionWarning
from ._model_codec import MODEL_FILE, Decoder, Encoder

__all__ = ["save_model", "load_model"]

FORMAT_NAME = "sim2real_sklearn.model"
FORMAT_VERSION = 1
_EXTENSIONS = {"safetensors": "safetensors", "torch": "pt"}
_TMP_PREFIX = ".sim2real-"
# Files save_model writes: the tensors under their checksum (and, in models
# saved before that, under a fixed name), and temporary files of a save that
# was interrupted.
_WRITTEN_BY_US = re.compile(
    r"weights-[0-9a-f]{16}\.(safetensors|pt)|" + re.escape(_TMP_PREFIX) + r".*\.tmp")
_TENSOR_FILE = re.compile(r"weights(-[0-9a-f]{16})?\.(safetensors|pt)")



def save_model(estimator, path, *, weights_format="auto", overwrite=False):
    """Save a fitted estimator as JSON and tensors, loadable without pickle.

    Parameters
    ----------
    estimator : estimator
        A :class:`~sim2real_sklearn.Sim2RealRegressor`, or a
        ``Pipeline`` (e.g. from ``make_sim2real_pipeline``) of scikit-learn
        transformers, :class:`~sim2real_sklearn.FitOnSource`,
        featurizers of this package and the regressor. Any scikit-learn
        estimator whose parameters and fitted attributes are numbers,
        strings, arrays, lists, tuples, dicts, slices, ``None`` or other such
        estimators is supported.
    path : str or path-like
        Directory to write ``model.json`` and the tensor file into; created
        if needed.
    weights_format : {"auto", "safetensors", "torch"}, default="auto"
        Tensor file format. ``"auto"`` uses safetensors when the package is
        installed, otherwise torch's format (read back with
        ``weights_only=True``).
    overwrite : bool, default=False
        Replace a model already saved in ``path``.

        A regressor's ``callbacks`` (training-time objects: loggers, pruning
        callbacks) are not saved; the loaded model has ``callbacks=None``.

    Returns
    -------
    sha256 : str
        SHA-256 of the written ``model.json``. It pins the tensor file too
        (its checksum is inside), so publishing this one string lets a user
        verify a download with ``load_model(path, sha256=...)``.

    Raises
    ------
    TypeError
        When a parameter or fitted attribute cannot be stored as data (a
        function, a ``joblib.Memory`` object, an object of another kind); the
        message names the attribute. Use pickle or joblib for such models.
    FileExistsError
        When ``path`` already holds a model and ``overwrite`` is False.
    sklearn.exceptions.NotFittedError
        When the estimator is not fitted.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from sim2real_sklearn import Sim2RealRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, X_sim = rng.normal(size=(20, 3)), rng.normal(size=(100, 3))
    >>> model = Sim2RealRegressor((8,), pretrain_epochs=2, finetune_epochs=2, random_state=0)
    >>> model = model.fit(X, X[:, 0], X_source=X_sim, y_source=X_sim[:, 0])
    >>> folder = tempfile.mkdtemp()
    >>> checksum = save_model(model, folder)
    >>> loaded = load_model(folder, sha256=checksum)
    >>> bool(np.array_equal(loaded.predict(X), model.predict(X)))
    True
    """
    # An unfitted model would load and then fail at predict, far from the mistake.
    check_is_fitted(estimator)
    weights_format = _check_weights_format(weights_format)
    directory = Path(path)
    old_files = _model_files_in(directory, overwrite)
    # Encode everything before touching the disk: a refused attribute leaves no half-written model.
    encoder = Encoder()
    root = encoder.value(estimator, type(estimator).__name__)
    directory.mkdir(parents=True, exist_ok=True)

    # Every file is written under a temporary name and renamed into place;
    # the tensors get a name of their own (their checksum), so the old
    # model.json keeps pointing at the old, intact tensors until the new
    # model.json replaces it in one rename. Interrupted anywhere, the folder
    # holds the old model or the new one, never a mixture and never neither.
    tensor_bytes = _tensor_bytes(encoder.tensors, weights_format)
    tensor_sha = _sha256(tensor_bytes)
    weights_name = f"weights-{tensor_sha[:16]}.{_EXTENSIONS[weights_format]}"
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "weights": {"file": weights_name, "format": weights_format, "sha256": tensor_sha},
        "estimator": root,
    }
    content = json.dumps(document, indent=1, allow_nan=False).encode("utf-8")
    _write_atomically(directory / weights_name, tensor_bytes)
    _write_atomically(directory / MODEL_FILE, content)
    for name in old_files - {MODEL_FILE, weights_name}:
        (directory / name).unlink(missing_ok=True)
    return _sha256(content)


def load_model(path, *, device="cpu", sha256=None, trusted_modules=()):
    """Load a model written by :func:`save_model`, without unpickling anything.

    Parameters
    ----------
    path : str or path-like
        The directory given to :func:`save_model` (or its ``model.json``).
    device : str, default="cpu"
        Torch device for the networks, e.g. ``"cuda"``. Weights are read onto
        the CPU and then moved here, so a model trained on a GPU loads on a
        CPU-only machine. Every ``Sim2RealRegressor`` in the model gets this
        as its ``device`` parameter, so a refit also runs here.
    sha256 : str or None, default=None
        Expected SHA-256 of ``model.json``, as returned by :func:`save_model`.
        Checked before the file is parsed; the tensor file is always checked
        against the checksum recorded in ``model.json`` before it is read.
    trusted_modules : sequence of str, default=()
        Further modules (and their submodules) whose classes may be imported,
        e.g. ``["my_lab.bodies"]`` for a custom torch body given to the
        regressor as ``module=``. Importing a module runs its code: list only
        code you have installed and trust. Classes of ``sim2real_sklearn``
        and ``sklearn`` are always allowed.

    Returns
    -------
    estimator : estimator
        The fitted estimator; ``predict`` gives the same numbers as the saved
        one on the same device.

    Raises
    ------
    ValueError
        When a checksum does not match (naming the file), a class comes from
        an untrusted module, ``device`` is not available here, or the files
        are not a model of this format.
    FileNotFoundError
        When ``model.json`` or the tensor file is missing.

    Notes
    -----
    The rebuilt skorch ``net_`` predicts like the saved one; its optimizer
    state and training history are not saved, so ``net_.partial_fit`` would
    continue with a fresh optimizer. ``fit`` retrains from scratch as usual.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.pipeline import make_pipeline
    >>> from sim2real_sklearn import Sim2RealRegressor
    >>> X = np.random.default_rng(0).normal(size=(20, 3))
    >>> pipe = make_pipeline(StandardScaler(),
    ...                      Sim2RealRegressor((8,), finetune_epochs=2, random_state=0))
    >>> pipe = pipe.fit(X, X[:, 0])
    >>> folder = tempfile.mkdtemp()
    >>> _ = save_model(pipe, folder)
    >>> loaded = load_model(folder, device="cpu")
    >>> bool(np.array_equal(loaded.predict(X), pipe.predict(X)))
    True
    """
    device = check_device(device)
    trusted = _check_trusted_modules(trusted_modules)
    directory = Path(path)
    if directory.name == MODEL_FILE and directory.is_file():
        directory = directory.parent
    model_file = directory / MODEL_FILE
    if not model_file.is_file():
        raise FileNotFoundError(
            f"No {MODEL_FILE} in {str(directory)!r}: not a model saved by save_model."
        )

    raw = model_file.read_bytes()
    if sha256 is not None:
        _verify(MODEL_FILE, _sha256(raw), sha256)
    document = _parse_document(raw)
    _warn_on_version_change(document["versions"])

    weights = document["weights"]
    weights_file = directory / _check_file_name(weights.get("file"))
    if not weights_file.is_file():
        raise FileNotFoundError(
            f"The tensor file {str(weights_file)!r} named in {MODEL_FILE} is missing."
        )
    # Read once: the bytes checked are the bytes loaded.
    content = weights_file.read_bytes()
    _verify(weights_file.name, _sha256(content), weights.get("sha256"))
    tensors = _read_tensors(content, weights_file.name, weights.get("format"))

    decoder = Decoder(tensors, trusted, device)
    try:
        estimator = decoder.value(document["estimator"], "model")
    except (TypeError, KeyError, AttributeError, IndexError, RecursionError, RuntimeError) as exc:
        # An edited model.json: say so, whatever Python error the edit led to.
        raise ValueError(
            f"{model_file} does not describe a model this version can rebuild "
            f"({type(exc).__name__}: {exc}). Was it edited? Save the model again."
        ) from exc
    if not isinstance(estimator, BaseEstimator):
        raise ValueError(f"{MODEL_FILE} does not describe an estimator at its root.")
    return estimator


# -- writing --


def _tensor_bytes(tensors, weights_format):
    if weights_format == "safetensors":
        from safetensors.torch import save

        return save(tensors, metadata={"format": FORMAT_NAME})
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    return buffer.getvalue()


def _write_atomically(path, content):
    """Write to a temporary sibling, then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _model_files_in(directory, overwrite):
    """The files of the model already in ``directory`` (none if it is new or empty).

    Refuses a folder that holds anything save_model did not write, whatever
    ``overwrite`` says: the user's files are never replaced or deleted.
    """
    if not directory.exists():
        return set()
    if not directory.is_dir():
        raise NotADirectoryError(f"save_model writes a folder, but {str(directory)!r} is a file.")
    names = {p.name for p in directory.iterdir()}
    if not names:
        return set()
    ours = {n for n in names if _WRITTEN_BY_US.fullmatch(n)}
    if MODEL_FILE in names:
        try:
            document = _parse_document((directory / MODEL_FILE).read_bytes())
            ours |= {MODEL_FILE, document["weights"].get("file")}
        except ValueError:
            pass  # a model.json of somebody else's: not ours to replace
    others = sorted(names - ours)
    if others:
        raise FileExistsError(
            f"{str(directory)!r} holds files save_model did not write ({', '.join(others[:5])}"
            f"{', ...' if len(others) > 5 else ''}); save the model into a new or empty folder. "
            "save_model never replaces or deletes files it did not write."
        )
    if MODEL_FILE in ours and not overwrite:
        raise FileExistsError(
            f"{str(directory)!r} already holds a saved model; pass overwrite=True to replace it."
        )
    return ours


def _versions():
    from .._version import __version__

    return {"sim2real_sklearn": __version__, "sklearn": sklearn.__version__,
            "torch": torch.__version__.split("+")[0], "numpy": np.__version__}


def _check_weights_format(weights_format):
    if weights_format == "auto":
        return "safetensors" if _has_safetensors() else "torch"
    if weights_format not in _EXTENSIONS:
        raise ValueError(
            f"weights_format must be 'auto', 'safetensors' or 'torch', got {weights_format!r}."
        )
    if weights_format == "safetensors" and not _has_safetensors():
        raise ImportError("weights_format='safetensors' needs the safetensors package: "
                          "pip install safetensors (or use weights_format='torch').")
    return weights_format


def _has_safetensors():
    try:
        import safetensors.torch  # noqa: F401
    except ImportError:
        return False
    return True


def _sha256(content):
    return hashlib.sha256(content).hexdigest()


# -- reading --


def _read_tensors(content, name, weights_format):
    if weights_format == "safetensors":
        try:
            from safetensors.torch import load
        except ImportError as exc:
            raise ImportError(
                f"{name} is in the safetensors format: pip install safetensors to load it."
            ) from exc
        reader = load  # always onto the CPU
    elif weights_format == "torch":
        # Tensors only (weights_only), read onto the CPU whatever device they were saved from.
        def reader(data):
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    else:
        raise ValueError(f"Unknown tensor file format {weights_format!r} in {MODEL_FILE}.")
    try:
        tensors = reader(content)
    except Exception as exc:  # each format's reader has errors of its own
        raise ValueError(f"{name} is not a valid {weights_format} tensor file: {exc}") from exc
    if not (isinstance(tensors, dict) and all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items())):
        raise ValueError(f"{name} does not hold a mapping of names to tensors.")
    return tensors


def _parse_document(raw):
    def refuse_constant(name):
        raise ValueError(f"{MODEL_FILE} contains the non-JSON constant {name}.")

    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{MODEL_FILE} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ValueError(f"{MODEL_FILE} is not a model saved by sim2real_sklearn.save_model.")
    version = document.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{MODEL_FILE} has format version {version!r}; this sim2real_sklearn reads up to "
            f"{FORMAT_VERSION}. Upgrade sim2real_sklearn to load it."
        )
    for key in ("versions", "weights", "estimator"):
        if not isinstance(document.get(key), dict):
            raise ValueError(f"{MODEL_FILE} lacks its {key!r} section.")
    return document


def _check_file_name(name):
    if not (isinstance(name, str) and _TENSOR_FILE.fullmatch(name)):
        raise ValueError(f"{MODEL_FILE} names an unexpected tensor file {name!r}.")
    return name


def _verify(name, actual, expected):
    if not isinstance(expected, str) or actual != expected.lower():
        raise ValueError(
            f"Checksum mismatch for {name}: expected SHA-256 {expected}, got {actual}. "
            "The file is corrupt or was modified; do not use it (download it again)."
        )


def _warn_on_version_change(versions):
    """Warn when another scikit-learn or a newer sim2real_sklearn saved the model."""
    from .._version import __version__

    saved = versions.get("sklearn")
    if saved != sklearn.__version__:
        warnings.warn(InconsistentVersionWarning(
            estimator_name="the saved model", current_sklearn_version=sklearn.__version__,
            original_sklearn_version=saved), stacklevel=3)
    saved = versions.get("sim2real_sklearn")
    if not isinstance(saved, str) or _version_key(saved) > _version_key(__version__):
        warnings.warn(ModelVersionWarning(saved_version=saved, current_version=__version__),
                      stacklevel=3)


def _version_key(version):
    parts = []
    for part in version.split("."):
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _check_trusted_modules(trusted_modules):
    if isinstance(trusted_modules, str):
        trusted_modules = [trusted_modules]
    for name in trusted_modules:
        if not isinstance(name, str) or not all(p.isidentifier() for p in name.split(".")):
            raise ValueError(f"trusted_modules must be module names, got {name!r}.")
    return tuple(trusted_modules)
