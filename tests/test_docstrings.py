"""The examples in the public modules' docstrings run and print what they say."""

import doctest
import importlib

import numpy as np
import pytest
import weightinit as wi
# By module path: the package's ``sweep`` attribute is the function, not its module.
MODULES = [importlib.import_module(f"weightinit.{name}") for name in (
    "datasets", "fans", "initializers", "mlp", "prototype", "random", "registry", "summary", "sweep")]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_examples(module):
    result = doctest.testmod(module, extraglobs={"wi": wi, "np": np}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_help_of_every_initializer_gives_the_common_arguments():
    """help(wi.he_normal) said nothing of rng, dtype, out or region: a torch user who seeded
    torch got another array every run (rng=None draws OS entropy)."""
    from weightinit import _args, initializers

    names = initializers.__all__
    assert {"he_normal", "xavier_uniform", "orthogonal", "normal", "truncated_normal", "zeros"} <= set(names)
    for f in [getattr(wi, name) for name in names] + [wi.random.uniform, wi.random.normal, wi.random.truncated_normal]:
        doc = f.__doc__
        assert doc.count(_args.COMMON_ARGUMENTS) == 1, f.__name__
        for word in ("``rng``", "``dtype``", "``out``", "``region``", "np.random.seed"):
            assert word in doc, (f.__name__, word)

