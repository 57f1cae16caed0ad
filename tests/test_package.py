"""Package-level behaviour: import errors, version, thread setting from the environment."""

import os
import subprocess
import sys
import types

import pytest

import weightinit as wi


def run_python(code, **env):
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env)


def test_missing_core_says_how_to_build():
    # sys.modules[name] = None makes that import fail, as a missing extension would.
    proc = run_python("import sys; sys.modules['weightinit._core'] = None; import weightinit")
    assert proc.returncode != 0
    assert "ImportError" in proc.stderr
    assert "pip install ." in proc.stderr


def test_missing_openblas_wheel_is_named():
    """The core links scipy-openblas32's library (GEMM, LAPACK): without that wheel the
    error names it, not the core."""
    proc = run_python("import sys; sys.modules['scipy_openblas32'] = None; import weightinit")
    assert proc.returncode != 0
    assert "pip install scipy-openblas32" in proc.stderr and "missing or failed" not in proc.stderr


def test_the_public_names_are_all_and_the_submodules():
    # What tab completion offers on `wi.`: no helper or `from __future__` name besides __all__.
    public = {n for n in dir(wi) if not n.startswith("_")}
    modules = {n for n in public if isinstance(getattr(wi, n), types.ModuleType)}
    assert public - modules == set(wi.__all__) - modules
    assert all(hasattr(wi, n) for n in wi.__all__)


def test_calls_do_not_import_numpy_ma_nor_numpy_random():
    """NumPy 2 imports numpy.ma and numpy.random on first use: the check of out= for a masked
    array imported numpy.ma, 11 ms of the first such call, and a fork from another thread
    meanwhile left the child waiting for the import lock (1 hang in 300 forks); a first seed
    did the same with numpy.random. No masked array exists until numpy.ma is imported, so
    none of these needs it (a masked array is still refused); numpy.random comes with the
    package. (NumPy 1.x imports numpy.ma with numpy itself: there the check is that nothing fails.)"""
    code = """
import sys, numpy as np
with_numpy = "numpy.ma" in sys.modules
import weightinit as wi
print("numpy.random" in sys.modules)
X, Y = wi.datasets.planar_flower(1)
wi.normal(out=np.empty((3, 4)), rng=1)
wi.describe([1.0, 2.0])
wi.MLP([2, 3, 1], rng=0).fit([list(r) for r in X[:, :20]], Y[:, :20], iterations=2)
print("numpy.ma" in sys.modules and not with_numpy)
import numpy.ma
try:
    wi.normal(out=np.ma.zeros(3), rng=1)
except TypeError as exc:
    print("refused" if "plain numpy.ndarray" in str(exc) else exc)
"""
    proc = run_python(code)
    assert proc.stdout.split() == ["True", "False", "refused"], proc.stderr


def test_thread_count_from_environment():
    proc = run_python("import weightinit; print(weightinit.get_num_threads())", WEIGHTINIT_NUM_THREADS="3")
    assert proc.stdout.strip() == "3"
    # A bad value does not stop the import (or the command line): a warning names it and
    # the machine's cores are used.
    for bad in ("zero", "0", "99999999999", "1_0", "\u0663", "+4"):  # int() would take the last three
        proc = run_python("import os, weightinit; print(weightinit.get_num_threads() == weightinit._threads._machine_cores())",
                          WEIGHTINIT_NUM_THREADS=bad)
        assert proc.returncode == 0 and proc.stdout.strip() == "True"
        assert "WEIGHTINIT_NUM_THREADS" in proc.stderr and "RuntimeWarning" in proc.stderr
        # At the line that imported weightinit, not at weightinit/_threads.py's own
        assert proc.stderr.startswith("<string>:1: RuntimeWarning: ignoring WEIGHTINIT_NUM_THREADS="), proc.stderr
        assert "_threads.py" not in proc.stderr


def test_default_thread_count_is_the_machines():
    proc = run_python("import os, weightinit; from weightinit._args import cpu_quota; "
                      "print(weightinit.get_num_threads(), len(os.sched_getaffinity(0)), cpu_quota() or 'none')",
                      WEIGHTINIT_NUM_THREADS="")
    ours, cores, quota = proc.stdout.split()
    assert int(ours) == (int(cores) if quota == "none" else min(int(cores), int(quota)))


