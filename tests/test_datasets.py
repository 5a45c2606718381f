"""Data sets: the synthetic Sim2Real generator and the public data loaders."""

import hashlib
import http.server
import re
import threading
import time
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsRegressor

from sim2real_sklearn.datasets import (
    DATA_FILES,
    _base,
    fetch_flory_huggins_chi,
    fetch_polymer_refractive_index,
    fetch_radonpy,
    get_data_home,
    make_sim2real_regression,
    polymer_groups,
)
from sim2real_sklearn.datasets._base import _fetch_file

# --- make_sim2real_regression ------------------------------------------------

def test_synthetic_shapes_and_dtypes():
    out = make_sim2real_regression(n_source=300, n_target=40, n_features=7,
                                   return_truth=True, random_state=0)
    X_s, y_s, X_t, y_t, f_s, f_t = out
    assert X_s.shape == (300, 7) and X_t.shape == (40, 7)
    assert y_s.shape == f_s.shape == (300,) and y_t.shape == f_t.shape == (40,)
    assert all(a.dtype == np.float64 for a in out)


def test_synthetic_is_deterministic_and_functions_do_not_depend_on_sizes():
    a = make_sim2real_regression(200, 30, 5, random_state=3)
    b = make_sim2real_regression(200, 30, 5, random_state=3)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    other_seed = make_sim2real_regression(200, 30, 5, random_state=4)
    assert not np.allclose(a[1], other_seed[1])
    # More source rows: the first 200 are the same rows with the same labels,
    # so growing a database in a scaling study only adds rows.
    bigger = make_sim2real_regression(400, 30, 5, random_state=3)
    np.testing.assert_array_equal(bigger[0][:200], a[0])
    np.testing.assert_allclose(bigger[1][:200], a[1])


def test_knobs_mean_what_they_say():
    _, y_s, _, y_t, f_s, f_t = make_sim2real_regression(
        n_source=5000, n_target=5000, n_features=10, discrepancy=0.3,
        noise=0.2, return_truth=True, random_state=0)
    # f is standardised over the experimental inputs.
    assert abs(f_t.std() - 1.0) < 0.05 and abs(f_t.mean()) < 0.05
    assert abs(np.std(y_t - f_t) - 0.2) < 0.01
    # corr(simulation, truth) = (1 - d) / sqrt((1 - d)**2 + d**2)
    expected = 0.7 / np.hypot(0.7, 0.3)
    assert abs(np.corrcoef(y_s, f_s)[0, 1] - expected) < 0.02


def test_no_discrepancy_is_a_linear_miscalibration_of_the_truth():
    X_s, y_s, _, _, f_s, _ = make_sim2real_regression(
        n_source=1000, discrepancy=0.0, scale=2.0, bias=-1.0,
        return_truth=True, random_state=1)
    np.testing.assert_allclose(y_s, 2.0 * f_s - 1.0, atol=1e-12)


def test_full_discrepancy_makes_the_simulation_uninformative():
    _, y_s, _, _, f_s, _ = make_sim2real_regression(
        n_source=5000, discrepancy=1.0, return_truth=True, random_state=2)
    assert abs(np.corrcoef(y_s, f_s)[0, 1]) < 0.05


@pytest.mark.parametrize("model", [Ridge(), KNeighborsRegressor(10)],
                         ids=["ridge", "knn"])
@pytest.mark.parametrize("discrepancy, informative", [(0.1, True), (1.0, False)])
def test_model_trained_on_simulation_predicts_experiment(model, discrepancy,
                                                         informative):
    X_s, y_s, X_t, y_t = make_sim2real_regression(
        n_source=2000, n_target=500, n_features=10, discrepancy=discrepancy,
        random_state=0)
    prediction = model.fit(X_s, y_s).predict(X_t)
    # Correlation, not MAE: the simulation is miscalibrated by scale and bias
    # on purpose, which fine-tuning fixes and a plain model does not.
    r = np.corrcoef(prediction, y_t)[0, 1]
    if informative:
        assert r > 0.5
    else:
        assert abs(r) < 0.1


