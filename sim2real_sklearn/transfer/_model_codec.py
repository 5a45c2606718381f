"""Estimators to JSON nodes and tensors, and back: the codec behind save_model and load_model.

:class:`Encoder` walks an estimator's parameters and fitted attributes and
writes each value as JSON (numbers, strings, lists, tuples, dicts, slices,
nested estimators, torch module classes) or as a reference into the tensor
file (numeric arrays, network weights); it refuses anything else, naming the
attribute. :class:`Decoder` rebuilds the estimator, importing classes only
from trusted modules, and rebuilds each regressor's torch network from its
architecture and weights.
"""

import functools
import importlib
import inspect
import math

import joblib
import numpy as np
import sklearn
import torch
from sklearn.base import BaseEstimator
from torch import nn

from ._networks import MaskedLoss, Sim2RealNetwork
from ._regressor import Sim2RealRegressor
from ._training import _make_net

# The file that names every tensor (used in messages).
MODEL_FILE = "model.json"

# Array dtypes stored in the tensor file: booleans, integers, floats.
_TENSOR_KINDS = "biuf"


class Encoder:
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
        if isinstance(estimator, Sim2RealRegressor):
            # Callbacks act during training only (loggers, pruning, schedules already
            # applied): a saved model does not carry them.
            params["callbacks"] = None
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
        if not isinstance(criterion, MaskedLoss):
            raise TypeError(f"Cannot save {where}.criterion: only MaskedLoss is supported.")
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
            "kind": criterion.kind,
            "weighted": bool(getattr(criterion, "weighted", False)),
        }
        return {
            "n_tasks": module.heads.out_features,
            "body_frozen": bool(module.body_frozen),
            "frozen_layers": int(module.frozen_layers),
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


class Decoder:
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
        unknown = sorted(set(params) - set(estimator.get_params(deep=False)))
        if unknown:  # an estimator that keeps unknown keywords aside, to refuse them at fit
            raise ValueError(f"Cannot construct {where}: unknown parameters {unknown}.")
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
        criterion = MaskedLoss(**self.mapping(node["loss"], where))
        # Building the layers draws initial weights: keep the user's torch RNG untouched.
        with torch.random.fork_rng(devices=[]):
            spec = regressor._body_spec(int(node["n_tasks"]))
            body = spec["module"](n_features_in=spec["n_features_in"], **spec["params"])
            network = Sim2RealNetwork(body, n_tasks=spec["n_tasks"])
        if node["body_frozen"]:
            network.freeze_body()
        elif node.get("frozen_layers"):  # a partly frozen body (absent in older files)
            network.freeze_body(int(node["frozen_layers"]))
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


# Classes of this package a saved model may name. A file names a class by
# its path; it is looked up here *before* anything is imported, so that a
# model file never chooses which code runs. (A test checks that every
# estimator and torch module class of the package is listed or deliberately left out.)
PACKAGE_CLASSES = frozenset({
    "sim2real_sklearn.transfer._regressor:Sim2RealRegressor",
    "sim2real_sklearn.transfer._networks:MLPBody",
    "sim2real_sklearn.transfer._networks:Sim2RealNetwork",
    "sim2real_sklearn.transfer._pipeline:FitOnSource",
    "sim2real_sklearn.featurizers._molecules:MorganFingerprint",
    "sim2real_sklearn.featurizers._molecules:RDKitDescriptors",
    "sim2real_sklearn.featurizers._pairs:PairFeaturizer",
    "sim2real_sklearn.featurizers._composition:CompositionFeaturizer",
    "sim2real_sklearn.featurizers._ffkm:ForceFieldKernelMean",
    "sim2real_sklearn.scaling._power_law:PowerLaw",
    "sim2real_sklearn.scaling._two_way_law:TwoWayPowerLaw",
})


def _resolve_class(path, base, trusted, where):
    """The class ``module:qualname``, if it is allowed, and only then imported.

    Allowed: the classes of this package listed in :data:`PACKAGE_CLASSES`,
    scikit-learn's estimators (its own list, ``all_estimators``), and classes
    of the modules the user names in ``trusted_modules``.
    """
    if not isinstance(path, str) or path.count(":") != 1:
        raise ValueError(f"Unreadable class path {path!r} at {where} in {MODEL_FILE}.")
    module_name, qualname = path.split(":")
    if not all(part.isidentifier() for part in module_name.split(".") + qualname.split(".")):
        raise ValueError(f"Unreadable class path {path!r} at {where} in {MODEL_FILE}.")
    user_trusted = _is_trusted(module_name, trusted)
    if not (user_trusted or path in PACKAGE_CLASSES or path in _sklearn_estimators()):
        raise ValueError(
            f"Refusing to load {where}: the class {module_name}.{qualname} is not one load_model "
            "allows (the estimators of scikit-learn and sim2real_sklearn, and classes of "
            f"trusted_modules={list(trusted)}); nothing was imported. If you trust this file "
            f"and the installed module, pass trusted_modules=[{module_name!r}]; for models "
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


@functools.cache
def _sklearn_estimators():
    """Paths of scikit-learn's estimators, from scikit-learn's own list.

    Importing them all (about 2 s, once per process) is independent of the
    file being read: the file cannot choose what is imported.
    """
    from sklearn.utils.discovery import all_estimators

    return frozenset(f"{cls.__module__}:{cls.__qualname__}" for _, cls in all_estimators())


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


