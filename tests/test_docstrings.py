"""The two-line examples in the initializers' docstrings run and print what they say."""

import doctest

import numpy as np
import pytest
import weightinit as wi
from weightinit import fans, initializers, registry, summary


@pytest.mark.parametrize("module", [fans, initializers, registry, summary], ids=lambda m: m.__name__)
def test_examples(module):
    result = doctest.testmod(module, extraglobs={"wi": wi, "np": np}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
