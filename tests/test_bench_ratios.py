"""bench/ratios.py's second table: truncated_normal's medians over our own normal's."""

import importlib.util
import pathlib

import pytest

_path = pathlib.Path(__file__).resolve().parents[1] / "bench" / "ratios.py"
_spec = importlib.util.spec_from_file_location("bench_ratios", _path)
ratios = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ratios)


def bench(library, median, threads=None):
    info = {"library": library}
    if threads is not None:
        info["threads"] = threads
    return {"stats": {"median": median}, "extra_info": info}


def test_truncated_normal_over_our_normal_pairs_dtype_size_and_threads():
    groups = {
        "normal float64 n=1e+07": [bench("weightinit", 10.0, 1), bench("weightinit", 6.0, 2),
                                   bench("numpy", 50.0), bench("torch", 40.0, 1)],
        "normal float32 n=1e+07": [bench("weightinit", 4.0, 1)],
        "truncated_normal float64 n=1e+07": [bench("weightinit", 18.0, 1), bench("weightinit", 13.0, 2),
                                             bench("torch", 400.0, 1), bench("numpy", 50.0)],
        "truncated_normal float32 n=1e+07": [bench("weightinit", 9.0, 1), bench("weightinit", 5.0, 2)],
        "truncated_normal float64 n=1e+06": [bench("weightinit", 2.0, 1)],  # no normal group
        "uniform float64 n=1e+07": [bench("weightinit", 8.0, 1)],
    }
    rows = ratios.against(groups, "truncated_normal", "normal")
    assert [(g, t) for g, t, _ in rows] == [("truncated_normal float32 n=1e+07", 1),
                                           ("truncated_normal float64 n=1e+07", 1),
                                           ("truncated_normal float64 n=1e+07", 2)]
    assert [r for _, _, r in rows] == pytest.approx([9.0 / 4.0, 18.0 / 10.0, 13.0 / 6.0])
