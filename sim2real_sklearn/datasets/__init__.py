"""Data sets for Sim2Real transfer: a synthetic generator and public data.

``make_sim2real_regression`` draws a simulation/experiment pair with a known,
tunable gap. The ``fetch_*`` loaders download public simulation and
experiment files once (pinned URLs, SHA-256 checked) into a cache folder,
see :func:`get_data_home` and the ``SIM2REAL_DATA`` environment variable.
"""

from ._base import DATA_FILES, get_data_home
from ._flory_huggins import fetch_flory_huggins_chi
from ._polymers import fetch_polymer_refractive_index, fetch_radonpy, polymer_groups
from ._synthetic import make_sim2real_regression

__all__ = [
    "DATA_FILES",
    "fetch_flory_huggins_chi",
    "fetch_polymer_refractive_index",
    "fetch_radonpy",
    "get_data_home",
    "make_sim2real_regression",
    "polymer_groups",
]
