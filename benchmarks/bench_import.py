"""How long ``import sim2real_sklearn`` takes, against ``import sklearn`` measured in the same run.

Each statement runs in a fresh interpreter (a warm import would measure
nothing), ``--repeats`` times; the best time is kept and the interpreter's
own start-up (``python -c pass``) is subtracted. The table also lists which
heavy packages each statement loads: the package top level loads its
subpackages on first use (PEP 562), so torch and RDKit are imported only
when a model or a featurizer is used.

    python benchmarks/bench_import.py

Goal (issue 10): ``import sim2real_sklearn`` under 1 s on the project's
2-core machine; printed as a ratio to ``import sklearn``, which does not
depend on the machine.
"""

import argparse
import subprocess
import sys
import time

HEAVY = ("torch", "skorch", "rdkit", "sklearn", "scipy", "pandas", "matplotlib")

STATEMENTS = [
    "import sklearn",
    "import sim2real_sklearn",
    "from sim2real_sklearn import PowerLaw, ScalingCurveResult",
    "from sim2real_sklearn import scaling_curve",
    "from sim2real_sklearn import MorganFingerprint",
    "from sim2real_sklearn import Sim2RealRegressor",
]


def timed(statement, repeats):
    """Best wall time of ``statement`` in a fresh interpreter, and the heavy modules it loaded."""
    probe = f"{statement}; import sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    best, loaded = float("inf"), ""
    for _ in range(repeats):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                             text=True)
        best = min(best, time.perf_counter() - start)
        loaded = out.stdout.strip()
    return best, loaded


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    startup, _ = timed("pass", args.repeats)
    rows = [(s, *timed(s, args.repeats)) for s in STATEMENTS]
    sklearn_time = rows[0][1] - startup
    print(f"interpreter start-up (subtracted): {startup:.3f} s; best of {args.repeats}\n")
    print(f"{'statement':<58}{'seconds':>9}{'/ sklearn':>11}  loads")
    for statement, seconds, loaded in rows:
        seconds -= startup
        print(f"{statement:<58}{seconds:>9.3f}{seconds / sklearn_time:>11.2f}  {loaded or '-'}")
    top = rows[1][1] - startup
    print(f"\nimport sim2real_sklearn: {top:.3f} s (goal < 1 s), "
          f"{top / sklearn_time:.2f}x import sklearn")


if __name__ == "__main__":
    main()
