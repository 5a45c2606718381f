"""Trials run unchanged on a Dask cluster through joblib, with the same numbers."""

import os
import sys

import joblib
import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from sim2real_sklearn import scaling_curve  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import SpyTransfer, make_data  # noqa: E402


@pytest.fixture(scope="module")
def client():
    # In-process workers (threads): starts in about a second and needs no
    # pickling of the test module's classes by worker processes.
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_dask_backend_gives_the_default_backends_numbers(client):
    data = make_data()
    options = dict(source_sizes=[10, 100, 300], target_sizes=[24, 48], n_trials=4,
                   score_groups=np.arange(60) % 3, random_state=3)
    default = scaling_curve(SpyTransfer(), *data, **options)
    with distributed.get_task_stream(client) as tasks, \
            joblib.parallel_config(backend="dask"):
        on_dask = scaling_curve(SpyTransfer(), *data, **options)
    assert len(tasks.data) > 0  # the fits really ran on the cluster's workers
    np.testing.assert_array_equal(on_dask.grid_scores, default.grid_scores)
    np.testing.assert_array_equal(on_dask.grid_baseline_scores, default.grid_baseline_scores)
    for g in default.group_scores:
        np.testing.assert_array_equal(on_dask.group_scores[g], default.group_scores[g])


def test_dask_backend_writes_checkpoints_from_the_workers(client, tmp_path):
    data = make_data()
    options = dict(source_sizes=[10, 300], n_trials=3, random_state=3,
                   checkpoint_dir=tmp_path)
    with joblib.parallel_config(backend="dask"):
        first = scaling_curve(SpyTransfer(), *data, **options)
    second = scaling_curve(SpyTransfer(), *data, **options)
    assert second.n_reused_cells == 9
    np.testing.assert_array_equal(first.scores, second.scores)
