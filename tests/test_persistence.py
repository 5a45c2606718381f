"""Sharing a fitted model as data: save it, load it anywhere, never run code from the file."""

import inspect
import json
import pickle
import sys

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from joblib import Memory
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler
from torch import nn

from sim2real_sklearn import (
    FitOnSource,
    Sim2RealRegressor,
    load_model,
    make_sim2real_pipeline,
    save_model,
)

TINY = dict(hidden_layer_sizes=(8, 4), pretrain_epochs=2, finetune_epochs=2,
            pretrain_batch_size=16, finetune_batch_size=8, random_state=0)


def data(n_source=60, n_target=20, n_features=4, n_source_properties=None, seed=0):
    rng = np.random.default_rng(seed)
    X_source = rng.normal(size=(n_source, n_features))
    X = rng.normal(size=(n_target, n_features))
    y_source = np.sin(X_source[:, 0]) + X_source[:, 1]
    if n_source_properties is not None:
        y_source = np.column_stack([y_source * (k + 1) for k in range(n_source_properties)])
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1]
    X_test = rng.normal(size=(50, n_features))
    return X_source, y_source, X, y, X_test


def fitted_regressor(n_source_properties=None, use_source=True, **params):
    X_source, y_source, X, y, X_test = data(n_source_properties=n_source_properties)
    model = Sim2RealRegressor(**{**TINY, **params})
    if use_source:
        model.fit(X, y, X_source=X_source, y_source=y_source)
    else:
        model.fit(X, y)
    return model, X_test


CASES = {
    "finetune": dict(strategy="finetune"),
    "freeze_batch_norm": dict(strategy="freeze", batch_norm=True, dropout=0.1),
    "multitask": dict(strategy="multitask", source_weight=0.5),
    "two_source_properties": dict(n_source_properties=2, reuse_source_head=False),
    "no_source": dict(use_source=False, activation="tanh"),
}


@pytest.mark.parametrize("weights_format", ["safetensors", "torch"])
@pytest.mark.parametrize("case", CASES)
def test_a_saved_regressor_predicts_the_same_numbers_after_loading(case, weights_format, tmp_path):
    model, X_test = fitted_regressor(**CASES[case])
    save_model(model, tmp_path, weights_format=weights_format)
    loaded = load_model(tmp_path)

    assert type(loaded) is Sim2RealRegressor
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    if model.n_source_tasks_:
        np.testing.assert_array_equal(loaded.source_mean_, model.source_mean_)
        np.testing.assert_array_equal(loaded.predict_source(X_test), model.predict_source(X_test))
    assert loaded.finetune_history_ == model.finetune_history_
    assert loaded.net_.module_.body_frozen == model.net_.module_.body_frozen


def test_a_loaded_frozen_body_stays_frozen_and_keeps_its_batch_norm_statistics(tmp_path):
    model, _ = fitted_regressor(strategy="freeze", batch_norm=True)
    save_model(model, tmp_path)
    loaded = load_model(tmp_path)
    body = loaded.net_.module_.body
    loaded.net_.module_.train()
    assert not body.training
    assert not any(p.requires_grad for p in body.parameters())
    bn_saved, bn_loaded = model.net_.module_.body.layers[1], body.layers[1]
    torch.testing.assert_close(bn_loaded.running_mean, bn_saved.running_mean, rtol=0, atol=0)
    assert int(bn_loaded.num_batches_tracked) == int(bn_saved.num_batches_tracked) > 0


def test_the_loaded_regressor_can_be_refitted_like_a_fresh_one(tmp_path):
    model, X_test = fitted_regressor()
    save_model(model, tmp_path)
    X_source, y_source, X, y, _ = data(seed=1)
    refitted = load_model(tmp_path).fit(X, y, X_source=X_source, y_source=y_source)
    fresh = Sim2RealRegressor(**TINY).fit(X, y, X_source=X_source, y_source=y_source)
    np.testing.assert_array_equal(refitted.predict(X_test), fresh.predict(X_test))


def frame(X):
    return pd.DataFrame(X, columns=["a", "b", "c", "d"])


