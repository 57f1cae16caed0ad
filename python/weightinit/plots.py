"""PNG figures of the experiments (matplotlib, the ``cli`` extra).

matplotlib is imported inside each function and drawn through its Agg canvas, so importing
weightinit never needs it and no global pyplot backend is touched.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import numpy as np

from weightinit import _args
from weightinit._table import counted
from weightinit.experiments import article_name, range_half_width
from weightinit.registry import normalized_name
from weightinit.sweep import SweepResult

if TYPE_CHECKING:  # matplotlib is imported where it draws
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

__all__ = ["cost_curves", "decision_boundaries", "depth_profiles", "range_curves"]

COST_AXIS_TOP = 2.0  # the first article's cost plots end at 2
# Dots per inch of every PNG: the smallest text (7 points) is 12 pixels high. At 80 dpi it
# was 8, and a log axis's 10^8 read as 10^5.
DPI = 120


def require() -> None:
    """Raises ImportError now, before any work, if matplotlib (the ``cli`` extra) is missing."""
    import matplotlib  # noqa: F401


def _figure(rows: int, cols: int, width: float, height: float) -> Tuple[Figure, np.ndarray]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    return fig, axes


def _grid(n: int) -> Tuple[int, int]:
    cols = min(n, 4)
    return math.ceil(n / cols), cols


def _style(i: int) -> Dict[str, Any]:
    """The i-th line of a panel that tells schemes apart: ten colours, then again dashed, dotted
    and dash-dotted (tab20's pale twins read as one)."""
    from matplotlib.colors import TABLEAU_COLORS

    colours = list(TABLEAU_COLORS)  # tab10's, by name: "tab:blue", "tab:orange", ...
    return {"color": colours[i % len(colours)], "linestyle": ["-", "--", ":", "-."][i // len(colours) % 4]}


def _whole_numbers(axis: Axis, n: int) -> None:
    """Ticks for an axis of the whole numbers 1..n: each one while they are few (one point got
    0.95, 0.96, ..., 1.05), else as :func:`_iteration_ticks` (``ranges --max-inputs 100000``'s
    labels ran together as iterations' had)."""
    from matplotlib.ticker import FixedLocator

    if n <= 12:
        axis.set_major_locator(FixedLocator(range(1, n + 1)))
    else:
        _iteration_ticks(axis, n)


def _iteration_ticks(axis: Axis, iterations: int) -> None:
    """At most five ticks, and from 10 000 on in thousands (2.5k, 100k, 1M): six labels of
    five or six digits ran together on a panel ("75000100000" at 100 000 iterations)."""
    from matplotlib.ticker import EngFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10], integer=True))
    if iterations >= 10_000:
        axis.set_major_formatter(EngFormatter(sep=""))


def _points(n: int) -> Dict[str, Any]:
    """Markers for a curve of fewer than two points, which a line alone does not draw."""
    return {"marker": "o", "markersize": 3} if n < 2 else {}


def _setting(result: SweepResult, data: Optional[str]) -> str:
    """The runs' setting for a figure's title: the network, its activations, the iterations
    (and their batches), the learning rate and, where given, the data set's name (a PNG shared alone must say
    which experiment it shows: a relu run's was titled as the tanh run's)."""
    batches = "" if result.batch_size is None else f" in batches of {result.batch_size}"
    return (f"network {list(result.layer_sizes)} ({', '.join(result.activations)}), "
            f"{counted(result.iterations, 'iteration')}{batches} at learning rate {result.learning_rate:g}"
            + (f", data {data}" if data else ""))


def _suptitle(fig: Figure, text: str, cols: int, width: float) -> None:
    """``text`` as the figure's title, on lines that fit ``cols`` panels of ``width`` inches."""
    fig.suptitle(textwrap.fill(text, int(cols * width * 13)), fontsize=10)  # ~13 characters an inch


