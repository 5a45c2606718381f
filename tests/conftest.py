"""Shared test setup: the data home, and the fast transfer model and data of the scaling tests."""

import json
import os
import signal
import uuid
from pathlib import Path

import numpy as np
import pytest

from sim2real_sklearn._testing import RidgeTransfer

# Real data files live beside the repository, never inside it: /work/shared
# here, and a CI clone may have shared/ next to the repo as well. A clone
# without it (a user's machine, offline) runs every other test and skips the
# ones that need the files, saying so.
SHARED_DATA = Path(__file__).parents[2] / "shared" / "data"


def missing_public_data(names=None):
    """The public data files (``names``, or all of ``DATA_FILES``) not in SHARED_DATA."""
    if not names:
        # imported here: tests of the lazy top-level import watch sys.modules
        from sim2real_sklearn.datasets import DATA_FILES as names
    return [name for name in names if not (SHARED_DATA / name).is_file()]


def _skip_reason(missing):
    return (f"needs the public data files {missing} in {SHARED_DATA}, absent here "
            "(the download itself is tested against a local server in test_datasets.py)")


def pytest_configure(config):
    # A suite started in the background (`cmd &`, nohup, some CI runners) inherits SIGINT
    # ignored, and Python keeps it ignored: the Ctrl-C tests would see no interrupt. Give
    # this process Python's own handler; the processes it starts (workers, the command
    # line) then start with the default disposition and install it themselves.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    config.addinivalue_line(
        "markers",
        "needs_public_data(*names): skip unless these public data files (all of DATA_FILES "
        "when none is named) are in ../shared/data",
    )


def pytest_collection_modifyitems(config, items):
    # A skip marker rather than pytest.skip at setup: the report then points
    # at the test, not at this file.
    for item in items:
        for marker in item.iter_markers("needs_public_data"):
            missing = missing_public_data(marker.args)
            if missing:
                item.add_marker(pytest.mark.skip(reason=_skip_reason(missing)))


@pytest.fixture(scope="session")
def _empty_data_home(tmp_path_factory):
    return tmp_path_factory.mktemp("sim2real_data")


@pytest.fixture(autouse=True)
def _data_home_is_shared(monkeypatch, request):
    """Point the data cache (SIM2REAL_DATA) at the shared copies, so that the
    loaders find their files there and no test downloads anything. Without
    them, at an empty temporary folder: get_data_home would otherwise create
    ../shared/data outside the repository."""
    if SHARED_DATA.is_dir():
        home = SHARED_DATA
    else:
        home = request.getfixturevalue("_empty_data_home")
    monkeypatch.setenv("SIM2REAL_DATA", str(home))


@pytest.fixture(scope="session")
def shared_data_home():
    """The folder holding the shared public data files; skips the test without them."""
    missing = missing_public_data()
    if missing:
        pytest.skip(_skip_reason(missing))
    return SHARED_DATA


# -- a spy of the scaling study: which rows and seeds each fit saw ---------------

TARGET_ID_OFFSET = 100_000


class SpyTransfer(RidgeTransfer):
    """:class:`RidgeTransfer` on data whose first column is a row id (see :func:`make_data`).

    The id column is left out of the models. ``log_dir`` makes it a spy: each
    fit writes the row ids and the seed it saw. ``fail_above`` makes fits with
    more source rows than that raise.
    """

    def __init__(self, alpha=1.0, random_state=None, log_dir=None, fail_above=None):
        super().__init__(alpha=alpha, random_state=random_state)
        self.log_dir = log_dir
        self.fail_above = fail_above

    def fit(self, X, y, X_source=None, y_source=None):
        X = np.asarray(X, dtype=float)
        if isinstance(X_source, tuple):
            X_source, y_source = X_source[0], y_source[0]
        if X_source is not None:
            X_source = np.asarray(X_source, dtype=float)
            if self.fail_above is not None and len(X_source) > self.fail_above:
                raise RuntimeError(f"too many source rows: {len(X_source)}")
        super().fit(X[:, 1:], y, None if X_source is None else X_source[:, 1:], y_source)
        if self.log_dir is not None:
            self._log(X, X_source)
        return self

    def predict(self, X):
        return super().predict(np.asarray(X, dtype=float)[:, 1:])

    def _log(self, X, X_source):
        entry = {
            "random_state": self.random_state,
            "target_ids": (X[:, 0] - TARGET_ID_OFFSET).astype(int).tolist(),
            "source_ids": None if X_source is None else X_source[:, 0].astype(int).tolist(),
        }
        with open(os.path.join(self.log_dir, f"{uuid.uuid4().hex}.json"), "w") as f:
            json.dump(entry, f)


def make_data(n_source=300, n_target=60, n_features=40, seed=0):
    """Source = the target's law with a bias: transfer helps, direct learning is noisy.

    The first column of both inputs is a row id (source rows 0..n_source-1,
    target rows from ``TARGET_ID_OFFSET``), read by :class:`SpyTransfer`.
    """
    rng = np.random.default_rng(seed)
    w = rng.normal(size=n_features)
    X_sim = np.column_stack([np.arange(n_source), rng.normal(size=(n_source, n_features))])
    X_exp = np.column_stack(
        [TARGET_ID_OFFSET + np.arange(n_target), rng.normal(size=(n_target, n_features))]
    )
    y_sim = X_sim[:, 1:] @ w
    y_exp = X_exp[:, 1:] @ w + 0.3 * X_exp[:, 1] + 0.5 + 0.1 * rng.normal(size=n_target)
    return X_sim, y_sim, X_exp, y_exp


def read_log(log_dir):
    entries = []
    for name in os.listdir(log_dir):
        with open(os.path.join(log_dir, name)) as f:
            entries.append(json.load(f))
    return entries


def fits_by_trial(entries):
    """Group logged fits by trial: a trial is identified by its estimator seed."""
    trials = {}
    for e in entries:
        trials.setdefault(e["random_state"], []).append(e)
    return trials
