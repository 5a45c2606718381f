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
``weights.safetensors`` (or ``weights.pt``)
    Every numeric array: the network weights (its ``state_dict``) and fitted
    arrays such as a scaler's ``mean_``. The ``safetensors`` format when the
    ``safetensors`` package is installed, otherwise torch's format, read back
    with ``torch.load(weights_only=True)``. Both hold tensors only.

:func:`load_model` reads the JSON with :mod:`json` and the tensors with a
tensor-only reader, imports classes only from trusted modules
(``sim2real_sklearn`` and ``sklearn``, plus any you name), constructs each
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
import importlib
import inspect
import io
import json
import math
import warnings
from pathlib import Path

import joblib
import numpy as np
import sklearn
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._validation import check_device
from ._networks import MaskedMSELoss, Sim2RealNetwork
from ._regressor import Sim2RealRegressor
from ._training import _make_net

__all__ = ["save_model", "load_model"]

FORMAT_NAME = "sim2real_sklearn.model"
FORMAT_VERSION = 1
MODEL_FILE = "model.json"
WEIGHT_FILES = {"safetensors": "weights.safetensors", "torch": "weights.pt"}
TRUSTED_MODULES = ("sim2real_sklearn", "sklearn")

# Array dtypes stored in the tensor file: booleans, integers, floats.
_TENSOR_KINDS = "biuf"


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
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(
            f"save_model writes a directory, but {str(directory)!r} is a file."
        )
    if (directory / MODEL_FILE).exists() and not overwrite:
        raise FileExistsError(
            f"{str(directory)!r} already holds a saved model; pass overwrite=True to replace it."
        )

    # Encode everything before touching the disk: a refused attribute leaves no half-written model.
    encoder = _Encoder()
    root = encoder.value(estimator, type(estimator).__name__)
    directory.mkdir(parents=True, exist_ok=True)
    weights_file = directory / WEIGHT_FILES[weights_format]
    _write_tensors(encoder.tensors, weights_file, weights_format)
    for name in WEIGHT_FILES.values():
        if name != weights_file.name:
            (directory / name).unlink(missing_ok=True)

    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "weights": {
            "file": weights_file.name,
            "format": weights_format,
            "sha256": _sha256(weights_file.read_bytes()),
        },
        "estimator": root,
    }
    # Written last, so a directory with a model.json always holds a complete model.
    text = json.dumps(document, indent=1, allow_nan=False)
    content = text.encode("utf-8")
    (directory / MODEL_FILE).write_bytes(content)
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

    decoder = _Decoder(tensors, trusted, device)
    estimator = decoder.value(document["estimator"], "model")
    if not isinstance(estimator, BaseEstimator):
        raise ValueError(f"{MODEL_FILE} does not describe an estimator at its root.")
    return estimator


# -- writing --


