"""The ``weightinit`` command (also ``python -m weightinit``): the articles' experiments.

    weightinit compare    train the planar-flower network under each init scheme, over seeds
    weightinit ranges     the second article's weight statistics and range-vs-inputs plots
    weightinit depth      activation and gradient std per layer of a deep network, per scheme
    weightinit all        the three with their defaults, and one report.md for them

Each writes its PNGs, its data (compare ``results.npz``, depth ``depth.csv``) and a ``report.md``
into ``--out`` (default ``weightinit-out/<command>``) and prints its table; ``all`` runs each into
``OUT/<command>`` (default ``weightinit-out``). The numbers come from :mod:`weightinit.experiments`.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import csv
import difflib
import errno
import functools
import inspect
import os
import re
import shlex
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, NoReturn, Optional, Sequence, Tuple, Union

import numpy as np

from weightinit import __version__, experiments, registry
from weightinit._args import MAX_STEPS
from weightinit._table import counted, either, markdown, respell
from weightinit._threads import MAX_THREADS, get_num_threads, set_num_threads
from weightinit.mlp import HIDDEN_ACTIVATIONS, drawn_weights
from weightinit.sweep import SweepResult, SweepTooLarge

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """Errors as one line on stderr (exit status 2), without the usage block. No abbreviated
    options: compare's --seed would be its --seeds (a count), where ranges and depth have a
    --seed of their own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


class _Defaults(argparse.ArgumentDefaultsHelpFormatter):
    """Prints each option's default, except where there is none to print (flags, None)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or action.default is False:
            return action.help or ""
        return super()._get_help_string(action) or ""


def _int_at_least(low: int, high: int = 2**31 - 1) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        if value > high:
            raise argparse.ArgumentTypeError(f"must be <= {high}, got {value}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _names(text: str) -> List[str]:
    if text.count("(") != text.count(")"):  # split below, it would name a part of the scheme
        raise argparse.ArgumentTypeError(f"unbalanced parentheses in {text!r}")
    # Commas inside parentheses belong to the scheme: uniform(-0.3,0.3).
    names = [t.strip() for t in re.split(r",(?![^()]*\))", text) if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"{', '.join(map(repr, twice))} listed twice")
    return names


def _scheme_key(token: str) -> Any:
    """What a scheme draws with: the initializer function and every argument it is called with
    (bound, or its default: randn and random, uniform and uniform(0,1) are one scheme), or
    None where it is not a scheme (the command's own check says why, naming it)."""
    try:
        init = experiments.scheme(token)[1]
        f = registry.get(init) if isinstance(init, str) else init
        partials = []
        while isinstance(f, functools.partial):
            partials.append(f)
            f = f.func
        params = inspect.signature(f).parameters.values()
        keywords = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}
        args: Tuple[Any, ...] = ()
        for p in reversed(partials):  # the innermost first: an outer partial's arguments come after
            args += p.args
            keywords.update(p.keywords)
        key = (f, args, tuple(sorted(keywords.items())))
        hash(key)
    except (TypeError, ValueError):
        return None
    return key


def _drawn(token: str) -> Optional[bytes]:
    """The bits of the layers a scheme draws for a [5, 3, 2] network from seed 0 (fan_in,
    fan_out and their mean differ in each layer), or None where it cannot draw them (sparse
    without its sparsity, dirac). Two functions may draw alike: keras' HeUniform and torch's
    kaiming_uniform gave identical rows (helper-180)."""
    try:
        layers = drawn_weights([5, 3, 2], experiments.scheme(token)[1], np.random.default_rng(0), np.dtype(np.float64),
                               keep=False)
    except (TypeError, ValueError):
        return None
    return b"".join(W.tobytes() for W in layers)


def _schemes(text: str, keys: Tuple[Callable[[str], Any], ...] = (_scheme_key,)) -> List[str]:
    """_names of schemes, none drawing what another draws: xavier,Xavier (the registry ignores
    the case of torch's names), he,he_normal or randn*0.01,randn*1e-2 gave identical rows.
    keras' Orthogonal is not torch's orthogonal, and both may be listed. (ranges seeds each
    function by its own name: two functions of one rule give rows of other values.)"""
    names = _names(text)
    for key in keys:
        first: Dict[Any, str] = {}
        for n in names:
            k = key(n)
            other = first.setdefault(k, n) if k is not None else n
            if other != n:
                raise argparse.ArgumentTypeError(f"{other!r} and {n!r} are one scheme: listed twice")
    return names


def _network_schemes(text: str) -> List[str]:
    """:func:`_schemes` for the commands that train networks, where two functions that draw
    the same layers give identical rows too: HeUniform,kaiming_uniform (helper-180)."""
    return _schemes(text, (_scheme_key, _drawn))  # the arguments first: no draw where they tell


