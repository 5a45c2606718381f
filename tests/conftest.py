"""Shared test setup."""

from pathlib import Path

import pytest

# Real data files live beside the repository, never inside it: /work/shared
# here, and the CI clone has shared/ next to the repo as well.
SHARED_DATA = Path(__file__).parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _data_home_is_shared(monkeypatch):
    """Point the data cache (SIM2REAL_DATA) at the shared copies, so that the
    loaders find their files there and no test downloads anything."""
    monkeypatch.setenv("SIM2REAL_DATA", str(SHARED_DATA))


@pytest.fixture(scope="session")
def shared_data_home():
    """The folder holding the shared public data files."""
    return SHARED_DATA
