"""Where the public data files come from and where they are cached.

Same pattern as ``sklearn.datasets.fetch_*``: each file is downloaded once
from a URL pinned to a commit, checked against its SHA-256 and kept in a
local data home. A file already in the data home is checked too, so a
corrupted or edited copy is never used silently.
"""

import hashlib
import http.client
import os
import tempfile
from pathlib import Path
from urllib.request import urlopen

import numpy as np

_GITHUB = "https://raw.githubusercontent.com"

#: Where the pinned files are downloaded from: each ``DATA_FILES`` URL with
#: its ``_GITHUB`` prefix replaced by this. Users get the pinned URLs; tests
#: point it at a local HTTP server, so that the download code is exercised
#: without the internet.
_URL_BASE = _GITHUB

#: Seconds without data before a download is abandoned.
_TIMEOUT = 60

#: The public files the loaders read: local file name -> where it comes from.
#: URLs are pinned to a commit so that the SHA-256 can never drift.
DATA_FILES = {
    "radonpy_PI1070.csv": {
        "url": f"{_GITHUB}/RadonPy/RadonPy/"
               "648c9a492808339c9bb7ad2c1137e5a7b07614ca/data/PI1070.csv",
        "sha256": "4ee41d526db3d03eb5b83010672b4e63a4d51a114871a2187ca7fd57d30556a4",
        "license": "BSD-3-Clause",
        "kind": "simulation",
    },
    "polymer_refractive_index_exp.csv": {
        "url": f"{_GITHUB}/KanHatakeyama/RefractiveIndexGPT/"
               "98f2486ee59acb9cf1a393f044c1eac3e70857eb/data/forpub2.csv",
        "sha256": "a76cc3cdcdd6852a618d45517a62da897365ab0d10c50810ccf7228b2f124f4f",
        "license": "MIT",
        "kind": "experiment",
    },
    "chi_experimental.csv": {
        "url": f"{_GITHUB}/yoshida-lab/MTL_ChiParameter/"
               "7d9a4d872af19e0025898a09118fb1847ae4171c/sample_data/data_Chi.csv",
        "sha256": "cc8fbf4a100d3a5b2379c5bff5d495a68f61ffb4d04ce41d1f66650b1c80573d",
        "license": "MIT",
        "kind": "experiment",
    },
    "chi_cosmo_rs.csv": {
        "url": f"{_GITHUB}/yoshida-lab/MTL_ChiParameter/"
               "7d9a4d872af19e0025898a09118fb1847ae4171c/sample_data/data_COSMO.csv",
        "sha256": "6c303495159a3a15d342ef2b775b1e0312574a2a5dfc6ed1de55cb3cca629528",
        "license": "MIT",
        "kind": "simulation",
    },
}

DATA_HOME_ENV = "SIM2REAL_DATA"
_CHUNK = 1 << 16


def get_data_home(data_home=None):
    """Return the folder where the public data files are cached, creating it.

    The folder is, in order of precedence: ``data_home`` if given, else the
    environment variable ``SIM2REAL_DATA``, else ``~/sim2real_data``. To work
    offline, put the files listed in ``DATA_FILES`` in that folder under
    their local names; they are used as they are once their SHA-256 matches.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The cache folder. ``~`` is expanded.

    Returns
    -------
    data_home : pathlib.Path
        The cache folder, which exists on return.

    Examples
    --------
    >>> import os, tempfile
    >>> from sim2real_sklearn.datasets import get_data_home
    >>> folder = os.path.join(tempfile.mkdtemp(), "cache")
    >>> get_data_home(folder).is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or "~/sim2real_data"
    data_home = Path(data_home).expanduser()
    data_home.mkdir(parents=True, exist_ok=True)
    return data_home


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch_file(name, data_home=None, download_if_missing=True):
    """Path of the verified local copy of ``DATA_FILES[name]``.

    Downloads it when absent. The download goes to a temporary file in the
    data home, which is checked before it is renamed into place: an
    interrupted or tampered download never leaves a file that looks valid.
    """
    if name not in DATA_FILES:
        raise ValueError(f"name={name!r} is not a known data file; known files: "
                         f"{sorted(DATA_FILES)}.")
    entry = DATA_FILES[name]
    data_home = get_data_home(data_home)
    path = data_home / name
    if path.exists():
        _check_sha256(path, entry["sha256"], what=f"Cached file {path}")
        return path
    url = _source_url(entry)
    if not download_if_missing:
        raise OSError(
            f"{name} is not in the data home {data_home} and "
            "download_if_missing=False. Download it from "
            f"{url} into that folder, or set {DATA_HOME_ENV}.")
    _download(url, path, entry["sha256"])
    return path


def _source_url(entry):
    """The URL a ``DATA_FILES`` entry is downloaded from (see ``_URL_BASE``)."""
    url = entry["url"]
    if url.startswith(_GITHUB + "/"):
        return _URL_BASE + url[len(_GITHUB):]
    return url


def _download(url, path, sha256):
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".part",
                                    dir=path.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            try:
                with urlopen(url, timeout=_TIMEOUT) as response:
                    expected = response.headers.get("Content-Length")
                    received = 0
                    for block in iter(lambda: response.read(_CHUNK), b""):
                        digest.update(block)
                        out.write(block)
                        received += len(block)
                # http.client returns a short body without an error when the
                # connection drops: compare with the announced length, or the
                # user would be told the file was tampered with.
                if expected is not None and expected.isdigit() and received != int(expected):
                    raise ConnectionResetError(
                        f"the connection closed after {received} of {expected} "
                        "bytes (interrupted download)")
            except (OSError, http.client.HTTPException) as exc:
                # URLError and HTTPError (404...), timeouts, refused or dropped
                # connections, a body cut short
                reason = str(exc) or type(exc).__name__
                raise ConnectionError(
                    f"could not download {path.name} from {url}: {reason}; put "
                    f"the file in {path.parent} or set {DATA_HOME_ENV} to a "
                    "folder that holds it.") from exc
        if digest.hexdigest() != sha256:
            raise OSError(
                f"Downloaded {path.name} from {url} has SHA-256 "
                f"{digest.hexdigest()}, expected {sha256}; the file was "
                "discarded.")
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)


def _as_output(columns, as_frame):
    """The loaders' ``as_frame`` rule: Series and frames as they are, or
    NumPy arrays (float for a float column, object for anything else,
    frames of mixed columns included)."""
    if as_frame:
        return columns
    return {name: (values.to_numpy(dtype=float)
                   if getattr(values, "dtype", np.dtype(object)).kind == "f"
                   else values.to_numpy(dtype=object))
            for name, values in columns.items()}


def _check_sha256(path, expected, what):
    actual = _sha256(path)
    if actual != expected:
        raise OSError(
            f"{what} has SHA-256 {actual}, expected {expected}. Delete it to "
            "download it again, or replace it with the original file.")
