"""Featurizers: strings (SMILES, polymer repeat units, pairs, formulas) to feature arrays.

scikit-learn transformers for the first step of a Sim2Real pipeline. They are
stateless (``fit`` only checks its input), parallel through joblib
(``n_jobs``, ``batch_size``), keep invalid rows aligned (``errors="nan"``),
name their outputs (``set_output(transform="pandas")``) and can cache whole
transforms on disk (``memory=``), since the same source rows are featurized
once per fold and per trial.

- :class:`MorganFingerprint`, :class:`RDKitDescriptors`: molecules and polymer
  repeat units (``connection_points=`` "dummy", "hydrogen" or "cyclic");
- :func:`mol_from_repeat_unit`: the molecule a featurizer sees for one SMILES;
- :class:`ForceFieldKernelMean`: RadonPy's force-field kernel mean (FF-KM)
  descriptor of polymers (cyclic oligomers) and molecules (needs the extra
  ``radonpy``);
- :class:`PairFeaturizer`: polymer-solvent pairs (``"A_B"`` or two columns);
- :class:`CompositionFeaturizer`: chemical formulas (needs pymatgen);
- :class:`BaseFeaturizer`: the shared plumbing, to write a new featurizer.
"""

from ._base import BaseFeaturizer
from ._composition import CompositionFeaturizer, element_properties
from ._ffkm import ForceFieldKernelMean
from ._molecules import MorganFingerprint, RDKitDescriptors
from ._pairs import PairFeaturizer
from ._polymers import CONNECTION_POINT_MODES, mol_from_repeat_unit

__all__ = [
    "BaseFeaturizer",
    "CONNECTION_POINT_MODES",
    "CompositionFeaturizer",
    "ForceFieldKernelMean",
    "MorganFingerprint",
    "PairFeaturizer",
    "RDKitDescriptors",
    "element_properties",
    "mol_from_repeat_unit",
]