class _Encoder:
    """Turns an estimator into JSON-ready nodes, collecting arrays as tensors.

    ``where`` is the attribute path of the value being encoded, e.g.
    ``Pipeline.steps[1][1].mean_``: it names the culprit in error messages
    and keys the value's tensor in the tensor file.
    """

    def __init__(self):
        self.tensors = {}

    def value(self, value, where):
        if value is None or isinstance(value, (bool, str)):
            return value
        if type(value) is int:
            return value
        if type(value) is float:
            # JSON has no NaN or infinity; Python's float repr round-trips exactly.
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, np.generic) and value.dtype.kind in _TENSOR_KINDS:
            return {"__scalar__": value.dtype.str, "value": self.value(value.item(), where)}
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, tuple):
            return {"__tuple__": [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {"__dict__": self.mapping(value, where)}
        if isinstance(value, slice):
            bounds = (value.start, value.stop, value.step)
            return {"__slice__": [self.value(v, where) for v in bounds]}
        if isinstance(value, BaseEstimator):
            return {"__estimator__": self.estimator(value, where)}
        if inspect.isclass(value) and issubclass(value, nn.Module):
            return {"__class__": _class_path(value, where)}
        raise TypeError(_refusal(value, where))

    def mapping(self, mapping, where, attributes=False):
        for key in mapping:
            if not isinstance(key, str):
                raise TypeError(
                    f"Cannot save {where}: its key {key!r} is a {type(key).__name__}, and "
                    "save_model stores dicts with string keys only. Use pickle or joblib."
                )
        return {key: self.value(v, f"{where}.{key}" if attributes else f"{where}[{key!r}]")
                for key, v in mapping.items()}

    def array(self, array, where):
        if array.dtype.kind in "US" or (
            array.dtype.kind == "O" and all(isinstance(v, str) for v in array.flat)
        ):
            # Column names and categories: text belongs in the JSON.
            return {"__strings__": array.tolist(), "dtype": array.dtype.str,
                    "shape": list(array.shape)}
        if array.dtype.kind not in _TENSOR_KINDS:
            raise TypeError(
                f"Cannot save {where}: an array of dtype {array.dtype} is neither numeric "
                "nor text. Use pickle or joblib for this model."
            )
        native = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
        try:
            tensor = torch.from_numpy(native).clone()
        except TypeError as exc:
            raise TypeError(
                f"Cannot save {where}: torch cannot hold dtype {array.dtype} ({exc})."
            ) from exc
        return {"__array__": self.add_tensor(where, tensor), "dtype": array.dtype.str}

    def add_tensor(self, where, tensor):
        key, n = where, 1
        while key in self.tensors:
            n += 1
            key = f"{where}#{n}"
        self.tensors[key] = tensor
        return key

    def estimator(self, estimator, where):
        params = estimator.get_params(deep=False)
        # Every attribute that is not a parameter is fitted state, private ones
        # included: ColumnTransformer.transform needs its `_columns` and `_remainder`.
        state = {k: v for k, v in vars(estimator).items() if k not in params}
        node = {
            "class": _class_path(type(estimator), where),
            "params": self.mapping(params, where, attributes=True),
        }
        requests = state.pop("_metadata_request", None)
        if requests is not None:
            node["metadata_requests"] = _metadata_requests(requests, where)
        net = state.pop("net_", None)
        if net is not None:
            if not isinstance(estimator, Sim2RealRegressor):
                raise TypeError(
                    f"Cannot save {where}.net_: only Sim2RealRegressor networks are supported."
                )
            node["network"] = self.network(net, f"{where}.net_")
        node["state"] = self.mapping(state, where, attributes=True)
        return node

    def network(self, net, where):
        module = getattr(net, "module_", None)
        if not isinstance(module, Sim2RealNetwork):
            raise TypeError(f"Cannot save {where}: its module_ is not a Sim2RealNetwork.")
        state_dict = {}
        for name, tensor in module.state_dict().items():
            # On the CPU and unshared: the file must not depend on where the model was trained.
            state_dict[name] = self.add_tensor(f"{where}.module_.{name}",
                                               tensor.detach().to("cpu").clone().contiguous())
        # The last phase's training settings: they do not change predictions,
        # but keep the rebuilt net configured like the saved one.
        params = net.get_params(deep=False)
        criterion = net.criterion
        if not isinstance(criterion, MaskedMSELoss):
            raise TypeError(f"Cannot save {where}.criterion: only MaskedMSELoss is supported.")
        training = {
            "epochs": net.max_epochs,
            "lr": net.lr,
            "batch_size": net.batch_size,
            "weight_decay": params.get("optimizer__weight_decay", 0.0),
            "seed": params.get("iterator_train__seed", 0),
        }
        weights = criterion.task_weights
        loss = {
            "tasks": criterion.tasks,
            "task_weights": None if weights is None else weights.tolist(),
            "masked": bool(criterion.masked),
        }
        return {
            "n_tasks": module.heads.out_features,
            "body_frozen": bool(module.body_frozen),
            "training": self.mapping(training, where),
            "loss": self.mapping(loss, where),
            "state_dict": state_dict,
        }


def _refusal(value, where):
    if isinstance(value, joblib.Memory):
        hint = ("A joblib.Memory object cannot be stored as data: set the parameter to "
                "its cache directory (a str) or None before saving.")
    elif callable(value) and not inspect.isclass(value):
        hint = ("A function is code, and this format stores data only. Save this model "
                "with pickle or joblib.")
    else:
        hint = ("save_model stores numbers, strings, arrays, lists, tuples, dicts, slices, "
                "None and scikit-learn estimators. Save this model with pickle or joblib.")
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    return f"Cannot save {where}: it is a {kind}. {hint}"


def _metadata_requests(requests, where):
    """The routing requests set with ``set_<method>_request``, as {method: {param: alias}}."""
    methods = {}
    for method, request in vars(requests).items():
        if hasattr(request, "requests"):
            methods[method] = {k: v for k, v in request.requests.items()}
    for method, values in methods.items():
        for param, alias in values.items():
            if not (alias is None or isinstance(alias, (bool, str))):
                raise TypeError(
                    f"Cannot save {where}: metadata request {method}({param}={alias!r})."
                )
    return methods


def _class_path(cls, where):
    module, qualname = cls.__module__, cls.__qualname__
    if module == "__main__" or "<locals>" in qualname:
        raise TypeError(
            f"Cannot save {where}: the class {qualname} is defined in "
            f"{module if module == '__main__' else 'a function'}, so it cannot be imported "
            "by name when loading. Move it to an importable module (and name that module "
            "in load_model(trusted_modules=...)), or use pickle or joblib."
        )
    return f"{module}:{qualname}"


def _write_tensors(tensors, file, weights_format):
    if weights_format == "safetensors":
        from safetensors.torch import save_file

        save_file(tensors, str(file), metadata={"format": FORMAT_NAME})
    else:
        torch.save(tensors, file)


def _versions():
    from .._version import __version__

    return {"sim2real_sklearn": __version__, "sklearn": sklearn.__version__,
            "torch": torch.__version__.split("+")[0], "numpy": np.__version__}


def _check_weights_format(weights_format):
    if weights_format == "auto":
        return "safetensors" if _has_safetensors() else "torch"
    if weights_format not in WEIGHT_FILES:
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


class _Decoder:
    """Rebuilds values from the nodes written by :class:`_Encoder`."""

    def __init__(self, tensors, trusted, device):
        self.tensors = tensors
        self.trusted = trusted
        self.device = device

    def value(self, node, where):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if not isinstance(node, dict):
            raise ValueError(f"Unreadable entry at {where} in {MODEL_FILE}.")
        tag = next((key for key in node if key.startswith("__")), None)
        if tag == "__tuple__":
            return tuple(self.value(v, f"{where}[{i}]") for i, v in enumerate(node[tag]))
        if tag == "__dict__":
            return self.mapping(node[tag], where)
        if tag == "__float__":
            if node[tag] not in ("nan", "inf", "-inf"):
                raise ValueError(f"Unreadable float {node[tag]!r} at {where} in {MODEL_FILE}.")
            return float(node[tag])
        if tag == "__scalar__":
            return _numeric_dtype(node[tag], where).type(self.value(node["value"], where))
        if tag == "__array__":
            return self.array(node, where)
        if tag == "__strings__":
            dtype = np.dtype(node["dtype"]) if node["dtype"] != "|O" else object
            if np.dtype(dtype).kind not in "USO":
                raise ValueError(f"Unreadable text array at {where} in {MODEL_FILE}.")
            return np.array(node[tag], dtype=dtype).reshape(node["shape"])
        if tag == "__slice__":
            return slice(*(self.value(v, where) for v in node[tag]))
        if tag == "__estimator__":
            return self.estimator(node[tag], where)
        if tag == "__class__":
            return _resolve_class(node[tag], nn.Module, self.trusted, where)
        raise ValueError(f"Unreadable entry {tag!r} at {where} in {MODEL_FILE}.")

    def mapping(self, node, where):
        if not isinstance(node, dict):
            raise ValueError(f"Unreadable entry at {where} in {MODEL_FILE}: expected a mapping.")
        return {key: self.value(v, f"{where}[{key!r}]") for key, v in node.items()}

    def tensor(self, key, where):
        if not isinstance(key, str) or key not in self.tensors:
            raise ValueError(f"The tensor file has no tensor {key!r}, needed by {where}.")
        return self.tensors[key]

    def array(self, node, where):
        dtype = _numeric_dtype(node["dtype"], where)
        # An owned, writable copy: the tensor may view the file's read-only bytes.
        return self.tensor(node["__array__"], where).numpy().astype(dtype, copy=True)

    def estimator(self, node, where):
        cls = _resolve_class(node["class"], BaseEstimator, self.trusted, where)
        where = f"{where} ({cls.__name__})"
        params = self.mapping(node["params"], where)
        if issubclass(cls, Sim2RealRegressor):
            params["device"] = self.device
        try:
            estimator = cls(**params)
        except TypeError as exc:
            raise ValueError(f"Cannot construct {where} from its saved parameters: {exc}") from exc
        for name, value in self.mapping(node["state"], where).items():
            if not name.isidentifier() or name.startswith("__"):
                raise ValueError(f"Refusing to set the attribute {name!r} of {where}.")
            setattr(estimator, name, value)
        if node.get("metadata_requests"):
            _set_metadata_requests(estimator, node["metadata_requests"], where)
        if "network" in node:
            estimator.net_ = self.network(estimator, node["network"], f"{where}.net_")
        return estimator

    def network(self, regressor, node, where):
        training = self.mapping(node["training"], where)
        criterion = MaskedMSELoss(**self.mapping(node["loss"], where))
        # Building the layers draws initial weights: keep the user's torch RNG untouched.
        with torch.random.fork_rng(devices=[]):
            spec = regressor._body_spec(int(node["n_tasks"]))
            body = spec["module"](n_features_in=spec["n_features_in"], **spec["params"])
            network = Sim2RealNetwork(body, n_tasks=spec["n_tasks"])
        if node["body_frozen"]:
            network.freeze_body()
        net = _make_net(
            network, epochs=training["epochs"], lr=training["lr"],
            batch_size=training["batch_size"], weight_decay=training["weight_decay"],
            criterion=criterion, seed=int(training["seed"]),
            device=self.device,
        )
        net.initialize()
        state_dict = {name: self.tensor(key, where) for name, key in node["state_dict"].items()}
        try:
            # Copies the CPU tensors into the parameters, which live on `device`.
            net.module_.load_state_dict(state_dict)
        except RuntimeError as exc:
            raise ValueError(
                f"The saved weights do not fit the network rebuilt for {where}: {exc}"
            ) from exc
        return net


def _set_metadata_requests(estimator, requests, where):
    with sklearn.config_context(enable_metadata_routing=True):
        for method, values in requests.items():
            values = {k: v for k, v in values.items()}
            setter = getattr(estimator, f"set_{method}_request", None)
            if setter is not None and values:
                setter(**values)
            elif any(v is not None for v in values.values()):
                raise ValueError(
                    f"Cannot restore the metadata requests of {where}.{method}: {values}."
                )


def _resolve_class(path, base, trusted, where):
    """Import the class ``module:qualname`` if its module is trusted and it is a ``base``."""
    if not isinstance(path, str) or path.count(":") != 1:
        raise ValueError(f"Unreadable class path {path!r} at {where} in {MODEL_FILE}.")
    module_name, qualname = path.split(":")
    if not all(part.isidentifier() for part in module_name.split(".") + qualname.split(".")):
        raise ValueError(f"Unreadable class path {path!r} at {where} in {MODEL_FILE}.")
    if not _is_trusted(module_name, trusted):
        raise ValueError(
            f"Refusing to load {where}: the class {module_name}.{qualname} is not from a trusted "
            f"module ({', '.join(trusted)}). load_model imports nothing else. If you trust this "
            f"file and the installed module, pass trusted_modules=[{module_name!r}]; for models "
            "made of arbitrary code, share them with pickle or joblib instead."
        )
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(
            f"Cannot load {where}: module {module_name!r} cannot be imported ({exc})."
        ) from exc
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    # Only a class defined where the file says: no functions, no re-exported names.
    if not (inspect.isclass(obj) and issubclass(obj, base)
            and obj.__module__ == module_name and obj.__qualname__ == qualname):
        raise ValueError(
            f"Refusing to load {where}: {module_name}.{qualname} is not a "
            f"{base.__module__}.{base.__qualname__} class."
        )
    return obj


def _is_trusted(module_name, trusted):
    return any(module_name == prefix or module_name.startswith(prefix + ".") for prefix in trusted)


def _numeric_dtype(code, where):
    try:
        dtype = np.dtype(code)
    except TypeError as exc:
        raise ValueError(f"Unreadable dtype {code!r} at {where} in {MODEL_FILE}.") from exc
    if dtype.kind not in _TENSOR_KINDS:
        raise ValueError(f"Unexpected dtype {code!r} at {where} in {MODEL_FILE}.")
    return dtype


def _read_tensors(content, name, weights_format):
    if weights_format == "safetensors":
        try:
            from safetensors.torch import load
        except ImportError as exc:
            raise ImportError(
                f"{name} is in the safetensors format: pip install safetensors to load it."
            ) from exc
        tensors = load(content)  # always onto the CPU
    elif weights_format == "torch":
        # Tensors only (weights_only), read onto the CPU whatever device they were saved from.
        tensors = torch.load(io.BytesIO(content), map_location="cpu", weights_only=True)
    else:
        raise ValueError(f"Unknown tensor file format {weights_format!r} in {MODEL_FILE}.")
    if not (isinstance(tensors, dict) and all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items())):
        raise ValueError(f"{name} does not hold a mapping of names to tensors.")
    return tensors


def _parse_document(raw):
    def refuse_constant(name):
        raise ValueError(f"{MODEL_FILE} contains the non-JSON constant {name}.")

    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
    if name not in WEIGHT_FILES.values():
        raise ValueError(f"{MODEL_FILE} names an unexpected tensor file {name!r}.")
    return name


def _verify(name, actual, expected):
    if not isinstance(expected, str) or actual != expected.lower():
        raise ValueError(
            f"Checksum mismatch for {name}: expected SHA-256 {expected}, got {actual}. "
            "The file is corrupt or was modified; do not use it (download it again)."
        )


def _warn_on_version_change(versions):
    saved = versions.get("sklearn")
    if saved != sklearn.__version__:
        warnings.warn(
            f"This model was saved with scikit-learn {saved} and is loaded with "
            f"{sklearn.__version__}; fitted attributes may have changed meaning between "
            "versions. Check its predictions, or refit it.",
            UserWarning,
            stacklevel=3,
        )


def _check_trusted_modules(trusted_modules):
    if isinstance(trusted_modules, str):
        trusted_modules = [trusted_modules]
    for name in trusted_modules:
        if not isinstance(name, str) or not all(p.isidentifier() for p in name.split(".")):
            raise ValueError(f"trusted_modules must be module names, got {name!r}.")
    return TRUSTED_MODULES + tuple(trusted_modules)
