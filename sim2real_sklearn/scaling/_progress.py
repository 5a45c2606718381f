"""Progress of a scaling study: a tqdm bar when tqdm is installed, lines on stderr otherwise.

A study runs hundreds of fits for minutes or hours, and its first results can
come only after the joblib workers have started. :class:`StudyProgress` shows
at once how many fits there are, then the fits done, the failures and the
time left:

- with tqdm installed (the ``progress`` extra), a ``tqdm.auto`` bar: a widget
  in Jupyter (with ipywidgets), a bar on a terminal, not a red block of
  stderr lines in a notebook;
- without it, the lines the package always printed on stderr, about one per
  tenth of the fits, now with the failures and the time left.

``verbose=2`` adds a line per fit (which size, which trial, its error).
"""

import sys
import time

__all__ = ["StudyProgress"]

# Monkeypatched by the tests to make the time-left estimate deterministic.
_clock = time.perf_counter


def _tqdm_class():
    """``tqdm.auto.tqdm``, or None when tqdm is not installed (it is an optional dependency)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def _duration(seconds):
    """A duration as a person reads it in a progress line: ``'42 s'``, ``'3 min'``, ``'1.5 h'``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class StudyProgress:
    """Progress of the fits of one scaling study: fits done, failures, time left.

    Parameters
    ----------
    verbose : int
        0 shows nothing; 1 a bar (without tqdm: a line about every tenth of
        the fits, and after the last); 2 also a line per fit.
    n_fits : int
        Fits the study runs (cells read back from a checkpoint are not run).
    header : str, default=""
        What the study is, shown once before the first fit finishes.
    use_tqdm : bool or None, default=None
        Whether to draw a ``tqdm.auto`` bar; None draws one when tqdm can
        be imported, and prints lines otherwise.
    file : file-like, default=None
        Where the lines and a terminal bar go; None is ``sys.stderr`` at
        the time of each write. A Jupyter widget ignores it.

    Attributes
    ----------
    n_done : int
        Fits finished so far.
    n_failed : int
        Of those, fits that failed (scored with ``error_score``).

    Examples
    --------
    >>> import sys
    >>> progress = StudyProgress(1, 2, header="2 fits", use_tqdm=False, file=sys.stdout)
    [scaling_curve] 2 fits
    >>> progress.update((100, None, 0), {"error": 0.31, "fit_error": None})
    [scaling_curve] 1/2 fits done, 0 failed (source 100, trial 0: error 0.31); ... left
    >>> progress.update((1000, None, 0), {"error": float("nan"), "fit_error": "ValueError"})
    [scaling_curve] 2/2 fits done, 1 failed (source 1000, trial 0: failed); ... elapsed
    >>> progress.close()
    """

    def __init__(self, verbose, n_fits, *, header="", use_tqdm=None, file=None):
        self.verbose = int(verbose)
        self.n_fits = int(n_fits)
        self.n_done = 0
        self.n_failed = 0
        self._file = file
        self._start = _clock()
        self._bar = None
        self._notebook = False
        if not self.verbose:
            return
        tqdm = _tqdm_class() if use_tqdm is None or use_tqdm else None
        if use_tqdm and tqdm is None:
            raise ImportError("use_tqdm=True needs tqdm: pip install tqdm")
        # In Jupyter, tqdm.auto is the widget class: text goes to stdout, not to the red stderr.
        self._notebook = tqdm is not None and any(
            cls.__module__ == "tqdm.notebook" for cls in tqdm.__mro__)
        if header:
            self._write(header)
        if tqdm is not None and self.n_fits > 0:
            self._bar = tqdm(total=self.n_fits, desc="scaling_curve", unit="fit", file=file,
                             dynamic_ncols=True, postfix="0 failed")

    def update(self, cell, out):
        """Count one finished fit and show it.

        Parameters
        ----------
        cell : tuple of (int, int or None, int)
            The fit's source size, experimental training size (None without
            a grid) and trial.
        out : dict
            What the fit returned: ``"error"`` (its score) and
            ``"fit_error"`` (None, or why it failed).
        """
        self.n_done += 1
        failed = out.get("fit_error") is not None
        self.n_failed += failed
        if not self.verbose:
            return
        n_source, n_target, trial = cell
        what = f"source {n_source}" + ("" if n_target is None else f", target {n_target}")
        what += f", trial {trial}: " + ("failed" if failed else f"error {out['error']:.4g}")
        if self._bar is not None:
            self._bar.set_postfix_str(f"{self.n_failed} failed", refresh=False)
            self._bar.update(1)
            if self.verbose >= 2:
                self._write(what)
            return
        last = self.n_done == self.n_fits
        if self.verbose < 2 and not last and self.n_done % max(1, self.n_fits // 10):
            return
        elapsed = _clock() - self._start
        timing = f"{_duration(elapsed)} elapsed"
        if not last:
            left = elapsed / self.n_done * (self.n_fits - self.n_done)
            timing += f", about {_duration(left)} left"
        self._write(f"{self.n_done}/{self.n_fits} fits done, {self.n_failed} failed ({what}); "
                    f"{timing}")

    def close(self):
        """End the bar (a study that stopped early leaves it short of its total)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _write(self, message):
        line = f"[scaling_curve] {message}"
        file = sys.stdout if self._notebook else self._file or sys.stderr
        if self._bar is None:
            print(line, file=file, flush=True)
        else:
            self._bar.write(line, file=file)  # above a terminal bar, which tqdm redraws