def cost_curves(result: SweepResult, path: str, dpi: int = DPI, data: Optional[str] = None) -> Figure:
    """One panel per scheme, every seed's cost against the iteration, on the first article's
    axes (cost 0-2, iterations 0-N), ending at N on the run's final cost (the table's); a
    panel whose costs go above 2 says how high they go.
    A last panel overlays each scheme's median over seeds, iterations on a log axis (where
    the schemes part is the first hundred steps). The title names the setting, and ``data``
    (the data set's name) where given. Returns the matplotlib Figure."""
    if result.costs.shape[2] == 0:
        raise ValueError(f"result recorded no cost (iterations={result.iterations}): nothing to draw")
    # One or two schemes: a cell of its own for the median panel's legend, which beside so
    # narrow a figure fell under the panels' labels (helper-137).
    rows, cols = _grid(len(result.inits) + (2 if len(result.inits) <= 2 else 1))
    fig, axes = _figure(rows, cols, 3.2, 2.4)
    steps, all_costs = _drawn_costs(result)
    # Fainter as they grow in number: at 0.6 each, 300 seeds' curves drew a solid block. At
    # 4.8 / seeds, a path that a tenth of the runs share is about as dark (1 - e^-0.48 = 0.38)
    # as one curve of a few seeds.
    alpha = min(0.6, max(0.02, 4.8 / len(result.seeds)))
    for i, name in enumerate(result.inits):
        ax = axes[i]
        _seed_curves(ax, steps, all_costs[i], alpha)
        n_div = int(result.diverged[i].sum())
        ax.set_title(name + (f" ({n_div} diverged)" if n_div else ""), fontsize=10)
        ax.set_ylim(0.0, COST_AXIS_TOP)
        finite = all_costs[i][np.isfinite(all_costs[i])]
        low, peak = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
        if peak > COST_AXIS_TOP:  # the curve leaves the article's axes
            # The range on a line of its own: "all above the axis: 8.55e+04 to 1.12e+103" ran
            # out of the panel over the cost labels (helper-184).
            mark = (f"all above the axis:\n{low:.3g} to {peak:.3g}" if low > COST_AXIS_TOP
                    else f"off the axis: up to {peak:.3g}")
            # Runs that end up there (not diverged): "up to 156" alone read as one early spike.
            ended = int((result.final_cost[i, ~result.diverged[i]] > COST_AXIS_TOP).sum())
            if ended and low <= COST_AXIS_TOP:
                mark += f"\n{ended} of {counted(len(result.seeds), 'run')} {'ends' if ended == 1 else 'end'} above it"
            ax.text(0.97, 0.96, mark, transform=ax.transAxes, ha="right", va="top", fontsize=7, color="tab:red",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5})
        if n_div and n_div == len(result.seeds):
            # Runs that diverged at once leave a point or nothing to draw: the panel looked
            # empty (helper-190, --learning-rate 1e308). The step is that of the latest run's
            # first non-finite record: each had diverged by then.
            by = int(steps[np.argmin(np.isfinite(all_costs[i]), axis=1)].max())
            ax.text(0.5, 0.5, f"every run diverged,\nby iteration {by:,}", transform=ax.transAxes, ha="center",
                    va="center", fontsize=8, color="tab:red")
        ax.set_xlim(0, max(result.iterations, 1))
        _iteration_ticks(ax.xaxis, result.iterations)
        ax.set_xlabel("run iterations", fontsize=8)  # the article's plot_cost label
        ax.set_ylabel("cost", fontsize=8)
        ax.tick_params(labelsize=7)
    spare = axes[len(result.inits) + 1:]
    for ax in spare:
        ax.set_visible(False)
    _median_costs(axes[len(result.inits)], result, spare[0] if len(spare) else None)
    runs = counted(len(result.seeds), "seed") if len(result.seeds) > 1 else "one run"
    _suptitle(fig, f"cost of {runs} per scheme, {_setting(result, data)}", cols, 3.2)
    fig.savefig(path, dpi=dpi)
    return fig


def _drawn_costs(result: SweepResult) -> Tuple[np.ndarray, np.ndarray]:
    """The steps and costs the curves draw: the records (costs before steps 0, record_every,
    ...) and, at the last iteration, each run's final cost, that of its trained parameters,
    the table's (NaN for a run that diverged). The curves stopped at the last record, a step
    or more before: an off-axis note said "up to 9.74e+101" where the table's final cost was
    1.12e+103 (helper-184)."""
    steps, costs = result.steps, result.costs
    if result.iterations > 0 and (steps.size == 0 or steps[-1] < result.iterations):
        steps = np.append(steps, result.iterations)
        costs = np.concatenate([costs, result.final_cost[..., None]], axis=2)
    return steps, costs


def _seed_curves(ax: Axes, steps: np.ndarray, costs: np.ndarray, alpha: float) -> None:
    """Every seed's costs (rows of ``costs``) against ``steps``, one artist for them all: a
    line each took ~0.65 ms and 20-50 KB (2000 seeds of 11 schemes: 14 s and 1.1 GB). A run
    that diverged stops where its NaN records start. (Two records or more: the final cost's
    comes at the last iteration, the first record's at 0.)"""
    from matplotlib.collections import LineCollection

    curves = np.stack([np.broadcast_to(steps, costs.shape), costs], axis=-1)  # (seeds, records, x/y)
    ax.add_collection(LineCollection(list(curves), colors="tab:blue", linewidths=0.8, alpha=alpha), autolim=False)


