from hypothesis import settings

# Deterministic and without per-example deadlines (the C++ calls vary in time on CI).
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci")