def _directory(text: str) -> str:
    if not text:  # os.makedirs("") said only "it is not a directory"
        raise argparse.ArgumentTypeError("expected a directory, got an empty string")
    return text


SCHEMES_HELP = ("comma-separated init schemes: names of weightinit.available() that need no argument beyond "
                "the shape, randn*K, constant(V), uniform(A,B)")


# The files each command writes into its directory besides report.md (checked before its work),
# the commands' names for them: compare's images, then its data; depth's image, then its data.
_FILES: Dict[str, Tuple[str, ...]] = {"compare": ("costs.png", "boundaries.png", "results.npz"),
                                      "ranges": ("ranges.png",), "depth": ("depth.png", "depth.csv")}


def _common(p: argparse.ArgumentParser, command: str, schemes: Sequence[str],
            schemes_help: str = SCHEMES_HELP) -> None:
    p.add_argument("--schemes", type=_schemes if command == "ranges" else _network_schemes, default=", ".join(schemes),
                   metavar="A,B,...", help=schemes_help)
    _outputs(p, os.path.join("weightinit-out", command),
             f"output directory for {', '.join(_FILES[command])} and report.md")


def _outputs(p: argparse.ArgumentParser, out: str, out_help: str) -> None:
    """--out, --quiet and --threads: what every command takes."""
    p.add_argument("--out", type=_directory, default=out, metavar="DIR", help=out_help)
    p.add_argument("--quiet", action="store_true", help="no progress bar, nor the estimate of a long run's time")
    p.add_argument("--threads", type=_int_at_least(1, MAX_THREADS), default=None, metavar="N",
                   help="threads for the C++ core (default: WEIGHTINIT_NUM_THREADS, or the CPUs this process may use)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="weightinit", description="Weight-initialization experiments of the two articles. "
                                                     "Run a command with --help for its options.")
    parser.add_argument("--version", action="version", version=f"weightinit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{compare,ranges,depth,all}", parser_class=_Parser)
    parser.set_defaults(commands=sub.choices)  # each command's parser by name, for all's hints (main)
    parser.set_defaults(command_parser=parser)  # each command's parser, for main() to report with
    parser.set_defaults(within=None)  # all's parser, when all runs the command (_all)
    formatter = _Defaults  # every option's default is printed

    p = sub.add_parser("compare", formatter_class=formatter, help="train a small network under each init scheme over several seeds",
                       description="The first article's experiment: a 2-layer network (hidden tanh by default, "
                                   "sigmoid output, softmax for blobs) trained by gradient descent under each scheme and seed; "
                                   "prints final cost, accuracies and diverged runs; plots cost curves and "
                                   "decision boundaries.")
    p.add_argument("--dataset", choices=experiments.DATASETS, default="flower",
                   help="training data (seed 1) and test data (seed 2)")
    p.add_argument("--examples", type=_int_at_least(1), default=None, metavar="N",
                   help="points in the training set and in the test set, classes of equal size "
                        "(default: the article's 400; 300 for blobs)")
    p.add_argument("--hidden", type=_int_at_least(1), default=4, help="hidden units")
    p.add_argument("--activation", choices=[a for a in HIDDEN_ACTIVATIONS], default="tanh",
                   help="hidden activation")
    _iterations(p)
    p.add_argument("--learning-rate", type=_positive_float, default=1.2, help="learning rate")
    p.add_argument("--batch-size", type=_int_at_least(1), default=None, metavar="N",
                   help="mini-batch gradient descent in batches of N examples, reshuffled every epoch "
                        "(default: full-batch, as the article)")
    _seeds(p)
    p.add_argument("--article-draws", action="store_true",
                   help="the article's own runs: each scheme once, from the article's weights "
                        "(np.random.seed(2), then randn for W1 and W2, times K); the schemes are then the "
                        "article's six unless --schemes lists others of them (zeros, constant(V), randn*K), "
                        "and --seeds does not apply")
    p.set_defaults(command_parser=p)
    _common(p, "compare", experiments.COMPARE_SCHEMES)

    p = sub.add_parser("ranges", formatter_class=formatter, help="the second article's weight statistics and range-vs-inputs plots",
                       description="Summary statistics (min, max, mean, std) of COUNT weights drawn for layers with "
                                   "INPUTS inputs and OUTPUTS outputs per scheme, and each scheme's bound "
                                   "(uniform), bound 2 s (truncated normal) or +-4 std (normal) against "
                                   "1..MAX_INPUTS inputs.")
    p.add_argument("--inputs", type=_int_at_least(1), default=10, help="n, inputs per node")
    p.add_argument("--outputs", type=_int_at_least(1), default=20, help="m, outputs")
    p.add_argument("--count", type=_int_at_least(1, 10**7), default=1000, help="weights summarized")
    p.add_argument("--max-inputs", type=_int_at_least(1, 100_000), default=100, help="plot 1..N inputs")
    p.add_argument("--plot-outputs", type=_int_at_least(1), default=10,
                   help="outputs for the fan_avg rules' curve, as the article")
    p.add_argument("--seed", type=_int_at_least(0), default=1, help="seed")
    p.set_defaults(command_parser=p)
    _common(p, "ranges", experiments.RANGE_SCHEMES,
            schemes_help="comma-separated init schemes with a scale from the fans: "
            + registry.SCALED + ", or their other names in weightinit.available()")

    p = sub.add_parser("depth", formatter_class=formatter, help="activation and gradient std per layer of a deep network, per scheme",
                       description="Forward and backward pass, at initialization, of DEPTH hidden layers of "
                                   "WIDTH units on N(0,1) inputs: the std of every layer's activations and "
                                   "weight gradients, per scheme (vanishing or exploding signal).")
    p.add_argument("--depth", type=_int_at_least(1, 10_000), default=10, help="hidden layers")
    p.add_argument("--width", type=_int_at_least(2), default=256,
                   help="units per layer (at least 2: a gradient's std is over a layer's weights)")
    p.add_argument("--examples", type=_int_at_least(1), default=512, help="examples (columns) fed forward")
    p.add_argument("--activations", type=_names, default="tanh,relu", metavar="A,B",
                   help="hidden activations, one profile each: " + ", ".join(HIDDEN_ACTIVATIONS))
    p.add_argument("--seed", type=_int_at_least(0), default=0, help="seed")
    p.set_defaults(command_parser=p)
    _common(p, "depth", experiments.DEPTH_SCHEMES)

    p = sub.add_parser("all", formatter_class=formatter, help="both articles' experiments in one run: compare, ranges "
                                                                "and depth, and one report",
                       description="Runs compare, ranges and depth with their defaults, each into its own directory "
                                   "(OUT/compare, OUT/ranges, OUT/depth, with its own report.md), and writes "
                                   "OUT/report.md with every table and figure. --iterations and --seeds set compare's "
                                   "scale; each command run alone takes all of its options.")
    _iterations(p, "compare's gradient steps")
    _seeds(p, "compare's seeds, 0..N-1 per scheme")
    p.set_defaults(command_parser=p)
    _outputs(p, "weightinit-out", "output directory: each command's files in a directory of its name, and report.md")
    return parser


