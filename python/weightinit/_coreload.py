"""Imports the compiled extension with a message that says how to build it."""

from __future__ import annotations

import importlib.metadata  # noqa: F401  (what scipy_openblas32 imports, before the window below)
import os
import sys

import numpy  # noqa: F401  (NumPy's own OpenBLAS loads first, under the environment as the user set it)

# OpenBLAS starts a server thread per extra CPU when its library loads, and each busy-waits
# ~0.1 s (2^28 cycles) before it sleeps: on two cores the first fits after import ran
# beside one (2000 steps of the article's network: a team of threads formed in none of 30
# such fits, in about half without the spin). The core runs its OpenBLAS on one thread
# (blas.hpp), so the library loads with OPENBLAS_NUM_THREADS=1 and starts none. The
# variable is then put back if it still holds that 1 (a value another thread set meanwhile
# stays); in that window (the imports, a few milliseconds) another thread starting a process
# or loading a BLAS would see 1. Nothing is set when the library is loaded already.
_VARIABLE = "OPENBLAS_NUM_THREADS"
_given = os.environ.get(_VARIABLE)
_set = "scipy_openblas32" not in sys.modules
if _set:
    os.environ[_VARIABLE] = "1"
try:
    try:
        # Loads libscipy_openblas.so with RTLD_GLOBAL: _core links against it (GEMM).
        import scipy_openblas32  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only on broken installs
        raise ImportError(
            f"weightinit needs the scipy-openblas32 wheel (its GEMM and LAPACK), which failed to import: {exc}. "
            "pip install scipy-openblas32 (pip install . installs it as a dependency)."
        ) from exc
    try:
        import weightinit._core as core
    except ImportError as exc:  # pragma: no cover - exercised only on broken installs
        raise ImportError(
            "weightinit's compiled core (weightinit._core) is missing or failed to load: "
            f"{exc}. Build and install the package with `pip install .` from the source tree "
            "(for development, `pip install scikit-build-core pybind11 scipy-openblas32 cmake ninja`, "
            "then `pip install --no-build-isolation -e .`: the README's Development section); "
            "importing weightinit from the source folder itself does not work."
        ) from exc
finally:
    if _set and os.environ.get(_VARIABLE) == "1":  # as this import left it
        if _given is None:
            os.environ.pop(_VARIABLE, None)
        else:
            os.environ[_VARIABLE] = _given

__all__ = ["core"]
