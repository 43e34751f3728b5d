"""Fixtures only (helpers live in ``_helpers.py``): the backend matrix, hypothesis profiles, the book.

Backends: numpy, array_api_strict on its CPU device, array_api_strict on
Device("device1") (refuses implicit conversion to NumPy exactly like a GPU
array), and cupy when usable (marked ``gpu``). ``CAE_BACKENDS=numpy,cupy``
narrows the list; naming cupy there where CuPy is not usable is an error (a
classroom that forgot to install CuPy must see red, not a green run of skips).

The book (``book``) is built once per run, quick, running every lesson cell by cell in a kernel, in a
background process while the other tests run (``_book_build``); that run is each lesson's numpy/quick
run: ``lesson_run`` hands its record to the lessons' numeric checks, so no lesson runs twice in one mode.
Other backends run in this process.
"""
from __future__ import annotations

import json
import os

# One BLAS thread for the tests (and the lessons and notebooks they start): a second OpenBLAS thread on a
# busy machine makes small batched SVDs much slower. Tests never time anything, so nothing is lost.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
try:                                       # numpy may already be loaded (a plugin): limit its pool too
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=1)
except ImportError:
    pass

import pytest
from hypothesis import HealthCheck, settings

import _book_build

import cae_scratch as cs
from cae_scratch import backend
from cae_scratch.model import model_kwargs

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], print_blob=True)
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ALL_BACKENDS = ["numpy", "array_api_strict", "array_api_strict:device1", "cupy"]


def selected_backends():
    wanted = os.environ.get("CAE_BACKENDS")
    names = ALL_BACKENDS if not wanted else [w.strip() for w in wanted.split(",") if w.strip()]
    unknown = set(names) - set(ALL_BACKENDS)
    if unknown:
        raise ValueError(f"CAE_BACKENDS has unknown names {sorted(unknown)}; valid: {ALL_BACKENDS}")
    return names


def backend_params():
    out = []
    for name in selected_backends():
        marks = [pytest.mark.gpu] if name == "cupy" else []
        if name == "cupy" and not backend.cupy_usable():
            if os.environ.get("CAE_BACKENDS"):
                raise pytest.UsageError("CAE_BACKENDS names cupy but CuPy is not usable here; run "
                                        "`python -m cae_scratch doctor` to see why")
            marks.append(pytest.mark.skip(reason="CuPy is not usable here (no GPU or no cupy)"))
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def lesson_backend(item):
    """The backend a ``lesson_run`` test runs its lesson on (numpy when not parametrized), or None."""
    if "lesson_run" not in item.fixturenames:
        return None
    params = getattr(item, "callspec", None)
    return params.params.get("backend", "numpy") if params else "numpy"


def reads_the_book(item):
    """Whether a test reads the book build (the ``book`` fixture, or ``lesson_run`` on numpy)."""
    return "book" in item.fixturenames or lesson_backend(item) == "numpy"


def runs_a_lesson_elsewhere(item):
    """A lesson run in the test's own process on another backend (array_api_strict's per-operation overhead
    makes these the longest single tests)."""
    return lesson_backend(item) not in (None, "numpy")


def pytest_collection_modifyitems(config, items):
    """The longest single tests first and the book's readers last: under pytest-xdist the workers end
    together, and the book's background build (``_book_build``) overlaps everything else."""
    def rank(item):
        return 2 if reads_the_book(item) else 0 if runs_a_lesson_elsewhere(item) else 1
    items.sort(key=rank)                                 # stable: the collection order within each rank


_INTERRUPTED = []


def pytest_keyboard_interrupt(excinfo):
    _INTERRUPTED.append(True)


@pytest.fixture(params=backend_params())
def backend_name(request):
    """One entry of the backend matrix (a name usable with ``model_kwargs``)."""
    return request.param


@pytest.fixture
def xp(backend_name):
    """(namespace, device) of one entry of the backend matrix, for the pure-function tests."""
    kw = model_kwargs(backend_name)
    namespace = backend.get_namespace(kw["backend"])
    return namespace, kw.get("device") or backend.default_device(namespace)


@pytest.fixture
def make_model(backend_name):
    """Factory: make_model(n_visible, n_hidden, **kw) on the current backend."""
    def make(n_visible, n_hidden, **kw):
        return cs.ContractiveAutoencoder(n_visible, n_hidden, **{**model_kwargs(backend_name), **kw})
    return make


@pytest.fixture
def digits():
    from cae_scratch import data
    return data.load_digits()


@pytest.fixture(scope="session", autouse=True)
def _book_in_the_background(request, tmp_path_factory):
    """Start the quick book's build at the run's first test when any selected test reads it
    (``_book_build``: one build per run, shared by pytest-xdist's workers, with the PDF where Chromium is)."""
    proc = None
    if any(reads_the_book(item) for item in request.session.items):
        from _chromium import find_chromium
        proc = _book_build.start(tmp_path_factory, pdf=find_chromium() is not None)
    yield
    if proc is not None and proc.poll() is None:
        if _INTERRUPTED or not os.environ.get("PYTEST_XDIST_WORKER"):
            proc.kill()                                # nobody is left to read it
        proc.wait()                                    # another worker may still be reading it


@pytest.fixture(scope="session")
def book(tmp_path_factory):
    """(folder, build's report) of the quick book of every lesson, and its PDF where Chromium is: the
    background build's, waited for."""
    return _book_build.wait(tmp_path_factory)


@pytest.fixture
def lesson_run(request, tmp_path):
    """lesson_run(name, backend="numpy") -> the record (``lessons.book.execute.lesson_record``, decoded) of
    the lesson's quick run with seed 0: on numpy the book build's run, elsewhere a run in this process.

    Checks what every run shows: the options asked for, a headline, every announced figure a drawn PNG in
    the lesson's folder and no other PNG there. Fails loudly when the book recorded no run of ``name``.
    """
    def run(name, backend="numpy"):
        from lessons.book.execute import lesson_record
        if backend == "numpy":
            folder, report = request.getfixturevalue("book")
            record = report.get("records", {}).get(name)
            if record is None:
                pytest.fail(f"the book build recorded no run of {name}: its numbers are unchecked")
            if "error" in record:
                pytest.fail(f"the book's run of {name} left no record: {record['error']}")
            out = str(folder / "figures" / name)
        else:
            from lessons.__main__ import run_lesson
            lesson = run_lesson(name, backend=backend, quick=True, seed=0, out_dir=str(tmp_path), quiet=True)
            record, out = json.loads(lesson_record(lesson)), str(tmp_path)
        assert (record["quick"], record["backend"], record["seed"]) == (True, backend, 0) and record["headline"]
        assert record["out"] == out, "the figures went to the folder the run was given"
        for path in record["figures"]:
            assert os.path.dirname(path) == out
            with open(path, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n", path
            assert os.path.getsize(path) > 10_000, path          # a drawn figure, not an empty canvas
        drawn = {f for f in os.listdir(out) if f.endswith(".png")} if os.path.isdir(out) else set()
        assert drawn == {os.path.basename(p) for p in record["figures"]}, "every PNG written was announced"
        return record
    return run