def _iterations(p: argparse.ArgumentParser, text: str = "gradient steps") -> None:
    p.add_argument("--iterations", type=_int_at_least(1, MAX_STEPS), default=10000, help=text)


def _seeds(p: argparse.ArgumentParser, text: str = "seeds 0..N-1 per scheme") -> None:
    p.add_argument("--seeds", type=_int_at_least(1, 100_000), default=8, metavar="N", help=text)


# The most layers depth's tables show.
_DEPTH_COLUMNS = 16


# Without a bar (stderr not a terminal), training that has run ESTIMATE_AFTER seconds since
# its first report and has more than ESTIMATE_LONG to go at that pace says so once on stderr:
# a mistyped --iterations 10000000000 would otherwise run for days without a word. (From the
# first report, not from the bar's start: drawing 30 000 runs' weights first took seconds
# with nothing done, and the pace said 1.3 days for a run of 8 s.)
ESTIMATE_AFTER = 10.0
ESTIMATE_LONG = 60.0


def duration(seconds: float) -> str:
    """seconds in the largest unit that fits, one decimal: '1.5 hours'."""
    for unit, size in (("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if seconds >= size * 1.01:  # 61 s is '1.0 minutes', 60 s '60.0 seconds'
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} seconds"


class _Progress:
    """A tqdm bar shown after a second, and only when stderr (where it is drawn) is a terminal
    and not --quiet;
    without one, for progress reported by calls (training's), an estimate of the time left
    where that is long (ESTIMATE_AFTER)."""

    def __init__(self, total: int, desc: str, quiet: bool, unit: str = "run", delay: float = 1.0,
                 prog: str = "weightinit") -> None:
        self.bar: Any = None
        self.total, self.desc, self.prog = total, desc, prog
        self.first: Optional[Tuple[float, float]] = None  # (time, done) at the first report
        # where tqdm draws; None under pythonw, or with the descriptor closed (2>&-): quiet there
        shown = not quiet and sys.stderr is not None and sys.stderr.isatty()
        self.estimate = not quiet and not shown and sys.stderr is not None  # said on stderr too
        if shown:
            from tqdm import tqdm

            # Runs advance by the share of their steps (weightinit.sweep's progress): one decimal.
            fmt = "{l_bar}{bar}| {n:.1f}/{total} runs [{elapsed}<{remaining}]" if unit == "run" else None
            # A delayed bar is drawn at an update only: where the first unit takes seconds, give 0.
            self.bar = tqdm(total=total, desc=desc, unit=unit, delay=delay, leave=False, bar_format=fmt)

    def __call__(self, done: float, total: int = 0) -> None:
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        elif self.estimate:
            now = time.perf_counter()
            if self.first is None:
                self.first = (now, done)
                return
            elapsed, progressed = now - self.first[0], done - self.first[1]
            if elapsed >= ESTIMATE_AFTER and progressed > 0:
                self.estimate = False
                left = elapsed * (self.total - done) / progressed
                if left >= ESTIMATE_LONG:
                    print(f"{self.prog}: {self.desc}: about {duration(left)} left at this pace (Ctrl-C stops)",
                          file=sys.stderr, flush=True)

    def step(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _output_dir(args: argparse.Namespace) -> str:
    """args.out, made where missing (one directory at a time, each noted in args.made_dirs so
    that a failed run can take them away again) and checked writable, with no directory named
    report.md or as another file the command writes (said before the command's work, not
    after it: helper-126, helper-160)."""
    path = args.out
    try:
        missing, head = [], path.rstrip(os.sep) or path
        while head and not os.path.lexists(head):  # what makedirs would make, innermost first
            missing.append(head)
            head = os.path.dirname(head)
        for d in reversed(missing):
            try:
                os.mkdir(d)
                args.made_dirs.append(d)
            except FileExistsError:  # x/.. of a new x: there already
                pass
        if not os.path.isdir(path):  # a file (makedirs said "File exists"), or a dangling link
            raise NotADirectoryError(errno.ENOTDIR, "it is not a directory")
        # A name of its own: runs into one directory at once removed each other's probe.
        fd, probe = tempfile.mkstemp(prefix=".weightinit-write-test-", dir=path)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        raise OSError(f"cannot write to output directory {path!r}: {exc.strerror or exc}") from None
    for name in ("report.md", *_FILES.get(args.command, ())):
        if os.path.isdir(os.path.join(path, name)):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.path.join(path, name))
    return path


def _clear_report(out: str) -> None:
    """Removes the report.md of an earlier run in out; a command calls it just before it
    writes its first file there, so that a run that fails after writing some of its files
    leaves no report of other files (helper-145: an interrupted compare left the old report
    beside the new results.npz), and one that fails before leaves the old run whole
    (helper-147)."""
    stale = os.path.join(out, "report.md")
    if os.path.lexists(stale):
        os.remove(stale)


class _Stdout:
    """Whether stdout's reader has gone (| head): from then on the commands' output goes nowhere,
    their work goes on (every file is written, every section of all run), and the command exits
    with status 1 (main resets it)."""

    gone = False


def _say(text: str = "") -> None:
    """Prints a line of a command's output, flushed."""
    if _Stdout.gone:
        return
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _Stdout.gone = True
        _stdout_to_devnull()


def _stdout_to_devnull() -> None:
    """Points stdout's descriptor at /dev/null: flushing it at exit would fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, sys.stdout.fileno())
        finally:
            os.close(null)
    except (AttributeError, OSError, ValueError):  # a stdout without a file descriptor
        pass


class _Report(NamedTuple):
    """What a command's report.md says: the command line, the table, notes, and the images
    beside it. The notes write a file's path beside the report as ``{folder}name``."""

    argv: Sequence[str]
    table: str
    images: Sequence[str]
    notes: str = ""

    def body(self, folder: str = "") -> List[str]:
        """The report's lines below its heading, its images' and files' paths prefixed by
        folder (the report's directory, from where the lines are written)."""
        lines = [*_command_line(self.argv), "", self.table, ""]
        if self.notes:
            lines += [self.notes.replace("{folder}", folder), ""]
        return lines + [f"![{os.path.splitext(name)[0]}]({folder}{name})" for name in self.images]


def _command_line(argv: Sequence[str]) -> List[str]:
    """argv as the Markdown block of the command that runs it."""
    return ["```", "weightinit " + shlex.join(argv), "```"]


def _write(out: str, lines: Sequence[str]) -> str:
    path = os.path.join(out, "report.md")
    # A path that is not UTF-8 (bytes the shell passed as they were) in the command line is
    # written escaped, as Python shows it: "\udcff".
    with open(path, "w", encoding="utf-8", errors="backslashreplace") as f:
        f.write("\n".join(lines) + "\n")
    return path


def _report(out: str, report: _Report) -> str:
    """Writes report as out/report.md; its path."""
    return _write(out, [f"# weightinit {report.argv[0]}", "", *report.body()])


def _compare(args: argparse.Namespace, argv: Sequence[str]) -> _Report:
    from weightinit import plots

    plots.require()
    if args.article_draws:  # the article's runs: one each, its schemes unless others are listed
        given = {a.split("=")[0] for a in argv}
        if "--seeds" in given:
            raise ValueError("--article-draws runs each scheme once, from the article's weights: leave out --seeds")
        args.seeds = 1
        if "--schemes" not in given:
            args.schemes = list(experiments.ARTICLE_SCHEMES)
    pairs = [experiments.checked_scheme(s) for s in args.schemes]  # bad names fail before any work
    out = _output_dir(args)
    bar = _Progress(len(pairs) * args.seeds, "training", args.quiet, prog=(args.within or args.command_parser).prog)
    start = time.perf_counter()
    try:
        result, (X, Y, _, _) = experiments.compare(args.dataset, args.hidden, args.activation, args.iterations,
                                                   args.learning_rate, args.seeds, args.schemes, progress=bar,
                                                   examples=args.examples, article_draws=args.article_draws,
                                                   batch_size=args.batch_size)
    except SweepTooLarge as exc:  # its advice in the options of the command typed (all takes two)
        options = ({"runs": "fewer --seeds", "threads": "fewer --threads"} if args.within else
                   {"runs": "fewer --seeds or --schemes", "threads": "fewer --threads",
                    "examples": "fewer --examples", "network": "a smaller --hidden"})
        advice = [options[r] for r in exc.reasons if r in options]
        raise MemoryError(f"{exc.need}" + (f": {either(advice)} would need less" if advice else "")) from None
    finally:
        bar.close()
    seconds = time.perf_counter() - start
    *images, results = _FILES["compare"]
    saved = os.path.join(out, results)
    _clear_report(out)
    result.save(saved)
    table = result.table()
    runs = len(pairs) * args.seeds
    # 1.5-4 s more; the cost figure's curves take ~0.2 s a million points (22 000 runs of 1000
    # records: 4 s): past a million, the bar shows before the first figure is done.
    bar = _Progress(len(images), "drawing", args.quiet, unit="plot", delay=0.0 if result.costs.size > 10**6 else 1.0)
    try:
        plots.cost_curves(result, os.path.join(out, images[0]), data=args.dataset)
        bar.step()
        plots.decision_boundaries(result, X, Y, os.path.join(out, images[1]), data=args.dataset)
        bar.step()
    finally:
        bar.close()
    bare = [n.strip() for n in args.schemes if n.strip() in ("constant", "same_constant")]  # one at most
    constant = f"`{bare[0]}` sets every weight to {experiments.CONSTANT:g} (biases start at 0)." if bare else ""
    moving = _still_moving(result)
    descent = ("full-batch gradient descent" if result.batch_size is None else
               f"mini-batch gradient descent (batches of {result.batch_size}, reshuffled every epoch; each recorded "
               "cost is its batch's, the final cost the whole training set's)")
    runs_from = (f"one run a scheme from the article's weights (np.random.seed({experiments.ARTICLE_SEED}), then "
                 "randn for W1 and W2, times K)" if args.article_draws else f"seeds 0..{args.seeds - 1}")
    notes = (f"Network {list(result.layer_sizes)} ({', '.join(result.activations)}), "
             f"{counted(args.iterations, 'iteration')} of {descent} at learning rate "
             f"{args.learning_rate:g}, {runs_from}; data set {args.dataset} (train: seed 1, test: "
             f"seed 2), {counted(X.shape[1], 'point')} each. Final cost (mean ± sd) and accuracies: over the runs that "
             "did not diverge" + ("; " + constant if constant else ".") + (" " + moving if moving else "")
             + f"\n\nEvery run's costs, results and trained parameters: `{{folder}}{results}` "
             f"(`weightinit.SweepResult.load(\"{{folder}}{results}\")`).")
    report = _Report(argv, table, images, notes)
    path = _report(out, report)
    # Printed last, so that the files are there when a reader (| head) closes the pipe early.
    _say(_on_terminal(table))
    if constant:
        _say(constant.replace("`", ""))
    if moving:
        _say(_on_terminal(moving))
    _say(f"\n{counted(runs, 'run')} of {counted(args.iterations, 'iteration')} ({args.dataset}, "
          f"{counted(X.shape[1], 'point')}, {list(result.layer_sizes)}) in {seconds:.2f} s")
    _say(f"wrote {', '.join(os.path.join(out, i) for i in images)}, {saved} and {path}")
    return report


def _still_moving(result: SweepResult) -> str:
    """A sentence naming the schemes whose runs were still moving at the end (experiments.still_moving)."""
    first, rows = experiments.still_moving(result)
    parts = [f"{name} {moving} of {counted(runs, 'run')} ({low:.3g} to {high:.3g})"
             for name, moving, runs, low, high in rows]
    return (f"Still moving at the end (costs over iterations {first}–{result.iterations} spanning more than "
            f"{experiments.MOVING_SPREAD:.0%} of the final cost and {experiments.MOVING_FLOOR:g}): {', '.join(parts)}; for those runs the final cost and accuracies are a snapshot."
            if rows else "")


def _ranges(args: argparse.Namespace, argv: Sequence[str]) -> _Report:
    from weightinit import plots

    plots.require()
    for s in args.schemes:
        experiments.range_rule(s)
    out = _output_dir(args)
    bar = _Progress(len(args.schemes), "sampling", args.quiet, unit="scheme")
    try:
        rows = experiments.range_stats(args.schemes, args.inputs, args.outputs, args.count, args.seed,
                                       progress=bar.step)
    finally:
        bar.close()
    table = markdown(["scheme", f"spread for n={args.inputs}, m={args.outputs}", "min", "max", "mean", "std"],
                     [[name, experiments.range_spread_text(kind, spread)] + [f"{v:.3g}" for v in s]
                      for name, spread, kind, s in rows], right=[False, False] + [True] * 4)
    curves = experiments.range_curves(args.schemes, args.max_inputs, args.plot_outputs)
    images = list(_FILES["ranges"])
    _clear_report(out)
    plots.range_curves(curves, os.path.join(out, images[0]), args.plot_outputs)
    notes = (f"{args.count} weights per scheme, drawn at once from its distribution at the scale of a layer of "
             f"shape ({args.outputs}, {args.inputs}) (n={args.inputs} inputs, m={args.outputs} outputs), "
             f"seed {args.seed}, as the article draws its numbers. "
             f"Curves: 1..{args.max_inputs} inputs; rules that use fan_out take {args.plot_outputs} outputs.")
    report = _Report(argv, table, images, notes)
    path = _report(out, report)
    _say(_on_terminal(table))
    _say(f"wrote {os.path.join(out, images[0])} and {path}")
    return report


def _depth(args: argparse.Namespace, argv: Sequence[str]) -> _Report:
    from weightinit import plots

    plots.require()
    for s in args.schemes:
        experiments.checked_scheme(s)
    for a in args.activations:
        if a not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"unknown activation {a!r}; one of {', '.join(HIDDEN_ACTIVATIONS)}")
    out = _output_dir(args)
    # A profile's three GEMMs a layer (forward, dA, dW) at ~50 GFLOP/s: past half a second, the
    # bar shows at once rather than after the first profile.
    seconds = 6 * args.depth * args.width ** 2 * args.examples / 5e10
    bar = _Progress(len(args.schemes) * len(args.activations), "profiling", args.quiet, unit="profile",
                    delay=0.0 if seconds > 0.5 else 1.0, prog=(args.within or args.command_parser).prog)
    profiles: Dict[str, Any] = {}
    done = 0
    bar(done)  # reported as done, not stepped: without a bar, a long run says how long (--width 4096)
    try:
        for a in args.activations:
            profiles[a] = {}
            for s in args.schemes:
                profiles[a][s] = experiments.depth_profile(s, a, args.depth, args.width, args.examples, args.seed)
                done += 1
                bar(done)
    except MemoryError as exc:  # its advice in this command's options
        raise MemoryError(f"{exc}; a smaller --width, --depth or --examples would need less") from None
    finally:
        bar.close()
    # A column a layer: at most _DEPTH_COLUMNS of them, evenly spaced from the first to the last
    # (--depth 1000 printed lines of 12 000 characters); depth.csv holds every layer.
    n = min(args.depth, _DEPTH_COLUMNS)
    shown = sorted({round(k * (args.depth - 1) / max(n - 1, 1)) for k in range(n)})  # spaced >= 1: n distinct
    blocks = []
    for a, per in profiles.items():
        for c, what in enumerate(("activation std", "weight-gradient std")):
            head = [f"{a}: {what}"] + [f"L{k + 1}" for k in shown]
            blocks.append(markdown(head, [[s] + [f"{pair[c][k]:.3g}" for k in shown] for s, pair in per.items()],
                                   right=[False] + [True] * len(shown)))
    table = "\n\n".join(blocks)
    image, csv_name = _FILES["depth"]
    data = os.path.join(out, csv_name)
    _clear_report(out)
    with open(data, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["activation", "scheme", "layer", "activation_std", "gradient_std"])
        for a, per in profiles.items():
            for s, (act, grad) in per.items():
                writer.writerows([a, s, k + 1, repr(float(act[k])), repr(float(grad[k]))] for k in range(args.depth))
    images = [image]
    plots.depth_profiles(profiles, os.path.join(out, images[0]))
    sample = (f" The tables show {len(shown)} of the {args.depth} layers, evenly spaced; `{{folder}}{csv_name}` "
              "has every layer's values." if len(shown) < args.depth else " Every layer's values are also in "
              f"`{{folder}}{csv_name}`.")
    notes = (f"{args.depth} hidden layers of {args.width} units, one sigmoid output, {args.examples} N(0,1) inputs "
             f"and random labels, seed {args.seed}; std over all units and examples (activations) or all "
             f"weights (gradients dW of the cross-entropy) of each layer, at initialization." + sample)
    report = _Report(argv, table, images, notes)
    path = _report(out, report)
    _say(_on_terminal(table))
    if len(shown) < args.depth:
        _say(f"(the tables show {len(shown)} of the {args.depth} layers)")
    _say(f"wrote {os.path.join(out, images[0])}, {data} and {path}")
    return report


