"""The weightinit command: runs end to end, its numbers are the API's, and bad options fail cleanly."""

import dataclasses
import functools
import importlib
import io
import math
import os
import re
import shlex
import subprocess
import sys
import warnings
import zlib

import numpy as np
import pytest

import weightinit as wi
from weightinit import datasets, experiments, prototype
from weightinit import cli
from weightinit.cli import main
from weightinit.initializers import SCALE_RULES
from conftest import table_rows

PNG = b"\x89PNG\r\n\x1a\n"


def written(path):
    with open(path, "rb") as f:
        return f.read()


def assert_aligned(text):
    """Every table of text (a run of lines that start with |) has its lines of one length."""
    blocks = [[]]
    for line in text.splitlines():
        if line.startswith("|"):
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    tables = [b for b in blocks if b]
    assert tables
    for b in tables:
        assert len({len(line) for line in b}) == 1, b


COMMANDS = ("compare", "ranges", "depth", "all")


@pytest.fixture(autouse=True)
def help_at_a_set_width(monkeypatch):
    """argparse wraps its help to $COLUMNS, and the help tests read whole lines of it: at
    COLUMNS=20 (a runner's setting, not the package's doing) it broke usage lines into words
    and six of them failed. The tests, and the commands they start, get 100 columns."""
    monkeypatch.setenv("COLUMNS", "100")


@pytest.mark.parametrize("argv", [["--help"]] + [[command, "--help"] for command in COMMANDS])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(" ".join(["usage: weightinit", *argv[:-1]]) + " ")
    if argv == ["--help"]:
        assert all(command in out for command in COMMANDS)
    else:
        assert "--out" in out and ("--schemes" in out) == (argv[0] != "all") and "(default:" in out
        # Defaults as a user types them: no Python lists, no "None" or "False".
        flat = " ".join(out.split())
        assert "['" not in flat and "(default: None)" not in flat and "(default: False)" not in flat


def test_no_command_prints_the_help_and_version_prints_the_version(capsys):
    # A missing command is an error to a script (exit 2, as argparse's), the help for a person
    # (on stderr, which a terminal shows); helper-190 found it exiting 0.
    assert main([]) == 2
    said = capsys.readouterr()
    assert said.out == "" and said.err.startswith("usage: weightinit") and all(c in said.err for c in COMMANDS)
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"weightinit {wi.__version__}"