def test_a_sim2real_pipeline_with_column_transformer_round_trips(tmp_path):
    X_source, y_source, X, y, X_test = data()
    columns = ColumnTransformer(
        [("std", StandardScaler(), ["a", "b"]), ("minmax", MinMaxScaler((-1, 1)), ["c"])],
        remainder=FunctionTransformer(),
    )
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_sim2real_pipeline(FitOnSource(columns), Sim2RealRegressor(**TINY))
        pipe.fit(frame(X), y, X_source=frame(X_source), y_source=y_source)
    save_model(pipe, tmp_path)
    loaded = load_model(tmp_path)

    np.testing.assert_array_equal(loaded.predict(frame(X_test)), pipe.predict(frame(X_test)))
    assert [name for name, _ in loaded.steps] == [name for name, _ in pipe.steps]
    assert loaded.transform_input == ["X_source"]
    fitted_columns = loaded[0].transformer_
    assert list(fitted_columns.feature_names_in_) == ["a", "b", "c", "d"]
    assert fitted_columns.output_indices_ == pipe[0].transformer_.output_indices_
    assert loaded[0].fitted_on_source_


def test_a_plain_pipeline_of_scalers_round_trips_and_keeps_routing_requests(tmp_path):
    _, _, X, y, X_test = data()
    scaler = StandardScaler()
    with sklearn.config_context(enable_metadata_routing=True):
        scaler.set_fit_request(sample_weight=True)
        pipe = make_pipeline(scaler, MinMaxScaler(), Sim2RealRegressor(**TINY),
                             memory=str(tmp_path / "cache"))
        pipe.fit(X, y, sample_weight=np.ones(len(y)))
    save_model(pipe, tmp_path / "model")
    loaded = load_model(tmp_path / "model")

    np.testing.assert_array_equal(loaded.predict(X_test), pipe.predict(X_test))
    assert loaded.memory == str(tmp_path / "cache")
    np.testing.assert_array_equal(loaded[0].mean_, pipe[0].mean_)
    assert loaded[0].n_samples_seen_ == pipe[0].n_samples_seen_
    assert type(loaded[0].n_samples_seen_) is type(pipe[0].n_samples_seen_)
    with sklearn.config_context(enable_metadata_routing=True):
        assert loaded[0].get_metadata_routing().fit.requests == {"sample_weight": True}


def test_pickle_keeps_working_for_a_fitted_pipeline():
    X_source, y_source, X, y, X_test = data()
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_sim2real_pipeline(FitOnSource(StandardScaler()), Sim2RealRegressor(**TINY))
        pipe.fit(X, y, X_source=X_source, y_source=y_source)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(X_test), pipe.predict(X_test))


def test_save_model_returns_the_checksum_that_verifies_the_download(tmp_path):
    model, X_test = fitted_regressor()
    checksum = save_model(model, tmp_path)
    assert len(checksum) == 64
    np.testing.assert_array_equal(load_model(tmp_path, sha256=checksum).predict(X_test),
                                  model.predict(X_test))
    with pytest.raises(ValueError, match="Checksum mismatch for model.json"):
        load_model(tmp_path, sha256="0" * 64)


@pytest.mark.parametrize("weights_format", ["safetensors", "torch"])
def test_a_tampered_weights_file_is_refused_before_it_is_read(weights_format, tmp_path,
                                                               monkeypatch):
    model, _ = fitted_regressor()
    save_model(model, tmp_path, weights_format=weights_format)
    weights = next(tmp_path.glob("weights-*"))
    content = bytearray(weights.read_bytes())
    content[-1] ^= 0xFF
    weights.write_bytes(bytes(content))

    def must_not_read(*args, **kwargs):
        raise AssertionError("the tensor file was read before its checksum was verified")

    monkeypatch.setattr(torch, "load", must_not_read)
    monkeypatch.setattr("safetensors.torch.load", must_not_read)
    with pytest.raises(ValueError, match=f"Checksum mismatch for {weights.name}"):
        load_model(tmp_path)