# all's sections: each command with its defaults, under a heading that says what it shows.
_SECTIONS: Tuple[Tuple[str, Callable[[argparse.Namespace, Sequence[str]], _Report], str], ...] = (
    ("compare", _compare, "The first article: each init scheme trained on the planar flower"),
    ("ranges", _ranges, "The second article: the weights' statistics and ranges"),
    ("depth", _depth, "Why the rule matters: the signal through a deep network"))


def _all(args: argparse.Namespace, argv: Sequence[str]) -> None:
    """compare, ranges and depth, each as its own command line would run it (into OUT/<command>,
    with its report.md), then OUT/report.md with every section."""
    out = _output_dir(args)
    parser = _parser()
    runs = []
    for command, run, heading in _SECTIONS:
        scale = ["--iterations", str(args.iterations), "--seeds", str(args.seeds)] if command == "compare" else []
        # --out=DIR in one word: a DIR that starts with "-" is not an option
        sub_argv = [command, *scale, f"--out={os.path.join(args.out, command)}"] + (["--quiet"] if args.quiet else [])
        sub_argv += [] if args.threads is None else ["--threads", str(args.threads)]  # as the heading's line says
        sub = parser.parse_args(sub_argv)
        sub.made_dirs = args.made_dirs  # what a failure takes away again (main)
        sub.within = args.command_parser  # named in progress and advice
        _output_dir(sub)  # every directory checked before the first section's work
        runs.append((command, run, heading, sub, sub_argv))
    _clear_report(out)
    lines = ["# weightinit all", "", *_command_line(argv), "",
             "Each section is one command's report; the command that runs it alone heads it."]
    for command, run, heading, sub, sub_argv in runs:
        _say(f"== {heading}: weightinit {shlex.join(sub_argv)}")
        report = run(sub, sub_argv)
        _say()
        lines += ["", f"## {heading}", "", f"In `{command}/`, with [its own report]({command}/report.md)."]
        lines += ["", *report.body(folder=command + "/")]
    path = _write(out, lines)
    _say(f"wrote {path}")