def test_truth_needs_many_samples_to_learn():
    # The premise of transfer: a few dozen rows are not enough to learn f.
    X, _, X_test, _, f, f_test = make_sim2real_regression(
        n_source=2000, n_target=500, n_features=10, return_truth=True,
        random_state=0)

    def mae(n):
        model = KernelRidge(kernel="rbf", gamma=0.05, alpha=1e-2)
        return np.mean(np.abs(model.fit(X[:n], f[:n]).predict(X_test) - f_test))

    assert mae(2000) < 0.6 * mae(50)


def test_covariate_shift_moves_only_the_source_inputs():
    X_s, _, X_t, _ = make_sim2real_regression(
        n_source=4000, n_target=4000, n_features=6, covariate_shift=2.0,
        random_state=0)
    assert abs(np.linalg.norm(X_s.mean(axis=0)) - 2.0) < 0.1
    assert np.linalg.norm(X_t.mean(axis=0)) < 0.1


@pytest.mark.parametrize("kwargs, message", [
    ({"n_source": 0}, "n_source must be a positive integer"),
    ({"n_target": 2.5}, "n_target must be a positive integer"),
    ({"n_features": True}, "n_features must be a positive integer"),
    ({"discrepancy": 1.5}, "discrepancy must be in [0, 1]"),
    ({"noise": -0.1}, "noise must be >= 0"),
    ({"source_noise": -1}, "source_noise must be >= 0"),
    ({"covariate_shift": -1.0}, "covariate_shift must be >= 0"),
    ({"scale": 0}, "scale must not be 0"),
    ({"bias": np.nan}, "bias must be a finite real number"),
    ({"noise": "high"}, "noise must be a finite real number"),
])
def test_synthetic_rejects_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_sim2real_regression(**kwargs)


# --- registry, cache, download ---------------------------------------------

def test_registry_pins_every_file_to_a_commit_and_a_checksum():
    assert set(DATA_FILES) == {"radonpy_PI1070.csv",
                               "polymer_refractive_index_exp.csv",
                               "chi_experimental.csv", "chi_cosmo_rs.csv"}
    for entry in DATA_FILES.values():
        assert re.fullmatch(r"https://raw\.githubusercontent\.com/[\w-]+/[\w-]+/"
                            r"[0-9a-f]{40}/\S+\.csv", entry["url"])
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
        assert entry["license"] in {"MIT", "BSD-3-Clause"}


@pytest.mark.parametrize("name", sorted(DATA_FILES))
def test_shared_files_pass_their_checksum(name, shared_data_home):
    path = _fetch_file(name, download_if_missing=False)
    assert path == shared_data_home / name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == DATA_FILES[name]["sha256"]