def test_cpu_quota_is_the_lowest_of_the_process_cgroup_and_its_parents(tmp_path, monkeypatch):
    from weightinit import _args

    proc = tmp_path / "cgroup"
    proc.write_text("4:memory:/m\n3:cpu,cpuacct:/jobs/job1\n0::/user/session\n")
    root = tmp_path / "fs"
    v1 = root / "cpu" / "jobs"
    v2 = root / "user"
    contents = {
        v1 / "job1" / "cpu.cfs_quota_us": "-1\n",  # no limit of its own
        v1 / "job1" / "cpu.cfs_period_us": "100000\n",
        v1 / "cpu.cfs_quota_us": "250000\n",  # 2.5 CPUs: 3 threads
        v1 / "cpu.cfs_period_us": "100000\n",
        v2 / "session" / "cpu.max": "max 100000\n",  # no limit
        v2 / "cpu.max": "350000 50000\n",  # 7 CPUs
        root / "cpu.max": "garbage\n",
    }
    for path, text in contents.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    files = _args._cgroup_files("cpu.max", "cpu", "cpu.cfs_quota_us", str(proc), str(root))
    assert files == [str(v1 / "job1/cpu.cfs_quota_us"), str(v1 / "cpu.cfs_quota_us"), str(root / "cpu/cpu.cfs_quota_us"),
                     str(v2 / "session/cpu.max"), str(v2 / "cpu.max"), str(root / "cpu.max")]
    real = _args._cgroup_files
    monkeypatch.setattr(_args, "_cgroup_files", lambda *names: real(*names, str(proc), str(root)))
    assert _args.cpu_quota() == 3
    (v2 / "cpu.max").write_text("50000 100000\n")  # half a CPU still runs one thread
    assert _args.cpu_quota() == 1
    for path in contents:
        if path.name != "cpu.cfs_period_us":
            path.write_text("max 100000\n" if path.name == "cpu.max" else "-1\n")
    assert _args.cpu_quota() is None
    proc.write_text("")  # no cgroup at all (not Linux, or none mounted)
    assert _args.cpu_quota() is None


def test_default_thread_count_is_the_cpu_quota_where_lower_than_the_affinity_mask(monkeypatch):
    from weightinit import _threads

    cores = len(os.sched_getaffinity(0))
    monkeypatch.setattr(_threads, "cpu_quota", lambda: None)
    assert _threads._machine_cores() == cores
    monkeypatch.setattr(_threads, "cpu_quota", lambda: 1)
    assert _threads._machine_cores() == 1
    monkeypatch.setattr(_threads, "cpu_quota", lambda: cores + 1)
    assert _threads._machine_cores() == cores


def test_set_num_threads_round_trips():
    saved = wi.get_num_threads()
    try:
        wi.set_num_threads(5)
        assert wi.get_num_threads() == 5
    finally:
        wi.set_num_threads(saved)
    with pytest.raises(TypeError):
        wi.set_num_threads(True)
    with pytest.raises(ValueError, match="n must be <= 65536"):
        wi.set_num_threads(2**31)


DAEMON_AT_EXIT = """
import sys, threading, time
import weightinit as wi
from weightinit import datasets
X, Y = datasets.planar_flower(1)
def work():
    while True:
        if {kind!r} == "fill":
            wi.random.uniform((300, 300), rng=1)
        elif {kind!r} == "fit":
            wi.MLP([2, 4, 1], rng=0).fit(X, Y, iterations=100000, progress=lambda s, c: None)
        elif {kind!r} == "sweep":
            wi.sweep(X, Y, [2, 4, 1], ["he"], 2, 100000, 1.2, progress=lambda d, t: None)
        else:
            wi.orthogonal((300, 300), rng=1)
threading.Thread(target=work, daemon=True).start()
time.sleep(0.3)
print("exiting")
"""