_COMMANDS: Dict[str, Callable[[argparse.Namespace, Sequence[str]], Any]] = {
    **{command: run for command, run, _ in _SECTIONS}, "all": _all}


# What the output's few non-ASCII characters become on a stream that cannot encode them
# (PYTHONIOENCODING=ascii, a legacy code page); anything else, such as a path in an error
# message, becomes "?". Files (report.md) are written in UTF-8 regardless.
_SPELLINGS = {"\u00b1": "+-", "\u2013": "-"}


def _shows_plus_minus(stream: Any) -> bool:
    """Whether stream's encoding can write "±" (a stream with none takes str as it is)."""
    try:
        "\u00b1".encode(getattr(stream, "encoding", None) or "utf-8")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def _on_terminal(table: str) -> str:
    """A table as stdout can show it: spelled and padded again where it cannot encode "±"."""
    return table if _shows_plus_minus(sys.stdout) else respell(table, _SPELLINGS)


def _spell(exc: UnicodeError) -> Tuple[Union[str, bytes], int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    part = exc.object[exc.start:exc.end]

    def escaped(c: str) -> bool:  # a byte of a path that is not UTF-8 (surrogateescape)
        return "\udc80" <= c <= "\udcff"

    if not any(map(escaped, part)):
        return "".join(_SPELLINGS.get(c, "?") for c in part), exc.end
    # Those bytes as they came, character by character beside the others.
    return b"".join(bytes([ord(c) - 0xDC00]) if escaped(c) else _SPELLINGS.get(c, "?").encode("ascii")
                    for c in part), exc.end


codecs.register_error("weightinit.spell", _spell)


def _close_option(parser: argparse.ArgumentParser, extra: Sequence[str], cutoff: float = 0.75) -> str:
    """' (did you mean --seeds?)' for the first unknown option that is close to one of the
    parser's (abbreviations are refused, so --seed is not compare's --seeds); else ''."""
    known = [o for action in parser._actions for o in action.option_strings if o.startswith("--")]
    for word in extra:
        if word.startswith("--"):
            close = difflib.get_close_matches(word.split("=", 1)[0], known, n=1, cutoff=cutoff)
            if close:
                return f" (did you mean {close[0]}?)"
    return ""


def _option_of_a_command(args: argparse.Namespace, extra: Sequence[str]) -> str:
    """For all: ' (--schemes is an option of compare, ranges and depth: ...)' for the first
    unknown option that one of the commands it runs takes (all runs them with their defaults),
    with all's own option where one is very close (--seed may mean --seeds, --schemes not);
    else ''."""
    if args.command != "all":
        return ""
    for word in extra:
        name = word.split("=", 1)[0]
        takers = [c for c, _, _ in _SECTIONS if name.startswith("--") and name in args.commands[c]._option_string_actions]
        if takers:
            very_close = _close_option(args.command_parser, extra, cutoff=0.9)
            also = f"; {very_close.strip(' ()')}" if very_close else ""
            return (f" ({name} is an option of {' and '.join(', '.join(takers).rsplit(', ', 1))}: all runs each "
                    f"with its defaults; run weightinit {takers[0]} alone to set it{also})")
    return ""


@contextlib.contextmanager
def _spelling_streams() -> Iterator[None]:
    """Lets stdout and stderr print what their encoding cannot, instead of raising after the
    work: "±" where the encoding lacks it, and a path given in bytes that are not UTF-8 (which
    strict UTF-8 streams refused). Their error handlers are put back after: main() may be
    called from a program, whose own output keeps its rules (helper-147)."""
    changed: List[Tuple[Callable[..., None], Optional[str]]] = []
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # none on a notebook's streams
        try:
            if reconfigure is not None:
                errors = stream.errors
                reconfigure(errors="weightinit.spell")
                changed.append((reconfigure, errors))
        except (AttributeError, ValueError, OSError):  # closed, or failing
            pass
    try:
        yield
    finally:
        for reconfigure, errors in changed:
            try:
                reconfigure(errors=errors)
            except (ValueError, OSError):  # closed meanwhile, or a reader gone (| head)
                pass


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status (0, 1 for a failed run, 2 for no command or
    for options found bad once parsed, 130 for Ctrl-C). Options argparse refuses raise SystemExit(2), as with
    ``--help`` SystemExit(0): catch SystemExit to call it from Python."""
    with _spelling_streams():
        return _main(list(sys.argv[1:] if argv is None else argv))


def _main(argv: List[str]) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command's parser: "weightinit compare: error: ..."
        hint = _option_of_a_command(args, extra) or _close_option(args.command_parser, extra)
        args.command_parser.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
    if args.command is None:  # no command: say what there is, and fail as argparse's errors do
        parser.print_help(sys.stderr)
        return 2
    args.made_dirs = []
    _Stdout.gone = False
    status = 1
    try:
        status = _run(args, argv)
    finally:  # a failed or interrupted run takes away the empty directories it made
        for d in reversed(args.made_dirs if status else []):
            try:
                os.rmdir(d)
            except OSError:  # holding files (another run's, say), or gone
                break
    return status


def _complain(message: str) -> None:
    """message on stderr; nowhere where there is none (pythonw, 2>&-): print(file=None) wrote
    it into stdout, the command's output (helper-183)."""
    if sys.stderr is not None:
        print(message, file=sys.stderr)


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """The command of args; its exit status, with errors said on stderr."""
    before = get_num_threads()  # put back after the run: main() called in a program leaves its setting
    try:
        if args.threads is not None:
            set_num_threads(args.threads)
        _COMMANDS[args.command](args, argv)
        if _Stdout.gone:  # the files are written; the output was not all read
            return 1
    except (ValueError, TypeError, OverflowError) as exc:
        _complain(f"weightinit {args.command}: error: {exc}")
        return 2
    except MemoryError as exc:
        _complain(f"weightinit {args.command}: error: not enough memory for these settings ({exc})")
        return 1
    except BrokenPipeError:  # the reader (| head) stopped reading; the files are written by then
        _stdout_to_devnull()
        return 1
    except OSError as exc:  # "cannot write X: Is a directory", not "[Errno 21] Is a directory: 'X'"
        said = f"cannot write {exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else exc
        _complain(f"weightinit {args.command}: error: {said}")
        return 1
    except ImportError as exc:
        _complain(f"weightinit {args.command}: error: {exc} (install the cli extra: pip install 'weightinit[cli]', "
                  "or pip install '.[cli]' in a checkout)")
        return 1
    except KeyboardInterrupt:
        _complain(f"weightinit {args.command}: interrupted")
        return 130
    finally:
        set_num_threads(before)
    return 0
