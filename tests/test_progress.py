"""A study's progress as its user watches it: fits done, failures, time left; a bar with tqdm."""

import io
import sys

import pytest

from sim2real_sklearn.scaling import _progress
from sim2real_sklearn.scaling._progress import StudyProgress

OK = {"error": 0.25, "fit_error": None}
FAILED = {"error": float("nan"), "fit_error": "RuntimeError: diverged"}


@pytest.fixture
def clock(monkeypatch):
    """A clock that moves 6 s per fit: the time left is then known exactly."""
    now = [0.0]
    monkeypatch.setattr(_progress, "_clock", lambda: now[0])
    return now


def run(progress, outcomes, clock=None):
    for trial, out in enumerate(outcomes):
        if clock is not None:
            clock[0] += 6.0
        progress.update((800, None, trial), out)
    progress.close()


def test_without_tqdm_lines_say_fits_done_failures_and_time_left(clock):
    out = io.StringIO()
    progress = StudyProgress(2, 10, header="5 source sizes x 2 trials: 10 fits", use_tqdm=False,
                             file=out)
    run(progress, [OK, FAILED] + [OK] * 8, clock)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[scaling_curve] 5 source sizes x 2 trials: 10 fits"
    assert lines[1] == ("[scaling_curve] 1/10 fits done, 0 failed (source 800, trial 0: "
                        "error 0.25); 6 s elapsed, about 54 s left")
    assert "2/10 fits done, 1 failed (source 800, trial 1: failed)" in lines[2]
    assert lines[-1].endswith("10/10 fits done, 1 failed (source 800, trial 9: error 0.25); "
                              "1 min elapsed")  # the last line has nothing left to estimate
    assert len(lines) == 11  # verbose=2: a line per fit


def test_verbose_1_prints_about_a_tenth_of_the_fits_and_the_last():
    out = io.StringIO()
    run(StudyProgress(1, 40, use_tqdm=False, file=out), [OK] * 40)
    done = [line.split()[1] for line in out.getvalue().splitlines()]
    assert done == [f"{k}/40" for k in range(4, 41, 4)]


def test_a_grid_cell_names_its_experimental_size_too():
    out = io.StringIO()
    progress = StudyProgress(2, 1, use_tqdm=False, file=out)
    progress.update((800, 40, 3), OK)
    assert "(source 800, target 40, trial 3: error 0.25)" in out.getvalue()


@pytest.mark.parametrize("use_tqdm", [False, True])
def test_verbose_0_shows_nothing_but_still_counts(use_tqdm, capsys):
    out = io.StringIO()
    progress = StudyProgress(0, 3, header="3 fits", use_tqdm=use_tqdm, file=out)
    run(progress, [OK, FAILED, OK])
    assert out.getvalue() == "" and capsys.readouterr() == ("", "")
    assert (progress.n_done, progress.n_failed) == (3, 1)


def test_with_tqdm_a_bar_counts_fits_and_failures_from_the_start():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    progress = StudyProgress(1, 3, header="3 fits", use_tqdm=True, file=out)
    # the bar is there before any fit finishes (workers take seconds to start)
    assert "scaling_curve:   0%" in out.getvalue() and "0/3" in out.getvalue()
    run(progress, [OK, FAILED, OK])
    text = out.getvalue()
    assert "[scaling_curve] 3 fits\n" in text  # the header, written above the bar
    final = text.rsplit("\r", 1)[-1]
    assert "100%" in final and "3/3" in final and "1 failed" in final


def test_with_tqdm_verbose_2_writes_each_fit_above_the_bar():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    run(StudyProgress(2, 2, use_tqdm=True, file=out), [OK, FAILED])
    text = out.getvalue()
    assert "[scaling_curve] source 800, trial 0: error 0.25\n" in text
    assert "[scaling_curve] source 800, trial 1: failed\n" in text


def test_without_tqdm_installed_the_default_falls_back_to_lines(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import tqdm.auto now fails
    progress = StudyProgress(1, 1)
    run(progress, [OK])
    err = capsys.readouterr().err
    assert err.startswith("[scaling_curve] 1/1 fits done, 0 failed") and "%|" not in err
    with pytest.raises(ImportError, match="pip install tqdm"):
        StudyProgress(1, 1, use_tqdm=True)


def test_in_jupyter_the_text_goes_to_stdout_not_to_the_red_stderr(monkeypatch, capsys):
    class WidgetBar:
        """Stands in for tqdm.notebook.tqdm, which needs a kernel and ipywidgets."""
        __module__ = "tqdm.notebook"
        shown = []

        def __init__(self, **kwargs):
            self.n = 0

        def update(self, n):
            self.n += n

        def set_postfix_str(self, text, refresh=True):
            self.shown.append(text)

        def close(self):
            pass

        @staticmethod
        def write(line, file=None):
            print(line, file=file)

    monkeypatch.setattr(_progress, "_tqdm_class", lambda: WidgetBar)
    run(StudyProgress(2, 2, header="2 fits"), [OK, FAILED])
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == ["[scaling_curve] 2 fits",
                                "[scaling_curve] source 800, trial 0: error 0.25",
                                "[scaling_curve] source 800, trial 1: failed"]
    assert WidgetBar.shown[-1] == "1 failed"


def test_nothing_to_run_draws_no_empty_bar():
    # every cell read back from a checkpoint: the header says so, no 0/0 bar
    out = io.StringIO()
    StudyProgress(1, 0, header="10 fits, 10 read from the checkpoint.", use_tqdm=True,
                  file=out).close()
    assert out.getvalue() == "[scaling_curve] 10 fits, 10 read from the checkpoint.\n"


def test_close_ends_an_interrupted_bar_and_is_safe_twice():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    with StudyProgress(1, 5, use_tqdm=True, file=out) as progress:
        progress.update((800, None, 0), OK)
    progress.close()
    assert out.getvalue().endswith("\n")  # the bar's line is finished, the next output is clean
    assert "1/5" in out.getvalue().rsplit("\r", 1)[-1]


@pytest.mark.parametrize("seconds, text", [(5.4, "5 s"), (150, "2 min"), (5400, "1.5 h")])
def test_durations_read_as_a_person_says_them(seconds, text):
    assert _progress._duration(seconds) == text