def test_python_dash_m_runs_the_command():
    proc = subprocess.run([sys.executable, "-m", "weightinit", "ranges", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "--max-inputs" in proc.stdout


def test_compare_writes_its_files_and_prints_the_api_numbers(tmp_path, capsys):
    out = tmp_path / "compare"
    argv = ["compare", "--iterations", "200", "--seeds", "2", "--schemes", "zeros,randn*0.01,he_normal",
            "--hidden", "3", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "training" not in captured.err  # --quiet: no progress bar, nor an estimate
    for name in ("costs.png", "boundaries.png"):
        assert written(out / name).startswith(PNG)
    report = (out / "report.md").read_text()
    assert "![costs](costs.png)" in report and "![boundaries](boundaries.png)" in report
    assert "`constant` sets" not in report  # said only where constant ran
    assert "Final cost (mean ± sd) and accuracies: over the runs that did not diverge" in report

    # Expected: every run alone through wi.MLP on the article's train (seed 1) / test (seed 2) sets.
    X, Y = datasets.planar_flower(1)
    X_test, Y_test = datasets.planar_flower(2)
    inits = {"zeros": "zeros", "randn*0.01": functools.partial(wi.normal, std=0.01), "he_normal": wi.he_normal}
    rows = table_rows(captured.out)
    assert [r[0] for r in rows] == list(inits)
    assert_aligned(captured.out)
    assert_aligned(report)
    for row, (name, init) in zip(rows, inits.items()):
        cost, train, test = [], [], []
        for seed in (0, 1):
            net = wi.MLP([2, 3, 1], activations=["tanh", "sigmoid"], init=init, rng=seed)
            net.fit(X, Y, iterations=200, learning_rate=1.2)
            cost.append(net.cost(X, Y))
            train.append(net.accuracy(X, Y))
            test.append(net.accuracy(X_test, Y_test))
        assert row[1] == f"{np.mean(cost):.4f} ± {np.std(cost):.4f}"
        assert row[2] == f"{100 * np.mean(train):.1f}"
        assert row[3] == f"{100 * np.mean(test):.1f}"
        assert row[4] == "0/2"
        assert row[1] in report


def test_compare_in_mini_batches_prints_what_each_network_fit_in_them_gives(tmp_path, capsys):
    out = tmp_path / "compare"
    argv = ["compare", "--iterations", "60", "--seeds", "2", "--schemes", "randn*0.01,he_normal", "--hidden", "3",
            "--batch-size", "50", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    report = (out / "report.md").read_text()
    assert ("60 iterations of mini-batch gradient descent (batches of 50, reshuffled every epoch; each recorded "
            "cost is its batch's, the final cost the whole training set's)") in report
    assert "still moving" not in report  # batch costs are noise, not movement
    assert wi.SweepResult.load(out / "results.npz").batch_size == 50
    X, Y = datasets.planar_flower(1)
    X_test, Y_test = datasets.planar_flower(2)
    inits = {"randn*0.01": functools.partial(wi.normal, std=0.01), "he_normal": wi.he_normal}
    rows = table_rows(printed)
    assert [r[0] for r in rows] == list(inits)
    for row, init in zip(rows, inits.values()):
        cost, train, test = [], [], []
        for seed in (0, 1):
            net = wi.MLP([2, 3, 1], activations=["tanh", "sigmoid"], init=init, rng=seed)
            net.fit(X, Y, iterations=60, learning_rate=1.2, batch_size=50)
            cost.append(net.cost(X, Y))
            train.append(net.accuracy(X, Y))
            test.append(net.accuracy(X_test, Y_test))
        assert row[1] == f"{np.mean(cost):.4f} ± {np.std(cost):.4f}"
        assert row[2] == f"{100 * np.mean(train):.1f}" and row[3] == f"{100 * np.mean(test):.1f}"


def test_compare_with_a_batch_of_every_example_reports_full_batch_descent(tmp_path, capsys):
    """--batch-size N >= the examples trains full batches (as fit and sweep): the report says
    what was run, not what was asked (helper-194: a report naming args.batch_size passed)."""
    out = tmp_path / "compare"
    for batch in ("50", "51"):
        argv = ["compare", "--iterations", "20", "--seeds", "1", "--schemes", "he_normal", "--hidden", "3",
                "--examples", "50", "--batch-size", batch, "--out", str(out), "--quiet"]
        assert main(argv) == 0
        capsys.readouterr()
        report = (out / "report.md").read_text()
        assert "20 iterations of full-batch gradient descent at learning rate" in report
        assert "mini-batch" not in report
        assert wi.SweepResult.load(out / "results.npz").batch_size is None


def test_ranges_prints_the_articles_statistics(tmp_path, capsys):
    out = tmp_path / "ranges"
    assert main(["ranges", "--out", str(out)]) == 0
    assert written(out / "ranges.png").startswith(PNG)
    assert "![ranges](ranges.png)" in (out / "report.md").read_text()
    text = capsys.readouterr().out
    assert_aligned(text)
    rows = {r[0]: r for r in table_rows(text)}
    # the articles' formulas for n = 10 inputs, m = 20 outputs
    assert rows["fan_in_uniform"][1] == f"bound {1 / math.sqrt(10):.3g}"
    assert rows["xavier_uniform"][1] == f"bound {math.sqrt(6) / math.sqrt(30):.3g}"
    assert rows["he_normal"][1] == f"std {math.sqrt(2 / 10):.3g}"
    # 1000 weights of the scheme's distribution at its scale for 10 inputs and 20 outputs, drawn
    # at once from the scheme's own Generator, seeded by (seed 1, crc32 of its name)
    for name in ("fan_in_uniform", "xavier_uniform", "he_normal"):
        gen = np.random.default_rng([1, zlib.crc32(name.encode())])
        s = wi.scale(name, 10, 20)
        w = (wi.random.normal((1000,), std=s, rng=gen) if name == "he_normal" else
             wi.random.uniform((1000,), low=-s, high=s, rng=gen))
        expected = [f"{v:.3g}" for v in (w.min(), w.max(), w.mean(), w.std())]
        assert rows[name][2:] == expected
    for name, bound in (("fan_in_uniform", 1 / math.sqrt(10)), ("xavier_uniform", math.sqrt(0.2))):
        assert -bound <= float(rows[name][2]) and float(rows[name][3]) <= bound


def test_ranges_and_depth_take_their_seed_and_ranges_its_plot_outputs(tmp_path, capsys, monkeypatch):
    """--seed reaches the draws (ranges' table, depth's profiles) and --plot-outputs the plot's
    fan_avg curves: a command that ignored them passed every other test (helper-97's mutants)."""
    argv = ["ranges", "--schemes", "he_normal,xavier_uniform", "--out", str(tmp_path / "r")]
    assert main(argv + ["--seed", "7"]) == 0
    rows = {r[0]: r for r in table_rows(capsys.readouterr().out)}
    for name, (_, _, _, summary) in zip(("he_normal", "xavier_uniform"),
                                        experiments.range_stats(["he_normal", "xavier_uniform"], count=1000, rng=7)):
        assert rows[name][2:] == [f"{v:.3g}" for v in (summary.min, summary.max, summary.mean, summary.std)]
    default = experiments.range_stats(["he_normal"], count=1000, rng=1)[0][3]
    assert rows["he_normal"][2:] != [f"{v:.3g}" for v in (default.min, default.max, default.mean, default.std)]

    seen = []
    real = experiments.range_curves
    monkeypatch.setattr(experiments, "range_curves", lambda *a: seen.append(a) or real(*a))
    assert main(argv + ["--outputs", "20", "--plot-outputs", "3"]) == 0
    assert seen and seen[0][2] == 3  # the plot's m, not the table's --outputs
    monkeypatch.undo()
    capsys.readouterr()

    argv = ["depth", "--depth", "3", "--width", "8", "--examples", "16", "--activations", "tanh",
            "--schemes", "he_normal", "--out", str(tmp_path / "d")]
    assert main(argv + ["--seed", "5"]) == 0
    row, = table_rows(capsys.readouterr().out.split("\n\n")[0])
    act, _ = experiments.depth_profile("he_normal", "tanh", 3, 8, 16, rng=5)
    assert row[1:] == [f"{v:.3g}" for v in act]
    assert row[1:] != [f"{v:.3g}" for v in experiments.depth_profile("he_normal", "tanh", 3, 8, 16, rng=0)[0]]


TRUNC = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]


def test_ranges_reports_truncated_rules_by_their_real_std_and_bound(tmp_path, capsys):
    """lecun_normal and variance_scaling are normals truncated at 2 s with s = std / 0.8796:
    the table gives their std (sqrt(1/10) for n = 10) and where the values stop (2 s), and
    the plot draws that bound, not 4 s."""
    out = tmp_path / "ranges"
    assert main(["ranges", "--schemes", "lecun_normal,variance_scaling", "--count", "20000", "--out", str(out)]) == 0
    rows = {r[0]: r for r in table_rows(capsys.readouterr().out)}
    std, bound = math.sqrt(1 / 10), 2 * math.sqrt(1 / 10) / TRUNC
    for name in ("lecun_normal", "variance_scaling"):
        assert rows[name][1] == f"std {std:.3g}, within ±{bound:.3g}"
        assert float(rows[name][5]) == pytest.approx(std, rel=0.03)  # 20 000 values
        assert -bound <= float(rows[name][2]) and float(rows[name][3]) <= bound
    curves = experiments.range_curves(["lecun_normal", "he_normal", "xavier_uniform"], 5, 10)
    half, what = experiments.range_half_width(*curves["lecun_normal"][:2])
    assert what == "bound" and half[0] == pytest.approx(2 / TRUNC, rel=1e-12)  # n = 1: s = 1 / 0.8796
    half, what = experiments.range_half_width(*curves["he_normal"][:2])
    assert what == "4 std" and half[0] == pytest.approx(4 * math.sqrt(2), rel=1e-12)


def test_uniform_ranges_of_the_second_article_are_schemes(tmp_path, capsys):
    """U[-0.3, 0.3] and U[-1, 1] (the second article's small uniform ranges) as uniform(A,B),
    whose comma does not split the --schemes list."""
    label, init = experiments.scheme("uniform(-0.3, 0.3)")
    w = init((200, 300), rng=1)
    assert label == "uniform(-0.3, 0.3)" and w.min() >= -0.3 and w.max() < 0.3 and w.max() > 0.299
    with pytest.raises(ValueError, match="low must be <= high"):
        experiments.scheme("uniform(1,-1)")
    out = tmp_path / "u"
    assert main(["compare", "--schemes", "uniform(-0.3,0.3),uniform(-1, 1),he_normal", "--iterations", "20",
                 "--seeds", "1", "--quiet", "--out", str(out)]) == 0
    names = [r[0] for r in table_rows(capsys.readouterr().out)]
    assert names == ["uniform(-0.3,0.3)", "uniform(-1, 1)", "he_normal"]


def test_ranges_panels_give_the_articles_names(tmp_path):
    """The second article titles its figures "Xavier", "normalized Xavier" and "He"."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    names = ["fan_in_uniform", "xavier_uniform", "he_normal", "he", "normalized Xavier", "lecun_normal",
             "GlorotUniform", "HeNormal"]
    fig = plots.range_curves(experiments.range_curves(names, 5, 10), str(tmp_path / "r.png"), 10)
    # The notes on a second line: on one, the last column's title ran past the figure (helper-114).
    assert [ax.get_title() for ax in fig.axes[:8]] == [
        'fan_in_uniform\n"Xavier"', 'xavier_uniform\n"normalized Xavier", 10 outputs', 'he_normal\n"He"', "he",
        "normalized Xavier\n10 outputs", "lecun_normal",
        'GlorotUniform\n"normalized Xavier", 10 outputs', "HeNormal"]  # keras' He is truncated: another rule
    last = plots.range_curves(experiments.range_curves(names[:1] + names[2:4] + names[1:2], 5, 10),
                              str(tmp_path / "r4.png"), 10)  # xavier_uniform in the last column
    last.canvas.draw()
    assert all(ax.title.get_window_extent().x1 <= last.bbox.x1 for ax in last.axes[:4])


def test_ranges_titles_name_the_outputs_of_every_rule_that_uses_them():
    curves = experiments.range_curves(["normalized_xavier", "glorot_uniform", "xavier_normal", "he_normal",
                                       "fan_in_uniform"], 5, 10)
    assert [c[2] for c in curves.values()] == [True, True, True, False, False]


def test_article_draws_start_from_the_articles_own_weights():
    """compare's --article-draws: the article's initialize_parameters, written out here as the
    article writes it (np.random.seed(2), then randn for W1 and W2, times K), is where each run
    starts; and a run then trains as the prototype's nn_model from those weights."""
    result, (X, Y, _, _) = experiments.compare(iterations=0, seeds=1, article_draws=True)
    assert result.inits == experiments.ARTICLE_SCHEMES and result.seeds == [2]
    for i, k in [(2, 1.0), (3, 0.01), (4, 0.001), (5, 100.0)]:
        rs = np.random.RandomState(2)
        W1, W2 = rs.randn(4, 2) * k, rs.randn(1, 4) * k
        p = result.network(i, 0).parameters
        np.testing.assert_array_equal(p["W1"], W1)
        np.testing.assert_array_equal(p["W2"], W2)
        assert not p["b1"].any() and not p["b2"].any()
    assert not result.network(0, 0).parameters["W1"].any()  # zeros
    assert (result.network(1, 0).parameters["W1"] == experiments.CONSTANT).all()
    trained, _ = experiments.compare(iterations=300, seeds=1, schemes=["randn*0.01"], article_draws=True)
    _, costs = prototype.nn_model(X, Y, 4, num_iterations=300, return_costs=True,
                                  parameters=prototype.initialize_parameters(2, 4, 1, scale=0.01))
    np.testing.assert_allclose(trained.costs[0, 0], costs, rtol=1e-12)
    with pytest.raises(ValueError, match="seeds must be 1, got 2"):
        experiments.compare(iterations=1, seeds=2, article_draws=True)
    # Its own default seeds, 8 for sweeps, is 1 here (it refused them: helper-176).
    assert experiments.compare(iterations=0, article_draws=True)[0].seeds == [2]
    with pytest.raises(ValueError, match="'he_normal' has no draw in the article"):
        experiments.compare(iterations=1, seeds=1, schemes=["randn", "he_normal"], article_draws=True)


def test_compare_article_draws_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "a"
    assert main(["compare", "--article-draws", "--iterations", "5", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert [r[0] for r in table_rows(printed)] == experiments.ARTICLE_SCHEMES
    assert "6 runs of 5 iterations" in printed
    assert "one run a scheme from the article's weights (np.random.seed(2)" in (out / "report.md").read_text()
    assert main(["compare", "--article-draws", "--schemes", "randn*0.01,zeros", "--iterations", "5", "--quiet",
                 "--out", str(out)]) == 0
    assert [r[0] for r in table_rows(capsys.readouterr().out)] == ["randn*0.01", "zeros"]
    for argv, words in [(["--seeds", "3"], "leave out --seeds"), (["--seeds=1"], "leave out --seeds"),
                        (["--schemes", "xavier"], "'xavier' has no draw in the article")]:
        assert main(["compare", "--article-draws", *argv, "--iterations", "5", "--quiet",
                     "--out", str(tmp_path / "b")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("weightinit compare: error: ") and words in err and err.count("\n") == 1, err
        assert not (tmp_path / "b").exists()


def test_the_report_says_what_constant_sets(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["compare", "--iterations", "5", "--seeds", "1", "--schemes", "constant,zeros", "--quiet",
                 "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    assert "`constant` sets every weight to 0.5 (biases start at 0)." in report
    printed = capsys.readouterr().out
    assert "constant sets every weight to 0.5 (biases start at 0)." in printed  # the terminal's reader too
    assert "2 runs of 5 iterations" in printed
    assert main(["compare", "--iterations", "5", "--seeds", "1", "--schemes", "zeros,same_constant", "--quiet",
                 "--out", str(out)]) == 0
    assert "`same_constant` sets every weight to 0.5 (biases start at 0)." in (out / "report.md").read_text()
    assert main(["compare", "--iterations", "1", "--seeds", "1", "--schemes", "zeros", "--quiet",
                 "--out", str(out)]) == 0
    assert "1 run of 1 iteration (flower, 400 points, [2, 4, 1]) in " in capsys.readouterr().out  # as report.md
    assert "1 iteration of full-batch" in (out / "report.md").read_text()
    trained = wi.MLP([2, 4, 1], init=experiments.scheme("constant")[1], rng=0).parameters
    assert np.all(trained["W1"] == 0.5) and np.all(trained["b1"] == 0)


def test_compare_writes_its_files_before_printing(tmp_path, monkeypatch):
    """`weightinit compare | head -2` closes the pipe early: the plots and report are written
    before anything is printed, so they are there all the same."""
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

    out = tmp_path / "pipe"
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["compare", "--iterations", "20", "--seeds", "1", "--schemes", "zeros,he_normal", "--quiet",
                 "--out", str(out)]) == 1
    for name in ("costs.png", "boundaries.png", "report.md"):
        assert (out / name).exists()


def closed_pipe(argv, lines_read):
    """Runs weightinit argv with stdout a pipe its reader closes after lines_read lines:
    (exit status, stderr)."""
    code = ("import subprocess, sys\n"
            f"p = subprocess.Popen([sys.executable, '-m', 'weightinit', *{list(argv)!r}],"
            " stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
            f"for _ in range({lines_read}): p.stdout.readline()\n"
            "p.stdout.close()\n"
            "err = p.stderr.read().decode()\n"
            "print(p.wait(), repr(err))\n")
    status, err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split(" ", 1)
    return int(status), eval(err)


def test_a_closed_pipe_ends_the_command_without_an_error_message(tmp_path):
    assert closed_pipe(["ranges", "--out", str(tmp_path / "r")], 0) == (1, "")
    assert (tmp_path / "r" / "ranges.png").exists()


def test_a_closed_pipe_does_not_stop_all_before_its_last_section(tmp_path):
    """weightinit all | head: the reader goes after the first line; every section still runs and
    the report is written, and the status says the output was not all read."""
    argv = ["all", "--iterations", "5", "--seeds", "1", "--out", str(tmp_path / "a")]
    assert closed_pipe(argv, 1) == (1, "")
    assert (tmp_path / "a" / "depth" / "depth.csv").exists() and (tmp_path / "a" / "report.md").exists()


def test_all_takes_an_output_directory_that_starts_with_a_dash(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["all", "--iterations", "5", "--seeds", "1", "--quiet", "--out=-x"]) == 0
    assert (tmp_path / "-x" / "compare" / "results.npz").exists() and (tmp_path / "-x" / "report.md").exists()
    assert "weightinit compare --iterations 5 --seeds 1 --out=-x/compare --quiet" in capsys.readouterr().out


@pytest.mark.parametrize("argv, hint", [
    (["--schemes", "he"], "(--schemes is an option of compare, ranges and depth: all runs each with its defaults; "
                          "run weightinit compare alone to set it)"),
    (["--seed=3"], "(--seed is an option of ranges and depth: all runs each with its defaults; run weightinit "
                   "ranges alone to set it; did you mean --seeds?)"),  # all's --seeds is compare's count
    (["--iteration", "5"], "(did you mean --iterations?)"),
])
def test_all_says_which_command_takes_an_option_it_does_not(argv, hint, capsys):
    with pytest.raises(SystemExit) as info:
        main(["all", *argv])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.startswith("weightinit all: error: unrecognized arguments: ") and hint in err


def test_all_checks_every_directory_before_any_work_and_leaves_no_stale_report(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert main(["all", "--iterations", "5", "--seeds", "1", "--quiet", "--out", str(out)]) == 0
    (out / "depth" / "depth.csv").unlink()
    for f in (out / "depth").iterdir():
        f.unlink()
    (out / "depth").rmdir()
    (out / "depth").write_text("a file where the section's directory goes")
    calls = []
    monkeypatch.setattr(experiments, "compare", lambda *a, **k: calls.append(a))
    assert main(["all", "--iterations", "5", "--seeds", "1", "--quiet", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert calls == [] and "cannot write to output directory" in err and len(err.splitlines()) == 1
    assert (out / "report.md").exists()  # refused before any work: nothing taken away
    (out / "depth").unlink()
    monkeypatch.undo()
    monkeypatch.setattr(experiments, "depth_profile", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        main(["all", "--iterations", "5", "--seeds", "1", "--quiet", "--out", str(out)])
    assert not (out / "report.md").exists()  # it described the sections of another run
    assert (out / "ranges" / "ranges.png").exists()  # the sections done stay


def test_depth_of_an_exploding_network_stays_finite_and_quiet(recwarn):
    """randn*100 through 60 relu layers: activations reach ~1e150, which numpy's std
    squares into inf (with overflow warnings); the profile's stds scale first."""
    act, _ = experiments.depth_profile("randn*100", "relu", depth=60, width=16, examples=32)
    assert np.isfinite(act[:50]).all() and act[49] > 1e90
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_depth_reports_an_overflowed_layer_as_inf_not_nan():
    """randn*1e300 through relu: layer 2's values overflow to inf (and to nan where infs
    meet); the table said nan, as for a missing value."""
    act, grad = experiments.depth_profile("randn*1e300", "relu", depth=4, width=8, examples=16)
    assert 1e299 < act[0] < math.inf and (act[1:] == math.inf).all() and (grad == math.inf).all()


def test_depth_shows_the_vanishing_signal(tmp_path, capsys):
    out = tmp_path / "depth"
    argv = ["depth", "--depth", "4", "--width", "16", "--examples", "32", "--activations", "tanh",
            "--schemes", "randn*0.01,he_normal", "--out", str(out)]
    assert main(argv) == 0
    assert written(out / "depth.png").startswith(PNG)
    assert "![depth](depth.png)" in (out / "report.md").read_text()
    text = capsys.readouterr().out
    assert_aligned(text)
    activation_block = text.split("\n\n")[0]
    rows = {r[0]: [float(v) for v in r[1:]] for r in table_rows(activation_block)}
    # std 0.01 weights on 16 inputs shrink the signal ~0.04x per tanh layer
    small = rows["randn*0.01"]
    assert all(b < 0.1 * a for a, b in zip(small, small[1:]))
    assert min(rows["he_normal"]) > 0.1
    # the printed stds are those of wi.MLP's forward pass
    gen = np.random.default_rng(0)
    X = gen.standard_normal((16, 32))
    net = wi.MLP([16] * 5 + [1], ["tanh"] * 4 + ["sigmoid"], init="he_normal", rng=0)
    _, A = net.forward(X)
    assert [f"{a.std():.3g}" for a in A[:4]] == [f"{v:.3g}" for v in rows["he_normal"]]


def run_cli(*argv):
    return subprocess.run([sys.executable, "-m", "weightinit", *argv], capture_output=True, text=True)


@pytest.mark.parametrize("argv, code", [
    (["compare", "--iterations", "-5"], 2),
    (["compare", "--iterations", "0"], 2),  # no step: no cost to plot
    (["compare", "--schemes", "zeros,no_such_scheme"], 2),
    (["compare", "--learning-rate", "nan"], 2),
    (["compare", "--batch-size", "0"], 2),
    (["ranges", "--schemes", "orthogonal"], 2),
    (["depth", "--activations", "softmax"], 2),
    (["frobnicate"], 2),
    (["compare", "--iterations", "99999999999999999999"], 2),  # beyond the core's 64-bit counts
    (["compare", "--threads", "99999999999"], 2),
    (["compare", "--seeds", "99999999999999999999"], 2),
    (["depth", "--width", "3000000", "--depth", "1", "--examples", "1"], 1),  # 72 TB of weights
    (["ranges", "--schemes", "randn*0.01"], 2),  # ranges needs a scale from the fans
    (["ranges", "--count", "10000001"], 2),  # at most 10^7 weights a scheme (80 MB a draw)
    (["ranges", "--schemes", "constant(2)"], 2),
    (["depth", "--schemes", "sparse"], 2),  # sparse needs its sparsity
    (["depth", "--schemes", "dirac"], 2),  # dirac needs a conv shape
    (["compare", "--schemes", "he,sparse"], 2),
    (["all", "--iterations", "0"], 2),
    (["all", "--schemes", "he_normal"], 2),  # each command's defaults: run it alone for other schemes
])
def test_bad_options_give_one_line_and_nonzero_status(argv, code, tmp_path, capsys):
    status = None
    try:
        status = main([*argv, "--out", str(tmp_path / "x")] if argv[0] != "frobnicate" else argv)
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    err = capsys.readouterr().err
    assert status == code
    assert len(err.strip().splitlines()) == 1 and "error" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()  # refused before any work, or the run's own empty directory removed


@pytest.mark.parametrize("rate", ["inf", "1e309"])
def test_an_infinite_learning_rate_is_refused_by_the_option(rate, capsys):
    """The option's own check, naming the option: without it the library refused it in its
    own words ("learning_rate must be finite"), naming an argument the user did not type
    (helper-165)."""
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--learning-rate", rate])
    assert exc.value.code == 2
    assert "argument --learning-rate: must be a finite number > 0" in capsys.readouterr().err


def test_a_batch_size_below_one_is_refused_by_the_option(capsys):
    """The option's own check names --batch-size (as --learning-rate's): a parser taking 0
    still failed with status 2, but in the library's words, "batch_size must be >= 1"
    (helper-194)."""
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--batch-size", "0"])
    assert exc.value.code == 2
    assert "argument --batch-size: must be >= 1, got 0" in capsys.readouterr().err


def test_the_report_names_the_seeds_that_ran(tmp_path):
    """report.md's notes said which seeds ran; a count off by one went unseen (helper-165)."""
    for seeds, said in ((2, "seeds 0..1;"), (1, "seeds 0..0;")):
        out = tmp_path / str(seeds)
        assert main(["compare", "--seeds", str(seeds), "--iterations", "1", "--schemes", "zeros,he_normal",
                     "--quiet", "--out", str(out)]) == 0
        assert said in (out / "report.md").read_text(encoding="utf-8")


def test_each_commands_help_offers_only_schemes_it_takes(capsys):
    for command in ("compare", "ranges", "depth"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert ("randn*K" in text) == (command != "ranges")
        if command == "ranges":
            for name in ("fan_in_uniform", "xavier_uniform", "he_normal", "lecun_normal", "variance_scaling"):
                assert name in text


def test_unwritable_output_directory(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    proc = run_cli("compare", "--iterations", "1", "--seeds", "1", "--out", str(blocker / "sub"))
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "cannot write to output directory" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_an_interrupted_run_leaves_no_empty_directory_but_keeps_one_it_found(monkeypatch, tmp_path, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiments, "compare", interrupted)
    assert main(["compare", "--quiet", "--out", str(tmp_path / "new" / "out")]) == 130
    assert not (tmp_path / "new").exists()  # its parent too, as the default weightinit-out/compare
    (tmp_path / "mine").mkdir()
    assert main(["compare", "--quiet", "--out", str(tmp_path / "mine")]) == 130
    assert (tmp_path / "mine").is_dir()
    # x/../mine is the user's mine: only x, which the run made, goes
    assert main(["compare", "--quiet", "--out", str(tmp_path / "x" / ".." / "mine")]) == 130
    assert (tmp_path / "mine").is_dir() and not (tmp_path / "x").exists()
    assert capsys.readouterr().err.count("interrupted") == 3


def test_an_interrupted_all_leaves_no_empty_directory(monkeypatch, tmp_path, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiments, "depth_profile", interrupted)  # compare and ranges have written theirs
    assert main(["all", "--quiet", "--iterations", "5", "--seeds", "1", "--out", str(tmp_path / "new" / "out")]) == 130
    assert (tmp_path / "new" / "out" / "ranges" / "report.md").exists()
    assert not (tmp_path / "new" / "out" / "depth").exists() and not (tmp_path / "new" / "out" / "report.md").exists()
    monkeypatch.setattr(experiments, "compare", interrupted)
    assert main(["all", "--quiet", "--out", str(tmp_path / "other" / "out")]) == 130
    assert not (tmp_path / "other").exists()
    assert capsys.readouterr().err.count("weightinit all: interrupted") == 2


def test_all_runs_each_command_as_alone_and_reports_them_together(tmp_path, capsys, restore_threads):
    out = tmp_path / "all"
    scale = ["--iterations", "30", "--seeds", "2"]
    wi.set_num_threads(3)
    assert main(["all", *scale, "--out", str(out), "--quiet", "--threads", "1"]) == 0
    assert wi.get_num_threads() == 3  # main() in a program leaves its thread setting as it was (it set 1)
    printed = capsys.readouterr().out
    tables, sections = [], []
    for command in ("compare", "ranges", "depth"):
        alone = tmp_path / "alone" / command
        argv = [command, *(scale if command == "compare" else []), f"--out={alone}", "--quiet", "--threads", "1"]
        # The command line that heads the section is the one run here (helper-137: --threads was left out).
        assert "weightinit " + shlex.join(argv).replace(str(alone), str(out / command)) in printed
        assert main(argv) == 0
        tables += [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
        # The same files with the same contents, but for the command line that heads the report.
        names = sorted(p.name for p in alone.iterdir())
        assert names == sorted(p.name for p in (out / command).iterdir()) and "report.md" in names
        for name in names:
            mine, theirs = written(out / command / name), written(alone / name)
            if name.endswith(".md"):
                mine, theirs = mine.replace(bytes(out / command), b"OUT"), theirs.replace(bytes(alone), b"OUT")
            if not name.endswith(".png"):  # matplotlib stamps no time, but spare the test its versions
                assert mine == theirs, (command, name)
        sections.append((out / command / "report.md").read_text().split("\n", 1)[1])
    # Every table the three commands print alone, in their order.
    assert [line for line in printed.splitlines() if line.startswith("|")] == tables
    report = (out / "report.md").read_text()
    assert report.startswith("# weightinit all\n")
    for command, body in zip(("compare", "ranges", "depth"), sections):  # the paths within from the report's folder
        said = report.replace(f"`{command}/", "`").replace(f'"{command}/', '"')
        assert f"weightinit {command} " in report and body.split("```", 2)[2].split("![")[0] in said
    links = re.findall(r"\]\(([^)]+)\)", report)
    assert {"compare/costs.png", "compare/boundaries.png", "ranges/ranges.png", "depth/depth.png",
            "depth/report.md"} <= set(links)
    assert all((out / link).is_file() for link in links)
    # And the files the notes name: `results.npz` and `depth.csv` were not in the report's folder (helper-160).
    files = set(re.findall(r"`([\w/]+\.(?:npz|csv))`", report))
    assert files == {"compare/results.npz", "depth/depth.csv"} and all((out / f).is_file() for f in files)
    assert 'SweepResult.load("compare/results.npz")' in report
    assert printed.rstrip().endswith(f"wrote {out / 'report.md'}")


def test_negative_iterations_in_a_real_process():
    proc = run_cli("compare", "--iterations", "-1")
    assert proc.returncode == 2
    assert re.fullmatch(r"weightinit compare: error: .*--iterations.*must be >= 1, got -1\n", proc.stderr)


def test_progress_bar_only_on_a_terminal_and_not_quiet(monkeypatch):
    from weightinit.cli import _Progress

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert _Progress(10, "x", quiet=False).bar is None  # pytest's stderr, where tqdm draws, is not a terminal
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # > file: the bar still shows (helper-126)
    assert _Progress(10, "x", quiet=True).bar is None
    shown = _Progress(10, "x", quiet=False)
    try:
        assert shown.bar is not None
        shown(4, 10)
        assert shown.bar.n == 4
        shown(4.25, 10)  # runs in progress count by their share of steps
        assert shown.bar.n == 4.25 and "4.2/10 runs" in str(shown.bar)
    finally:
        shown.close()


def test_ranges_reports_progress_per_scheme(monkeypatch, tmp_path):
    """ranges draws its layers in Python (50 000 of them for --count 10**7): a bar over the
    schemes, so that its --quiet means something."""
    calls = []
    experiments.range_stats(["fan_in_uniform", "he_normal"], count=400, progress=lambda: calls.append(1))
    assert calls == [1, 1]
    seen = {}

    class Bar:
        def __init__(self, total, desc, quiet, unit="run"):
            seen.update(total=total, desc=desc, quiet=quiet, unit=unit, steps=0)

        def step(self):
            seen["steps"] += 1

        def close(self):
            seen["closed"] = True

    monkeypatch.setattr(cli, "_Progress", Bar)
    assert cli.main(["ranges", "--schemes", "he_normal,xavier_uniform", "--count", "400", "--quiet",
                     "--out", str(tmp_path / "r")]) == 0
    assert seen == {"total": 2, "desc": "sampling", "quiet": True, "unit": "scheme", "steps": 2, "closed": True}


def test_missing_matplotlib_is_reported_before_any_work(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from weightinit.cli import main\n"
            f"sys.exit(main(['compare', '--seeds', '1', '--iterations', '5', '--out', {str(tmp_path / 'x')!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "cli extra" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stdout == "" and not (tmp_path / "x").exists()


@pytest.mark.parametrize("name, variance", [("HeNormal", 2 / 10), ("GlorotUniform", 1 / 15), ("he_normal", 2 / 10)])
def test_ranges_scales_for_n_inputs_whatever_the_names_layout(name, variance):
    """keras' names read a (*k, in, out) kernel; the (m, n) layers of ranges still have n inputs."""
    (_, spread, _, summary), = experiments.range_stats([name], n=10, m=20, count=40000)
    assert summary.std == pytest.approx(math.sqrt(variance), rel=0.02)  # 40 000 values: 2% is > 5 sigma
    assert spread == pytest.approx(wi.scale(name, 10, 20))


def test_ranges_draws_the_same_weights_under_any_name_of_one_initializer():
    """The article's "he" is he_normal (and kaiming_normal): one row, whatever it is called; the
    keras class names, another rule behind a shared function, keep a seed of their own."""
    rows = experiments.range_stats(["he", "he_normal", "kaiming_normal_", "HeNormal"], count=500, rng=3)
    assert rows[0][3] == rows[1][3] == rows[2][3] != rows[3][3]


def test_ranges_rows_do_not_depend_on_the_other_schemes():
    alone = experiments.range_stats(["he_normal"], count=500, rng=3)[0][3]
    among = experiments.range_stats(["xavier_uniform", "he_normal", "lecun_uniform"], count=500, rng=3)[1][3]
    assert alone == among
    other = experiments.range_stats(["xavier_uniform", "lecun_uniform"], count=500, rng=3)
    assert other[0][3].min != other[1][3].min * math.sqrt(1 / 3 * 30 / 10)  # not one draw rescaled


def test_ranges_draws_only_the_weights_it_summarizes(monkeypatch):
    """``count`` values of the rule's distribution in one draw, as the article draws its 1000:
    where they fit in an (m, n) layer, that layer's first values, bit for bit; beyond it, the
    stream goes on (a layer per call took 44 s for 10^6 weights of 1 x 1 layers). No layer is
    drawn whole: 1000 weights of 20000 x 20000 layers took 9.4 GB resident."""
    for n, m, count in ((7, 5, 35), (50, 3, 20), (10, 20, 150), (10, 20, 1000)):
        gen = np.random.default_rng([4, zlib.crc32(b"he_normal")])
        (_, _, _, summary), = experiments.range_stats(["he_normal"], n=n, m=m, count=count, rng=4)
        if count <= n * m:
            expected = wi.he_normal((m, n), rng=gen).ravel()[:count]
        else:
            expected = wi.random.normal((count,), std=wi.scale("he_normal", n, m), rng=gen)
        assert summary == wi.describe(expected)

    calls = []
    spread_values = experiments.initializers.spread_values
    monkeypatch.setattr(experiments.initializers, "spread_values", lambda *a: calls.append(a) or spread_values(*a))
    (_, spread, _, summary), = experiments.range_stats(["he_normal"], n=200_000, m=200_000, count=1000, rng=4)
    assert [c[0] for c in calls] == [1000]
    assert spread == pytest.approx(math.sqrt(2 / 200_000), rel=1e-14) and summary.std == pytest.approx(spread, rel=0.15)
    calls.clear()
    rows = experiments.range_stats(["xavier_uniform", "HeNormal"], n=1, m=1, count=10**6, rng=4)
    assert [c[0] for c in calls] == [10**6, 10**6]  # one draw a scheme, not 10^6 layers
    assert rows[0][3].max <= math.sqrt(3) and rows[0][3].std == pytest.approx(1, rel=0.01)
    # keras' HeNormal: its truncated normal, std sqrt(2) after the cut at 2 s (0.6% of the values
    # lie within 0.1 s of it: a uniform or an uncut normal at any scale fails one of these)
    assert rows[1][3].std == pytest.approx(math.sqrt(2), rel=0.01)
    assert 1.95 * rows[1][1] < rows[1][3].max <= 2 * rows[1][1] and -2 * rows[1][1] <= rows[1][3].min < -1.95 * rows[1][1]


def test_ranges_table_keeps_three_significant_digits_for_wide_layers(tmp_path, capsys):
    """At n = 20000 the bound is 0.00707 and the mean ~1e-4: three decimals printed 0.007 and 0.000."""
    assert main(["ranges", "--inputs", "20000", "--outputs", "20000", "--schemes", "fan_in_uniform",
                 "--out", str(tmp_path / "r")]) == 0
    row, = table_rows(capsys.readouterr().out)
    assert row[1] == f"bound {1 / math.sqrt(20000):.3g}" == "bound 0.00707"
    gen = np.random.default_rng([1, zlib.crc32(b"fan_in_uniform")])
    w = wi.fan_in_uniform((20000, 20000), rng=gen, region=(slice(0, 1), slice(0, 1000))).ravel()
    assert row[2:] == [f"{v:.3g}" for v in (w.min(), w.max(), w.mean(), w.std())]
    assert row[4] not in ("0.000", "-0.000")


@pytest.mark.parametrize("argv, message", [
    (["compare", "--seed", "5"],  # not --seeds
     "weightinit compare: error: unrecognized arguments: --seed 5 (did you mean --seeds?)"),
    (["depth", "--activation", "relu"],
     "weightinit depth: error: unrecognized arguments: --activation relu (did you mean --activations?)"),
    (["compare", "--seeds", "2", "--quite"], "unrecognized arguments: --quite (did you mean --quiet?)"),
    (["--bogus"], "weightinit: error: unrecognized arguments: --bogus"),
    (["ranges", "--count", "5", "extra"], "weightinit ranges: error: unrecognized arguments: extra"),
    (["compare", "--schemes", "he,xavier,he"], "'he' listed twice"),
    (["depth", "--activations", "tanh,tanh"], "'tanh' listed twice"),
    # one scheme under two spellings: two identical rows
    (["compare", "--schemes", "xavier,Xavier"], "'xavier' and 'Xavier' are one scheme: listed twice"),
    (["compare", "--schemes", "randn*0.01, randn * 1e-2"], "'randn*0.01' and 'randn * 1e-2' are one scheme"),
    (["compare", "--schemes", "zeros,he,he_normal"], "'he' and 'he_normal' are one scheme"),
    (["ranges", "--schemes", "he_normal,kaiming_normal_"], "'he_normal' and 'kaiming_normal_' are one scheme"),
    (["compare", "--schemes", "constant,constant(0.5)"], "'constant' and 'constant(0.5)' are one scheme"),
    # helper-126: a default was not matched with the same value given
    (["compare", "--schemes", "randn,random"], "'randn' and 'random' are one scheme"),
    (["compare", "--schemes", "normal,randn*1"], "'normal' and 'randn*1' are one scheme"),
    (["compare", "--schemes", "uniform,uniform(0,1)"], "'uniform' and 'uniform(0,1)' are one scheme"),
    (["compare", "--schemes", "same_constant,constant"], "'same_constant' and 'constant' are one scheme"),
    # helper-180: other functions that draw the same weights, keras' and torch's
    (["compare", "--schemes", "HeUniform,zeros,kaiming_uniform"], "'HeUniform' and 'kaiming_uniform' are one scheme"),
    (["depth", "--schemes", "GlorotUniform,xavier_uniform"], "'GlorotUniform' and 'xavier_uniform' are one scheme"),
    (["depth", "--schemes", "LecunUniform,lecun_uniform"], "'LecunUniform' and 'lecun_uniform' are one scheme"),
    (["compare", "--schemes", "ones,constant(1)"], "'ones' and 'constant(1)' are one scheme"),
    (["compare", "--schemes", "zeros,uniform(-0.3,0.3"], "unbalanced parentheses in 'zeros,uniform(-0.3,0.3'"),
    (["compare", "--out", ""], "argument --out: expected a directory, got an empty string"),
    (["all", "--out="], "argument --out: expected a directory, got an empty string"),
])
def test_options_are_not_abbreviated_and_lists_hold_no_duplicates(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_long_run_without_a_bar_says_once_how_long_it_will_take(tmp_path, capsys, monkeypatch):
    """With stdout not a terminal there is no bar: `compare --iterations 10000000000` (a zero
    too many) ran for days without a word. Past ESTIMATE_AFTER seconds, a run with more than
    ESTIMATE_LONG seconds still to go says so once on stderr (here both are made 0)."""
    argv = ["compare", "--iterations", "3000", "--seeds", "2", "--schemes", "zeros,he", "--out", str(tmp_path)]
    assert main(argv) == 0
    assert capsys.readouterr().err == ""  # a short run: nothing
    monkeypatch.setattr(cli, "ESTIMATE_AFTER", 0.0)
    monkeypatch.setattr(cli, "ESTIMATE_LONG", 0.0)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert re.fullmatch(r"weightinit compare: training: about [0-9.]+ (seconds|minutes|hours|days) left at this "
                        r"pace \(Ctrl-C stops\)\n", err), err
    assert main(argv + ["--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["all", "--iterations", "3000", "--seeds", "2", "--out", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().err.startswith("weightinit all: training: about ")  # the command typed


def test_a_long_depth_run_without_a_bar_says_how_long_too(tmp_path, capsys, monkeypatch):
    """helper-114: `depth --width 2048 --examples 2048 --depth 20` said nothing on stderr for
    as long as it ran, where --quiet's help promises an estimate to silence."""
    argv = ["depth", "--depth", "3", "--width", "8", "--examples", "16", "--schemes", "he,zeros", "--out",
            str(tmp_path)]
    assert main(argv) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(cli, "ESTIMATE_AFTER", 0.0)
    monkeypatch.setattr(cli, "ESTIMATE_LONG", 0.0)
    assert main(argv) == 0
    assert re.fullmatch(r"weightinit depth: profiling: about [0-9.]+ (seconds|minutes) left at this pace "
                        r"\(Ctrl-C stops\)\n", capsys.readouterr().err)
    assert main(argv + ["--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_the_estimate_takes_the_pace_from_the_first_report_not_from_the_setup(capsys, monkeypatch):
    """Drawing 30 000 runs' weights took seconds before the first report, with nothing done:
    timed from the bar's start, 8 s of training were announced as 1.3 days (helper-98)."""
    clock = [0.0]
    monkeypatch.setattr(cli.time, "perf_counter", lambda: clock[0])
    bar = cli._Progress(100, "training", quiet=False, prog="weightinit compare")  # stdout: no terminal
    clock[0] = 1000.0  # the setup
    bar(0.5)  # the first report: the pace starts here
    clock[0] = 1005.0
    bar(1.0)  # before ESTIMATE_AFTER (10 s) since the first report: nothing yet
    assert capsys.readouterr().err == ""
    clock[0] = 1020.0
    bar(2.5)  # 2 runs in 20 s, 97.5 to go: 975 s
    clock[0] = 1030.0
    bar(3.5)  # said once only
    assert capsys.readouterr().err == "weightinit compare: training: about 16.2 minutes left at this pace (Ctrl-C stops)\n"
    quiet = cli._Progress(100, "training", quiet=True)
    quiet(0.5)
    clock[0] = 2000.0
    quiet(1.0)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("seconds, text", [
    (0.4, "0.4 seconds"), (59, "59.0 seconds"), (61, "1.0 minutes"), (5400, "1.5 hours"), (3 * 86400, "3.0 days"),
    (1e12, "11574074.1 days"),
])
def test_durations_read_in_the_largest_unit_that_fits(seconds, text):
    assert cli.duration(seconds) == text


def test_summary_of_huge_costs_does_not_overflow():
    X, Y = datasets.planar_flower(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow in the sd's squares
        r = wi.sweep(X, Y, [2, 4, 1], [("big", functools.partial(wi.normal, std=1e300))], 2, 3, 1.2)
        row = r.summary()[0]
    assert math.isfinite(row["cost_mean"]) and math.isfinite(row["cost_sd"]) and row["cost_mean"] > 1e299
    costs = r.final_cost[0]
    assert row["cost_sd"] == pytest.approx(abs(costs[0] - costs[1]) / 2, rel=1e-12)
    r2 = wi.sweep(X, Y, [2, 4, 1], [("nan", functools.partial(wi.constant, value=1e308))], 1, 3, 1.2)
    assert r2.diverged.all() and table_rows(r2.table())[0][:2] == ["nan", "- ± -"]


def test_ranges_rows_stand_alone_for_sequence_seeds_too():
    rows = experiments.range_stats(["he_normal", "xavier_normal"], count=500, rng=[1, 2])
    alone = experiments.range_stats(["xavier_normal"], count=500, rng=[1, 2])
    assert rows[1][3] == alone[0][3]
    he, xn = rows[0][3], rows[1][3]
    assert he.min / xn.min != pytest.approx(he.std / xn.std, rel=1e-9)  # not one draw rescaled


def test_schemes_that_draw_differently_may_be_listed_together(tmp_path, capsys):
    """keras' Orthogonal (flattened by the last axis) is not torch's orthogonal, though the
    registry's torch names ignore case; uniform(-1,1) is not uniform(-1,2)."""
    assert main(["compare", "--schemes", "orthogonal,Orthogonal,uniform(-1,1),uniform(-1,2)", "--iterations", "2",
                 "--seeds", "1", "--out", str(tmp_path), "--quiet"]) == 0
    assert [r[0] for r in table_rows(capsys.readouterr().out)] == [
        "orthogonal", "Orthogonal", "uniform(-1,1)", "uniform(-1,2)"]


def test_all_refuses_a_report_that_is_a_directory_before_any_work(tmp_path, capsys, monkeypatch):
    """helper-126: all ran its three sections, then failed to write OUT/report.md."""
    (tmp_path / "report.md").mkdir()
    monkeypatch.setattr(cli, "_SECTIONS", [(c, lambda *a: pytest.fail("a section ran"), h) for c, _, h in cli._SECTIONS])
    assert main(["all", "--quiet", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"weightinit all: error: cannot write {tmp_path / 'report.md'}: Is a directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]  # no section's directory left


@pytest.mark.parametrize("name", ["report.md", "costs.png", "results.npz"])
def test_a_file_the_run_writes_that_is_a_directory_is_said_plainly(name, tmp_path, capsys):
    (tmp_path / name).mkdir()
    assert main(["compare", "--iterations", "5", "--seeds", "1", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err == f"weightinit compare: error: cannot write {tmp_path / name}: Is a directory\n"


@pytest.mark.parametrize("command, name, work", [
    ("compare", "costs.png", "compare"), ("compare", "boundaries.png", "compare"), ("compare", "results.npz", "compare"),
    ("ranges", "ranges.png", "range_stats"), ("depth", "depth.png", "depth_profile"),
    ("depth", "depth.csv", "depth_profile")])
def test_a_file_the_command_writes_that_is_a_directory_is_refused_before_its_work(command, name, work, tmp_path,
                                                                                   capsys, monkeypatch):
    """helper-160: with costs.png a directory, compare trained (and wrote results.npz) first."""
    (tmp_path / name).mkdir()
    monkeypatch.setattr(experiments, work, lambda *a, **k: pytest.fail("the command's work ran"))
    assert main([command, "--out", str(tmp_path), "--quiet"]) == 1
    assert capsys.readouterr().err == f"weightinit {command}: error: cannot write {tmp_path / name}: Is a directory\n"
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("iterations", [10_000, 100_000, 10**6])
def test_cost_panels_tick_labels_do_not_overlap(iterations, tmp_path):
    """The article's 10x-iterations run of randn*100 (100 000 steps) drew "75000100000"."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    result, _ = experiments.compare("flower", 4, "tanh", iterations, 1.2, 1, ["randn*100"])
    fig = plots.cost_curves(result, str(tmp_path / "costs.png"))
    texts = _x_tick_labels_apart(fig, fig.axes[0])
    assert texts[0] == "0" and texts[-1] == {10_000: "10k", 100_000: "100k", 10**6: "1M"}[iterations]


def _x_tick_labels_apart(fig, ax):
    """ax's visible x tick labels, checked to be three or more with gaps of a quarter label."""
    renderer = fig.canvas.get_renderer()
    lo, hi = ax.get_xlim()
    labels = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible() and lo <= t.get_position()[0] <= hi]
    boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
    assert len(boxes) >= 3
    gaps = [b.x0 - a.x1 for a, b in zip(boxes, boxes[1:])]
    assert min(gaps) >= 0.25 * max(b.width for b in boxes), ([t.get_text() for t in labels], gaps)
    return [t.get_text() for t in labels]


@pytest.mark.parametrize("max_inputs", [100, 100_000])
def test_range_panels_tick_labels_do_not_overlap(max_inputs, tmp_path):
    """helper-126: ranges --max-inputs 100000 drew "0 15000300004500060000..." and "1 outputs"."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    curves = experiments.range_curves(["xavier_uniform"], max_inputs, 1)
    fig = plots.range_curves(curves, str(tmp_path / "ranges.png"), 1)
    assert _x_tick_labels_apart(fig, fig.axes[0])[-1] == {100: "100", 100_000: "100k"}[max_inputs]
    assert fig.axes[0].get_title().endswith(", 1 output")


def test_cost_panels_say_when_a_curve_leaves_the_articles_axes(tmp_path):
    """The article's cost axis ends at 2; randn*100's saturated network starts far above it
    and its panel says how high, where a clipped curve would look like a cost near 2."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    result, _ = experiments.compare("flower", 4, "tanh", 20, 1.2, 2, ["randn*100", "he_normal"])
    fig = plots.cost_curves(result, str(tmp_path / "costs.png"))
    marks = [[t.get_text() for t in ax.texts] for ax in fig.axes[:2]]
    drawn = np.concatenate([result.costs, result.final_cost[..., None]], axis=2)  # the final cost too
    low, peak = np.nanmin(drawn[0]), np.nanmax(drawn[0])
    assert low > 2 and np.nanmax(drawn[1]) < 2
    # Not a point of randn*100's 20 steps is on the axes: its panel would look empty.
    assert marks[0] == [f"all above the axis:\n{low:.3g} to {peak:.3g}"] and marks[1] == []
    assert written(tmp_path / "costs.png").startswith(PNG)
    # The median panel draws no point of randn*100 and its legend says so.
    assert [line.get_label() for line in fig.axes[2].get_lines()] == ["randn*100 (off the axis)", "he_normal"]
    result.costs[1, 1, 0] = 3.0  # one cost above the axis, the rest on it
    fig = plots.cost_curves(result, str(tmp_path / "above.png"))
    assert [t.get_text() for t in fig.axes[1].texts] == ["off the axis: up to 3"]
    # A run that ends above the axis is counted: "up to 156" read as one early spike.
    result.costs[1, 1, -1] = 5.0
    fig = plots.cost_curves(result, str(tmp_path / "last.png"))  # the last record alone does not say it
    assert [t.get_text() for t in fig.axes[1].texts] == ["off the axis: up to 5"]
    result.final_cost[1, 1] = 5.0  # the trained network's cost, as the table's
    fig = plots.cost_curves(result, str(tmp_path / "ends.png"))
    assert [t.get_text() for t in fig.axes[1].texts] == ["off the axis: up to 5\n1 of 2 runs ends above it"]


def test_a_cost_panel_says_when_every_run_diverged(tmp_path):
    """helper-190: at --learning-rate 1e308 the panels of schemes whose runs all diverged at
    once were empty (a curve of one finite point draws nothing); they say so, and by when."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    result, _ = experiments.compare("flower", 4, "tanh", 20, 1e308, 2, ["he_normal", "zeros", "xavier_uniform"])
    assert result.diverged[0].all() and not result.diverged[1].any()
    result.diverged[2, 1] = False  # one run of three schemes' kept: no note there
    fig = plots.cost_curves(result, str(tmp_path / "costs.png"))
    # The step of the first NaN record of each run, the latest of them.
    first_nan = [int(np.flatnonzero(~np.isfinite(run))[0]) for run in result.costs[0]]
    notes = [[t.get_text() for t in ax.texts if "diverged" in t.get_text()] for ax in fig.axes[:3]]
    assert notes == [[f"every run diverged,\nby iteration {max(first_nan) * result.record_every:,}"], [], []]


def test_short_runs_are_drawn_as_points(tmp_path):
    """One iteration drew empty panels (a curve of one record is no line), two an empty
    median panel. With the final cost at the last iteration every curve has two points or
    more, and the median panel's few are marked."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    for iterations in (1, 2):
        result, _ = experiments.compare("flower", 4, "tanh", iterations, 1.2, 1, ["zeros", "he_normal"])
        fig = plots.cost_curves(result, str(tmp_path / f"costs{iterations}.png"))
        for ax in fig.axes[:2]:
            curves, = ax.collections
            assert len(curves.get_segments()) == 1 and len(curves.get_segments()[0]) == iterations + 1
        median = fig.axes[2]
        assert [line.get_xdata().tolist() for line in median.get_lines()] == [list(range(1, iterations + 1))] * 2
        if iterations == 1:  # one point: marked, as no line draws it
            assert all(line.get_marker() not in ("None", "", None) for line in median.get_lines())
    # Under a decade the log axis labels its steps plainly: "3 x 10^0" ran into "4 x 10^0"
    # (helper-184), and minor labels were drawn larger than the major ones.
    result, _ = experiments.compare("flower", 4, "tanh", 5, 1.2, 1, ["zeros"])
    median = plots.cost_curves(result, str(tmp_path / "costs5.png")).axes[1]
    low, high = median.get_xlim()
    labels = [t for t in median.xaxis.get_ticklabels(which="both") if t.get_text() and low <= t.get_position()[0] <= high]
    labels.sort(key=lambda t: t.get_position()[0])
    assert [t.get_text() for t in labels] == ["1", "2", "3", "4", "5"]
    assert {t.get_fontsize() for t in labels} == {7}
    fig = plots.range_curves(experiments.range_curves(["he_normal"], 1, 10), str(tmp_path / "r.png"), 10)
    assert all(line.get_marker() not in ("None", "", None) for line in fig.axes[0].get_lines())
    assert [t for t in fig.axes[0].get_xticks() if 0.5 < t < 1.5] == [1]  # no 0.96 .. 1.04 inputs
    # The image says what a normal's curve is (the article's He figure draws 1 std), on lines
    # that fit one panel's width (helper-153).
    title = fig._suptitle.get_text()
    assert "\u00b14\u00a0std of a normal" in title and max(map(len, title.splitlines())) <= 3.4 * 13



def test_cost_figure_ends_with_every_schemes_median_on_one_axis(tmp_path):
    """Eleven panels of one colour each left the comparison to the reader's eye; the last
    panel overlays each scheme's median over seeds (of the finite costs), log iterations."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    schemes = ["zeros", "randn*100", "he_normal"]
    result, _ = experiments.compare("flower", 4, "tanh", 300, 1.2, 3, schemes, record_every=1)
    result.costs[1, 0, 5] = np.nan  # a lost record: the median of the other seeds stands
    fig = plots.cost_curves(result, str(tmp_path / "costs.png"))
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(schemes) + 1
    overlay = visible[-1]
    assert overlay.get_xscale() == "log"
    # It starts after step 0, which the schemes' own panels (and their "up to") include.
    assert overlay.get_xlabel() == "run iterations (log scale, from 1)"
    lines = overlay.get_lines()
    drawn = np.concatenate([result.costs, result.final_cost[..., None]], axis=2)  # ending on the final cost
    medians = [np.nanmedian(drawn[i][:, 1:], axis=0) for i in range(len(schemes))]
    # "from iteration 1": the scheme's own panel, with the cost at 0, can say more (helper-167:
    # "up to 122" there, "up to 117" here for one run of randn*100).
    labels = [s if (m <= 2).all() else s + f" (off the axis: up to {m.max():.3g} from iteration 1)" if (m <= 2).any()
              else s + " (off the axis)" for s, m in zip(schemes, medians)]
    assert [line.get_label() for line in lines] == labels
    assert len({line.get_color() for line in lines}) == len(schemes)  # ten colours, then dashed lines
    many = plots.cost_curves(experiments.compare("flower", 4, "tanh", 3, 1.2, 1, ["zeros"] * 12)[0],
                             str(tmp_path / "many.png"))
    assert len({(line.get_color(), line.get_linestyle()) for line in many.axes[12].get_lines()}) == 12
    # The overlay's legend stands beside it, not on its curves: beside the figure when the
    # overlay ends the grid (3 schemes + 1 panels), else in the next, empty, cell.
    assert overlay.get_legend() is None
    assert [t.get_text() for t in fig.legends[0].get_texts()] == labels
    assert many.axes[12].get_legend() is None and not many.legends
    assert many.axes[13].get_visible() and len(many.axes[13].get_legend().get_texts()) == 12
    assert not many.axes[13].axison and not many.axes[14].get_visible()
    # One seed (as --article-draws runs) is one run a scheme, with no median over seeds.
    assert fig.get_suptitle().startswith("cost of 3 seeds per scheme")
    assert fig.axes[3].get_title() == "median over seeds, every scheme"
    assert many.get_suptitle().startswith("cost of one run per scheme")
    assert many.axes[12].get_title() == "every scheme"
    assert many.axes[13].get_legend().get_title().get_text() == "last panel"
    # One scheme: its legend in a third cell, not beside a two-panel figure under the labels.
    one = plots.cost_curves(experiments.compare("flower", 4, "tanh", 30, 1.2, 2, ["randn*100"])[0],
                            str(tmp_path / "one.png"))
    assert len(one.axes) == 3 and not one.legends and not one.axes[2].axison
    assert [t.get_text() for t in one.axes[2].get_legend().get_texts()] == [
        line.get_label() for line in one.axes[1].get_lines()]
    steps = np.append(result.steps, 300)  # the final cost's, after the records'
    for i, line in enumerate(lines):
        x, y = line.get_data()
        np.testing.assert_array_equal(x, steps[steps > 0])
        want = np.median(drawn[i], axis=0)
        if i == 1:
            want[5] = np.median(drawn[1, 1:, 5])
        np.testing.assert_allclose(y, want[steps > 0], rtol=1e-12)
    # A median partly above the axis: its clipped line would read as a cost near 2.
    result.costs[2, :, 3] = 3.5
    overlay = plots.cost_curves(result, str(tmp_path / "part.png")).axes[3]
    assert overlay.get_lines()[2].get_label() == "he_normal (off the axis: up to 3.5 from iteration 1)"
    # Every run of a scheme diverged, after costs above the axis: its median is off the axis
    # while it lasts, but the legend says why it ends.
    result.diverged[0] = True
    result.costs[0, :, 1:50] = 5.0
    result.costs[0, :, 50:] = np.nan
    result.final_cost[0] = np.nan  # as a diverged run's
    assert plots.cost_curves(result, str(tmp_path / "d.png")).axes[3].get_lines()[0].get_label() == "zeros (diverged)"


def test_figures_name_the_experiment_they_show(tmp_path, monkeypatch):
    """A PNG shared alone must say which run it shows: a relu run's costs.png was titled as
    the tanh run's, and neither figure named the data set (helper-167)."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    result, (X, Y, _, _) = experiments.compare("blobs", 3, "relu", 7, 0.5, 2, ["he_normal"])
    titles = [" ".join(fig.get_suptitle().split()) for fig in (
        plots.cost_curves(result, str(tmp_path / "c.png"), data="blobs"),
        plots.decision_boundaries(result, X, Y, str(tmp_path / "b.png"), points=20, data="blobs"))]
    setting = "network [2, 3, 3] (relu, softmax), 7 iterations at learning rate 0.5, data blobs"
    assert titles == [f"cost of 2 seeds per scheme, {setting}", f"decision boundary of seed 0, {setting}"]
    assert "data" not in plots.cost_curves(result, str(tmp_path / "c.png")).get_suptitle()
    batches = dataclasses.replace(result, batch_size=16)  # mini-batches say so (helper-193)
    assert "7 iterations in batches of 16 at learning rate 0.5" in " ".join(
        plots.cost_curves(batches, str(tmp_path / "c.png")).get_suptitle().split())
    # compare passes its data set to both figures.
    drawn = []
    for name in ("cost_curves", "decision_boundaries"):
        def spy(*args, _draw=getattr(plots, name), **kwargs):
            drawn.append(" ".join(_draw(*args, **kwargs).get_suptitle().split()))
        monkeypatch.setattr(plots, name, spy)
    main(["compare", "--dataset", "moons", "--activation", "sigmoid", "--iterations", "3", "--seeds", "1",
          "--schemes", "he_normal", "--quiet", "--out", str(tmp_path / "cli")])
    assert len(drawn) == 2 and all(t.endswith("(sigmoid, sigmoid), 3 iterations at learning rate 1.2, data moons")
                                   for t in drawn), drawn


def test_boundary_grid_predicted_in_slices_draws_the_same(tmp_path, monkeypatch):
    """The grid goes through the network a slice at a time (all 22 500 points through
    --hidden 100000 took 18 GB): slices of a few points draw the very same picture."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    for dataset in ("flower", "blobs"):  # a sigmoid's (1, m) labels, a softmax's (m,)
        result, (X, Y, _, _) = experiments.compare(dataset, 4, "tanh", 20, 1.2, 1, ["he_normal"])
        whole, sliced = tmp_path / f"{dataset}_whole.png", tmp_path / f"{dataset}_sliced.png"
        plots.decision_boundaries(result, X, Y, str(whole), points=40)
        monkeypatch.setattr(plots, "_GRID_VALUES", 37)  # slices of 7 or 5 points, the last one short
        plots.decision_boundaries(result, X, Y, str(sliced), points=40)
        monkeypatch.undo()
        assert whole.read_bytes() == sliced.read_bytes()


def test_boundary_figure_says_which_colour_is_which_class(tmp_path):
    pytest.importorskip("matplotlib")
    from weightinit import plots

    for dataset, names in (("flower", ["y = 0", "y = 1"]), ("blobs", None)):
        result, (X, Y, _, _) = experiments.compare(dataset, 4, "tanh", 20, 1.2, 1, ["he_normal"])
        fig = plots.decision_boundaries(result, X, Y, str(tmp_path / f"{dataset}.png"))
        texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
        assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("x1", "x2")  # as the article's plot
        k = max(Y.shape[0], 2)
        assert texts == (names or [f"class {c}" for c in range(k)])
        # Each entry's colour is the colour its class's points are drawn in.
        points = fig.axes[0].collections[-1]
        handles = fig.legends[0].legend_handles
        labels = np.argmax(Y, axis=0) if Y.shape[0] > 1 else Y[0].astype(int)
        for c, handle in enumerate(handles):
            np.testing.assert_allclose(handle.get_markerfacecolor(), points.get_facecolors()[labels == c][0])
        # And the region predicted as class c is filled in that hue (paler: only its alpha differs).
        # Regions of orange and green under red and blue points read as four classes.
        fills = np.concatenate([c.get_facecolor() for c in fig.axes[0].collections[:-1]])
        assert len(fills) == k
        for c in range(k):
            np.testing.assert_allclose(fills[c][:3], points.get_facecolors()[labels == c][0][:3])
            assert fills[c][3] < 1


RANGE_RULES = ["fan_in_uniform", "xavier_uniform", "xavier_normal", "he_normal", "he_uniform", "lecun_normal",
               "lecun_uniform", "variance_scaling", "GlorotUniform", "HeNormal"]


def test_the_experiments_api_names_its_own_arguments(monkeypatch):
    """compare's, range_stats' and range_curves' errors name their arguments: they were
    the sweep's ("layer_sizes[1]", "activations[0]", "inits"), a bare TypeError of
    iterations // 1000, or NumPy's MemoryError or "array is too big" (helper-176)."""
    for kwargs, error, match in [
        ({"hidden": 0}, ValueError, "hidden must be >= 1"),
        ({"activation": "softmax"}, ValueError, "activation must be one of"),
        ({"iterations": None}, TypeError, "iterations must be an int"),
        ({"iterations": "5"}, TypeError, "iterations must be an int"),
        ({"schemes": []}, ValueError, "schemes must name at least one scheme"),
    ]:
        with pytest.raises(error, match=match):
            experiments.compare(**kwargs)
    from weightinit import _args

    monkeypatch.setattr(_args, "physical_memory", lambda: 10**8)
    with pytest.raises(MemoryError, match=r"^count=100000000 weights need about 800\.0 MB"):
        experiments.range_stats(count=10**8)
    with pytest.raises(MemoryError, match=r"^count=4611686018427387904 weights need"):
        experiments.range_stats(count=2**62)
    with pytest.raises(MemoryError, match=r"^max_inputs=10000000 points for 3 schemes need about 400\.0 MB"):
        experiments.range_curves(max_inputs=10**7)
    assert experiments.range_stats(["he"], count=10**5)[0][3].std > 0  # well under the limit
    # Ints beyond a float: OverflowError from the message's own arithmetic, or from float(m).
    with pytest.raises(MemoryError, match=r"^max_inputs=10{400} points for 3 schemes need about 40{392}\.0 GB, more than"):
        experiments.range_curves(max_inputs=10**400)
    with pytest.raises(ValueError, match="^m must be finite, got an int of 1329 bits"):
        experiments.range_curves(m=10**400)


def test_range_curves_are_the_scale_of_each_number_of_inputs():
    curves = experiments.range_curves(RANGE_RULES, 300, 7)
    for name in RANGE_RULES:
        kind, spread, _ = curves[name]
        assert spread.tolist() == [wi.scale(name, n, 7) for n in range(1, 301)]


def test_ranges_draws_a_long_axis_at_once_and_refuses_one_past_its_limit(tmp_path, capsys):
    # 1..100 000 inputs took a scale() call each (about 15 s a scheme; 1e8 took hours and 9 GB).
    curves = experiments.range_curves(["he_normal", "normalized_xavier"], 100_000, 10)
    assert curves["he_normal"][1][-1] == math.sqrt(2 / 100_000)
    assert curves["normalized_xavier"][1][99_999] == math.sqrt(6 / 100_010)
    with pytest.raises(SystemExit) as exc:  # argparse's own error
        main(["ranges", "--max-inputs", "100001", "--out", str(tmp_path)])
    assert exc.value.code == 2 and "--max-inputs: must be <= 100000" in capsys.readouterr().err


def test_depth_refuses_more_than_ten_thousand_layers(tmp_path, capsys):
    # --depth 10**7 --width 1 built ten million layers for 50 s, then failed with an empty
    # MemoryError (helper-83); a table of that many columns would say nothing anyway.
    with pytest.raises(SystemExit) as exc:
        main(["depth", "--depth", "10001", "--width", "2", "--out", str(tmp_path)])
    assert exc.value.code == 2 and "--depth: must be <= 10000" in capsys.readouterr().err


def test_depth_refuses_layers_of_one_unit(tmp_path, capsys):
    """A layer of one unit has one weight, whose gradient's std is 0 whatever the gradient:
    --width 1 printed 0 at every layer for every scheme, read as vanishing (helper-167)."""
    with pytest.raises(SystemExit) as exc:
        main(["depth", "--width", "1", "--out", str(tmp_path)])
    assert exc.value.code == 2 and "--width: must be >= 2, got 1" in capsys.readouterr().err
    with pytest.raises(ValueError, match="width must be >= 2, got 1"):
        experiments.depth_profile("he_normal", "relu", 3, 1, 8)
    act, grad = experiments.depth_profile("he_normal", "tanh", 3, 2, 64)  # (relu: a dead layer can give 0)
    assert (grad > 0).all() and (act > 0).all()


def test_depth_reports_equal_values_as_no_spread():
    """A constant init gives every weight of a layer past the first the same gradient, in exact
    arithmetic; relu's growth puts them near 1e18, where rounding left stds of 8 and 16 that
    the plot drew as a measured curve."""
    act, grad = experiments.depth_profile("constant(0.5)", "relu", depth=6, width=64, examples=64)
    assert grad[0] > 0 and (grad[1:] == 0).all()
    assert (act > 0).all()  # the examples differ: activations do spread


def test_depth_lines_of_many_schemes_are_told_apart(tmp_path):
    """Past ten schemes the colours came round again: randn*0.1 and randn*0.01 were one blue."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    schemes = [f"randn*{k}" for k in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)]
    profiles = {"tanh": {s: experiments.depth_profile(s, "tanh", 2, 8, 8) for s in schemes}}
    fig = plots.depth_profiles(profiles, str(tmp_path / "depth.png"))
    for ax in fig.axes[:2]:
        assert len({(line.get_color(), line.get_linestyle()) for line in ax.get_lines()}) == 12


def test_a_one_run_scheme_has_no_spread_to_print():
    """sd with ddof 0 of one run is 0: printed as ± 0.0000, it read as a measured spread."""
    X, Y = datasets.planar_flower(1)
    r = wi.sweep(X, Y, [2, 4, 1], ["he_normal", "zeros"], 2, 5, 1.2)
    r.diverged[1, 1] = True  # one run of zeros left
    rows = table_rows(r.table())
    assert rows[0][1] == f"{r.final_cost[0].mean():.4f} ± {r.final_cost[0].std():.4f}"
    assert rows[1][1] == f"{r.final_cost[1, 0]:.4f} ± -"


def test_ranges_says_a_compare_scheme_has_no_scale_rather_than_unknown():
    for name in ("randn", "randn*0.01", "uniform(-1,1)", "zeros"):
        with pytest.raises(ValueError, match=f"{re.escape(repr(name))} has no scale from fans"):
            experiments.range_rule(name)
    with pytest.raises(ValueError, match="unknown scheme 'he_nromal'"):
        experiments.range_rule("he_nromal")


def test_an_output_path_that_is_a_file_is_said_to_be_one(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for out in (str(blocker), str(blocker) + os.sep):
        proc = run_cli("compare", "--iterations", "1", "--seeds", "1", "--out", out)
        assert proc.returncode == 1 and "is not a directory" in proc.stderr and "File exists" not in proc.stderr


def test_compare_help_names_the_softmax_output_of_blobs(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    assert "softmax for blobs" in " ".join(capsys.readouterr().out.split())


def test_a_sweep_too_large_keeps_its_parts_through_pickling():
    import pickle

    from weightinit.sweep import SweepTooLarge

    exc = pickle.loads(pickle.dumps(SweepTooLarge("a sweep needs 9 GB", ["runs"])))
    assert isinstance(exc, MemoryError) and (exc.need, exc.advice) == ("a sweep needs 9 GB", "fewer runs")
    assert exc.reasons == ("runs",)
    assert str(exc) == "a sweep needs 9 GB: fewer runs would need less"


def test_not_enough_memory_is_advised_in_the_commands_options(monkeypatch, tmp_path, capsys):
    from weightinit import _args

    monkeypatch.setattr(_args, "physical_memory", lambda: 1000)
    monkeypatch.setattr(importlib.import_module("weightinit.sweep"), "_UNCHECKED", 0)  # a small sweep is not checked
    assert main(["compare", "--iterations", "5", "--seeds", "2", "--quiet", "--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert "not enough memory" in err and "--seeds" in err and "record_every" not in err
    assert len(err.strip().splitlines()) == 1
    # all's advice names only options all takes
    assert main(["all", "--iterations", "5", "--seeds", "2", "--threads", "2", "--quiet",
                 "--out", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("weightinit all: error: not enough memory")
    assert "fewer --threads or fewer --seeds would need less" in err  # the larger share first
    assert "--schemes" not in err and "--hidden" not in err
    # One run has no seeds nor threads to give up (helper-152): the advice names neither.
    assert main(["compare", "--schemes", "zeros", "--seeds", "1", "--hidden", "50000000", "--quiet",
                 "--out", str(tmp_path / "one")]) == 1
    err = capsys.readouterr().err
    assert "not enough memory" in err and err.rstrip().endswith(": a smaller --hidden or fewer --examples would need less)")
    assert "--seeds" not in err and "--threads" not in err


def test_depth_keeps_tiny_stds_that_are_not_rounding():
    """Only a spread within rounding of the layer's own values is no spread: randn*0.01's
    gradients (~5e-14) and its tenth layer's activations (~1e-11) are measured, not 0."""
    act, grad = experiments.depth_profile("randn*0.01", "tanh", depth=10, width=64, examples=128, rng=0)
    assert (act > 0).all() and (grad > 0).all()
    assert act[-1] < 1e-9 and grad.max() < 1e-10  # the sizes this is about
    # Rounding is measured in ulps of the values: sigmoid's activations near 0.5 spread by
    # 2e-11 (8138 distinct values) were called 0, under a cut at 1e-10 of the largest value
    # (helper-153).
    act, _ = experiments.depth_profile("randn*1e-11", "sigmoid", depth=3, width=64, examples=128, rng=0)
    assert (1e-12 < act).all() and (act < 1e-10).all()


def test_depth_panels_name_the_schemes_a_log_axis_cannot_draw(tmp_path):
    pytest.importorskip("matplotlib")
    from weightinit import plots

    profiles = {"tanh": {s: experiments.depth_profile(s, "tanh", 3, 16, 16) for s in ("zeros", "he_normal")}}
    fig = plots.depth_profiles(profiles, str(tmp_path / "depth.png"))
    for ax in fig.axes[:2]:  # zeros: activations and gradients are 0 at every layer
        assert ax.get_title().splitlines()[1] == "std 0 at every layer: zeros"
        assert len(ax.lines) == 2 and len(ax.lines[0].get_xdata()) == 0
        ticks = [t for t in ax.get_xticks() if 1 <= t <= 3]
        assert ticks and all(t == int(t) for t in ticks)  # layers are whole numbers
    # A constant's weight gradients are 0 past the first layer (see above): a lone dot, said so.
    profiles = {"relu": {"constant(0.5)": experiments.depth_profile("constant(0.5)", "relu", 4, 16, 16)}}
    fig = plots.depth_profiles(profiles, str(tmp_path / "partial.png"))
    assert fig.axes[1].get_title().splitlines()[1] == "std 0 at layers 2-4: constant(0.5)"
    assert len(fig.axes[0].get_title().splitlines()) == 1
    one = plots.depth_profiles({"relu": {"he_normal": experiments.depth_profile("he_normal", "relu", 1, 8, 8)}},
                               str(tmp_path / "one.png"))
    assert list(one.axes[0].get_xticks()) == [1]  # one layer: 0.95..1.05 before
    # Overflowed stds (randn*1e10 through relu layers: 1e271, 1e302, then nan) are named, not
    # called 0; those near 1e300 are drawn (matplotlib's log axis overflowed on them and raised).
    act, grad = experiments.depth_profile("randn*1e10", "relu", 40, 16, 16)
    bad = np.flatnonzero(~np.isfinite(act)) + 1
    assert bad.size and (bad == np.arange(bad[0], 41)).all() and act[bad[0] - 2] > 1e300
    fig = plots.depth_profiles({"relu": {"randn*1e10": (act, grad)}}, str(tmp_path / "overflow.png"))
    assert fig.axes[0].get_title().splitlines()[1:] == [f"std not finite at layers {bad[0]}-40: randn*1e10"]
    assert written(tmp_path / "overflow.png").startswith(PNG)
    x, y = fig.axes[0].lines[0].get_data()
    np.testing.assert_array_equal(x, np.arange(1, bad[0]))
    np.testing.assert_allclose(10.0 ** y, act[: bad[0] - 1], rtol=1e-12)


@pytest.mark.parametrize("token, fn, params", [
    ("constant( 0.5 )", "constant", {"value": 0.5}), ("constant(-2.)", "constant", {"value": -2.0}),
    ("randn*2.", "normal", {"std": 2.0}), ("randn * .5", "normal", {"std": 0.5}),
    ("randn*1e-3", "normal", {"std": 1e-3}), ("uniform( -1. , 1 )", "uniform", {"low": -1.0, "high": 1.0}),
    # the article's own name for it, refused before (wi.constant needs its value)
    ("same_constant", "constant", {"value": 0.5}), ("same_constant(0.25)", "constant", {"value": 0.25}),
])
def test_scheme_numbers_are_read_as_python_reads_them_with_spaces_anywhere(token, fn, params):
    label, init = experiments.scheme(token)
    assert label == token and init.func is getattr(wi, fn) and init.keywords == params


@pytest.mark.parametrize("token, form", [
    ("randn*", "randn*K"), ("constant()", "constant(V)"), ("randn*1e", "randn*K"), ("constant(0.5", "constant(V)"),
    ("uniform(1)", "uniform(A,B)"), ("randn*.", "randn*K"), ("randn*-1", "randn*K"), ("constant(nan)", "constant(V)"),
    ("uniform(a,b)", "uniform(A,B)"),
])
def test_malformed_scheme_numbers_are_refused(token, form):
    """With the form to write, not close names from the registry ('constant(x)' was offered
    'same_constant', which compare refuses)."""
    with pytest.raises(ValueError, match="unknown scheme") as info:
        experiments.scheme(token)
    assert f"write {form} with " in str(info.value) and "did you mean" not in str(info.value)


def test_ranges_lists_the_rules_it_takes_for_an_unknown_name():
    # get()'s close match for 'randn' is 'random', which has no scale for ranges to plot.
    with pytest.raises(ValueError) as info:
        experiments.range_rule("randn")
    assert "'random'" not in str(info.value)
    assert str(info.value).endswith(", ".join(sorted(f.__name__ for f in SCALE_RULES)))


def test_compare_shows_a_bar_while_it_draws(monkeypatch, tmp_path):
    """Drawing costs.png and boundaries.png takes 1.5-4 s after the training bar is gone."""
    bars = []

    class Bar:
        def __init__(self, total, desc, quiet, unit="run", delay=1.0, prog="weightinit"):
            self.record = {"total": total, "unit": unit, "steps": 0, "calls": 0}
            bars.append(self.record)

        def __call__(self, done, total=0):
            self.record["calls"] += 1

        def step(self):
            self.record["steps"] += 1

        def close(self):
            self.record["closed"] = True

    monkeypatch.setattr(cli, "_Progress", Bar)
    assert cli.main(["compare", "--schemes", "zeros,he", "--seeds", "2", "--iterations", "50", "--quiet",
                     "--out", str(tmp_path / "c")]) == 0
    assert [b["unit"] for b in bars] == ["run", "plot"]
    assert bars[0]["calls"] > 0 and bars[1] == {"total": 2, "unit": "plot", "steps": 2, "calls": 0, "closed": True}


def test_compare_records_about_a_thousand_costs_per_run_for_its_plot():
    result, _ = experiments.compare(iterations=5000, seeds=1, schemes=["zeros"])
    assert result.costs.shape == (1, 1, 1000) and list(result.steps[:3]) == [0, 5, 10]


def smallest_text_in_pixels(fig, path):
    """The height in pixels of the smallest text drawn in the PNG at ``path`` (the dpi it
    was saved at is its width in pixels over the figure's width in inches)."""
    from matplotlib.text import Text

    width = int.from_bytes(written(path)[16:20], "big")  # IHDR
    dpi = width / fig.get_figwidth()
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    return min(sizes) * dpi / 72


def test_every_figure_draws_its_smallest_text_at_least_ten_pixels_high(tmp_path):
    """depth.png came out at 80 dpi with 7-point ticks, 8 pixels: 10^8 on a log axis read as 10^5."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    result, (X, Y, _, _) = experiments.compare("flower", 4, "tanh", 20, 1.2, 2, ["randn*100", "he_normal"])
    profiles = {"relu": {s: experiments.depth_profile(s, "relu", 3, 16, 16) for s in ("zeros", "he_normal")}}
    figures = {
        "costs": lambda p: plots.cost_curves(result, p),
        "boundaries": lambda p: plots.decision_boundaries(result, X, Y, p),
        "ranges": lambda p: plots.range_curves(experiments.range_curves(["he_normal"], 100, 20), p, 20),
        "depth": lambda p: plots.depth_profiles(profiles, p),
    }
    for name, draw in figures.items():
        path = str(tmp_path / f"{name}.png")
        assert smallest_text_in_pixels(draw(path), path) >= 10, name


def test_a_terminal_that_cannot_show_plus_minus_gets_an_ascii_spelling(tmp_path):
    # PYTHONIOENCODING=ascii (or a legacy code page) made printing the table's "±" raise
    # UnicodeEncodeError after the work was done, reported as a bad option (status 2).
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run([sys.executable, "-m", "weightinit", "compare", "--iterations", "50", "--seeds", "2",
                           "--schemes", "zeros,he", "--quiet", "--out", str(tmp_path / "c")],
                          capture_output=True, env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("ascii")
    assert "final cost (mean +- sd)" in out and "Traceback" not in proc.stderr.decode("ascii")
    assert_aligned(out)  # spelled before padding: "+-" in the header and rows, not the rule line
    proc = subprocess.run([sys.executable, "-m", "weightinit", "ranges", "--schemes", "he_normal,lecun_normal",
                           "--out", str(tmp_path / "r")], capture_output=True, env=env)
    out = proc.stdout.decode("ascii")
    assert proc.returncode == 0 and "within +-" in out
    assert_aligned(out)
    # The report is a file, written in UTF-8 whatever the terminal takes.
    assert "mean ± sd" in (tmp_path / "c" / "report.md").read_text(encoding="utf-8")


def test_tables_are_markdown_in_aligned_columns():
    """The terminal shows the same tables as report.md: unpadded Markdown did not line up there."""
    from weightinit._table import markdown

    text = markdown(["init", "cost"], [["zeros", "0.6931"], ["randn*0.001", "12.5"]], right=[False, True])
    lines = text.splitlines()
    assert lines == ["| init        |   cost |",
                     "|-------------|-------:|",
                     "| zeros       | 0.6931 |",
                     "| randn*0.001 |   12.5 |"]
    assert table_rows(text) == [["zeros", "0.6931"], ["randn*0.001", "12.5"]]
    with pytest.raises(ValueError, match="2 cells"):
        markdown(["a", "b"], [["1"]])
    # A cell's line breaks (a sweep label "he\nv2") would end its row: each is a space.
    text = markdown(["init\r\nname", "cost"], [["he\nv2", "1"], ["x\u2028y\rz", "2"]])
    assert text.splitlines()[0] == "| init name | cost |" and len(text.splitlines()) == 4
    assert table_rows(text) == [["he v2", "1"], ["x y z", "2"]]


def test_respelling_pads_the_table_again():
    from weightinit._table import markdown, respell

    table = markdown(["init", "cost (± sd)"], [["a|b", "1 ± 2"], ["zeros", "10.5 ± 0.25"]], right=[False, True])
    assert respell("before ±\n" + table + "\nafter", {"±": "+-"}).splitlines() == [
        "before +-",
        "| init  | cost (+- sd) |",
        "|-------|-------------:|",
        "| a\\|b  |       1 +- 2 |",
        "| zeros | 10.5 +- 0.25 |",
        "after"]


def test_respelling_leaves_lines_that_are_not_its_tables_alone():
    from weightinit._table import respell

    table = "| a | b |\n|---|--:|\n| 1 | 2 |"
    for text in ("| not a table\n|-- a dash line", table + "\n| a note |"):
        lines = text.splitlines()
        assert respell(text, {"±": "+-"}).splitlines()[-1] == lines[-1]
    assert respell(table + "\n| a note |", {}).splitlines() == ["| a   |   b |", "|-----|----:|", "| 1   |   2 |",
                                                              "| a note |"]


def test_counts_are_singular_for_one():
    from weightinit._table import counted

    assert [counted(n, "seed") for n in (0, 1, 2)] == ["0 seeds", "1 seed", "2 seeds"]


def test_still_moving_says_nothing_of_fewer_than_ten_costs():
    """Ten recorded costs at least, or no verdict: five costs whose last is ten times the final
    cost would otherwise name every run as moving (helper-130: the threshold was untested)."""
    X, Y = datasets.planar_flower(1)
    r = wi.sweep(X, Y, [2, 4, 1], ["he_normal"], 2, 5, 1.2)
    assert r.costs.shape[2] == 5
    r.costs[0, :, -1] = 10 * r.final_cost[0]
    assert experiments.still_moving(r)[1] == []
    r10 = wi.sweep(X, Y, [2, 4, 1], ["he_normal"], 2, 10, 1.2)
    r10.costs[0, :, -1] = 10 * r10.final_cost[0]
    assert [row[:3] for row in experiments.still_moving(r10)[1]] == [("he_normal", 2, 2)]


def test_still_moving_does_not_judge_mini_batch_costs():
    """A mini-batch's cost is that batch's: at frozen parameters, batches of 50 of the flower
    span ~75% of the full set's cost, so every run read as still moving (helper-193)."""
    X, Y = datasets.planar_flower(1)
    r = wi.sweep(X, Y, [2, 4, 1], ["he_normal"], 2, 400, 1.2, batch_size=50)
    assert r.costs.shape[2] >= 10
    assert experiments.still_moving(r)[1] == []
    full = dataclasses.replace(r, batch_size=None)  # the same costs read as full-batch ones move
    assert [row[:3] for row in experiments.still_moving(full)[1]] == [("he_normal", 2, 2)]


def test_the_experiments_api_names_schemes_seeds_and_data_sets():
    """helper-180: scheme() took randn*1e999 (a partial holding inf, which compare then
    reported as the sweep's inits[0]); range_stats(rng=-1) said NumPy's bare "expected
    non-negative integer"; a list as data set was "unhashable type"."""
    for token, form in [("randn*1e999", "randn\\*K with a finite number K >= 0"),
                        ("constant(-1e999)", r"constant\(V\) with a finite number V"),
                        ("same_constant(1e400)", r"constant\(V\) with a finite number V"),
                        ("uniform(-1e999,1e999)", r"uniform\(A,B\) with finite numbers A <= B")]:
        with pytest.raises(ValueError, match=f"^scheme {re.escape(repr(token))}: write {form}"):
            experiments.scheme(token)
        with pytest.raises(ValueError, match=f"^scheme {re.escape(repr(token))}"):
            experiments.compare(schemes=[token], iterations=1, seeds=1)
    assert experiments.scheme("randn*1e300")[1].keywords == {"std": 1e300}
    with pytest.raises(ValueError, match="^rng must be"):
        experiments.range_stats(rng=-1)
    with pytest.raises(TypeError, match="^a dataset must be a str, one of flower, moons, circles, blobs, got list"):
        experiments.compare(data=["flower"], iterations=1, seeds=1)


def test_still_moving_checks_its_arguments():
    """tail=5 was an IndexError, tail=nan or None bare conversion errors, spread=-1 named
    every run moving and spread=nan none (helper-180)."""
    X, Y = datasets.planar_flower(1)
    r = wi.sweep(X, Y, [2, 4, 1], ["he_normal"], 2, 20, 1.2)
    for kwargs, kind, words in [({"tail": 5}, ValueError, r"^tail must lie in \(0, 1\]"),
                                ({"tail": 0}, ValueError, r"^tail must lie in \(0, 1\]"),
                                ({"tail": float("nan")}, ValueError, "^tail must be finite"),
                                ({"tail": None}, TypeError, "^tail must be a real number"),
                                ({"tail": "0.1"}, TypeError, "^tail must be a real number"),
                                ({"spread": -1}, ValueError, "^spread must be >= 0"),
                                ({"spread": float("nan")}, ValueError, "^spread must be finite"),
                                ({"floor": -1e-3}, ValueError, "^floor must be >= 0")]:
        with pytest.raises(kind, match=words):
            experiments.still_moving(r, **kwargs)
    with pytest.raises(TypeError, match="^result must be a weightinit.SweepResult, got dict"):
        experiments.still_moving({})
    assert experiments.still_moving(r, tail=1)[0] == 0


def test_the_commands_run_without_a_stderr(monkeypatch, tmp_path):
    """sys.stderr is None under pythonw or with descriptor 2 closed (2>&-): the progress bar's
    isatty() was an AttributeError, and every command exited 1 with nothing said (helper-180)."""
    monkeypatch.setattr(sys, "stderr", None)
    assert main(["ranges", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "ranges.png").exists()
    # Neither the time estimate nor an error goes into stdout instead (print(file=None) does: helper-183).
    monkeypatch.setattr(cli, "ESTIMATE_AFTER", 0.0)
    monkeypatch.setattr(cli, "ESTIMATE_LONG", 0.0)
    capsys = io.StringIO()
    monkeypatch.setattr(sys, "stdout", capsys)
    assert main(["compare", "--iterations", "2000", "--seeds", "1", "--schemes", "zeros", "--out", str(tmp_path)]) == 0
    assert main(["compare", "--hidden", "10000000", "--out", str(tmp_path)]) == 1
    assert "left at this pace" not in capsys.getvalue() and "error" not in capsys.getvalue()


def test_runs_still_moving_at_the_end_are_named(tmp_path, capsys):
    """ReLU networks at learning rate 1.2 oscillate: a final cost is then one moment of it, and
    compare says so for the runs whose costs over the last tenth span more than 10% of it."""
    result, _ = experiments.compare("flower", 4, "tanh", 100, 1.2, 3, ["zeros", "he_normal"], record_every=1)
    assert result.costs.shape[2] == 100  # the costs before steps 0..99; final_cost after step 100
    result.costs[:] = 0.5
    result.final_cost[:] = 0.5
    result.costs[1, 1, 89] = 9.0  # before the last tenth (90..99, and the final cost): not counted
    result.costs[1, 2, 95] = 0.9  # a span of 0.4 > 0.05
    result.costs[0, 1, 92] = 0.5 + 0.049  # 0.049 < 10% of 0.5
    assert experiments.still_moving(result) == (90, [("he_normal", 1, 3, 0.5, 0.9)])
    result.final_cost[0, 2] = 0.6  # the final cost counts: its run spans 0.1 > 0.06
    result.diverged[1, 0] = True  # counted as diverged, not here
    assert experiments.still_moving(result) == (90, [("zeros", 1, 3, 0.5, 0.6), ("he_normal", 1, 2, 0.5, 0.9)])
    # A cost settling towards 0 (the moons' 0.00057 to 0.00072, helper-160) spans more than 10%
    # of itself, but not 0.01: its accuracy stopped moving long before.
    result.costs[0, 2, 90:] = np.linspace(0.0099, 0.0001, 10)
    result.final_cost[0, 2] = 0.0001
    assert experiments.still_moving(result) == (90, [("he_normal", 1, 2, 0.5, 0.9)])
    result.costs[0, 2, 90] = 0.0102
    assert experiments.still_moving(result) == (90, [("zeros", 1, 3, 0.0001, 0.0102), ("he_normal", 1, 2, 0.5, 0.9)])
    few, _ = experiments.compare("flower", 4, "relu", 9, 1.2, 1, ["zeros"], record_every=1)
    few.costs[0, 0, 5] = 9.0
    assert experiments.still_moving(few)[1] == []  # nine records: no tail to speak of
    none = wi.sweep(*datasets.planar_flower(1), [2, 4, 1], ["he_normal"], seeds=2, iterations=0)
    assert none.costs.shape[2] == 0 and experiments.still_moving(none) == (0, [])  # was an IndexError

    # Through the command, against the numbers of the same runs through the Python API.
    for activation in ("relu", "tanh"):
        out = tmp_path / activation
        assert main(["compare", "--activation", activation, "--schemes", "xavier_uniform,zeros", "--quiet",
                     "--out", str(out)]) == 0
        printed, report = capsys.readouterr().out, (out / "report.md").read_text()
        result, _ = experiments.compare(activation=activation, schemes=["xavier_uniform", "zeros"])
        tail = np.concatenate([result.costs[0, :, 900:], result.final_cost[0][:, None]], axis=1)
        moving = (np.ptp(tail, axis=1) > 0.1 * result.final_cost[0]) & (np.ptp(tail, axis=1) > 0.01)
        if activation == "tanh":  # settled: every run's last tenth within 2%
            assert not moving.any() and "Still moving" not in printed + report
            continue
        assert moving.sum() >= 2  # the point of the test: some runs oscillate
        line, = [s for s in printed.splitlines() if s.startswith("Still moving")]
        assert line.startswith("Still moving at the end (costs over iterations 9000–10000 spanning more than 10% "
                               "of the final cost and 0.01): ")
        assert f"xavier_uniform {moving.sum()} of 8 runs ({tail[moving].min():.3g} to {tail[moving].max():.3g})" in line
        assert "zeros" not in line and line in report


def test_plots_of_a_sweep_they_cannot_draw_say_why(tmp_path):
    """cost_curves of a sweep that recorded nothing, decision_boundaries of data that is not
    two classes or more in the plane: an IndexError or a reshape's ValueError before."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    X, Y = datasets.planar_flower(1)
    none = wi.sweep(X, Y, [2, 4, 1], ["he_normal"], seeds=1, iterations=0)
    with pytest.raises(ValueError, match=r"recorded no cost \(iterations=0\)"):
        plots.cost_curves(none, str(tmp_path / "c.png"))
    X3 = np.vstack([X, X[:1]])
    three = wi.sweep(X3, Y, [3, 4, 1], ["he_normal"], seeds=1, iterations=2)
    with pytest.raises(ValueError, match=r"needs networks of 2 inputs .* got layer_sizes \(3, 4, 1\)"):
        plots.decision_boundaries(three, X3, Y, str(tmp_path / "b.png"))
    mse = wi.sweep(X, np.vstack([Y, Y, Y]).astype(float), [2, 4, 3], ["he_normal"], seeds=1, iterations=2,
                   activations=["tanh", "identity"], loss="mse")
    with pytest.raises(ValueError, match=r"needs a classifier .* got loss 'mse'"):
        plots.decision_boundaries(mse, X, Y, str(tmp_path / "b.png"))
    result = wi.sweep(X, Y, [2, 4, 1], ["he_normal"], seeds=1, iterations=2)
    with pytest.raises(ValueError, match=r"X must have 2 rows .* got shape \(3, 400\)"):
        plots.decision_boundaries(result, X3, Y, str(tmp_path / "b.png"))
    assert not list(tmp_path.iterdir())  # refused before drawing


def test_cost_curves_end_on_the_final_cost(tmp_path):
    """The records are costs before steps 0 .. N-1; each curve, and the median, now ends at
    N on the run's final cost, the table's. They ended a step or more early, and an off-axis
    note gave a peak below the table's final cost (helper-184)."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    X, Y = datasets.planar_flower(1)
    big = ("randn*100", functools.partial(wi.normal, std=100.0))
    result = wi.sweep(X, Y, [2, 4, 1], [big, "he_normal"], seeds=3, iterations=7, record_every=2,
                      activations=["identity", "sigmoid"])
    assert result.steps.tolist() == [0, 2, 4, 6]
    fig = plots.cost_curves(result, str(tmp_path / "c.png"))
    panels = [ax for ax in fig.axes if ax.collections]
    assert len(panels) == 2
    for i, ax in enumerate(panels):
        segments = ax.collections[0].get_segments()
        assert len(segments) == 3
        for s, seg in enumerate(segments):
            assert seg[:, 0].tolist() == [0, 2, 4, 6, 7]
            np.testing.assert_array_equal(seg[:-1, 1], result.costs[i, s])
            assert seg[-1, 1] == result.final_cost[i, s]
    peak = max(result.costs[0].max(), result.final_cost[0].max())
    assert peak > 2 and any(f"up to {peak:.3g}" in t.get_text() or f"to {peak:.3g}" in t.get_text()
                            for t in panels[0].texts)
    median = [ax for ax in fig.axes if ax.get_xscale() == "log"][0]
    assert median.get_lines()[1].get_xdata().tolist() == [2, 4, 6, 7]


def test_decision_boundaries_checks_its_arguments_before_drawing(tmp_path):
    """seed_index, points, max_examples and Y checked first, with errors naming them. Before:
    numpy's IndexError for seed_index=5 or 1.0, an ambiguous-truth ValueError for True,
    matplotlib's "Input z must be at least a (2, 2)" for points=1, and labels 2 or 0.5 (or Y
    of the wrong number of rows) drawn in silently wrong colours; max_examples was checked
    after the figure was made."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    X, Y = datasets.planar_flower(1)
    result = wi.sweep(X, Y, [2, 4, 1], ["he_normal"], seeds=2, iterations=2)
    path = str(tmp_path / "b.png")
    bad = [({"seed_index": 5}, ValueError, r"seed_index=5 is out of range"),
           ({"seed_index": 1.0}, TypeError, r"seed_index must be an int"),
           ({"seed_index": True}, TypeError, r"seed_index must be an int .*got bool"),
           ({"points": 1}, ValueError, r"points must be >= 2, got 1"),
           ({"points": 2.5}, TypeError, r"points must be an int"),
           ({"max_examples": 0}, ValueError, r"max_examples must be >= 1, got 0")]
    for kwargs, kind, message in bad:
        with pytest.raises(kind, match=message):
            plots.decision_boundaries(result, X, Y, path, **kwargs)
    for labels in (2 * Y, Y + 0.5):
        with pytest.raises(ValueError, match=r"Y must hold labels 0 or 1"):
            plots.decision_boundaries(result, X, labels, path)
    with pytest.raises(ValueError, match=r"Y must .*1.*rows|Y must have 1 row"):
        plots.decision_boundaries(result, X, np.vstack([Y, 1 - Y]), path)
    assert not list(tmp_path.iterdir())
    fig = plots.decision_boundaries(result, X, Y, path, seed_index=-1, points=2)  # the last seed; a 2 x 2 grid
    assert "seed 1" in fig._suptitle.get_text() and (tmp_path / "b.png").exists()


@pytest.mark.parametrize("dataset, examples, classes", [("flower", 60, 2), ("moons", 30, 2), ("blobs", 33, 3)])
def test_compare_takes_the_number_of_examples_and_saves_its_sweep(dataset, examples, classes, tmp_path, capsys):
    out = tmp_path / "c"
    schemes = ["zeros", "he_normal"]
    argv = ["compare", "--dataset", dataset, "--examples", str(examples), "--iterations", "30", "--seeds", "2",
            "--schemes", ",".join(schemes), "--out", str(out), "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    saved = wi.SweepResult.load(out / "results.npz")
    assert saved.table() in printed
    assert "results.npz" in (out / "report.md").read_text() and str(out / "results.npz") in printed
    # The API's experiment with the same settings: data sets of `examples` points, train and test.
    result, (X, Y, X_test, Y_test) = experiments.compare(dataset, 4, "tanh", 30, 1.2, 2, schemes, examples=examples)
    assert X.shape[1] == X_test.shape[1] == examples and Y.shape[0] == (classes if classes > 2 else 1)
    counts = np.bincount(np.argmax(Y, axis=0) if Y.shape[0] > 1 else Y[0].astype(int))
    assert counts.tolist() == [examples // classes] * classes
    np.testing.assert_array_equal(saved.costs, result.costs)
    np.testing.assert_array_equal(saved.test_accuracy, result.test_accuracy)
    for (W, b), (W2, b2) in zip(saved.parameters, result.parameters):
        np.testing.assert_array_equal(W, W2)
        np.testing.assert_array_equal(b, b2)
    # The default is the article's data set: 400 points (300 for the three blobs).
    default, (X, _, _, _) = experiments.compare(dataset, 4, "tanh", 30, 1.2, 1, schemes[:1])
    assert X.shape[1] == (300 if dataset == "blobs" else 400)


@pytest.mark.parametrize("dataset, examples", [("flower", 61), ("circles", 3), ("blobs", 40), ("moons", 1)])
def test_examples_that_cannot_split_into_equal_classes_are_refused(dataset, examples, tmp_path, capsys):
    status = main(["compare", "--dataset", dataset, "--examples", str(examples), "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert f"examples must be a multiple of {3 if dataset == 'blobs' else 2} for {dataset}" in err
    assert f"got {examples}" in err and not (tmp_path / "x").exists()


def test_examples_beyond_memory_are_refused_before_any_draw(monkeypatch, tmp_path, capsys):
    """A billion points (68 GB of drawing) would pass Linux's overcommit and be killed as it
    filled the pages: the data sets' memory is checked first, in --examples' name."""
    from weightinit import _args

    monkeypatch.setattr(_args, "physical_memory", lambda: 8 * 2**30)
    drawn = []
    monkeypatch.setattr(datasets, "planar_flower", lambda *a, **k: drawn.append(a))
    status = main(["compare", "--examples", "1000000000", "--quiet", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert status == 1 and len(err.strip().splitlines()) == 1 and not drawn
    assert "not enough memory" in err and "examples=1000000000" in err and "this process may use" in err
    assert not (tmp_path / "x").exists()
    monkeypatch.undo()
    # A data set asked for directly is checked as well, in its own argument's name.
    monkeypatch.setattr(_args, "physical_memory", lambda: 2**20)
    with pytest.raises(MemoryError, match=r"n_per_class=5000000: drawing 10000000 examples .* more than the 1.0 MB this process"):
        datasets.moons(n_per_class=5_000_000)
    X, _ = datasets.moons(n_per_class=1000)  # 80 kB of drawing is not checked at all
    assert X.shape == (2, 2000)


def test_boundary_panels_draw_a_sample_of_a_large_training_set(tmp_path):
    """Every point of 10^5 drawn in each panel took seconds and hid the regions: a sample
    of evenly spaced points (so each class keeps its share) is drawn, and the title says so."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    result, (X, Y, _, _) = experiments.compare("flower", 4, "tanh", 5, 1.2, 1, ["he_normal"], examples=10_000)
    fig = plots.decision_boundaries(result, X, Y, str(tmp_path / "b.png"), points=20)
    shown = fig.axes[0].collections[-1].get_offsets()
    assert len(shown) == plots.MAX_EXAMPLES < 10_000
    picked = np.round(np.linspace(0, X.shape[1] - 1, plots.MAX_EXAMPLES)).astype(int)
    np.testing.assert_array_equal(np.asarray(shown), X[:, picked].T)
    assert f"{plots.MAX_EXAMPLES} of 10000 training points" in " ".join(fig._suptitle.get_text().split())
    fewer = plots.decision_boundaries(result, X, Y, str(tmp_path / "f.png"), points=20, max_examples=300)
    assert len(fewer.axes[0].collections[-1].get_offsets()) == 300
    small = plots.decision_boundaries(result, X[:, :400], Y[:, :400], str(tmp_path / "s.png"), points=20)
    assert len(small.axes[0].collections[-1].get_offsets()) == 400 and "points" not in small._suptitle.get_text()


def test_cost_panels_of_many_seeds_stay_readable(tmp_path):
    """300 seeds at alpha 0.6 drew randn*100's panel as a solid block, with its red note
    lost on it: the curves grow fainter with their number (a few coinciding still do not
    cover the panel; a lone one of a few seeds stays plain), and notes sit on a pale box."""
    pytest.importorskip("matplotlib")
    from weightinit import plots

    def alphas(seeds):
        result, _ = experiments.compare("flower", 4, "tanh", 20, 1.2, seeds, ["randn*100"])
        fig = plots.cost_curves(result, str(tmp_path / f"costs{seeds}.png"))
        lines, = fig.axes[0].collections  # every seed's curve, in one artist
        curves = lines.get_segments()
        assert len(curves) == seeds
        for s, curve in enumerate(curves):
            np.testing.assert_array_equal(curve, np.stack([np.append(result.steps, 20),
                                                           np.append(result.costs[0, s], result.final_cost[0, s])],
                                                          axis=-1))
        note, = fig.axes[0].texts
        box = note.get_bbox_patch()
        assert box is not None and box.get_facecolor()[:3] == (1.0, 1.0, 1.0) and box.get_facecolor()[3] >= 0.7
        return {lines.get_alpha()}

    few, = alphas(8)
    assert few >= 0.5
    many, = alphas(200)
    assert 1 - (1 - many) ** 10 < 0.9 and many > 0.01  # ten curves on one another: not yet opaque


def test_a_deep_network_too_large_is_refused_in_one_short_line(monkeypatch, tmp_path, capsys):
    """depth --depth 1000 --width 4096 listed 1002 layer sizes (6221 characters) and named no option."""
    from weightinit import _args

    monkeypatch.setattr(_args, "physical_memory", lambda: 2**30)
    status = main(["depth", "--depth", "1000", "--width", "4096", "--quiet", "--out", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert status == 1 and len(err.strip().splitlines()) == 1 and len(err) < 400, err
    assert "[4096, 4096, 4096, ..., 4096, 4096, 1] (1002 sizes)" in err and "--width" in err
    assert wi.mlp.sizes_text([2, 4, 1]) == "[2, 4, 1]"


def test_deep_profiles_print_a_sample_of_layers_and_write_every_one(tmp_path, capsys):
    """--depth 1000 printed lines of 12 000 characters (a column a layer): the tables keep at
    most 16 layers, evenly spaced from the first to the last, and depth.csv has them all."""
    import csv

    out = tmp_path / "depth"
    schemes = ["randn*0.01", "he_normal"]
    argv = ["depth", "--depth", "40", "--width", "8", "--examples", "16", "--activations", "tanh,relu",
            "--schemes", ",".join(schemes), "--out", str(out), "--quiet"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    report = (out / "report.md").read_text()
    heads = [line for line in text.splitlines() if line.startswith("| tanh: ") or line.startswith("| relu: ")]
    assert len(heads) == 4
    shown = [int(c.strip()[1:]) for c in heads[0].strip("|").split("|")[1:]]
    assert len(shown) == 16 and shown[0] == 1 and shown[-1] == 40 and shown == sorted(set(shown))
    assert "16 of the 40 layers" in report and "depth.csv" in report and "depth.csv" in text
    with open(out / "depth.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["activation", "scheme", "layer", "activation_std", "gradient_std"]
    assert len(rows) == 2 * len(schemes) * 40
    for a in ("tanh", "relu"):
        for s in schemes:
            act, grad = experiments.depth_profile(s, a, 40, 8, 16, 0)
            mine = [r for r in rows if r["activation"] == a and r["scheme"] == s]
            assert [int(r["layer"]) for r in mine] == list(range(1, 41))
            assert [float(r["activation_std"]) for r in mine] == act.tolist()  # every digit (repr)
            assert [float(r["gradient_std"]) for r in mine] == grad.tolist()
    # A shallow profile prints every layer, as before.
    assert main(["depth", "--depth", "5", "--width", "8", "--examples", "16", "--activations", "tanh",
                 "--schemes", "he_normal", "--out", str(tmp_path / "shallow"), "--quiet"]) == 0
    head = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| tanh: "))
    assert [c.strip() for c in head.strip("|").split("|")[1:]] == [f"L{k}" for k in range(1, 6)]


def test_depth_takes_activations_and_gradients_from_one_pass(monkeypatch):
    """depth_profile ran MLP.forward, then gradients' own forward again (24% of --depth 1000)."""
    expected = experiments.depth_profile("he_normal", "tanh", 3, 8, 16, 0)

    def refuse(*args, **kwargs):
        raise AssertionError("a second pass")

    monkeypatch.setattr(wi.MLP, "forward", refuse)
    act, grad = experiments.depth_profile("he_normal", "tanh", 3, 8, 16, 0)
    np.testing.assert_array_equal(act, expected[0])
    np.testing.assert_array_equal(grad, expected[1])
    net = wi.MLP([8] * 4 + [1], ["tanh"] * 3 + ["sigmoid"], init="he_normal", rng=0)
    X = np.random.default_rng(0).standard_normal((8, 16))
    monkeypatch.undo()
    _, A = net.forward(X)
    assert act.tolist() == pytest.approx([a.std() for a in A[:3]], rel=1e-12)


def test_depth_shows_its_bar_at_once_when_a_profile_is_long(monkeypatch, tmp_path):
    """tqdm draws a delayed bar only at an update: a depth profile of 30 s left the screen
    blank until it ended. A bar whose first profile is expected to take seconds shows at once;
    a small run's keeps its one-second delay (no flash)."""
    bars = []

    class Recording(cli._Progress):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            bars.append(kwargs.get("delay", 1.0))

    monkeypatch.setattr(cli, "_Progress", Recording)
    monkeypatch.setattr(experiments, "depth_profile", lambda *a: (np.ones(a[2]), np.ones(a[2])))
    for width, delay in ((16, 1.0), (4096, 0.0)):
        bars.clear()
        assert main(["depth", "--depth", "20", "--width", str(width), "--examples", "4096", "--schemes", "he_normal",
                     "--activations", "tanh", "--quiet", "--out", str(tmp_path / str(width))]) == 0
        assert bars == [delay]


def test_compare_shows_its_drawing_bar_at_once_for_many_curves(monkeypatch, tmp_path):
    """The cost figure of 22 000 runs takes seconds: its bar shows before it is done, where a
    small run's keeps the one-second delay."""
    bars = []

    class Recording(cli._Progress):
        def __init__(self, total, desc, quiet, unit="run", delay=1.0, prog="weightinit"):
            super().__init__(total, desc, quiet, unit, delay, prog)
            bars.append((desc, delay))

    monkeypatch.setattr(cli, "_Progress", Recording)
    for seeds, delay in ((2, 1.0), (1000, 0.0)):  # 2 x 1000 runs of 501 records: past 10^6 points
        bars.clear()
        assert main(["compare", "--iterations", "501", "--seeds", str(seeds), "--schemes", "zeros,he_normal",
                     "--quiet", "--out", str(tmp_path / str(seeds))]) == 0
        assert bars == [("training", 1.0), ("drawing", delay)]


def test_a_leftover_probe_name_does_not_block_the_output_directory(tmp_path):
    """The write check made and removed one fixed name, so runs into one directory at once
    removed each other's probe ("cannot write ...: No such file or directory", 2 of 48
    runs for helper-145), and anything left under that name failed every run."""
    out = tmp_path / "r"
    (out / ".weightinit-write-test").mkdir(parents=True)
    assert main(["ranges", "--quiet", "--count", "10", "--max-inputs", "5", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [".weightinit-write-test", "ranges.png", "report.md"]


def test_a_run_stopped_after_its_first_file_leaves_no_old_report(tmp_path, monkeypatch, capsys):
    """compare saves results.npz before its figures and report: Ctrl-C (or a failure) between
    them left the previous run's report.md, whose table is not the new results' (helper-145)."""
    from weightinit import plots

    out = tmp_path / "c"
    small = ["compare", "--quiet", "--schemes", "zeros,he", "--seeds", "1", "--out", str(out)]
    assert main([*small, "--iterations", "10"]) == 0
    assert (out / "report.md").exists()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    # Refused before it writes anything (an option checked with the data): the old run stays
    # whole, its report too (helper-147).
    assert main([*small, "--iterations", "20", "--examples", "1"]) == 2
    assert "examples" in capsys.readouterr().err
    assert (out / "report.md").exists() and wi.SweepResult.load(str(out / "results.npz")).iterations == 10
    monkeypatch.setattr(plots, "cost_curves", interrupted)
    assert main([*small, "--iterations", "20"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert wi.SweepResult.load(str(out / "results.npz")).iterations == 20  # the new run's
    assert not (out / "report.md").exists()


def test_main_gives_the_streams_their_error_handlers_back(tmp_path):
    """main() spells what stdout and stderr cannot encode while it runs; called from a program,
    it left them so, and the program's own output lost its rules (helper-147)."""
    before = sys.stdout.errors, sys.stderr.errors
    assert main(["ranges", "--quiet", "--count", "10", "--max-inputs", "5", "--out", str(tmp_path / "r")]) == 0
    assert (sys.stdout.errors, sys.stderr.errors) == before
    with pytest.raises(SystemExit):
        main(["ranges", "--no-such-option"])
    assert (sys.stdout.errors, sys.stderr.errors) == before


def test_an_output_path_that_is_not_utf8_is_written_and_reported(tmp_path):
    """Linux paths are bytes: one that is not UTF-8 reaches Python with surrogates, and
    report.md's command line failed to encode after ranges.png was written, reported as a bad
    option (status 2); a strict UTF-8 stdout (PYTHONIOENCODING=utf-8) refused the "wrote ..."
    line too. The report shows the byte escaped, as Python does; the terminal gets the byte."""
    out = os.path.join(os.fsencode(tmp_path), b"bad\xffname")
    proc = subprocess.run([sys.executable, "-m", "weightinit", "ranges", "--count", "10", "--max-inputs", "5",
                           "--out", out], capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert proc.returncode == 0, proc.stderr
    assert b"wrote " + os.path.join(out, b"ranges.png") in proc.stdout
    with open(os.path.join(out, b"report.md"), encoding="utf-8") as f:
        assert "bad\\udcffname" in f.read()


def test_the_output_s_dashes_have_an_ascii_spelling():
    """The "still moving" sentence's en dash (iterations 180–200) printed as "?" where the
    terminal takes ASCII (helper-145); like "±" it is spelled for such a terminal."""
    assert "iterations 180\u2013200 \u00b1".encode("ascii", "weightinit.spell") == b"iterations 180-200 +-"
    assert cli.respell("iterations 180\u2013200", cli._SPELLINGS) == "iterations 180-200"


def test_the_experiments_refuse_what_they_would_misread():
    """helper-149: a string of schemes was split into letters ("unknown scheme 'z'"), a set gave
    its rows in another order in every process, article_draws took seeds=True, and
    depth_profile's sizes failed inside NumPy or ran for minutes (depth 10^9)."""
    with pytest.raises(TypeError, match=r"schemes must be a list of scheme names, got the string 'zeros': "
                                        r"pass \['zeros'\]"):
        experiments.compare(schemes="zeros", iterations=1, seeds=1)
    with pytest.raises(TypeError, match="schemes must be ordered, got a set"):
        experiments.compare(schemes={"zeros", "he"}, iterations=1, seeds=1)
    for bad in (True, 1.0, 2):
        with pytest.raises(ValueError, match="seeds must be 1"):
            experiments.compare(iterations=1, seeds=bad, article_draws=True)
    with pytest.raises(TypeError, match="schemes must be a list"):
        experiments.range_stats("he_normal")
    with pytest.raises(ValueError, match="m must be >= 1"):
        experiments.range_stats(["he_normal"], m=0)
    with pytest.raises(ValueError, match="max_inputs must be >= 1"):
        experiments.range_curves(["he_normal"], 0)
    with pytest.raises(TypeError, match="max_inputs must be an int"):
        experiments.range_curves(["he_normal"], 2.5)
    with pytest.raises(TypeError, match="depth must be an int"):
        experiments.depth_profile("he_normal", depth=2.0)
    with pytest.raises(ValueError, match="depth must be <= 100000"):
        experiments.depth_profile("he_normal", depth=10**9)
    with pytest.raises(ValueError, match="width must be >= 2"):
        experiments.depth_profile("he_normal", width=-4)
    with pytest.raises(MemoryError, match=r"the inputs of a depth profile, 1000000 x 1000000, need about 8000\.0 GB"):
        experiments.depth_profile("he_normal", width=10**6, examples=10**6)