def rewrite_json(folder, edit):
    path = folder / "model.json"
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize("class_path", [
    "os:system",
    "sklearn_evil.estimators:Model",
    "sklearn.utils.validation:check_array",
    "sklearn.datasets._openml:fetch_openml",
    "sim2real_sklearn.transfer._regressor:torch",
    "sim2real_sklearn.cli:main",
])
def test_a_json_naming_code_outside_the_allowlist_is_refused_before_any_import(
        class_path, tmp_path, monkeypatch):
    from sim2real_sklearn.transfer import _model_codec

    model, _ = fitted_regressor()
    save_model(model, tmp_path)
    rewrite_json(tmp_path,
                 lambda doc: doc["estimator"]["__estimator__"].update({"class": class_path}))
    imported = []
    real_import = _model_codec.importlib.import_module
    monkeypatch.setattr(_model_codec.importlib, "import_module",
                        lambda name, *a: imported.append(name) or real_import(name, *a))
    with pytest.raises(ValueError, match="is not one load_model allows.*nothing was imported"):
        load_model(tmp_path)
    assert class_path.split(":")[0] not in imported


def test_every_estimator_class_of_the_package_is_on_the_allowlist():
    import importlib
    import pkgutil

    import sim2real_sklearn
    from sim2real_sklearn.transfer._model_codec import PACKAGE_CLASSES

    # Estimators that hold something save_model cannot store (a study, a result), a
    # stand-in for tests, and the loss, which is rebuilt from its settings.
    not_saveable = {"sim2real_sklearn.scaling._meta_estimator:ScalingCurve",
                    "sim2real_sklearn._testing:RidgeTransfer",
                    "sim2real_sklearn.transfer._networks:MaskedLoss"}
    found = set()
    for info in pkgutil.walk_packages(sim2real_sklearn.__path__, "sim2real_sklearn."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (cls.__module__ == info.name and not inspect.isabstract(cls)
                    and not cls.__name__.startswith("_")
                    and (issubclass(cls, BaseEstimator) or issubclass(cls, nn.Module))):
                found.add(f"{cls.__module__}:{cls.__qualname__}")
    assert found - not_saveable == set(PACKAGE_CLASSES)


def test_a_json_that_sets_special_attributes_is_refused(tmp_path):
    model, _ = fitted_regressor()
    save_model(model, tmp_path)
    rewrite_json(tmp_path, lambda doc: doc["estimator"]["__estimator__"]["state"].update(
        {"__class__": {"__class__": "sim2real_sklearn.transfer._networks:MLPBody"}}))
    with pytest.raises(ValueError, match="Refusing to set the attribute '__class__'"):
        load_model(tmp_path)


def test_loading_never_unpickles(tmp_path, monkeypatch):
    X_source, y_source, X, y, X_test = data()
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_sim2real_pipeline(FitOnSource(StandardScaler()), Sim2RealRegressor(**TINY))
        pipe.fit(X, y, X_source=X_source, y_source=y_source)
    expected = pipe.predict(X_test)
    save_model(pipe, tmp_path / "safetensors", weights_format="safetensors")
    save_model(pipe, tmp_path / "torch", weights_format="torch")

    def no_pickle(*args, **kwargs):
        raise AssertionError("load_model called pickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, no_pickle)
    for folder in ("safetensors", "torch"):
        np.testing.assert_array_equal(load_model(tmp_path / folder).predict(X_test), expected)


def test_without_safetensors_the_weights_fall_back_to_torch_tensors(tmp_path, monkeypatch):
    model, X_test = fitted_regressor()
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    save_model(model, tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[0] == "model.json" and names[1].endswith(".pt") and len(names) == 2
    np.testing.assert_array_equal(load_model(tmp_path).predict(X_test), model.predict(X_test))
    with pytest.raises(ImportError, match="pip install safetensors"):
        save_model(model, tmp_path / "other", weights_format="safetensors")


def test_a_model_trained_on_gpu_loads_on_a_cpu_only_machine(tmp_path, monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    model, X_test = fitted_regressor()
    model.device = "cuda"  # as if it had been fitted on a GPU
    # Make torch's writer tag every tensor as CUDA storage, as a GPU-trained model would be.
    with monkeypatch.context() as patch:
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        save_model(model, tmp_path, weights_format="torch")
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(next(tmp_path.glob("weights-*.pt")), weights_only=True)  # it claims CUDA

    loaded = load_model(tmp_path)
    assert loaded.device == "cpu"
    assert loaded.net_.device == "cpu"
    model.device = "cpu"
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))


def test_loading_onto_a_missing_gpu_says_so(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    model, _ = fitted_regressor()
    save_model(model, tmp_path)
    with pytest.raises(ValueError, match="device='cuda' is not available on this machine"):
        load_model(tmp_path, device="cuda")
    with pytest.raises(ValueError, match="not a torch device"):
        load_model(tmp_path, device="gpu0")


def test_parameters_that_are_code_or_objects_are_refused_by_name(tmp_path):
    _, _, X, y, _ = data()
    with_function = make_pipeline(FunctionTransformer(np.tanh), StandardScaler()).fit(X, y)
    with pytest.raises(TypeError, match=r"Pipeline\.steps\[0\]\[1\]\.func: .*pickle or joblib"):
        save_model(with_function, tmp_path / "function")
    with_memory = Sim2RealRegressor(**TINY, memory=Memory(None, verbose=0)).fit(X, y)
    with pytest.raises(TypeError, match=r"Sim2RealRegressor\.memory: .*cache directory \(a str\)"):
        save_model(with_memory, tmp_path / "memory")
    assert not (tmp_path / "function").exists() and not (tmp_path / "memory").exists()


class TinyBody(nn.Module):
    """A custom body defined outside the trusted packages."""

    def __init__(self, n_features_in, width=3):
        super().__init__()
        self.linear = nn.Linear(n_features_in, width)
        self.out_features = width

    def forward(self, X):
        return torch.tanh(self.linear(X))


def test_a_custom_body_loads_only_from_modules_the_user_trusts(tmp_path):
    model, X_test = fitted_regressor(module=TinyBody, module__width=5)
    save_model(model, tmp_path)
    with pytest.raises(ValueError, match=rf"trusted_modules=\['{TinyBody.__module__}'\]"):
        load_model(tmp_path)
    loaded = load_model(tmp_path, trusted_modules=[TinyBody.__module__])
    assert loaded.module is TinyBody and loaded.module__width == 5
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))


def test_a_body_defined_inside_a_function_cannot_be_saved(tmp_path):
    class LocalBody(TinyBody):
        pass

    model, _ = fitted_regressor(module=LocalBody)
    with pytest.raises(TypeError, match="cannot be imported by name"):
        save_model(model, tmp_path)


def test_loading_leaves_the_users_torch_random_state_alone(tmp_path):
    model, _ = fitted_regressor()
    save_model(model, tmp_path)
    before = torch.random.get_rng_state()
    load_model(tmp_path)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_an_existing_model_is_replaced_only_when_asked(tmp_path):
    first, _ = fitted_regressor()
    second, X_test = fitted_regressor(strategy="multitask")
    save_model(first, tmp_path, weights_format="torch")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_model(second, tmp_path)
    save_model(second, tmp_path, overwrite=True)
    names = sorted(p.name for p in tmp_path.iterdir())  # the old tensors are gone
    assert names[0] == "model.json" and names[1].endswith(".safetensors") and len(names) == 2
    np.testing.assert_array_equal(load_model(tmp_path).predict(X_test), second.predict(X_test))


# -- the user's files are never lost -------------------------------------------------------


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_folder_holding_the_users_files_is_refused_and_left_untouched(tmp_path, overwrite):
    model, _ = fitted_regressor()
    mine = {"weights.pt": b"my own tensors", "weights.safetensors": b"other tensors",
            "notes.txt": b"lab notes"}
    for name, content in mine.items():
        (tmp_path / name).write_bytes(content)
    with pytest.raises(FileExistsError, match="holds files save_model did not write "
                                              r"\(notes.txt, weights.pt, weights.safetensors\)"):
        save_model(model, tmp_path, overwrite=overwrite)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == mine


def test_overwrite_never_deletes_a_file_beside_a_saved_model(tmp_path):
    first, X_test = fitted_regressor()
    save_model(first, tmp_path)
    (tmp_path / "notes.txt").write_text("why this model")
    second, _ = fitted_regressor(strategy="multitask")
    with pytest.raises(FileExistsError, match=r"did not write \(notes.txt\)"):
        save_model(second, tmp_path, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "why this model"
    np.testing.assert_array_equal(load_model(tmp_path).predict(X_test), first.predict(X_test))


@pytest.mark.parametrize("interrupted_write", [1, 2])
def test_ctrl_c_during_save_model_keeps_the_old_model_and_a_rerun_saves_the_new(
        tmp_path, monkeypatch, interrupted_write):
    import signal

    from sim2real_sklearn.transfer import _persistence

    first, X_test = fitted_regressor()
    second, _ = fitted_regressor(strategy="multitask")
    save_model(first, tmp_path)
    real_replace, calls = _persistence.os.replace, {"n": 0}

    def replace_then_interrupt(source, target):
        calls["n"] += 1
        if calls["n"] == interrupted_write:  # 1: the tensors, 2: model.json
            signal.raise_signal(signal.SIGINT)
        real_replace(source, target)

    monkeypatch.setattr(_persistence.os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_model(second, tmp_path, overwrite=True)
    monkeypatch.undo()
    assert not list(tmp_path.glob("*.tmp"))
    np.testing.assert_array_equal(load_model(tmp_path).predict(X_test), first.predict(X_test))
    save_model(second, tmp_path, overwrite=True)
    assert len(list(tmp_path.iterdir())) == 2  # tensors left by the interrupted save are gone
    np.testing.assert_array_equal(load_model(tmp_path).predict(X_test), second.predict(X_test))


# -- an edited model.json gets a ValueError that says so -------------------------------------


def _nest(doc, depth=100_000):
    node = []
    for _ in range(depth):
        node = [node]
    doc["estimator"]["__estimator__"]["state"]["deep_"] = node


@pytest.mark.parametrize("edit", [
    lambda doc: doc["estimator"]["__estimator__"].update({"params": [1, 2]}),
    lambda doc: doc["estimator"]["__estimator__"].pop("class"),
    lambda doc: doc["estimator"]["__estimator__"]["params"].update({"bogus": 1}),
    lambda doc: doc["estimator"]["__estimator__"]["network"].update({"n_tasks": "two"}),
    lambda doc: doc["estimator"]["__estimator__"]["network"].pop("state_dict"),
    lambda doc: doc["weights"].update({"sha256": 1}),
    _nest,
], ids=["params-list", "no-class", "unknown-param", "text-n_tasks", "no-state-dict",
        "weights-entry", "deep-nesting"])
def test_an_edited_model_json_gets_a_value_error(edit, tmp_path):
    model, _ = fitted_regressor()
    save_model(model, tmp_path)
    path = tmp_path / "model.json"
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document) if edit is not _nest else _deep_json(document))
    with pytest.raises(ValueError):
        load_model(tmp_path)


def _deep_json(document):
    # json.dumps itself recurses too deeply: splice the nesting in as text.
    node = document["estimator"]["__estimator__"]["state"].pop("deep_")
    depth = 0
    while node:
        node, depth = node[0], depth + 1
    text = json.dumps(document)
    return text[:-3] + ', "deep_": ' + "[" * depth + "]" * depth + text[-3:]


def test_tensors_that_match_their_checksum_but_are_not_tensors_get_a_value_error(tmp_path):
    import hashlib

    model, _ = fitted_regressor()
    save_model(model, tmp_path, weights_format="safetensors")
    garbage = b"\x08\x00\x00\x00\x00\x00\x00\x00{bogus!}" + b"\x00" * 64
    name = "weights-" + hashlib.sha256(garbage).hexdigest()[:16] + ".safetensors"
    (tmp_path / name).write_bytes(garbage)
    rewrite_json(tmp_path, lambda doc: doc["weights"].update(
        {"file": name, "sha256": hashlib.sha256(garbage).hexdigest()}))
    with pytest.raises(ValueError, match="is not a valid safetensors tensor file"):
        load_model(tmp_path)


def test_a_model_from_a_newer_sim2real_sklearn_loads_with_a_version_warning(tmp_path):
    from sklearn.exceptions import InconsistentVersionWarning

    from sim2real_sklearn import ModelVersionWarning

    model, X_test = fitted_regressor()
    save_model(model, tmp_path)
    rewrite_json(tmp_path, lambda doc: doc["versions"].update({"sim2real_sklearn": "99.1.0"}))
    with pytest.warns(ModelVersionWarning, match="saved by sim2real_sklearn 99.1.0"):
        loaded = load_model(tmp_path)
    assert issubclass(ModelVersionWarning, InconsistentVersionWarning)
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))


