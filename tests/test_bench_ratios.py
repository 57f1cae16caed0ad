"""bench/ratios.py's second table: truncated_normal's medians over our own normal's."""

import importlib.util
import json
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


def saved(path, benches):
    """A --benchmark-json file as pytest-benchmark writes it (the fields ratios.py reads)."""
    for b in benches:
        b.setdefault("group", "g")
    path.write_text(json.dumps({"benchmarks": benches}))
    return str(path)


def test_from_saved_files_prints_each_row_against_numpy_across_files(tmp_path, capsys):
    # Two files, as a run split in two writes them: the baseline is in the first only.
    baseline = dict(bench("numpy", 0.030, 1), group="sweep")
    baseline["extra_info"]["baseline"] = True
    first = saved(tmp_path / "a.json", [baseline, dict(bench("weightinit", 0.010, 1), group="sweep")])
    second = saved(tmp_path / "b.json", [dict(bench("weightinit", 0.002, 16), group="sweep")])
    assert ratios.main(["--from", first, second]) == 0
    out = capsys.readouterr().out
    rows = {tuple(line.split()[1:3]): line.split()[4] for line in out.splitlines() if line.startswith("sweep")}
    assert rows == {("numpy", "1"): "1.00x", ("weightinit", "1"): "3.00x", ("weightinit", "16"): "15.00x"}


def test_from_without_files_is_refused(capsys):
    assert ratios.main(["--from"]) == 2
    assert "--from needs" in capsys.readouterr().err


def test_from_a_file_without_benchmarks_fails_as_a_run_without_any_does(tmp_path, capsys):
    assert ratios.main(["--from", saved(tmp_path / "empty.json", [])]) == 1
    assert "no benchmark in" in capsys.readouterr().err


@pytest.mark.parametrize("text", [None, "{", '{"machine_info": {}}', "[1, 2]"])
def test_from_a_missing_or_foreign_file_is_one_line(tmp_path, capsys, text):
    path = tmp_path / "x.json"
    if text is not None:
        path.write_text(text)
    assert ratios.main(["--from", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: not a --benchmark-json file") and err.count("\n") == 1


_util_path = pathlib.Path(__file__).resolve().parents[1] / "bench" / "benchutil.py"
_util_spec = importlib.util.spec_from_file_location("bench_util", _util_path)
benchutil = importlib.util.module_from_spec(_util_spec)
_util_spec.loader.exec_module(benchutil)


@pytest.mark.parametrize("spec, cores, counts", [("", 2, [1, 2]), ("", 1, [1]), ("16,1,4,4", 2, [1, 4, 16]),
                                                 (" 2 , 8", 2, [2, 8])])
def test_bench_thread_counts(spec, cores, counts):
    assert benchutil.thread_counts(spec, cores) == counts


@pytest.mark.parametrize("spec", ["x", "1,,2", "0,2", "-1", "1.5", "1_0", "\u0663", "2,65537"])
def test_bench_thread_counts_refuses_what_is_not_a_list_of_positive_counts(spec):
    with pytest.raises(ValueError, match="WEIGHTINIT_BENCH_THREADS"):
        benchutil.thread_counts(spec, 2)
