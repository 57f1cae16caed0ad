"""Train every (initializer, seed) network of one architecture at once: weightinit.sweep.

Run ``(i, s)`` starts from exactly the network ``wi.MLP(layer_sizes, activations, loss,
init=inits[i], rng=seeds[s], dtype=dtype)`` builds (each layer's weights drawn in turn from
``np.random.default_rng(seeds[s])``, biases zero) and is trained by the same C++ engine with
full-batch gradient descent (or, with ``batch_size=``, mini-batch SGD shuffled by the key
that network's first ``fit`` draws), so every number equals what that network's ``fit``,
``cost`` and ``accuracy`` give alone. Runs are spread over ``weightinit.get_num_threads()`` threads
(256 at most), one run per thread at a time; results do not depend on the thread count. The
same seed gives every initializer the same random stream (common random numbers):
``randn * 0.01`` and ``randn * 100`` start from the same directions, scaled.

>>> import weightinit as wi
>>> from weightinit import datasets
>>> X, Y = datasets.planar_flower(1)
>>> r = wi.sweep(X, Y, [2, 4, 1], ["zeros", "xavier_uniform"], seeds=[0, 1], iterations=100, learning_rate=1.2)
>>> r.costs.shape
(2, 2, 100)
"""

from __future__ import annotations

import functools
import io
import json
import math
import numbers
import os
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import IO, Any, Callable, Dict, List, NoReturn, Optional, Sequence, Tuple, Union, cast

import numpy as np

from weightinit import _args
from weightinit.random import _key
from weightinit._coreload import core
from weightinit._table import counted, either, markdown
from weightinit._threads import get_num_threads
from weightinit.mlp import MLP, _initializer, drawn_weights, engine_values, parameter_count, sizes_text
from weightinit.summary import moments

__all__ = ["SweepResult", "SweepTooLarge", "sweep", "init_label"]

InitSpec = Union[str, Callable[..., np.ndarray], Tuple[str, Union[str, Callable[..., np.ndarray]]]]


def init_label(init: InitSpec) -> str:
    """The name a sweep shows for an initializer: the name itself, a pair's label, a
    function's ``__name__`` (a ``functools.partial`` shows its keywords)."""
    if isinstance(init, str):
        return str(init)  # np.str_ too, as a plain str (its repr showed np.str_('he_normal'))
    if isinstance(init, tuple):
        return str(init[0])
    if isinstance(init, functools.partial):
        kw = ", ".join(f"{k}={v}" for k, v in init.keywords.items())
        return f"{init_label(init.func)}({kw})"
    return getattr(init, "__name__", repr(init))


def _split_init(init: Any, where: str) -> Tuple[str, Any]:
    if isinstance(init, tuple):
        if len(init) != 2 or not isinstance(init[0], str) or not (isinstance(init[1], str) or callable(init[1])):
            raise TypeError(f"{where} must be a name, a callable or a (label, name or callable) pair, got {init!r}")
        _initializer(init[1], where)
        return str(init[0]), init[1]
    if isinstance(init, str):
        _initializer(init, where)  # an unknown name fails here, named as the caller named it
        return init_label(init), init
    if callable(init):
        return init_label(init), init
    raise TypeError(f"{where} must be a name, a callable or a (label, name or callable) pair, got {type(init).__name__}")