@pytest.mark.parametrize("kind", ["fill", "fit", "sweep", "orthogonal"])
def test_a_daemon_thread_inside_a_call_does_not_abort_the_exit(kind):
    """At exit Python ends a thread that takes the GIL back with pthread_exit, whose unwinding
    through C++ frames aborted the process (SIGABRT, 'terminate called without an active
    exception'); such a thread now waits for the process to end."""
    proc = subprocess.run([sys.executable, "-c", DAEMON_AT_EXIT.format(kind=kind)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.strip() == "exiting" and "terminate" not in proc.stderr and "FATAL" not in proc.stderr


def test_core_calls_from_a_finalizer_at_exit_still_run():
    """The thread that runs Python's finalization may call the core (a __del__): only other
    threads are stopped there."""
    code = """
import sys, numpy as np, weightinit as wi
X = np.random.default_rng(0).normal(size=(2, 20)); Y = (X[:1] > 0).astype(float)
class Saver:
    def __init__(self):
        self.net = wi.MLP([2, 3, 1], rng=0)
        self.me = self  # a cycle: collected during finalization
    def __del__(self):
        p = self.net.parameters
        w = wi.random.normal(1000, rng=1)
        sys.__stdout__.write(f"saved {len(p)} {w.size}\\n")
Saver()
print("exiting")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.split() == ["exiting", "saved", "4", "1000"]


def test_an_empty_or_blank_thread_variable_means_unset_without_a_warning():
    for blank in ("", "  "):
        proc = run_python("import os, weightinit; print(weightinit.get_num_threads() == weightinit._threads._machine_cores())",
                          WEIGHTINIT_NUM_THREADS=blank)
        assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stderr
        assert "WEIGHTINIT_NUM_THREADS" not in proc.stderr


IMPORT_THREADS = """
import os, numpy
before = len(os.listdir("/proc/self/task"))
import weightinit
print(before, len(os.listdir("/proc/self/task")), os.environ.get("OPENBLAS_NUM_THREADS"))
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
@pytest.mark.parametrize("given", [None, "3"])
def test_importing_starts_no_thread_and_leaves_the_environment_as_it_was(given):
    """scipy-openblas32's library starts a server thread per extra CPU (or
    OPENBLAS_NUM_THREADS - 1 of them, one per CPU at most) as it loads, each busy-waiting
    ~0.1 s: beside one, the first fits
    ran without their team. The core runs that OpenBLAS on one thread, so it is loaded with
    OPENBLAS_NUM_THREADS=1, which is then put back as the user had it (unset, or 3)."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    proc = subprocess.run([sys.executable, "-c", IMPORT_THREADS], capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-500:]
    before, after, seen = proc.stdout.split()
    assert int(after) == int(before)
    assert seen == str(given)


ENV_WRITES = """
import sys, numpy
if sys.argv[1] == "preloaded":
    import scipy_openblas32
writes = []
sys.addaudithook(lambda event, args: writes.append((event, *args)) if event in ("os.putenv", "os.unsetenv") else None)
import weightinit
print([(e, *(a.decode() if isinstance(a, bytes) else a for a in rest)) for e, *rest in writes])
"""


@pytest.mark.parametrize("how", ["fresh", "preloaded"])
def test_the_openblas_variable_is_set_only_while_its_library_loads(how):
    """The import writes OPENBLAS_NUM_THREADS=1 and then unsets it (it was unset); when
    scipy_openblas32 is loaded already, setting it would change nothing, so nothing is written."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    proc = subprocess.run([sys.executable, "-c", ENV_WRITES, how], capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-500:]
    writes = [w for w in eval(proc.stdout) if w[1] == "OPENBLAS_NUM_THREADS"]
    expected = [] if how == "preloaded" else [("os.putenv", "OPENBLAS_NUM_THREADS", "1"),
                                              ("os.unsetenv", "OPENBLAS_NUM_THREADS")]
    assert writes == expected


IDLE_AFTER = """
import time, numpy as np, weightinit as wi
from weightinit import datasets
gen = np.random.default_rng(0)
Xw = gen.normal(size=(784, 4096)); Yw = np.eye(10)[:, gen.integers(0, 10, 4096)]
wide = wi.MLP([784, 256, 10], activations=["relu", "softmax"], loss="softmax_cross_entropy", rng=0)
X, Y = datasets.planar_flower(1)
calls = {
    "normal": lambda: wi.normal(10**6, rng=0),
    "orthogonal": lambda: wi.orthogonal((512, 512), rng=0),
    "wide fit": lambda: wide.fit(Xw, Yw, iterations=2, learning_rate=0.01),
    "narrow fit": lambda: wi.MLP([2, 4, 1], rng=0).fit(X, Y, iterations=2000),
    "sweep": lambda: wi.sweep(X, Y, [2, 4, 1], ["he", "zeros"], 2, 500, 1.2),
}
time.sleep(0.3)
for name, call in calls.items():
    call()
    c0 = time.process_time()
    time.sleep(0.2)
    print(name, round((time.process_time() - c0) * 1e3, 1))
"""


def test_no_thread_keeps_spinning_after_a_call_returns():
    """Idle workers spin 100 us and then sleep, and the core's OpenBLAS runs one thread (its
    GEMMs are split by the core), so a returned call leaves no thread burning a core: the
    process's CPU time over the next 200 ms of sleep stays near 0. A BLAS thread pool that
    busy-waits after each call (NumPy's OpenBLAS does, ~100 ms after a threaded matmul) would
    take a core from whatever runs next, the user's code or weightinit's own threads."""
    proc = subprocess.run([sys.executable, "-c", IDLE_AFTER], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "WEIGHTINIT_NUM_THREADS": "2"})
    assert proc.returncode == 0, proc.stderr[-500:]
    used = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in proc.stdout.splitlines()}
    assert len(used) == 5
    assert all(ms < 30 for ms in used.values()), used  # ms of CPU in 200 ms of sleep


def test_the_typed_usage_runs_and_names_every_public_function():
    """tests/typed_usage.py is what mypy checks the annotations against (.ci/run): its calls
    must be ones the API takes at run time, and it must call every public function."""
    import pathlib

    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    try:
        import typed_usage
    finally:
        sys.path.pop(0)
    typed_usage.run_all()
    source = pathlib.Path(typed_usage.__file__).read_text()
    functions = [n for n in wi.__all__ if not isinstance(getattr(wi, n), types.ModuleType)]
    assert [n for n in functions if f"wi.{n}" not in source] == []


def test_the_reference_package_holds_both_oracles():
    """reference/__init__.py said it held the streams and the maths, and imported only the
    streams: weightinit.reference.mlp was an AttributeError until imported by name (helper-162)."""
    code = "import weightinit.reference as R; print(R.__all__, R.mlp.train.__module__, R.random.shuffle.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['mlp',", "'random']", "weightinit.reference.mlp", "weightinit.reference.random"]