def _median_costs(ax: Axes, result: SweepResult, spare: Optional[Axes] = None) -> None:
    """Each scheme's median cost over its seeds (of the finite records) against the iteration,
    log scale (step 0 left out), one colour and line style each, on the article's cost axis;
    its legend in the ``spare`` panel that follows it, else beside the figure."""
    steps, all_costs = _drawn_costs(result)
    later = steps > 0  # the final cost's at least
    for i, name in enumerate(result.inits):
        costs = np.where(np.isfinite(all_costs[i]), all_costs[i], np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an iteration where every seed diverged
            median = np.nanmedian(costs[:, later], axis=0)
        if not (median <= COST_AXIS_TOP).any():  # listed, with no line to see
            name += " (diverged)" if result.diverged[i].all() else " (off the axis)"
        elif (median > COST_AXIS_TOP).any():  # a clipped line would read as a cost near 2
            # From the first step on: the scheme's own panel, with the cost at 0, can say more.
            name += f" (off the axis: up to {np.nanmax(median):.3g} from iteration {int(steps[later][0]):,})"
        ax.plot(steps[later], median, linewidth=1.0, label=name, **_style(i), **_points(int(later.sum())))
    ax.set_xscale("log")
    ax.set_ylim(0.0, COST_AXIS_TOP)
    several = len(result.seeds) > 1  # one run a scheme (--article-draws) has no median over seeds
    ax.set_title("median over seeds, every scheme" if several else "every scheme", fontsize=10)
    # From the first step after 0: the schemes' own panels also draw the cost at 0, which
    # can be higher than any here ("up to 122" there, 117 here for one run of randn*100).
    first = f", from {int(steps[later][0]):,}"
    ax.set_xlabel(f"run iterations (log scale{first})", fontsize=8)
    ax.set_ylabel("cost", fontsize=8)
    ax.tick_params(which="both", labelsize=7)  # the log axis labels minor ticks over a decade or less
    if steps[-1] < 10:  # under a decade: "2 x 10^0" and its neighbours ran into each other (helper-184)
        from matplotlib.ticker import FuncFormatter

        plain = FuncFormatter(lambda x, _: f"{x:g}")
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(plain)
    # Not inside the panel: there, eleven names covered the curves.
    if not ax.get_lines():
        return
    if spare is not None:  # the next cell of the grid, empty
        spare.set_visible(True)
        spare.axis("off")
        spare.legend(*ax.get_legend_handles_labels(), loc="center left", fontsize=7, frameon=False,
                     title="median panel" if several else "last panel", title_fontsize=8)
    else:  # the panel ends the grid: beside the figure's last row
        ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside right lower", fontsize=7, frameon=False)


# The most values one prediction over the decision-boundary grid writes (32 MB in float64).
_GRID_VALUES = 1 << 22
# The most training examples decision_boundaries draws on a panel, by default.
MAX_EXAMPLES = 2000


def decision_boundaries(result: SweepResult, X: np.ndarray, Y: np.ndarray, path: str, seed_index: int = 0,
                        points: int = 150, dpi: int = DPI, max_examples: int = MAX_EXAMPLES,
                        data: Optional[str] = None) -> Figure:
    """One panel per scheme: the classes the trained network of ``seeds[seed_index]`` predicts
    over the plane around X (a grid of ``points`` x ``points``), with the examples on top (as
    the article's plot_decision_boundary): at most ``max_examples`` of them, evenly spaced.
    The title names the setting, and ``data`` (the data set's name) where given. Returns the
    matplotlib Figure."""
    if result.layer_sizes[0] != 2:
        raise ValueError(f"decision_boundaries needs networks of 2 inputs (points in the plane), got layer_sizes "
                         f"{tuple(result.layer_sizes)}")
    if result.loss == "mse":
        raise ValueError(f"decision_boundaries needs a classifier (binary or softmax cross-entropy), got loss "
                         f"{result.loss!r}")
    seed_index = _args.index(seed_index, "seed_index", len(result.seeds), "seeds")
    points = _args.count(points, "points", 2)  # a contour needs a grid of 2 x 2 at least
    max_examples = _args.count(max_examples, "max_examples", 1)
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] != 2:
        raise ValueError(f"X must have 2 rows (features; examples are columns), got shape {X.shape}")
    # Y as the network reads it (0/1 labels, or one-hot columns or class indices for softmax):
    # labels of 2 or 0.5 were drawn in the colour of another class.
    net = result.network(0, seed_index)
    net._inputs(X)  # finite real numbers
    Y = net._targets(Y, X.shape[1])
    rows, cols = _grid(len(result.inits))
    fig, axes = _figure(rows, cols, 3.0, 3.0)
    x_min, x_max = X[0].min() - 1, X[0].max() + 1
    y_min, y_max = X[1].min() - 1, X[1].max() + 1
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, points), np.linspace(y_min, y_max, points))
    grid = np.stack([xx.ravel(), yy.ravel()])
    labels = np.argmax(Y, axis=0) if Y.shape[0] > 1 else Y[0]
    classes = max(Y.shape[0], 2)
    m = X.shape[1]
    # Evenly spaced (the data sets list a class at a time, so each keeps its share): all of
    # 10^5 points took seconds a panel and covered the regions.
    shown = np.round(np.linspace(0, m - 1, max_examples)).astype(np.intp) if m > max_examples else slice(None)
    for i, name in enumerate(result.inits):
        ax = axes[i]
        if result.diverged[i, seed_index]:
            ax.text(0.5, 0.5, "diverged", ha="center", va="center", transform=ax.transAxes, zorder=3,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
        else:
            net = result.network(i, seed_index)
            # In slices of the grid: all of it at once through [2, 10^5, 1] took 18 GB.
            step = max(1, _GRID_VALUES // sum(result.layer_sizes[1:]))
            pred = np.concatenate([np.asarray(net.predict(grid[:, k:k + step])).reshape(-1)
                                   for k in range(0, grid.shape[1], step)])
            # Class c's region in class c's hue (vmin, vmax: the points' scale), paler.
            ax.contourf(xx, yy, pred.reshape(xx.shape), levels=np.arange(classes + 1) - 0.5, cmap="Spectral",
                        vmin=0, vmax=classes - 1, alpha=0.45)
        # A dark rim: a class's points are the colour of its own region (the pale middle one vanished).
        ax.scatter(X[0, shown], X[1, shown], c=labels[shown], cmap="Spectral", vmin=0, vmax=classes - 1, s=7, edgecolors="black",
                   linewidths=0.3)
        acc = result.train_accuracy[i, seed_index]
        ax.set_title(f"{name}: train {100 * acc:.1f}%" if np.isfinite(acc) else name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("x1", fontsize=8)  # the article's plot_decision_boundary labels
        ax.set_ylabel("x2", fontsize=8)
    for ax in axes[len(result.inits):]:
        ax.set_visible(False)
    _class_legend(fig, classes)
    sample = f", {max_examples} of {m} training points shown" if m > max_examples else ""
    _suptitle(fig, f"decision boundary of seed {result.seeds[seed_index]}{sample}, {_setting(result, data)}", cols,
              3.0)
    fig.savefig(path, dpi=dpi)
    return fig


def _class_legend(fig: Figure, classes: int) -> None:
    """Which point colour is which class (the regions are the same hues, paler), below the panels."""
    import matplotlib
    from matplotlib.lines import Line2D

    cmap = matplotlib.colormaps["Spectral"]
    names = ["y = 0", "y = 1"] if classes == 2 else [f"class {c}" for c in range(classes)]
    handles = [Line2D([], [], linestyle="none", marker="o", markersize=6, markeredgecolor="black",
                      markeredgewidth=0.3, markerfacecolor=cmap(c / (classes - 1)), label=names[c])
               for c in range(classes)]
    fig.legend(handles=handles, loc="outside lower center", ncol=classes, fontsize=8, frameon=False)


def range_curves(curves: Dict[str, Tuple[str, np.ndarray, bool]], path: str, outputs: int,
                 dpi: int = DPI) -> Figure:
    """One panel per scheme (:func:`weightinit.experiments.range_curves`): the bound of a
    uniform or truncated rule, or +-4 std of a normal one, against the number of inputs (the
    second article's plots). Returns the matplotlib Figure."""
    rows, cols = _grid(len(curves))  # four panels a row: twelve schemes in one row were unreadable
    fig, axes = _figure(rows, cols, 3.4, 2.8)
    for ax in axes[len(curves):]:
        ax.set_visible(False)
    for ax, (name, (kind, spread, uses_outputs)) in zip(axes, curves.items()):
        n = np.arange(1, len(spread) + 1)
        half, what = range_half_width(kind, spread)
        ax.plot(n, half, color="tab:blue", label=f"+{what}", **_points(len(n)))
        ax.plot(n, -half, color="tab:orange", label=f"-{what}", **_points(len(n)))
        _whole_numbers(ax.xaxis, len(n))  # inputs
        said = article_name(name)  # the article's figures are titled by these names
        notes = ([f'"{said}"'] if said and normalized_name(said) != normalized_name(name) else []) + (
            [counted(outputs, "output")] if uses_outputs else [])
        # The notes on a line of their own: on one line, a panel's title ran past the figure's
        # edge (xavier_uniform ("normalized Xavier"), 10 outputs in the last column).
        ax.set_title("\n".join([name] + ([", ".join(notes)] if notes else [])), fontsize=10)
        ax.set_xlabel("number of inputs", fontsize=8)
        ax.set_ylabel("weight range", fontsize=8)
        ax.legend(fontsize=7)
    # Said on the image itself: the article's He figure draws +-1 std (helper-153).
    title = ("weight range against the number of inputs: the bound of a uniform or truncated rule, \u00b14\u00a0std "
             "of a normal one")  # a no-break space: "4 std" is not split between lines
    _suptitle(fig, title, cols, 3.4)
    fig.savefig(path, dpi=dpi)
    return fig


def depth_profiles(profiles: Dict[str, Dict[str, Tuple[np.ndarray, np.ndarray]]], path: str,
                   dpi: int = DPI) -> Figure:
    """Rows: activations; columns: activation std and weight-gradient std per layer, one line
    per scheme, log scale (values of 0 and overflowed ones are left out, and named under the
    panel's title). Returns the matplotlib Figure."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    acts = list(profiles)
    fig, axes = _figure(len(acts), 2, 4.2, 3.0)
    for r, act in enumerate(acts):
        for c, what in enumerate(("activation std", "gradient std (dW)")):
            ax = axes[2 * r + c]
            flat, notes, drawn = [], [], []
            for i, (name, pair) in enumerate(profiles[act].items()):
                y = pair[c]
                layers = np.arange(1, len(y) + 1)
                zero = y <= 0
                lost = ~zero & ~np.isfinite(y)  # overflowed
                keep = ~zero & ~lost
                ax.plot(layers[keep], np.log10(y[keep]), marker="o", markersize=3, label=name, **_style(i))
                drawn.extend(np.log10(y[keep]))
                if lost.any():
                    notes.append(f"std not finite at {_spans(layers[lost])}: {name}")
                if zero.all():
                    flat.append(name)
                elif zero.any():
                    notes.append(f"std 0 at {_spans(layers[zero])}: {name}")
            # What the log scale cannot draw (a scheme with no line, or missing layers): said under the title.
            if flat:
                notes.insert(0, f"std 0 at every layer: {', '.join(flat)}")
            # log10 of the std on a linear axis, labelled 10^k: matplotlib's log axis overflowed
            # (its margins and ticks) for stds near 1e300, which exploding schemes reach.
            # Whole decades at the ends, so that at least two are labelled, and 2..9 x 10^k
            # marked between them where decades are few.
            lo, hi = (math.floor(min(drawn)), math.ceil(max(drawn))) if drawn else (-1, 0)
            hi = max(hi, lo + 1)
            ax.set_ylim(lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"$10^{{{v:.0f}}}$"))
            if hi - lo <= 12:  # (1 x 10^k included: unlabelled where the labels skip decades)
                ax.yaxis.set_minor_locator(FixedLocator([k + math.log10(f) for k in range(lo, hi) for f in range(1, 10)]))
            ax.set_title("\n".join([f"{act}: {what}"] + notes), fontsize=8 if notes else 10)
            _whole_numbers(ax.xaxis, len(next(iter(profiles[act].values()))[c]) if profiles[act] else 1)  # layers
            ax.set_xlabel("layer", fontsize=8)
            ax.set_ylabel("std", fontsize=8)
            ax.tick_params(labelsize=7)
    # One legend for all panels, outside them: inside, it hid a curve.
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", fontsize=7)
    fig.savefig(path, dpi=dpi)
    return fig


def _spans(layers: np.ndarray) -> str:
    """Sorted layer numbers as runs: [2, 3, 4, 7] -> "layers 2-4, 7"; [1] -> "layer 1"."""
    runs: List[List[int]] = []
    for k in layers.tolist():
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    word = "layer" if len(layers) == 1 else "layers"
    return word + " " + ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in runs)
