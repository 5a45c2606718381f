"""A command's worker processes: started before its study, gone when it ends."""

import os

from sklearn.utils.parallel import Parallel, delayed

from sim2real_sklearn import _workers, cli


def _alive(pids):
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            continue
        alive.append(pid)
    return alive


def test_workers_start_ready_for_the_study_and_stop_at_once():
    wait = _workers.start_workers(2)
    pids = wait()
    assert len(set(pids)) == 2, f"each worker prepares once, got pids {pids}"
    # the study that follows (scikit-learn's Parallel, as scaling_curve calls it) runs on
    # the same processes, not new ones
    jobs = Parallel(n_jobs=2, pre_dispatch="2*n_jobs", return_as="generator_unordered")
    used = set(jobs(delayed(os.getpid)() for _ in range(8)))
    assert used <= set(pids)
    _workers.stop_workers()
    assert _alive(pids) == []


def test_each_worker_prepares_once_on_a_pool_already_warm():
    # Workers left warm by an earlier study finish a warm-up in milliseconds: without
    # waiting for each other, one of them took both warm-ups one time in five.
    list(Parallel(n_jobs=2, return_as="generator_unordered")(
        delayed(os.getpid)() for _ in range(4)))
    try:
        for _ in range(20):
            pids = _workers.start_workers(2)()
            assert len(set(pids)) == 2, f"each worker prepares once, got pids {pids}"
    finally:
        _workers.stop_workers()


def test_nothing_starts_for_a_study_in_this_process_or_a_bad_n_jobs():
    assert _workers.start_workers(1) is None
    assert _workers.start_workers(0) is None  # the study itself reports n_jobs=0
    assert _workers.start_workers("two") is None


def test_the_command_studies_on_the_workers_it_started_and_leaves_none_behind(
        tmp_path, monkeypatch):
    started = []

    def start_and_record(n_jobs):
        wait = _workers.start_workers(n_jobs)

        def wait_and_record():
            started.extend(wait())
            return started
        return wait_and_record

    monkeypatch.setattr(cli, "start_workers", start_and_record)
    assert cli.main(["demo", "--quick", "--n-jobs", "2", "--trials", "2",
                     "--out", str(tmp_path)]) == 0
    assert len(set(started)) == 2  # the study waited for them
    assert _alive(started) == [], "worker processes still running after the command"