def _same(a: Any, b: Any) -> bool:
    """a and b equal to the bit for SweepResult.__eq__: arrays (also within lists and tuples,
    either) of one dtype and shape with the same bytes, so a nan equals itself and -0.0 is not
    0.0."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and a.tobytes() == b.tobytes())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


# What reading a damaged .npz archive raises: NumPy's and zipfile's errors, and zipfile's
# NotImplementedError for an entry that asks for a zip version or an encryption it does not
# know (helper-191: damaged bytes did, as the archive opens and as a member is read). Not
# OSError as the file opens: a missing file is FileNotFoundError, said as Python says it.
_BROKEN_ARCHIVE = (ValueError, EOFError, zipfile.BadZipFile, NotImplementedError)


@dataclass(eq=False)
class SweepResult:
    """What :func:`sweep` measured; run ``(i, s)`` is ``inits[i]`` with ``seeds[s]``.

    ``costs[i, s, k]`` is the cost before step ``k * record_every`` (NaN after a run
    diverged: its cost became nan or inf, or in float32 went beyond float32's range, and it
    stopped before that update, as ``MLP.fit`` does; or the trained parameters' own cost is:
    the last update can make it inf, which ``fit``, computing no cost after its last update,
    lets pass); ``final_cost`` is the cost of the trained parameters on the training set (NaN
    for a diverged run);
    accuracies are fractions in [0, 1] (NaN for a diverged run, for ``mse``, and for
    ``test_accuracy`` without a test set). ``parameters[l]`` stacks layer ``l+1``'s trained
    ``(W, b)`` of every run: shapes ``(n_inits, n_seeds, n_out, n_in)`` and ``(..., n_out, 1)``.
    ``batch_size`` is None for full-batch gradient descent, else the mini-batches' size (and
    each recorded cost is a mini-batch's).
    """

    inits: List[str]
    seeds: List[int]
    layer_sizes: Tuple[int, ...]
    activations: Tuple[str, ...]
    loss: str
    iterations: int
    learning_rate: float
    record_every: int
    alpha: float
    costs: np.ndarray
    final_cost: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    diverged: np.ndarray
    parameters: List[Tuple[np.ndarray, np.ndarray]] = field(repr=False)
    batch_size: Optional[int] = None  # None: full-batch gradient descent

    def __eq__(self, other: object) -> bool:
        """The same runs with the same bits: every field, arrays by dtype, shape and bytes (a
        diverged run's nan costs equal themselves). The generated comparison raised on arrays."""
        if type(other) is not type(self):
            return NotImplemented
        return all(_same(getattr(self, f.name), getattr(other, f.name)) for f in fields(self))

    __hash__ = None  # type: ignore[assignment]  # equal by value, and the arrays are mutable

    def __repr__(self) -> str:
        runs = len(self.inits) * len(self.seeds)
        return (f"SweepResult({counted(len(self.inits), 'init')} x {counted(len(self.seeds), 'seed')} = "
                f"{counted(runs, 'run')} of {list(self.layer_sizes)}, {counted(self.iterations, 'iteration')}"
                f"{'' if self.batch_size is None else f' in batches of {self.batch_size}'}, "
                f"costs {self.costs.shape}, {int(self.diverged.sum())} diverged)")

    @property
    def steps(self) -> np.ndarray:
        """The step of each cost record: 0, record_every, 2 record_every, ..."""
        return np.arange(self.costs.shape[-1]) * self.record_every

    def network(self, init: Union[int, str], s: Optional[int] = None, *, seed: Optional[int] = None) -> MLP:
        """Run ``(init, s)``'s trained network as a :class:`weightinit.MLP`: ``init`` an index
        into ``inits`` or one of its labels, ``s`` an index into ``seeds`` (negative indices
        count from the end, as in a list), or ``seed=`` one of the seeds itself:
        with ``seeds=[1, 2, 3]``, ``network(0, 1)`` and ``network(0, seed=2)`` are one run."""
        if (s is None) == (seed is None):
            raise TypeError("network takes s, an index into seeds, or seed=, one of the seeds, and not both")
        if seed is not None:
            value = _args.integer(seed, "seed", "an int")
            if self.seeds.count(value) != 1:
                why = "is several of this sweep's seeds: pass its index s" if value in self.seeds else \
                    f"is not one of this sweep's seeds, {sizes_text(self.seeds)}"
                raise ValueError(f"seed={value} {why}")
            s = self.seeds.index(value)
        if isinstance(init, str):
            if self.inits.count(init) != 1:
                why = "names several of this sweep's inits: pass its index" if init in self.inits else \
                    f"is not one of this sweep's inits: {', '.join(map(repr, self.inits))}"
                raise ValueError(f"init {init!r} {why}")
            init = self.inits.index(init)
        init = _args.index(init, "init", len(self.inits), "inits")
        s = _args.index(s, "s", len(self.seeds), "seeds")
        net = MLP(self.layer_sizes, self.activations, self.loss, init="zeros", dtype=self.parameters[0][0].dtype,
                  alpha=self.alpha)
        params = {}
        for k, (W, b) in enumerate(self.parameters):
            params[f"W{k + 1}"], params[f"b{k + 1}"] = W[init, s], b[init, s]
        net.parameters = params
        return net

    def save(self, file: Union[str, "os.PathLike[str]", IO[bytes]]) -> None:
        """Writes the result to ``file`` (a path, or a binary file open for writing) as an ``.npz``
        archive that :meth:`load` reads back with every field equal and every array the same bits.

        As ``np.savez``, ``.npz`` is added to a path that does not end in it (``save("run")``
        writes ``run.npz``, which ``load`` must be given). The archive holds
        plain arrays (the costs, results and parameters under their field names, ``W1, b1, ...``)
        and ``meta``, a JSON string of the other fields: no pickle, so ``np.load`` reads it too.
        """
        # Python's own numbers (a result built by hand may hold NumPy's, which JSON does not take).
        # Full-batch results stay version 1, which weightinit before batch_size= reads; that
        # version refuses version 2 rather than reading mini-batches as full-batch descent.
        meta = {"format": _SAVED_FORMAT, "version": 1 if self.batch_size is None else 2,
                "inits": [str(x) for x in self.inits],
                "seeds": [int(x) for x in self.seeds], "layer_sizes": [int(n) for n in self.layer_sizes],
                "activations": [str(a) for a in self.activations], "loss": str(self.loss),
                "iterations": int(self.iterations), "learning_rate": float(self.learning_rate),
                "record_every": int(self.record_every), "alpha": float(self.alpha)}
        if self.batch_size is not None:  # what a sweep can have had (a result built by hand may not)
            meta["batch_size"] = _args.count(self.batch_size, "batch_size", 1)
        target = _binary(file, "wb")
        arrays = {name: getattr(self, name) for name in _SAVED_ARRAYS}
        for k, (W, b) in enumerate(self.parameters):
            arrays[f"W{k + 1}"], arrays[f"b{k + 1}"] = W, b
        np.savez(target, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, file: Union[str, "os.PathLike[str]", IO[bytes]]) -> "SweepResult":
        """A result written by :meth:`save`, from a path (as written: with its ``.npz``) or a
        binary file open for reading.

        A ValueError names the file when it is not such an archive (another ``.npz``, arrays
        that do not fit together, a meta that no sweep writes). Nothing in it is unpickled, and
        every array's header is checked against the meta before the array is read, so memory
        grows with the file's size, not with what a header claims.
        """
        source = _binary(file, "rb")
        if isinstance(source, str):
            name = repr(source)
            name = name if len(name) <= 200 else name[:197] + "..."
        else:
            name = repr(source.name) if getattr(source, "name", None) else f"this {type(source).__name__}"

        def refuse(why: str) -> NoReturn:
            raise ValueError(f"{name} is not a weightinit sweep result (an .npz archive written by "
                             f"SweepResult.save): {why}") from None

        try:
            archive = np.load(source, allow_pickle=False)
        except io.UnsupportedOperation as exc:  # a ValueError too: a pipe, which a zip archive cannot be read from
            raise ValueError(f"{name} cannot be read as an .npz archive: {exc} (a zip archive is read out of "
                             "order; read the stream into io.BytesIO(stream.read()) and pass that)") from None
        except _BROKEN_ARCHIVE as exc:  # neither .npy nor .npz, or a broken one
            refuse("it is not an .npz archive" if "pickle" in str(exc) else str(exc) or type(exc).__name__)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            refuse("it holds a single array")
        zipped = cast(zipfile.ZipFile, archive.zip)  # None only once the archive is closed
        with archive:
            members = {}
            for info in zipped.infolist():
                if not info.filename.endswith(".npy"):
                    refuse(f"it holds {info.filename!r}, which is no array")
                if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
                    refuse(f"its {info.filename} is compressed or encrypted; SweepResult.save stores arrays as they are")
                members[info.filename[:-4]] = info

            def read(key: str, shape: Tuple[int, ...], dtypes: Tuple[Any, ...]) -> np.ndarray:
                """Member key, refused unless its header says this shape and one of these dtypes
                (a string's where there are none)."""
                if key not in members:
                    refuse(f"it lacks {key}")
                readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
                try:
                    with zipped.open(members[key]) as f:
                        version = np.lib.format.read_magic(f)
                        header = readers[version](f) if version in readers else None
                except (*_BROKEN_ARCHIVE, OSError) as exc:
                    refuse(f"{key} cannot be read ({exc})")
                if header is None:
                    refuse(f"{key} is in .npy format {version}")
                stored_shape, _, dtype = header
                if stored_shape != shape or not (dtype in dtypes if dtypes else dtype.kind == "U"):
                    refuse(f"{key} is {dtype} of shape {stored_shape}; its fields ask for "
                           f"{' or '.join(map(str, dtypes)) or 'a string'} of shape {shape}")
                # NumPy allocates what the header says before reading: a meta and a header that
                # agree on 27 GB of a 1 MB file would ask for 27 GB.
                if math.prod(shape) * dtype.itemsize > members[key].file_size:
                    refuse(f"{key}'s header claims {_args.size_text(math.prod(shape) * dtype.itemsize)}, more than "
                           f"the {members[key].file_size} bytes it holds")
                try:
                    with zipped.open(members[key]) as f:
                        return np.lib.format.read_array(f, allow_pickle=False)
                except (*_BROKEN_ARCHIVE, OSError) as exc:
                    refuse(f"{key} cannot be read ({exc})")

            text = read("meta", (), ())
            try:
                meta = json.loads(str(text[()]))
            except (ValueError, RecursionError) as exc:
                refuse(f"its meta is no JSON ({type(exc).__name__})")
            if not isinstance(meta, dict) or meta.get("format") != _SAVED_FORMAT:
                refuse("its meta does not say it is one")
            if type(meta.get("version")) is not int or meta["version"] not in _SAVED_VERSIONS:
                refuse(f"it is version {meta.get('version')!r} of the format; this weightinit reads versions 1 and 2")
            try:
                fields = _saved_fields(meta)
                sizes, runs = fields["layer_sizes"], (len(fields["inits"]), len(fields["seeds"]))
                records = _args.records(fields["iterations"], fields["record_every"], runs[0] * runs[1])
            except KeyError as exc:
                refuse(f"its meta lacks {exc}")
            except (TypeError, ValueError, MemoryError) as exc:
                refuse(f"its meta holds what no sweep writes ({exc})")
            L = len(sizes) - 1
            expected = set(_SAVED_ARRAYS) | {f"{p}{k + 1}" for k in range(L) for p in "Wb"} | {"meta"}
            if set(members) != expected:
                refuse(f"its arrays are {', '.join(sorted(members))}; expected {', '.join(sorted(expected))}")
            results: Dict[str, Any] = {key: read(key, runs + (records,) if key == "costs" else runs,
                                 (np.dtype(bool if key == "diverged" else np.float64),)) for key in _SAVED_ARRAYS}
            floats: Tuple[Any, ...] = (np.dtype(np.float32), np.dtype(np.float64))
            params: List[Tuple[np.ndarray, np.ndarray]] = []
            for k in range(L):  # every layer in W1's dtype, as a sweep saves them
                W = read(f"W{k + 1}", runs + (sizes[k + 1], sizes[k]), floats if k == 0 else (params[0][0].dtype,))
                params.append((W, read(f"b{k + 1}", runs + (sizes[k + 1], 1), (W.dtype,))))
        return cls(**fields, **results, parameters=params)

    def summary(self) -> List[Dict[str, Any]]:
        """One row per initializer: final cost mean and sd (over the runs that did not
        diverge, sd with ddof 0), mean train and test accuracy, and the diverged count."""
        rows = []
        for i, name in enumerate(self.inits):
            ok = ~self.diverged[i]
            fc = self.final_cost[i][ok]
            mean, sd = moments(fc) if fc.size else (float("nan"), float("nan"))  # costs near 1e300 too
            rows.append({
                "init": name,
                "cost_mean": mean,
                "cost_sd": sd,
                "train_accuracy": float(self.train_accuracy[i][ok].mean()) if fc.size else float("nan"),
                "test_accuracy": float(self.test_accuracy[i][ok].mean()) if fc.size else float("nan"),
                "diverged": int(self.diverged[i].sum()),
                "runs": len(self.seeds),
            })
        return rows

    def table(self) -> str:
        """:meth:`summary` as a Markdown table (accuracies in percent)."""
        def percent(x: float) -> str:  # "-" where there is no test set (or every run diverged)
            return "-" if math.isnan(x) else f"{100 * x:.1f}"

        def cost(x: float) -> str:  # 4 decimals; a finite but exploded cost in exponent form
            return "-" if math.isnan(x) else f"{x:.4f}" if abs(x) < 1e6 else f"{x:.4g}"

        def spread(r: Dict[str, Any]) -> str:  # one run (or one that did not diverge) has no sd to print
            return cost(r["cost_sd"]) if r["runs"] - r["diverged"] >= 2 else "-"

        rows = [[r["init"], f"{cost(r['cost_mean'])} ± {spread(r)}", percent(r["train_accuracy"]),
                 percent(r["test_accuracy"]), f"{r['diverged']}/{r['runs']}"] for r in self.summary()]
        return markdown(["init", "final cost (mean ± sd)", "train acc %", "test acc %", "diverged"], rows,
                        right=[False, True, True, True, True])


def _binary(file: Any, mode: str) -> Any:
    """file as save and load pass it to NumPy: a path as a str (np.savez adds ".npz" to a str
    path, and failed on bytes), or a binary file. A TypeError for anything else, and for a
    file opened in text mode: an io.TextIOBase, or a wrapper of one that passes on its text
    encoding (tempfile's NamedTemporaryFile("w+") and SpooledTemporaryFile(mode="w+"); helper-152)."""
    if isinstance(file, (str, bytes, os.PathLike)):
        return os.fsdecode(file)
    usage = f"file must be a path or a binary file (open(path, {mode!r}))"
    if isinstance(file, io.TextIOBase) or isinstance(getattr(file, "encoding", None), str):
        raise TypeError(f"{usage}, got one opened in text mode")
    if not callable(getattr(file, "write" if "w" in mode else "read", None)):
        raise TypeError(f"{usage}, got {type(file).__name__}")
    return file


# SweepResult.save's archive: its arrays besides the parameters, and what its meta says it is.
_SAVED_ARRAYS = ("costs", "final_cost", "train_accuracy", "test_accuracy", "diverged")
_SAVED_FORMAT, _SAVED_VERSIONS = "weightinit.SweepResult", (1, 2)  # 2: mini-batches, with batch_size


def _saved_fields(meta: Dict[str, Any]) -> Dict[str, Any]:
    """SweepResult's fields other than its arrays, from a saved meta; KeyError for one it
    lacks, TypeError or ValueError (the checks of sweep's own arguments) for one no sweep writes."""
    labels = meta["inits"]
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise TypeError("inits must be a non-empty list of labels")
    if not isinstance(meta["seeds"], list) or not meta["seeds"]:
        raise TypeError("seeds must be a non-empty list")
    sizes = MLP._sizes(meta["layer_sizes"])
    loss, acts = MLP._activations(meta["activations"], meta["loss"], len(sizes) - 1)
    if meta["version"] == 2:  # mini-batches
        batch: Optional[int] = _args.count(meta["batch_size"], "batch_size", 1)
    elif "batch_size" in meta:
        raise ValueError("batch_size belongs to version 2 (mini-batches) alone")
    else:
        batch = None
    return dict(inits=labels, seeds=[_args.count(x, "seeds", 0) for x in meta["seeds"]], layer_sizes=sizes,
                batch_size=batch,
                activations=acts, loss=loss,
                iterations=_args.count(meta["iterations"], "iterations", 0, _args.MAX_STEPS),
                learning_rate=_args.positive(meta["learning_rate"], "learning_rate"),
                record_every=_args.count(meta["record_every"], "record_every", 1, _args.MAX_STEPS),
                alpha=_args.nonnegative(meta["alpha"], "alpha"))


# What would need less, by the keys of a SweepTooLarge's reasons, in sweep's terms.
_LESS = {"runs": "fewer runs", "threads": "fewer threads", "network": "a smaller network",
         "examples": "fewer examples", "records": "fewer cost records (record_every)"}


class SweepTooLarge(MemoryError):
    """A sweep that would not fit in memory: ``need`` says what it needs, ``reasons`` which
    changes (keys of ``_LESS``) would need less, and ``advice`` says them in :func:`sweep`'s
    arguments (the command line says them in its options)."""

    def __init__(self, need: str, reasons: Sequence[str]) -> None:
        self.need, self.reasons = need, tuple(reasons)
        super().__init__(f"{need}: {self.advice} would need less")

    @property
    def advice(self) -> str:
        return either([_LESS[r] for r in self.reasons])

    def __reduce__(self) -> Tuple[type, Tuple[str, Tuple[str, ...]]]:  # pickled with its parts (a worker's error)
        return type(self), (self.need, self.reasons)


# Sweeps needing less are not checked: reading the limits (/proc, the cgroup's files) took
# 86 us, more than a small sweep's setup of 4 networks.
_UNCHECKED = _args.UNCHECKED_BYTES


def _check_memory(sizes: Tuple[int, ...], itemsize: int, n_inits: int, n_seeds: int, n_records: int,
                  m: int, m_test: int, threads: int, fused: bool, batch: int = 0) -> None:
    """A MemoryError, before any network is built, for a sweep that would not fit in the
    memory this process may use (beyond it the kernel kills the process without a word).
    Counted: the stacked parameters of every run and their costs; two networks at a time
    (their parameters and gradients) while the stacks fill; the data converted to ``itemsize``;
    and per thread (at most the core's max_loop_threads run) what a worker's training
    (``fused`` or layer by layer, with ``batch`` examples a step where that is not 0, as
    ``MLP.fit``) or scoring of the m or m_test examples writes, the more of the two
    (:func:`weightinit.mlp.engine_values`), and the batch's copy, which the worker's network
    holds through both."""
    params = parameter_count(sizes)
    runs = n_inits * n_seeds
    workers = min(runs, threads, core.max_loop_threads)
    # After training, a worker scores its run on all m examples (final cost, accuracy) and the
    # m_test ones: that pass can write more than a step (a mini-batch's, a fused one's).
    # The copy of a mini-batch's X and Y stays in the network's workspace while it scores.
    training = engine_values(sizes, batch or m, "train", fused, itemsize)
    worker = max(training, engine_values(sizes, max(m, m_test), "forward")) + (sizes[0] + sizes[-1]) * batch
    data = (sizes[0] + sizes[-1]) * (m + m_test)
    stacks = runs * (params * itemsize + 8 * n_records)
    need = (4 * params + data + workers * worker) * itemsize + stacks
    over = _args.over_memory(need, unchecked=_UNCHECKED)
    if over:
        # What would need less, largest share first: what giving each up saves (the network's
        # and the examples' sizes all that grows with them), where it is 5% of the need or
        # more. Naming every change that applied sent a 141 MB sweep's user to record_every,
        # which held 32 kB of it.
        saved = {"runs": stacks // runs * (runs - 1), "threads": (workers - 1) * worker * itemsize,
                 "network": (runs + 4) * params * itemsize + workers * worker * itemsize,
                 "examples": (data + workers * worker) * itemsize, "records": runs * 8 * (n_records - 1)}
        reasons = sorted((r for r in saved if saved[r] * 20 >= need), key=lambda r: -saved[r])
        raise SweepTooLarge(f"a sweep of {counted(runs, 'run')} ({counted(n_inits, 'init')} x "
                            f"{counted(n_seeds, 'seed')}) of {sizes_text(sizes)} on {counted(m, 'example')} needs "
                            f"{over}", reasons)


def _columns(A: Any) -> int:
    """The examples of a data set as given (checked later), for the memory estimate; 0 for None
    and for what is no array (a ragged list: the check names it)."""
    try:
        shape: Tuple[int, ...] = np.shape(A) if A is not None else ()
    except (TypeError, ValueError):
        return 0
    return int(shape[-1]) if len(shape) == 2 else 0


def _report(progress: Callable[[float, int], None], iterations: int, total: int, runs: int, steps: int) -> None:
    """The core's report (runs finished, steps taken) as progress(runs_done, runs_total): the
    steps' share, or the runs finished where that is more (the core's step count stops at
    2^64 - 1, which runs x iterations may pass)."""
    progress(max(float(runs), steps / iterations if iterations else 0.0), total)


def sweep(
    X: Any,
    Y: Any,
    layer_sizes: Sequence[int],
    inits: Union[Iterable[InitSpec], Mapping[str, Union[str, Callable[..., np.ndarray]]]],
    seeds: Union[int, Sequence[int]],
    iterations: int = 10000,
    learning_rate: float = 1.2,
    activations: Optional[Sequence[str]] = None,
    loss: Optional[str] = None,
    record_every: int = 1,
    X_test: Any = None,
    Y_test: Any = None,
    dtype: Any = np.float64,
    progress: Optional[Callable[[float, int], None]] = None,
    *,
    alpha: float = 0.01,
    batch_size: Optional[int] = None,
) -> SweepResult:
    """Train ``len(inits) * len(seeds)`` networks on ``(X, Y)``, in parallel in C++ (GIL released).

    Parameters
    ----------
    X, Y : arrays ``(n_features, m)`` and ``(n_outputs, m)``, as :class:`weightinit.MLP`
        (for softmax, ``Y`` one-hot or ``m`` integer class indices, as ``Y_test``).
    layer_sizes, activations, loss, dtype, alpha : the architecture, as :class:`weightinit.MLP`.
    inits : initializer names, callables ``f(shape, rng=..., dtype=...)``, or ``(label, name or
        callable)`` pairs (e.g. ``("randn*0.01", functools.partial(wi.normal, std=0.01))``), or a
        dict of such labels to names or callables; one initializer for every layer of a run. For
        one per layer, pass a callable that picks by shape: a tuple here is read as a (label,
        init) pair, and a list is refused.
    seeds : ints ``>= 0`` (or a count ``n``: seeds ``0 .. n-1``); run ``(i, s)`` is
        ``wi.MLP(..., init=inits[i], rng=seeds[s])``.
    iterations, learning_rate : gradient descent steps and their rate (10 000 and 1.2 by
        default, as :meth:`weightinit.MLP.fit` and the article).
    batch_size : ``None`` (or ``>= m``): full-batch gradient descent, as the article; otherwise
        mini-batch SGD as ``MLP.fit(batch_size=...)``, each run's order reshuffled every epoch by
        the key its network would draw (from ``np.random.default_rng(seeds[s])``, after its
        weights), and each recorded cost the mini-batch's.
    record_every : keep the cost of every ``record_every``-th step.
    X_test, Y_test : scored after training (``test_accuracy``), optional.
    progress : ``progress(runs_done, runs_total)``, called on the calling thread as training
        starts, about every 0.05 s, and when the last run has finished (with the GIL held;
        where the system starts no thread to drive the runs, the calling thread trains some
        too, and a slow callback is called less often, taking at most a fifth of its time);
        ``runs_done`` counts the runs in progress by the share of their steps taken (a float
        that only grows, equal to ``runs_total`` at the end). An exception it raises stops the
        sweep and propagates. Ctrl-C stops the sweep with KeyboardInterrupt. Should it fork
        (``os.fork``), the parent's sweep goes on; the child's, which has none of the sweep's
        threads, raises RuntimeError ("the process forked during this call") where it would
        wait for them (a fork at the first call, before any starts, or at the last, after all
        have ended, leaves a child whose sweep returns).

    Returns
    -------
    SweepResult
        ``costs`` ``(n_inits, n_seeds, n_records)``, ``final_cost``, ``train_accuracy``,
        ``test_accuracy`` and ``diverged`` ``(n_inits, n_seeds)``, the trained ``parameters``,
        and ``network(i, s)`` to get one run back as a :class:`weightinit.MLP`. Every number
        is what training that run alone through :class:`weightinit.MLP` gives, for any
        thread count (``diverged`` also flags a final cost that is not finite, which
        ``MLP.fit`` does not compute).

    Examples
    --------
    >>> X, Y = wi.datasets.planar_flower(1)
    >>> r = wi.sweep(X, Y, [2, 4, 1], inits=["zeros", "he_normal"], seeds=4, iterations=500,
    ...              learning_rate=1.2)
    >>> r
    SweepResult(2 inits x 4 seeds = 8 runs of [2, 4, 1], 500 iterations, costs (2, 4, 500), 0 diverged)
    >>> r.final_cost[0].round(4).tolist()  # zeros: ln 2, every seed
    [0.6931, 0.6931, 0.6931, 0.6931]
    """
    if isinstance(seeds, np.ndarray) and seeds.ndim <= 1:
        seeds = seeds.tolist()  # a 0-d array, a count, as its int (helper-149: "iteration over a 0-d array")
    elif getattr(seeds, "ndim", None) == 0 and hasattr(seeds, "__index__"):  # torch's or jax's 0-d int (helper-180)
        seeds = _args.integer(seeds, "seeds", "a count or a sequence of ints")
    if isinstance(seeds, (numbers.Integral, np.integer)) and not isinstance(seeds, bool):
        # A range, not a list: 2**31 - 1 ints listed took 80 s, and the memory check came after.
        seeds = range(_args.count(seeds, "seeds", 1, 2**31 - 1))
    _args.ordered(seeds, "seeds")
    if isinstance(seeds, Mapping):  # its keys would be taken, silently (helper-149)
        raise TypeError(f"seeds must be a sequence of ints (or a count), got a {type(seeds).__name__}")
    if not isinstance(seeds, (str, bytes, Sequence)) and isinstance(seeds, Iterable):
        seeds = list(seeds)  # a generator, say, as inits
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise TypeError("seeds must be a non-empty sequence of ints (or a count)")
    try:
        n_seeds = len(seeds)
    except OverflowError:  # range(2**64): more than a length holds
        raise ValueError(f"seeds holds more than 2**63 - 1 values: {seeds!r}") from None
    if n_seeds < 1:
        raise ValueError("seeds must be a non-empty sequence of ints (or a count), got an empty one")
    seed_list = seeds if isinstance(seeds, range) and min(seeds[0], seeds[-1]) >= 0 else [
        _args.count(s, f"seeds[{k}]", 0) for k, s in enumerate(seeds)]
    _args.ordered(inits, "inits")
    labels = list(inits) if isinstance(inits, Mapping) else None  # {label: init}, as a list its labels
    if labels is not None and not all(isinstance(x, str) for x in labels):  # {1: 'zeros'}: "inits[1] ... got (1, ...)"
        bad = next(x for x in labels if not isinstance(x, str))
        raise TypeError(f"inits' labels (a dict's keys) must be str, got {bad!r} ({type(bad).__name__})")
    given: Any = inits
    if isinstance(given, Mapping):
        given = list(given.items())
    elif not isinstance(given, (str, tuple)) and not callable(given) and isinstance(given, Iterable):
        given = list(given)  # a generator, say
    if not isinstance(given, list) or len(given) < 1:
        tuple_hint = " (a tuple is not taken: it reads as one (label, init) pair)" if isinstance(inits, tuple) else ""
        raise TypeError("inits must be a non-empty list of names, callables or (label, callable) pairs, "
                        f"or a dict of labels to names or callables{tuple_hint}")
    # How errors name an entry: by its label in a dict, else by its place.
    wheres = [f"inits[{x!r}]" for x in labels] if labels is not None else [f"inits[{k}]" for k in range(len(given))]
    pairs = [_split_init(init, where) for init, where in zip(given, wheres)]
    iterations = _args.count(iterations, "iterations", 0, _args.MAX_STEPS)
    lr = _args.learning_rate(learning_rate, _args.float_dtype(dtype))
    record_every = _args.count(record_every, "record_every", 1, _args.MAX_STEPS)
    bs = None if batch_size is None else _args.count(batch_size, "batch_size", 1)
    if progress is not None and not callable(progress):
        raise TypeError("progress must be a callable or None")

    n_i, n_s = len(pairs), len(seed_list)
    runs, threads = n_i * n_s, get_num_threads()
    n_records = _args.records(iterations, record_every, runs)
    sizes = MLP._sizes(layer_sizes)
    loss_name, acts = MLP._activations(activations, loss, len(sizes) - 1)
    fused = core.mlp.Network(list(sizes), list(acts), loss_name, 0.01, False).fused  # trains by the fused step
    m = _columns(X)
    _check_memory(sizes, _args.float_dtype(dtype).itemsize, n_i, n_s, n_records, m, _columns(X_test), threads,
                  fused, bs if bs is not None and bs < m else 0)
    # Each run starts where wi.MLP(init=inits[k], rng=seeds[s]) would: its weights are drawn as
    # such a network draws them, into the stacks (a whole MLP a run was ~54 us, most of a small
    # sweep's setup), the first before the data is checked, by a network that checks it. With
    # mini-batches, the run's shuffle key is then drawn as that network's fit draws it.
    keys: List[List[int]] = []

    def weights(r: int) -> List[np.ndarray]:
        k = r // n_s  # errors name the init by its place in inits (or its label)
        gen = _args.generator(seed_list[r % n_s])
        drawn = drawn_weights(sizes, pairs[k][1], gen, dt, keep=False, argument=wheres[k])
        if bs is not None:
            keys.append(_key(gen))
        return drawn

    first = MLP(layer_sizes, activations, loss, init="zeros", rng=seed_list[0], dtype=dtype, alpha=alpha)
    dt = first.dtype
    drawn = weights(0)
    X = first._inputs(X)
    Y = first._targets(Y, X.shape[1])
    if (X_test is None) != (Y_test is None):
        raise ValueError("X_test and Y_test go together: give both or neither")
    if X_test is not None:
        X_test = first._inputs(X_test, "X_test")
        Y_test = first._targets(Y_test, X_test.shape[1], "Y_test")
    if bs is not None and bs >= X.shape[1]:  # a batch of every example: full-batch descent, as fit
        bs = None
        keys.clear()
    # The stacks the core trains, filled one network at a time, each let go once copied.
    L = len(sizes) - 1
    W = [np.empty((runs, sizes[k + 1], sizes[k]), dt) for k in range(L)]
    b = [np.zeros((runs, sizes[k + 1], 1), dt) for k in range(L)]
    for r in range(runs):
        if r:
            drawn = weights(r)
        for k in range(L):
            W[k][r] = drawn[k]
    callback = None if progress is None else functools.partial(_report, progress, iterations, runs)
    out = core.sweep.run(list(sizes), list(first.activations), first.loss, first.alpha,
                         first.dtype == np.float32, W, b, X, Y, X_test, Y_test, iterations, lr, record_every,
                         threads, callback, bs or 0, keys)
    shape = (n_i, n_s)
    return SweepResult(
        inits=[label for label, _ in pairs],
        seeds=list(seed_list),
        layer_sizes=sizes,
        activations=first.activations,
        loss=first.loss,
        iterations=iterations,
        learning_rate=lr,
        record_every=record_every,
        alpha=first.alpha,
        costs=out["costs"].reshape(n_i, n_s, -1),
        final_cost=out["final_cost"].reshape(shape),
        train_accuracy=out["train_accuracy"].reshape(shape),
        test_accuracy=out["test_accuracy"].reshape(shape),
        diverged=out["diverged"].reshape(shape).astype(bool),
        parameters=[(W[k].reshape(n_i, n_s, sizes[k + 1], sizes[k]), b[k].reshape(n_i, n_s, sizes[k + 1], 1))
                    for k in range(L)],
        batch_size=bs,
    )
