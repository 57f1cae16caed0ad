"""Imports the compiled extension with a message that says how to build it."""

from __future__ import annotations

try:
    # Loads libscipy_openblas.so with RTLD_GLOBAL: _core links against it (GEMM).
    import scipy_openblas32  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only on broken installs
    raise ImportError(
        f"weightinit needs the scipy-openblas32 wheel (its GEMM and LAPACK), which failed to import: {exc}. "
        "pip install scipy-openblas32 (pip install . installs it as a dependency)."
    ) from exc

try:
    from weightinit import _core as core
except ImportError as exc:  # pragma: no cover - exercised only on broken installs
    raise ImportError(
        "weightinit's compiled core (weightinit._core) is missing or failed to load: "
        f"{exc}. Build and install the package with `pip install .` from the source tree "
        "(or `pip install --no-build-isolation -e .` for development); importing weightinit "
        "from the source folder itself does not work."
    ) from exc

__all__ = ["core"]
