"""Argument checking shared by every public function: clear errors before any work."""

from __future__ import annotations

import inspect
import math
import numbers
import operator
import os
import sys
import weakref
from collections.abc import Iterator
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.random  # noqa: F401  (see below)

from weightinit._table import counted, either

# NumPy 2 imports numpy.random on its first use, 13 ms, which every seeded call needs: here it
# comes with the package instead of with a first call, during which a fork taken by another
# thread left the child waiting for the import lock for ever (1 hang in 400 such forks).

ShapeLike = Union[int, Sequence[int]]
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))  # what the core computes in
# What initializers return: float16 is sampled as float32 and rounded.
INIT_DTYPES = (np.dtype(np.float16),) + FLOAT_DTYPES
# Libraries whose tensors and dtypes users pass for NumPy's, told what to pass instead.
_FRAMEWORKS = ("torch", "jax", "jaxlib", "tensorflow")
_MAX_ELEMENTS = 2**63  # counter space and NumPy's own limit
_MAX_DIMS = 64 if int(np.__version__.split(".")[0]) >= 2 else 32  # NumPy's most dimensions
MAX_BYTES = 2**63 - 1  # the largest array NumPy (and the core's ptrdiff_t) can address


def reworded(exc: Exception, message: str) -> Exception:
    """An error of exc's kind saying message: exc's own type where it takes a plain message,
    else the built-in TypeError or ValueError it derives from (NumPy's UFuncTypeError and
    UnicodeDecodeError take other arguments: building them raised a TypeError of its own)."""
    try:
        new = type(exc)(message)
        if str(new) == message:
            return new
    except Exception:  # noqa: BLE001 - any constructor that does not take the message
        pass
    return (TypeError if isinstance(exc, TypeError) else ValueError)(message)


def real(value: Any, name: str, *, finite: bool = True) -> float:
    """value as a Python float; TypeError if it is not a real number, ValueError if NaN (or inf)."""
    if type(value) is float and math.isfinite(value):
        return value  # the common case at once, without an abstract base class's check
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]  # a 0-d array stands for its scalar, as in numpy
    # np.timedelta64 is a np.signedinteger, so a numbers.Real: float() read 1 day as 1.0.
    if isinstance(value, (bool, np.bool_, np.timedelta64)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}{_real_hint(value)}")
    try:
        x = float(value)
    except OverflowError:  # an int, or a Fraction, beyond float range
        if not finite:  # where inf is taken, an int or a Fraction beyond every float is read as it
            return math.inf if value > 0 else -math.inf  # type: ignore[operator]
        what = f"an int of {value.bit_length()} bits" if isinstance(value, int) else f"a {type(value).__name__} beyond float range"
        raise ValueError(f"{name} must be finite, got {what}") from None
    except (TypeError, ValueError) as exc:  # a numbers.Real that float() does not take
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} ({exc})") from None
    if math.isnan(x) or (finite and math.isinf(x)):
        raise ValueError(f"{name} must be {'finite' if finite else 'a number (may be infinite)'}, got {x}")
    return x


def _real_hint(value: Any) -> str:
    """How to pass a one-element tensor of torch, jax or tensorflow as a real number."""
    module = type(value).__module__.split(".")[0]
    return f" (a {module} value: pass a Python float, such as .item()'s)" if module in _FRAMEWORKS else ""


def is_masked_array(a: Any) -> bool:
    """isinstance(a, np.ma.MaskedArray), without importing numpy.ma where it is not imported
    yet (no masked array exists then): NumPy 2 imports it on first use, 11 ms of a first call
    with out= here, and a fork taken meanwhile by another thread left the child waiting for
    the import lock for ever."""
    ma = sys.modules.get("numpy.ma")
    return ma is not None and isinstance(a, ma.MaskedArray)


def as_array(a: Any, name: str, ragged: type = TypeError) -> np.ndarray:
    """np.asarray(a), with whatever NumPy or the array's own library raises on the way a
    TypeError naming ``name``: a torch tensor that requires grad raised torch's RuntimeError,
    a bfloat16 one an unnamed TypeError (helper-191). A ragged list (NumPy's ValueError) is
    ``ragged``'s."""
    try:
        return np.asarray(a)
    except MemoryError:  # said as NumPy says it: what it asked for
        raise
    except Exception as exc:  # noqa: BLE001 - anything another library raises as NumPy reads its array
        if ragged is ValueError and isinstance(exc, ValueError):
            raise ValueError(f"{name} must be an array or a rectangular nested list: {exc}") from None
        raise TypeError(f"{name} must be array-like: {exc}") from None


