"""FF-KM descriptors of PI1070: ForceFieldKernelMean(n_jobs=2) against RadonPy's own paths.

Featurizes the repeat units of RadonPy's PI1070 (``../shared/data/radonpy_PI1070.csv``,
column ``smiles``, 1,077 rows) into the 190 FF-KM features (cyclic 10-mers, GAFF2_mod,
Gasteiger charges, RadonPy's defaults with ``polar=True``), in one process, three ways:

- **loop**: a single-process loop over the rows, each row the per-molecule computation of
  ``ForceFieldKernelMean`` (``transform([smiles])``), timed per row;
- **ours, n_jobs=2**: ``ForceFieldKernelMean(n_jobs=2).transform(smiles)``, joblib's loky
  workers started cold (shut down before each timing, as RadonPy's pool is new per call);
- **RadonPy ffkm_mp, mp=2**: ``FF_descriptor(GAFF2_mod(), polar=True).ffkm_mp(smiles, mp=2)``,
  RadonPy's own spawn pool (hence the ``__main__`` guard below), consumed to a list.

RadonPy's own path cannot featurize all of PI1070: when the backbone runs through rings, its
ring building (RDKit's symmetrized SSSR and aromaticity perception on the macrocycle) takes
minutes to hours per polymer, or fails (see ``sim2real_sklearn/featurizers/_ffkm.py``). So it
is compared on the **RadonPy-feasible subset**: the polymers whose backbone crosses rings by
two equally short sides at most once per repeat unit (``radonpy_feasible``: at most 2**10
equally small macrocycles at 10 units), checked first by timing RadonPy's own ring building of
every such row that crosses a ring at all. One para-linked polymer is also run through RadonPy
alone, in a child process stopped after 60 s, to show the stall.

The goals: ours with ``n_jobs=2`` at least 1.8x the single-process loop on all rows, and no
slower than RadonPy's ``ffkm_mp`` on the rows it can do (where the two must also agree bit for
bit). The n_jobs=2 call on all rows goes through ``memory=``, and a second call times the
cache. One run each (about 20 minutes), on a machine that others share: the load average is
printed before and after.

Run ``python benchmarks/bench_ffkm.py`` (``--quick``: 60 rows, for a smoke run).
"""

import argparse
import os
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "radonpy_PI1070.csv"
PARA_LINKED = "*c1ccc(Oc2ccc(*)cc2)cc1"


def crossed_rings(smiles, n_units=10):
    """Rings of the repeat unit that the backbone of the cyclic ``n_units``-mer runs through
    (rings sharing a bond with the macrocycle, in the plain SSSR)."""
    from sim2real_sklearn.featurizers import mol_from_repeat_unit

    ring = mol_from_repeat_unit(smiles, "cyclic", n_repeat_units=n_units)
    bonds = [set(b) for b in ring.GetRingInfo().BondRings()]
    macro = max(bonds, key=len)
    return sum(1 for b in bonds if b is not macro and b & macro)


def symmetric_doublings(smiles):
    """log2 of the equally small rings that RDKit's symmetrized SSSR adds to the cyclic 2-mer:
    0 when the backbone never crosses a ring by two equally short sides."""
    import math

    from rdkit import Chem

    from sim2real_sklearn.featurizers import mol_from_repeat_unit

    try:
        ring = mol_from_repeat_unit(smiles, "cyclic", n_repeat_units=2)
    except ValueError:  # *C(*)X cannot close as a 2-mer; it crosses no ring
        return 0.0
    extra = len(Chem.GetSymmSSSR(ring)) - len(Chem.GetSSSR(ring))
    return math.log2(extra + 1)


def radonpy_feasible(smiles):
    """RadonPy's own ring building finishes in well under a second: at most one doubling of
    equally small macrocycles per unit (2**10 at 10 units, 4 in the 2-mer)."""
    return symmetric_doublings(smiles) <= 2.0


