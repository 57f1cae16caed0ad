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
