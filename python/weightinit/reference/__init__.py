"""Pure-NumPy implementations of weightinit's streams and maths: the test oracle.

Written for clarity, not speed; nothing here calls the compiled core.
"""

from weightinit.reference import mlp, random

__all__ = ["mlp", "random"]