def unmasked(a: Any, name: str, fix: str = "") -> Any:
    """a, unless it is a masked array that hides values (np.asarray would drop its mask and
    read what lies under it); ``fix`` says what to do instead."""
    if is_masked_array(a) and np.ma.is_masked(a):
        hidden = int(np.count_nonzero(a.mask))
        raise ValueError(f"{name} has {counted(hidden, 'masked value')}, which cannot be left out: "
                         + (fix or f"fill them ({name}.filled(value)) or drop their columns"))
    if isinstance(a, (list, tuple)):  # masked rows in a list, which np.asarray reads unmasked too
        for item in a:
            if isinstance(item, (list, tuple)) or is_masked_array(item):
                unmasked(item, name, fix)
    return a


def nonnegative(value: Any, name: str) -> float:
    x = real(value, name)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return x


def positive(value: Any, name: str) -> float:
    x = real(value, name)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {x}")
    return x


def is_bool(value: Any) -> bool:
    """Whether value is a bool: Python's, NumPy's, or another library's 0-d bool (a torch.bool
    tensor), which __index__ and NumPy read as 1 or 0 where True itself is refused (helper-191)."""
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, np.ndarray):  # a 0-d one is named as such where it is refused
        return False
    dtype = getattr(value, "dtype", None)
    return dtype is not None and str(dtype).endswith("bool") and tuple(getattr(value, "shape", (None,))) == ()


def integer(value: Any, name: str, what: str = "an int") -> int:
    """value as a Python int (anything 0-d with __index__ but bool); TypeError naming the argument otherwise."""
    if is_bool(value):
        raise TypeError(f"{name} must be {what}, got bool")
    ndim = getattr(value, "ndim", 0)
    if isinstance(ndim, int) and ndim > 0:  # torch.tensor([8]) has an __index__; np.array([8]) none
        raise TypeError(f"{name} must be {what}, got a {ndim}-D {type(value).__name__}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {value!r}") from None


def flag(value: Any, name: str) -> bool:
    """value's truth, as Python's ``if value`` reads it; a TypeError naming the argument where
    it has none: an array of several values raised NumPy's "truth value of an array ... is
    ambiguous" (after a whole training, for nn_model's print_cost), torch's a RuntimeError."""
    try:
        return bool(value)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} ({exc})") from None


# Step counts and strides of the core are 64-bit: far more steps than anyone can run, few
# enough that no count the core derives from them overflows.
MAX_STEPS = 2**62


def parameter_names(f: Callable[..., Any]) -> Tuple[str, ...]:
    """The parameters f's signature names (``inspect.signature`` takes ~10 us, a third of
    building a small MLP), remembered while f lives where f can be weakly referenced and
    hashed. Raises as ``inspect.signature`` does for a callable without one."""
    try:
        return _PARAMETER_NAMES[f]
    except (KeyError, TypeError):  # not seen yet; or unhashable, or no weak reference to it
        pass
    names = tuple(inspect.signature(f).parameters)
    try:
        _PARAMETER_NAMES[f] = names
    except TypeError:
        pass
    return names


# Weak keys: a cache must not keep a user's init (and whatever it holds) alive.
_PARAMETER_NAMES: "weakref.WeakKeyDictionary[Callable[..., Any], Tuple[str, ...]]" = weakref.WeakKeyDictionary()


def physical_memory() -> Optional[int]:
    """The memory this process may use in bytes: the machine's, or the lowest limit of its
    container's memory cgroup and that cgroup's parents, where lower; None where the OS does
    not say."""
    sizes = []
    try:
        pages, page = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and page > 0:  # -1: unknown
            sizes.append(pages * page)
    except (AttributeError, ValueError, OSError):  # not POSIX, or no such name
        pass
    for path in _cgroup_files("memory.max", "memory", "memory.limit_in_bytes"):
        text = _read_line(path)
        if text.isdigit() and int(text) > 0:  # "max": no limit
            sizes.append(int(text))
    return min(sizes) if sizes else None