def test_non_finite_values_and_text_arrays_survive_the_json(tmp_path):
    scaler = StandardScaler().fit(pd.DataFrame({"x": [1.0, 2.0, 4.0], "y": [0.0, 0.0, 0.0]}))
    scaler.note_ = (float("nan"), float("-inf"), np.float32(2.5), slice(1, None))
    save_model(scaler, tmp_path)
    loaded = load_model(tmp_path)
    assert np.isnan(loaded.note_[0]) and loaded.note_[1] == -np.inf
    assert loaded.note_[2] == np.float32(2.5) and type(loaded.note_[2]) is np.float32
    assert loaded.note_[3] == slice(1, None)
    assert loaded.feature_names_in_.dtype == object and list(loaded.feature_names_in_) == ["x", "y"]
    json.loads((tmp_path / "model.json").read_text(), parse_constant=pytest.fail)  # strict JSON


SMILES = np.array(["*CC*", "*CC(*)c1ccccc1", "CCO", "c1ccccc1O"])


def featurizer_classes():
    from sim2real_sklearn import featurizers

    return [cls for _, cls in inspect.getmembers(featurizers, inspect.isclass)
            if issubclass(cls, TransformerMixin) and issubclass(cls, BaseEstimator)
            and cls.__module__.startswith("sim2real_sklearn.featurizers")]


