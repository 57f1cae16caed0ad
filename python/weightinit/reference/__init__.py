"""Pure-NumPy implementations of what the C++ core computes: the test oracle."""