def cpu_quota() -> Optional[int]:
    """The CPUs' worth of time per period that this process's cgroup and its parents allow,
    the lowest, rounded up (a container's ``--cpus``, a Kubernetes CPU limit); None where none
    is set. Threads beyond it only wait their turn, and a team that waits for a member every
    step waits for the period's end."""
    quotas = []
    for path in _cgroup_files("cpu.max", "cpu", "cpu.cfs_quota_us"):
        if path.endswith("cpu.max"):  # v2: "quota period", or "max period"
            quota, period = (_read_line(path).split() + ["", ""])[:2]
        else:  # v1: the quota (-1: none) and the period, in two files
            quota, period = _read_line(path), _read_line(os.path.join(os.path.dirname(path), "cpu.cfs_period_us"))
        if quota.isdigit() and period.isdigit() and int(quota) > 0 and int(period) > 0:
            quotas.append(-(-int(quota) // int(period)))
    return min(quotas) if quotas else None


def _read_line(path: str) -> str:
    """A small file's text, stripped; "" where it cannot be read."""
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except (OSError, ValueError):
        return ""


def _cgroup_files(v2_name: str, v1_controller: str, v1_name: str, proc: str = "/proc/self/cgroup",
                  root: str = "/sys/fs/cgroup") -> List[str]:
    """A controller's file in this process's cgroup and in each of its parents, the process's
    first: v2's ``v2_name`` ("0::/path") and v1's ``v1_name`` ("N:v1_controller,...:/path")."""
    try:
        with open(proc, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    files = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":
            base, name = root, v2_name
        elif v1_controller in controllers.split(","):
            base, name = os.path.join(root, v1_controller), v1_name
        else:
            continue
        parts = [p for p in path.split("/") if p]
        files += [os.path.join(base, *parts[:k], name) for k in range(len(parts), -1, -1)]
    return files


def size_text(nbytes: float) -> str:
    """Bytes in MB or GB (powers of ten), one decimal; an int in exact arithmetic, since a
    refused size can be beyond a float (nbytes / 1e9 raised OverflowError)."""
    unit, name = (10**9, "GB") if nbytes >= 1e9 else (10**6, "MB")
    if isinstance(nbytes, int):
        tenths = (10 * nbytes + unit // 2) // unit
        return f"{tenths // 10}.{tenths % 10} {name}"
    return f"{nbytes / unit:.1f} {name}"


def records(iterations: int, record_every: int, runs: int = 1) -> int:
    """How many costs a training of ``iterations`` steps keeps (those before steps 0, record_every,
    ...); a ValueError naming both when ``runs`` such histories exceed what an array can hold."""
    n = -(-iterations // record_every)
    if n * runs * 8 > MAX_BYTES:
        raise ValueError(f"iterations={iterations} with record_every={record_every} keeps {n} costs per run, "
                         "more than an array holds; raise record_every")
    return n


def available_memory() -> Optional[int]:
    """What Linux can still give to new allocations without swapping (MemAvailable of
    /proc/meminfo), in bytes; None where it does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def address_space_left() -> Optional[int]:
    """What an address-space limit (``ulimit -v``, RLIMIT_AS) leaves beyond what this process
    maps now, in bytes; None where there is no such limit (or the OS does not say)."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft == resource.RLIM_INFINITY or soft < 0:
            return None
        with open("/proc/self/statm", encoding="ascii") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, AttributeError, OSError, ValueError, IndexError):  # not Linux
        return None
    return max(soft - mapped, 0)


# Allocations up to this size are not checked against the memory (beyond_memory).
UNCHECKED_BYTES = 2**26


def beyond_memory(nbytes: int, unchecked: int = UNCHECKED_BYTES) -> Optional[int]:
    """The memory this process may use, the lowest of :func:`physical_memory`, what is free now
    (:func:`available_memory`) and what an address-space limit leaves (:func:`address_space_left`),
    if ``nbytes`` of new allocations are more, else None:
    beyond it Linux lets the allocation pass and kills the process as it fills the pages.
    Sizes up to ``unchecked`` are not checked: reading the limits takes ~0.1 ms, a training
    step a few microseconds."""
    if nbytes <= unchecked:
        return None
    limits = [m for m in (physical_memory(), available_memory(), address_space_left()) if m]
    memory = min(limits) if limits else None
    return memory if memory and nbytes > memory else None


def over_memory(nbytes: int, unchecked: int = UNCHECKED_BYTES) -> Optional[str]:
    """"about <nbytes>, more than the <memory> this process may use" where ``nbytes`` of new
    allocations are beyond it (:func:`beyond_memory`), for a MemoryError that says what needs
    them; else None."""
    memory = beyond_memory(nbytes, unchecked)
    return f"about {size_text(nbytes)}, more than the {size_text(memory)} this process may use" if memory else None


def check_history(n_records: int, what: str, advice: str) -> None:
    """A MemoryError for a cost history of ``n_records`` doubles beyond the memory this process
    may use, in the caller's words (``what`` keeps ...; ``advice``)."""
    nbytes = 8 * n_records
    memory = beyond_memory(nbytes)
    if memory:
        raise MemoryError(f"{what} keeps {n_records} costs ({size_text(nbytes)}), more than the "
                          f"{size_text(memory)} this process may use; {advice}")


def count(value: Any, name: str, minimum: int, maximum: Optional[int] = None) -> int:
    """value as an int in [minimum, maximum]; TypeError for non-integers (bool included), ValueError outside."""
    v = integer(value, name, f"an int >= {minimum}")
    if v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {v}")
    return v


def index(value: Any, name: str, n: int, items: str) -> int:
    """value as an index into n items (negative from the end, as a list's); errors name it."""
    i = integer(value, name, f"an int index into {items}")
    if not -n <= i < n:
        raise ValueError(f"{name}={i} is out of range: it is an index into this sweep's {n} {items}")
    return i % n


def ordered(items: Any, name: str) -> None:
    """Refuses a set: results follow the order given, and a set of names has another order in
    every process (string hashing is randomized)."""
    if isinstance(items, (set, frozenset)):
        raise TypeError(f"{name} must be ordered, got a set (its order changes from process to process): "
                        f"pass a list, sorted({name}) say")


def positive_int(value: Any, name: str) -> int:
    """value as an int >= 1."""
    return count(value, name, 1)


def generator(rng: Any, name: str = "rng") -> np.random.Generator:
    """``np.random.default_rng(rng)`` (SPEC 7: a Generator passes through and advances), but
    for a bool, which NumPy would take as the seed 0 or 1: ``rng=True`` is more likely meant
    as "random" than as a fixed key. Errors name the argument as ``name``."""
    if is_bool(rng):
        raise TypeError(f"{name} must be None, an int >= 0, a sequence of ints, a SeedSequence, a BitGenerator "
                        f"or a Generator, got bool ({rng}): pass {name}=None for fresh entropy, an int for a seed")
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise reworded(exc, f"{name} must be None, an int >= 0, a sequence of ints, a SeedSequence, "
                            f"a BitGenerator or a Generator: {exc}") from None


def legacy_stream(seed: Any, name: str, *, takes_stream: bool = False) -> np.random.RandomState:
    """``np.random.RandomState(seed)``, the legacy ``np.random.seed`` stream the first article
    draws from, with NumPy's errors for a bad seed naming the argument; with ``takes_stream``
    a RandomState passes through."""
    if takes_stream and isinstance(seed, np.random.RandomState):
        return seed
    if is_bool(seed):  # NumPy reads True as seed 1: a fixed stream meant as "random"
        raise TypeError(f"{name} must be None or an int seed, got bool")
    kinds = "None, an int seed or a np.random.RandomState" if takes_stream else "None or an int seed"
    if isinstance(seed, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)):
        # NumPy's own message here is about casting dtype('O') (helper-190).
        raise TypeError(f"{name} must be {kinds}, got a {type(seed).__name__}: the article's data and "
                        "weights are the legacy np.random.seed stream, which only an int seed "
                        f"{'or a RandomState ' if takes_stream else ''}gives")
    try:
        return np.random.RandomState(seed)
    except (TypeError, ValueError) as exc:  # a float, say (TypeError); -1 or 2**32 (ValueError)
        raise reworded(exc, f"{name} must be {kinds} (the article's legacy stream, seeds in [0, 2**32 - 1]), "
                            f"got {seed!r}: {exc}") from None


def _tensor_hint(obj: Any) -> str:
    """For another library's array (torch's, jax's: a shape and a dtype, no ndarray) where a
    NumPy array is wanted: how to pass a torch tensor's memory."""
    if isinstance(obj, np.ndarray) or not (hasattr(obj, "shape") and hasattr(obj, "dtype")):
        return ""
    return "; weightinit fills NumPy arrays: for a CPU torch tensor t, out=t.detach().numpy() shares its memory"


def shape_tuple(shape: Any, name: str = "shape") -> Tuple[int, ...]:
    """An int or a sequence of ints, each >= 0, as a tuple."""
    if type(shape) is tuple and all(type(d) is int and d >= 0 for d in shape):  # the common case, at once
        return shape
    if is_bool(shape):
        raise TypeError(f"{name} must be an int or a tuple of ints, got bool")
    # An array: NumPy's, or a torch, jax or cupy one (shape and dtype, not an ndarray).
    numpy_array = isinstance(shape, np.ndarray)
    array = numpy_array or (not isinstance(shape, (tuple, list)) and hasattr(shape, "shape")
                            and hasattr(shape, "dtype"))
    integral = array and (shape.dtype.kind in "iu" if numpy_array else "int" in str(shape.dtype))
    if isinstance(shape, (numbers.Integral, np.integer)) or (array and len(shape.shape) == 0 and integral):
        dims: Sequence[Any] = (shape,)
    elif numpy_array and len(shape.shape) == 0:  # np.array(2.0): a number, not an output to fill
        raise TypeError(f"{name} must be an int or a tuple of ints, got a 0-d {shape.dtype} array")
    elif array and integral and len(shape.shape) != 1:  # not the output: no float dtype
        raise TypeError(f"{name} must be an int or a tuple of ints (or a 1-D integer array), got a "
                        f"{len(shape.shape)}-D {shape.dtype} {type(shape).__name__}")
    elif isinstance(shape, np.generic) or (array and not integral and "float" not in str(shape.dtype)):
        what = type(shape).__name__ if isinstance(shape, np.generic) else f"a {shape.dtype} {type(shape).__name__}"
        raise TypeError(f"{name} must be an int or a tuple of ints, got {what}")
    elif array and not integral:
        # torch.nn.init's xavier_uniform_(W) habit: the array is the output, not the shape.
        raise TypeError(
            f"{name} must be an int or a tuple of ints, got a {shape.dtype} {type(shape).__name__} of shape "
            f"{tuple(shape.shape)}; to fill an existing array, pass it as out= (e.g. xavier_uniform(out=W)"
            f"{_tensor_hint(shape)})"
        )
    elif isinstance(shape, (dict, set, frozenset, str, bytes, Iterator)):  # iterable, but not a shape
        # (an iterator, a generator say, is used up by one reading: the fans', then the output's)
        raise TypeError(f"{name} must be an int or a tuple of ints, got {type(shape).__name__}")
    else:
        try:
            dims = tuple(shape)
        except TypeError:
            raise TypeError(f"{name} must be an int or a tuple of ints, got {type(shape).__name__}") from None
    out = []
    for d in dims:
        v = integer(d, name, "a tuple of ints")
        if v < 0:
            shown = ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "")  # 2, not np.int64(2)
            raise ValueError(f"{name} must not contain negative dimensions, got ({shown})")
        out.append(v)
    return tuple(out)


def one_of(value: Any, name: str, options: Sequence[str]) -> str:
    """value if it is one of options; ValueError naming the argument and the choices otherwise."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def full_shape(shape: Any, out: Optional[np.ndarray], region: Any = None) -> Tuple[int, ...]:
    """The logical tensor's shape: ``shape``, or ``out.shape`` when shape is None (then
    without a region: out would be the whole tensor, and a shard's out is its region alone)."""
    if shape is not None:
        return shape_tuple(shape)
    if out is None:
        raise TypeError("shape is required unless out is given")
    if region is not None:
        raise TypeError("shape is required with region=: the full tensor's shape (out= holds the region alone)")
    require_ndarray(out)
    return tuple(out.shape)


def require_ndarray(out: Any) -> None:
    """TypeError unless out is a NumPy array, with the way to pass a torch tensor's memory."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}{_tensor_hint(out)}")


def _choices(dtypes: Sequence[np.dtype]) -> str:
    return either([str(d) for d in dtypes])


def float_dtype(dtype: Any, name: str = "dtype", allowed: Sequence[np.dtype] = FLOAT_DTYPES) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):  # ValueError: a structured dtype with a field twice, say
        raise TypeError(f"{name} must be {_choices(allowed)}, got {dtype!r}{_dtype_hint(dtype, allowed)}") from None
    if dt not in allowed:
        raise TypeError(f"{name} must be {_choices(allowed)}, got {dt}{_dtype_hint(dt, allowed)}")
    return dt


def _dtype_hint(dtype: Any, allowed: Sequence[np.dtype]) -> str:
    """What to pass instead of a bfloat16, another library's dtype or an allowed dtype in
    another byte order."""
    if "bfloat16" in str(dtype):
        return " (bfloat16 is not offered: generate float32 and convert, e.g. torch.from_numpy(a).bfloat16())"
    if isinstance(dtype, np.dtype) and not dtype.isnative and dtype.newbyteorder("=") in allowed:
        return f" (another byte order: pass {dtype.newbyteorder('=')} and convert, a.astype({dtype.str!r}))"
    module = type(dtype).__module__.split(".")[0]
    if module in _FRAMEWORKS:
        return f" (a {module} dtype: pass NumPy's, such as np.float32)"
    return ""


_LARGEST = {dt: float(np.finfo(dt).max) for dt in INIT_DTYPES}


def largest(dtype: Any) -> float:
    """The largest finite value of a float dtype (np.finfo's, kept for the output dtypes)."""
    return _LARGEST.get(dtype) or float(np.finfo(dtype).max)


_SMALLEST_NORMAL = {dt: float(np.finfo(dt).smallest_normal) for dt in INIT_DTYPES}


def smallest_normal(dtype: Any) -> float:
    """The smallest normal positive value of a float dtype (np.finfo's, kept as :func:`largest`'s)."""
    return _SMALLEST_NORMAL.get(dtype) or float(np.finfo(dtype).smallest_normal)


def step(x: float, dtype: np.dtype, up: bool) -> float:
    """The dtype value next to x (itself one), upwards or downwards. A subnormal or infinite
    result is no error under np.seterr(all="raise"), the user's setting (helper-178, 183);
    errstate costs a microsecond, so it is entered only near zero and at the largest value."""
    t = dtype.type
    towards = t(np.inf) if up else t(-np.inf)
    if smallest_normal(dtype) < abs(x) < largest(dtype):
        return float(np.nextafter(t(x), towards))
    with np.errstate(under="ignore", over="ignore"):  # past the largest: inf, for the caller to refuse
        return float(np.nextafter(t(x), towards))


def learning_rate(value: Any, dtype: Any) -> float:
    """value as a learning rate > 0 for a network of dtype, whose updates take it in dtype:
    beyond dtype's largest value it would be inf there, and a zero gradient times it nan;
    below half its smallest it would be 0, and the fit would leave every parameter as it was."""
    x = positive(value, "learning_rate")
    if x < 1.0 and np.dtype(dtype).type(x) == 0:  # float32 below ~7e-46 (x > 0 is a float64 already)
        raise ValueError(f"learning_rate {x!r} is 0 as a {np.dtype(dtype)}, the network's dtype (smallest "
                         f"{float(np.finfo(dtype).smallest_subnormal):.3g})")
    if x > largest(dtype):  # rounds to the largest value up to half an ulp beyond it (3.4028235e38 passes)
        with np.errstate(over="ignore"):
            overflows = bool(np.isinf(np.dtype(dtype).type(x)))
        if overflows:
            raise ValueError(f"learning_rate {x!r} is inf as a {np.dtype(dtype)}, the network's dtype (largest "
                             f"{largest(dtype)!r})")
    return x


def fits(magnitude: float, dtype: np.dtype, what: str, *args: Any) -> None:
    """ValueError naming ``what.format(*args)`` unless values up to ``magnitude`` are finite in
    dtype (the message is formatted only then: this runs on every call)."""
    limit = largest(dtype)
    if not magnitude <= limit:
        raise ValueError(f"{what.format(*args)} give values up to {magnitude:g}, beyond {dtype}'s largest {limit:g}")


def inward(a: float, b: float, dtype: np.dtype) -> Tuple[float, float]:
    """The interval [a, b]'s bounds rounded to dtype, each towards the inside."""
    t = dtype.type
    if max(abs(a), abs(b)) <= largest(dtype):  # no overflow to silence (errstate costs a microsecond)
        lo, hi = t(a), t(b)
    else:
        with np.errstate(over="ignore"):
            lo, hi = t(a), t(b)
    return (float(lo) if float(lo) >= a else step(float(lo), dtype, True),
            float(hi) if float(hi) <= b else step(float(hi), dtype, False))


def round_to(value: float, dtype: np.dtype, name: str) -> float:
    """value rounded to dtype; ValueError naming it if that overflows."""
    if abs(value) <= largest(dtype):  # no overflow to silence (errstate costs a microsecond)
        return float(dtype.type(value))
    with np.errstate(over="ignore"):
        r = float(dtype.type(value))
    if not math.isfinite(r):
        raise ValueError(f"{name}={value:g} is beyond {dtype}'s largest {largest(dtype):g}")
    return r


def region_bounds(region: Any, shape: Tuple[int, ...]) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """(start, extent) of a region given as a tuple of step-1 slices of shape.

    Missing trailing slices mean whole axes, and one ``...`` as many whole axes as the shape
    has beyond the slices, as in NumPy indexing (``np.s_[..., 1:2]``); unlike NumPy,
    bounds outside the shape are an error rather than clipped.
    """
    if region is None:
        return (0,) * len(shape), shape
    if isinstance(region, slice) or region is Ellipsis:
        region = (region,)
    if not isinstance(region, tuple):
        raise TypeError(f"region must be a tuple of slices, got {type(region).__name__}")
    dots = [k for k, s in enumerate(region) if s is Ellipsis]
    if len(dots) > 1:
        raise ValueError(f"region can hold one ... (Ellipsis), got {len(dots)}")
    if dots and len(region) - 1 <= len(shape):
        k = dots[0]
        region = region[:k] + (slice(None),) * (len(shape) - len(region) + 1) + region[k + 1:]
    if len(region) > len(shape):
        n = len(region) - len(dots)  # the ... is not a slice (helper-178)
        raise ValueError(f"region has {n} slice{'s' if n != 1 else ''}{' and a ...' if dots else ''} but shape {shape} "
                         f"has {len(shape)} ax{'is' if len(shape) == 1 else 'es'}")
    starts, extents = [], []
    for axis, dim in enumerate(shape):
        s = region[axis] if axis < len(region) else slice(None)
        if not isinstance(s, slice):
            raise TypeError(f"region[{axis}] must be a slice, got {type(s).__name__}")
        if s.step is not None and integer(s.step, f"region[{axis}] step") != 1:
            raise ValueError(f"region[{axis}] must have step 1, got {s.step}")
        lo = _slice_bound(s.start, 0, dim, axis)
        hi = _slice_bound(s.stop, dim, dim, axis)
        if lo > hi:
            raise ValueError(f"region[{axis}] is reversed: start {lo} > stop {hi}")
        starts.append(lo)
        extents.append(hi - lo)
    return tuple(starts), tuple(extents)


def _slice_bound(value: Any, default: int, dim: int, axis: int) -> int:
    if value is None:
        return default
    v = integer(value, f"region[{axis}] bounds", "ints")
    if v < 0:
        v += dim
    if not 0 <= v <= dim:
        raise ValueError(f"region[{axis}] bound {value} is outside axis {axis} of length {dim}")
    return v


def check_out(out: Optional[np.ndarray], dtype: Any) -> None:
    """Raises unless out is None or a C-contiguous, writeable float16/32/64 array of dtype."""
    if out is None:
        return
    require_ndarray(out)
    if isinstance(out, np.matrix) or is_masked_array(out):  # their indexing is not an ndarray's
        raise TypeError(f"out must be a plain numpy.ndarray (a memmap will do), got {type(out).__name__}: "
                        "pass np.asarray(out), a view of its memory")
    if out.dtype not in INIT_DTYPES:
        if out.dtype.newbyteorder("=") in INIT_DTYPES:
            raise TypeError(f"out must be in this machine's byte order, got {out.dtype} (fill a native array, "
                            "then convert with .astype)")
        raise TypeError(f"out must have dtype {_choices(INIT_DTYPES)}, got {out.dtype}")
    if dtype is not None and float_dtype(dtype, allowed=INIT_DTYPES) != out.dtype:
        raise TypeError(f"dtype {np.dtype(dtype)} differs from out.dtype {out.dtype}")
    if not out.flags.writeable:  # first: assigning, the advice below, cannot write there either
        raise ValueError("out must be writeable")
    if not out.flags.c_contiguous:  # the stream's element i is out.flat's, which a view's strides break
        what = "a Fortran-ordered array" if out.flags.f_contiguous else "a view"
        raise ValueError(f"out must be C-contiguous, got {what} with strides {out.strides} (a transpose, a "
                         "sliced view or order='F', say): generate a new array and assign it, view[...] = array")
    if not out.flags.aligned:
        raise ValueError("out must be aligned to its dtype (a view at an odd byte offset is not): pass a copy")


class ShapeTooLarge(MemoryError, ValueError):
    """A shape of 2**63 elements or more: a MemoryError, as for any array that cannot be
    allocated, and a ValueError naming the shape, since a region of it needs no memory but
    cannot be addressed either (as NumPy's AxisError is both ValueError and IndexError)."""


def addressable(full: Tuple[int, ...]) -> Tuple[int, ...]:
    """full, if a tensor of that shape can be addressed: fewer than 2**63 elements (the
    stream's counter, NumPy's intp), counting only the non-empty axes as NumPy does, so that
    an empty shape NumPy could not make is refused here too (and every fan of an accepted
    shape is a float). Else a :class:`ShapeTooLarge` naming the shape."""
    if len(full) > _MAX_DIMS:
        raise ValueError(f"shape has {len(full)} dimensions, more than NumPy's {_MAX_DIMS}")
    size = math.prod(d for d in full if d)
    if size >= _MAX_ELEMENTS:
        def text(n: int) -> str:  # a 310-digit dimension as ~2**1030
            return str(n) if n < 2**64 else f"~2**{n.bit_length() - 1}"
        empty = " (its non-empty axes)" if 0 in full else ""
        raise ShapeTooLarge(f"shape ({', '.join(text(d) for d in full)}{',' if len(full) == 1 else ''}) has "
                            f"{text(size)} elements{empty}, more than can be addressed")
    return full


def output(
    shape: Any, dtype: Any, out: Optional[np.ndarray], region: Any, zeroed: bool = False
) -> Tuple[np.ndarray, Tuple[int, ...], Tuple[int, ...]]:
    """The array to fill, the full logical shape and the region's start.

    With ``out`` the array is used as it is (shape may then be None: out is the
    whole tensor); without, a fresh array is allocated through NumPy. ``zeroed``: a fresh
    array holds zeros, for the initializers that are mostly zeros; a given ``out`` is left
    as it is, for the caller to clear once its own checks have passed.
    """
    check_out(out, dtype)
    return allocate(addressable(full_shape(shape, out, region)), dtype, out, region, zeroed)


def fresh_dtype(dtype: Any) -> np.dtype:
    """The dtype of a fresh output (no ``out``): float64 unless ``dtype`` names another."""
    return np.dtype(np.float64) if dtype is None else float_dtype(dtype, allowed=INIT_DTYPES)


def allocate(
    full: Tuple[int, ...], dtype: Any, out: Optional[np.ndarray], region: Any, zeroed: bool = False
) -> Tuple[np.ndarray, Tuple[int, ...], Tuple[int, ...]]:
    """output's second half, for a caller that has checked ``out`` and made ``full`` itself.

    A fresh zeroed array comes from np.zeros, whose memory the OS hands out zeroed when it
    is large (calloc): float32 zeros((4096, 4096)) took 4.8 ms through a fill, 20 us so
    (np.zeros 16 us); as with np.zeros, its pages are mapped when first written.
    """
    start, extent = region_bounds(region, full)
    if out is None:
        dt = fresh_dtype(dtype)  # its errors are the dtype's, not memory's
        try:
            out = (np.zeros if zeroed else np.empty)(extent, dtype=dt)
        except ValueError as exc:  # NumPy's "array is too big"
            raise MemoryError(f"cannot allocate an array of shape {extent}: {exc}") from None
    elif tuple(out.shape) != extent:
        what = "the region" if region is not None else "shape"
        raise ValueError(f"out has shape {tuple(out.shape)} but {what} needs {extent}")
    return out, full, start


COMMON_ARGUMENTS = """
    Arguments every initializer takes:

    * ``shape``: an int or a tuple of ints; may be left out when ``out`` is given.
    * ``rng``: ``None`` draws fresh OS entropy (another array every call: ``np.random.seed``
      has no effect); an int, a sequence of ints or a SeedSequence gives the same array every
      call; two tensors of one distribution drawn with one int get the same numbers,
      rescaled, and other distributions' are correlated (give the layers of a network one
      Generator instead); a Generator or BitGenerator advances by one draw for each tensor a call samples,
      its key (NumPy's SPEC 7), so each call gives another array (``sparse`` samples two:
      values and pattern; ``zeros``, ``eye`` and the others that sample nothing, none). From
      NumPy 2.2, whose ``default_rng`` takes one, a ``np.random.RandomState`` is a Generator
      too, advancing: the key comes from its stream, and the values are never the legacy
      ``randn``'s (``weightinit.prototype`` draws those).
    * ``dtype``: float64 (the default), float32 or float16, as NumPy dtypes.
    * ``out``: a C-contiguous, writeable NumPy array of that shape and dtype, filled in place
      and returned (a CPU torch tensor ``t``: ``out=t.detach().numpy()``).
    * ``region``: a tuple of step-1 slices of ``shape`` (``...`` allowed, as ``np.s_[..., 1:2]``):
      the result is exactly that slice of the full tensor, for the element-wise initializers
      (give every shard the full ``shape``, also with ``out``, and the same int seed).
"""


def document_common_arguments(*functions: Any) -> None:
    """Ends each function's docstring with COMMON_ARGUMENTS, which help() then shows."""
    for f in functions:
        if COMMON_ARGUMENTS not in (f.__doc__ or ""):
            f.__doc__ = (f.__doc__ or "").rstrip() + "\n" + COMMON_ARGUMENTS