def test_featurizers_round_trip(tmp_path):
    checked = 0
    for cls in featurizer_classes():
        for X in (SMILES, SMILES.reshape(-1, 1)):
            try:
                featurizer = cls().fit(X)
                expected = featurizer.transform(X)
            except Exception:  # this featurizer takes another input layout or needs arguments
                continue
            save_model(featurizer, tmp_path / cls.__name__, overwrite=True)
            loaded = load_model(tmp_path / cls.__name__)
            assert loaded.get_params() == featurizer.get_params()
            np.testing.assert_array_equal(np.asarray(loaded.transform(X)), np.asarray(expected))
            checked += 1
            break
    if not checked:
        pytest.skip("no featurizer with default parameters in sim2real_sklearn.featurizers yet")


def test_a_model_from_another_scikit_learn_version_loads_with_a_warning(tmp_path):
    model, X_test = fitted_regressor()
    save_model(model, tmp_path)
    rewrite_json(tmp_path, lambda doc: doc["versions"].update({"sklearn": "1.0.0"}))
    with pytest.warns(sklearn.exceptions.InconsistentVersionWarning, match="version 1.0.0"):
        loaded = load_model(tmp_path)
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))


def test_a_model_from_a_newer_format_asks_for_an_upgrade(tmp_path):
    model, _ = fitted_regressor()
    save_model(model, tmp_path)
    rewrite_json(tmp_path, lambda doc: doc.update({"format_version": 99}))
    with pytest.raises(ValueError, match="format version 99.*Upgrade sim2real_sklearn"):
        load_model(tmp_path)


def test_an_unfitted_model_is_refused_before_anything_is_written(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        save_model(Sim2RealRegressor(), tmp_path / "model")
    assert not (tmp_path / "model").exists()