def test_data_home_precedence(tmp_path, monkeypatch):
    explicit = tmp_path / "explicit"
    assert get_data_home(explicit) == explicit and explicit.is_dir()
    monkeypatch.setenv("SIM2REAL_DATA", str(tmp_path / "from_env"))
    assert get_data_home() == tmp_path / "from_env"
    monkeypatch.delenv("SIM2REAL_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == tmp_path / "sim2real_data"
    assert (tmp_path / "sim2real_data").is_dir()


def test_users_download_from_the_pinned_urls():
    for entry in DATA_FILES.values():
        assert _base._source_url(entry) == entry["url"]


# --- download, against a local HTTP server ---------------------------------------
# The download code runs for real (urllib, the temporary file, the checks),
# against files this module writes and serves on 127.0.0.1: no internet, no
# shared data. The server stands in for raw.githubusercontent.com through the
# private _base._URL_BASE.


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files``: URL path -> (body, how), how being "whole",
    "cut" (the connection drops after a third) or "stall" (10 bytes, then
    silence); 404 for any other path."""

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.path not in self.server.files:
            self.send_error(404, "File not found")
            return
        body, how = self.server.files[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if how == "whole":
            self.wfile.write(body)
        elif how == "cut":
            self.wfile.write(body[: len(body) // 3])
            self.close_connection = True
        elif how == "stall":
            self.wfile.write(body[:10])
            self.wfile.flush()
            time.sleep(2)

    def log_message(self, *args):  # no access log on stderr
        pass


class LocalMirror:
    """A local stand-in for raw.githubusercontent.com (see the ``mirror`` fixture)."""

    def __init__(self, server, monkeypatch):
        self.server = server
        self.monkeypatch = monkeypatch

    @property
    def requests(self):
        """URL paths requested so far."""
        return self.server.requests

    def serve(self, url, content, how="whole"):
        """Serve ``content`` at the path of a pinned ``url``."""
        self.server.files[urlsplit(url).path] = (content, how)

    def publish(self, name, content, how="whole", sha256=None):
        """Register ``name`` in DATA_FILES with the SHA-256 of ``content``
        (or ``sha256``), serve it, and return the URL the loaders will use."""
        url = f"{_base._GITHUB}/test-owner/test-repo/{'0' * 40}/data/{name}"
        entry = {"url": url, "sha256": sha256 or hashlib.sha256(content).hexdigest(),
                 "license": "MIT", "kind": "experiment"}
        self.monkeypatch.setitem(DATA_FILES, name, entry)
        self.serve(url, content, how)
        return _base._source_url(entry)


@pytest.fixture
def mirror(monkeypatch):
    """A local HTTP server (127.0.0.1, a free port) that the loaders download from."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.files, server.requests = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(_base, "_URL_BASE", f"http://127.0.0.1:{server.server_port}")
    # A proxy from the environment (or one that simulates no internet) must
    # not see the requests to this machine.
    for variable in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(variable, "127.0.0.1,localhost")
    yield LocalMirror(server, monkeypatch)
    server.shutdown()
    server.server_close()
    thread.join()


NAME = "tiny.csv"
CONTENT = b"smiles,value\n*CC*,1.5\n*CC(*)C,1.49\n" * 50


def test_missing_file_is_downloaded_into_an_empty_data_home(mirror, tmp_path, monkeypatch):
    home = tmp_path / "home"  # does not exist yet
    monkeypatch.setenv("SIM2REAL_DATA", str(home))
    mirror.publish(NAME, CONTENT)
    path = _fetch_file(NAME)
    assert path == home / NAME and path.read_bytes() == CONTENT
    assert sorted(p.name for p in home.iterdir()) == [NAME]  # no temporary file left
    assert _fetch_file(NAME) == path  # from the cache: no second request
    assert len(mirror.requests) == 1


def test_loader_downloads_its_pinned_path(mirror, tmp_path, monkeypatch):
    # A loader end to end, from the path of its pinned URL (owner, repository,
    # commit, file), with a small stand-in for the real table.
    table = b"smiles,density,density_std\n*CC*,0.85,0.01\n*CC(*)C,0.9,0.02\n"
    name = "radonpy_PI1070.csv"
    pinned = DATA_FILES[name]["url"]
    monkeypatch.setitem(DATA_FILES, name, {**DATA_FILES[name],
                                           "sha256": hashlib.sha256(table).hexdigest()})
    mirror.serve(pinned, table)
    radonpy = fetch_radonpy(data_home=tmp_path)
    assert mirror.requests == [urlsplit(pinned).path]
    assert list(radonpy.smiles) == ["*CC*", "*CC(*)C"] and radonpy.property_names == ["density"]
    assert (tmp_path / name).read_bytes() == table


def test_download_with_wrong_checksum_leaves_no_file(mirror, tmp_path):
    url = mirror.publish(NAME, CONTENT, sha256="0" * 64)
    actual = hashlib.sha256(CONTENT).hexdigest()
    with pytest.raises(OSError, match=f"Downloaded {NAME} from {re.escape(url)} has SHA-256 "
                       f"{actual}, expected 0{{64}}; the file was discarded"):
        _fetch_file(NAME, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_download_leaves_no_file_and_says_so(mirror, tmp_path):
    # Once reported as a checksum mismatch, as if the file had been tampered with.
    url = mirror.publish(NAME, CONTENT, how="cut")
    with pytest.raises(ConnectionError, match=(
            f"could not download {NAME} from {re.escape(url)}: the connection closed after "
            rf"{len(CONTENT) // 3} of {len(CONTENT)} bytes \(interrupted download\)")):
        _fetch_file(NAME, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_stalled_download_times_out_and_leaves_no_file(mirror, tmp_path, monkeypatch):
    monkeypatch.setattr(_base, "_TIMEOUT", 0.3)
    url = mirror.publish(NAME, CONTENT, how="stall")
    with pytest.raises(ConnectionError, match=f"could not download {NAME} from {re.escape(url)}: "
                                              ".*timed out"):
        _fetch_file(NAME, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_server_error_names_the_file_the_url_and_the_way_out(mirror, tmp_path):
    url = mirror.publish(NAME, CONTENT)
    mirror.server.files.clear()  # registered, but the server answers 404
    with pytest.raises(ConnectionError, match=(
            f"could not download {NAME} from {re.escape(url)}: HTTP Error 404: File not found; "
            f"put the file in {re.escape(str(tmp_path))} or set SIM2REAL_DATA")):
        _fetch_file(NAME, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_no_download_when_asked_not_to_says_where_from(mirror, tmp_path):
    url = mirror.publish(NAME, CONTENT)
    with pytest.raises(OSError,
                       match=f"download_if_missing=False. Download it from {re.escape(url)}"):
        _fetch_file(NAME, tmp_path, download_if_missing=False)
    assert mirror.requests == [] and list(tmp_path.iterdir()) == []


def test_corrupted_cached_file_is_refused(tmp_path):
    name = "polymer_refractive_index_exp.csv"
    (tmp_path / name).write_text("not the data\n")
    expected = DATA_FILES[name]["sha256"]
    actual = hashlib.sha256(b"not the data\n").hexdigest()
    with pytest.raises(OSError, match=f"{name} has SHA-256 {actual}, "
                       f"expected {expected}"):
        _fetch_file(name, tmp_path)


def test_no_download_when_asked_not_to(tmp_path):
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_flory_huggins_chi(data_home=tmp_path, download_if_missing=False)


# --- polymer identity ----------------------------------------------------------

def test_polymer_groups_see_through_notation():
    (a,) = polymer_groups([
        "*OCC*", "[*]CCO[*]",                       # frame shift, [*]
        "*Oc1ccc(cc1)S(=O)(=O)c1ccc(cc1)*",         # a repeat unit ...
        "*c1ccc(S(=O)(=O)c2ccc(Oc3ccc(S(=O)(=O)c4ccc(O*)cc4)cc3)cc2)cc1",  # ... its dimer
        "*/C=C/CC*", "*/C=C\\CC*",                  # trans and cis
        "*CC(*)C", "*CCCC*",                        # different polymers
    ])
    assert a[0] == a[1]
    assert a[2] == a[3]
    assert a[4] == a[5]
    assert len({a[0], a[2], a[4], a[6], a[7]}) == 5


def test_polymer_groups_find_a_tiny_unit_in_its_trimer():
    (a,) = polymer_groups(["*C=C*", "*C=CC=CC=C*", "*CC*"])
    assert a[0] == a[1] != a[2]


def test_polymer_group_label_is_the_canonical_smiles_of_the_ring():
    # The 1-unit ring of *C=CC=CC=C* is benzene, written as RDKit writes it
    # (aromatic), not as the Kekule structure the closure produces.
    (a,) = polymer_groups(["*C=CC=CC=C*", "*OCC*"])
    assert list(a) == ["c1ccccc1", "C1CO1"]


def test_polymer_groups_names_the_bad_smiles():
    with pytest.raises(ValueError, match=r"collection 1, row 1: .*'C1CC'"):
        polymer_groups(["*CC*"], ["*CC*", "C1CC"])


# --- polymer refractive index ---------------------------------------------------

@pytest.fixture(scope="module")
def refractive_index(shared_data_home):
    # Loaded once per module, so data_home is passed explicitly: the autouse
    # fixture that sets SIM2REAL_DATA works per test.
    return fetch_polymer_refractive_index(shared_data_home, as_frame=True)


def test_refractive_index_rows(refractive_index):
    ri = refractive_index
    assert ri.target_smiles.shape == ri.target.shape == ri.groups.shape == (44,)
    # 1077 simulated rows in the file, the ones without a value are counted.
    assert ri.n_source_missing == 2
    assert len(ri.source_smiles) == len(ri.source_target) == 1077 - 2
    assert not ri.source_target.isna().any() and not ri.target.isna().any()
    assert ri.target.between(1.3, 1.8).all()
    assert ri.source_target.between(1.2, 1.9).all()
    assert not ri.target_smiles.str.contains(r"[*]", regex=False).any()


def test_refractive_index_groups_find_the_shared_polymers(refractive_index):
    ri = refractive_index
    shared = set(ri.groups) & set(ri.source_groups)
    assert len(shared) == 38  # as stated by the data README
    polypropylene = ri.groups[ri.target_smiles == "CC(*)C*"].item()
    assert polypropylene in set(ri.source_groups)


def test_refractive_index_groups_merge_only_spellings_of_one_polymer(refractive_index):
    # The 44 experimental polymers are distinct; the 1075 simulated rows are
    # 1065 polymers, the same one simulated under cis, trans and unspecified
    # double-bond notation sharing a group.
    ri = refractive_index
    assert ri.groups.nunique() == 44
    assert ri.source_groups.nunique() == 1065
    polybutadiene = ri.source_groups[ri.source_smiles == "*/C=C/CC*"].item()
    same = ri.source_smiles[ri.source_groups == polybutadiene]
    assert set(same) == {"*/C=C/CC*", "*/C=C\\CC*", "*C=CCC*"}


def test_refractive_index_as_arrays(refractive_index):
    ri = fetch_polymer_refractive_index()
    assert isinstance(ri.target, np.ndarray) and ri.target.dtype == float
    assert ri.frame is None and ri.source_frame is None
    assert ri.data is ri.target_smiles and ri.source_data is ri.source_smiles
    np.testing.assert_array_equal(ri.source_groups,
                                  refractive_index.source_groups.to_numpy())
    assert "BSD-3-Clause" in ri.DESCR and "MIT" in ri.DESCR


@pytest.mark.needs_public_data("radonpy_PI1070.csv")
def test_radonpy_table():
    radonpy = fetch_radonpy()
    assert radonpy.frame.shape[0] == 1077
    assert {"density", "refractive_index", "Cp",
            "thermal_conductivity"} <= set(radonpy.property_names)
    assert "RadonPy" in radonpy.DESCR


# --- Flory-Huggins chi ----------------------------------------------------------

@pytest.fixture(scope="module")
def chi(shared_data_home):
    return fetch_flory_huggins_chi(shared_data_home, as_frame=True)


def test_chi_rows_and_columns(chi):
    assert chi.data.shape == (1190, 5) and chi.source_data.shape == (1206, 5)
    assert list(chi.data.columns) == chi.feature_names
    assert chi.groups.nunique() == 766 and chi.source_groups.nunique() == 761
    assert (chi.data.polymer_smiles + "_" + chi.data.solvent_smiles
            == chi.groups).all()
    np.testing.assert_allclose(chi.data.inverse_temperature,
                               1000 / (chi.data.temperature + 273.15))
    for data in (chi.data, chi.source_data):
        assert data.polymer_repeat_unit.str.count(r"\*").eq(2).all()


def test_chi_pairs_join_across_domains(chi):
    keys = ["ps_pair", "temp"]
    joined = chi.frame[keys + ["chi"]].merge(chi.source_frame[keys + ["chi"]],
                                             on=keys, suffixes=("_exp", "_sim"))
    assert len(joined) == 1178
    r = np.corrcoef(joined.chi_exp, joined.chi_sim)[0, 1]
    assert abs(r - 0.76) < 0.01  # the informative but biased gap of the README


def test_chi_polymer_classes(chi):
    assert chi.polymer_class.nunique() == 11
    # One class per polymer in both domains, taken from the experiment.
    for data, classes in ((chi.data, chi.polymer_class),
                          (chi.source_data, chi.source_polymer_class)):
        per_polymer = classes.groupby(data.polymer_smiles).nunique(dropna=False)
        assert per_polymer.max() == 1
    assert set(chi.source_polymer_class.dropna()) <= set(chi.polymer_class)


@pytest.mark.needs_public_data("chi_experimental.csv", "chi_cosmo_rs.csv")
def test_chi_as_arrays():
    chi = fetch_flory_huggins_chi()
    assert chi.data.dtype == object and chi.data.shape == (1190, 5)
    assert chi.target.dtype == float and chi.source_target.shape == (1206,)
    assert isinstance(chi.groups, np.ndarray)
    assert "Aoki" in chi.DESCR and "MIT" in chi.DESCR
    assert pd.isna(chi.polymer_class).sum() == 134