def radonpy_ring_seconds(smiles):
    from radonpy.core import poly
    from rdkit import rdBase

    start = time.perf_counter()
    with rdBase.BlockLogs():
        poly.make_cyclicpolymer(smiles, n=10, return_mol=True)
    return time.perf_counter() - start


def radonpy_alone(smiles):
    """RadonPy's per-molecule path of ffkm_mp (ring, typing, kernel mean) for one SMILES."""
    from radonpy.core import utils
    from radonpy.ff.descriptor import FF_descriptor, ffkm_mp_wrapper
    from radonpy.ff.gaff2_mod import GAFF2_mod

    descriptor = FF_descriptor(GAFF2_mod(), polar=True)
    return ffkm_mp_wrapper([smiles, None, None, None, None, None, None, None, 10, False,
                            descriptor, utils.picklable_const()])


def in_child(function, argument, limit):
    """``function(argument)`` in a forked child: (seconds, result), or (None, None) after
    ``limit`` seconds."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        start = time.perf_counter()
        pending = pool.apply_async(function, (argument,))
        try:
            result = pending.get(timeout=limit)
        except multiprocessing.TimeoutError:
            pool.terminate()
            return None, None
        return time.perf_counter() - start, result


def stop_loky_workers():
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="60 rows, a smoke run")
    args = parser.parse_args()

    import tempfile

    import numpy as np
    import pandas as pd
    from radonpy.ff.descriptor import FF_descriptor
    from radonpy.ff.gaff2_mod import GAFF2_mod
    from rdkit import rdBase

    from sim2real_sklearn.featurizers import ForceFieldKernelMean

    print(f"load average before: {os.getloadavg()}  ({os.cpu_count()} cores)", flush=True)
    smiles = pd.read_csv(DATA)["smiles"].tolist()
    if args.quick:
        smiles = smiles[::18]
    with rdBase.BlockLogs():
        feasible = np.array([radonpy_feasible(s) for s in smiles])
        crossing = np.array([crossed_rings(s) > 0 for s in smiles])
    subset = [s for s, ok in zip(smiles, feasible) if ok]
    print(f"{len(smiles)} polymers; RadonPy-feasible subset: {len(subset)}", flush=True)

    # The rule must not let through a polymer whose RadonPy ring stalls (that would hang the
    # pool below): time RadonPy's ring building of the feasible rows that cross rings.
    checked = [s for s, ok, c in zip(smiles, feasible, crossing) if ok and c]
    worst = 0.0
    for s in checked:
        seconds, _ = in_child(radonpy_ring_seconds, s, limit=30)
        if seconds is None:
            raise SystemExit(f"RadonPy's ring of {s!r} took > 30 s: the feasibility rule is wrong")
        worst = max(worst, seconds)
    print(f"RadonPy ring building of the {len(checked)} feasible rows that cross rings: "
          f"slowest {worst:.2f} s", flush=True)

    # The stall, once, in a child process.
    stall_limit = 10 if args.quick else 60
    seconds, _ = in_child(radonpy_alone, PARA_LINKED, limit=stall_limit)
    stall = f"> {stall_limit} s (stopped)" if seconds is None else f"{seconds:.1f} s"
    ours_para = ForceFieldKernelMean()
    start = time.perf_counter()
    ours_para.transform([PARA_LINKED])
    ours_para_s = time.perf_counter() - start
    print(f"{PARA_LINKED}: RadonPy {stall}, ForceFieldKernelMean {ours_para_s:.2f} s", flush=True)

    featurizer = ForceFieldKernelMean(errors="nan")
    # 1. single-process loop, per row
    loop_rows, loop_seconds = [], []
    for s in smiles:
        start = time.perf_counter()
        loop_rows.append(featurizer.transform([s])[0])
        loop_seconds.append(time.perf_counter() - start)
    loop_X, loop_seconds = np.array(loop_rows), np.array(loop_seconds)
    loop_all = loop_seconds.sum()
    loop_subset = loop_seconds[feasible].sum()
    print(f"loop: {loop_all:.1f} s (median row {np.median(loop_seconds):.2f} s, "
          f"slowest {loop_seconds.max():.1f} s)", flush=True)

    # 2. ours, two workers, cold; through memory= so that a second call times the cache
    # (writing it costs milliseconds: it hashes the strings and pickles the array)
    with tempfile.TemporaryDirectory() as cache:
        parallel = ForceFieldKernelMean(n_jobs=2, errors="nan", memory=cache)
        stop_loky_workers()
        start = time.perf_counter()
        ours_X = parallel.transform(smiles)
        ours_all = time.perf_counter() - start
        start = time.perf_counter()
        cached_X = parallel.transform(smiles)
        cache_second = time.perf_counter() - start
    parallel = ForceFieldKernelMean(n_jobs=2, errors="nan")
    stop_loky_workers()
    start = time.perf_counter()
    ours_subset_X = parallel.transform(subset)
    ours_subset = time.perf_counter() - start
    print(f"ours n_jobs=2: all {ours_all:.1f} s, subset {ours_subset:.1f} s", flush=True)

    # 3. RadonPy's own pool on the subset
    descriptor = FF_descriptor(GAFF2_mod(), polar=True)
    start = time.perf_counter()
    radonpy_X = np.array(list(descriptor.ffkm_mp(subset, mp=2)))
    radonpy_subset = time.perf_counter() - start
    print(f"RadonPy ffkm_mp mp=2: subset {radonpy_subset:.1f} s", flush=True)

    same_workers = np.array_equal(ours_X, loop_X, equal_nan=True)
    same_cache = np.array_equal(cached_X, ours_X, equal_nan=True)
    radonpy_nan = np.isnan(radonpy_X).any(axis=1)
    same_radonpy = np.array_equal(ours_subset_X[~radonpy_nan], radonpy_X[~radonpy_nan])
    n_invalid = int(np.isnan(ours_X).any(axis=1).sum())

    rows = [
        ("all rows", "loop (one process)", loop_all, 1.0, None),
        ("all rows", "ForceFieldKernelMean n_jobs=2", ours_all, loop_all / ours_all, None),
        ("all rows", "  second call, memory= cache", cache_second, loop_all / cache_second, None),
        ("subset", "loop (one process)", loop_subset, 1.0, radonpy_subset / loop_subset),
        ("subset", "RadonPy ffkm_mp mp=2", radonpy_subset, loop_subset / radonpy_subset, 1.0),
        ("subset", "ForceFieldKernelMean n_jobs=2", ours_subset, loop_subset / ours_subset,
         radonpy_subset / ours_subset),
    ]
    print()
    print(f"{'rows':<9} {'contender':<32} {'seconds':>8} {'x loop':>7} {'x RadonPy':>9}")
    for where, name, seconds, vs_loop, vs_radonpy in rows:
        vs_r = "" if vs_radonpy is None else f"{vs_radonpy:.2f}"
        print(f"{where:<9} {name:<32} {seconds:>8.2f} {vs_loop:>7.2f} {vs_r:>9}")
    print()
    print(f"all rows: {len(smiles)}, of which {n_invalid} invalid (NaN rows); subset: "
          f"{len(subset)} rows")
    print(f"cache: first call {ours_all:.1f} s, second {cache_second * 1000:.1f} ms "
          f"({100 * cache_second / ours_all:.3f}% of the first)")
    print(f"n_jobs=2 equals the loop: {same_workers}; cache equals: {same_cache}; equals "
          f"RadonPy's ffkm_mp bit for bit on the {int((~radonpy_nan).sum())} subset rows it "
          f"featurized: {same_radonpy} (RadonPy NaN rows: {int(radonpy_nan.sum())})")
    print(f"goals: n_jobs=2 >= 1.8x loop: {loop_all / ours_all >= 1.8} "
          f"({loop_all / ours_all:.2f}x); no slower than ffkm_mp: "
          f"{ours_subset <= radonpy_subset} ({radonpy_subset / ours_subset:.2f}x)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
