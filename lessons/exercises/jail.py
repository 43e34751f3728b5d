"""The operating-system sandbox around a student's process: bubblewrap on Linux, probed once by running it.

``command(...)`` is the bwrap command line that runs the child script
(sandbox.py) on one copied student file; ``available()`` says whether this
machine can run it, and why not. Inside the sandbox the student's process sees:

- a read-only root with only the Python runtime (the interpreter, its standard
  library, the shared system libraries), numpy, and the three child files
  (sandbox.py, guards.py, explain.py) bound read-only; every site-packages or
  dist-packages folder is hidden under an empty read-only tmpfs (numpy is bound
  back in), so the library, the solutions, the other submissions and the
  teacher's home do not exist there;
- the one student file, copied by the parent (``copy_submission``: a regular file, never a symlink);
- a private empty /tmp (16 MiB where this bwrap has --size); /dev with null, zero, random and the like;
  /proc of its own PID namespace (no other process is visible);
- no network (a new network namespace has only a loopback with nothing on it),
  its own IPC, UTS, PID, cgroup and user namespaces, uid and gid 65534
  (nobody), no capabilities, no further user namespaces (where this bwrap has
  --disable-userns: only the options its --help lists are used), a new session
  (no terminal to inject keys into), and death with its parent.

The resource limits (address space, CPU seconds, file size, open files,
processes) are set by the child script itself before the student's file is
read (guards.set_limits), in the sandbox and without one.
"""
from __future__ import annotations

import errno
import functools
import os
import shutil
import stat
import subprocess
import sys
import sysconfig

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD_FILES = ("sandbox.py", "guards.py", "explain.py")
GRADER_DIR = "/grader"                     # where the child files appear inside the sandbox
SUBMISSION_DIR = "/submission"             # where the copied student file appears
NOBODY = "65534"
MAX_SOURCE_BYTES = 1 << 20
SANDBOXED = "bubblewrap sandbox"           # the isolation a Result and a CSV row name
HOW_TO_GET_ONE = ("install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install "
                  "bubblewrap) and allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
                  "user.max_user_namespaces > 0; on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0)")


class NotGradable(Exception):
    """The submission is not a regular file (a symlink, FIFO, device, folder) or is too large."""


def copy_submission(path, folder):
    """Copy the regular file ``path`` into ``folder`` (never following a symlink, never blocking on a FIFO)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise NotGradable("it is a symbolic link, not a regular file: only regular files are graded "
                              "(submit the file itself)") from None
        raise NotGradable(f"cannot open it ({e.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a folder" if stat.S_ISDIR(mode) else "a socket"
                    if stat.S_ISSOCK(mode) else "a device")
            raise NotGradable(f"it is {kind}, not a regular file: only regular files are graded")
        data = f.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise NotGradable(f"it is larger than {MAX_SOURCE_BYTES // 2**20} MiB: not a graded exercise file")
    target = os.path.join(folder, "submission.py")
    with open(target, "wb") as out:
        out.write(data)
    os.chmod(target, 0o644)
    return target


def bwrap_program():
    """The bwrap to use: $CAE_BWRAP if set (tests point it at nothing), else the one on PATH."""
    return os.environ.get("CAE_BWRAP") or shutil.which("bwrap") or "bwrap"


def interpreter():
    """The real Python executable (a venv's python is a symlink to it; the venv itself is not bound)."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def numpy_dirs():
    """(numpy's package folder, its folder on sys.path, numpy's bundled shared libraries if any)."""
    package = os.path.dirname(os.path.realpath(np.__file__))
    parent = os.path.dirname(package)
    libs = [os.path.join(parent, n) for n in ("numpy.libs",) if os.path.isdir(os.path.join(parent, n))]
    return package, parent, libs


def forbidden_roots():
    """Folders of packages a student must never read (the library, the lessons, their solutions)."""
    import cae_scratch
    return [os.path.dirname(os.path.realpath(cae_scratch.__file__)), os.path.dirname(HERE)]


@functools.lru_cache(maxsize=1)
def runtime_paths():
    """(folders and files bound read-only, folders then hidden under an empty read-only tmpfs)."""
    base = {k: sys.base_prefix for k in ("base", "platbase", "installed_base", "installed_platbase")}
    paths = sysconfig.get_paths(vars=base)               # the real runtime's, not a venv's
    stdlib = os.path.realpath(paths["stdlib"])
    binds = [interpreter(), stdlib, os.path.realpath(paths["platstdlib"])]
    libdir, library = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LDLIBRARY")
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and libdir and library:
        binds.append(os.path.realpath(os.path.join(libdir, library)))
    binds += [d for d in ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache")
              if os.path.exists(d) and not os.path.islink(d)]
    binds = [p for p in dict.fromkeys(binds) if os.path.exists(p)]
    # hide every folder of installed packages (the project may be installed there) and the project itself
    candidates = [p for p in sys.path if p and os.path.isdir(p)] + forbidden_roots()
    for base in (stdlib, "/usr/lib", "/usr/lib64", "/usr/local/lib"):
        if os.path.isdir(base):
            candidates += [e.path for e in os.scandir(base) if e.name.startswith("python") and e.is_dir()]
    hide = []
    for c in candidates:
        for name in ("site-packages", "dist-packages"):
            found = os.path.join(c, name)
            if os.path.isdir(found):
                candidates.append(found)
    for c in dict.fromkeys(os.path.realpath(c) for c in candidates):
        if os.path.basename(c) in ("site-packages", "dist-packages") or c in forbidden_roots():
            if any(_inside(c, b) for b in binds):
                hide.append(c)
    return binds, hide


def _inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _root_links():
    """Merged-/usr systems: /lib -> usr/lib and the like, recreated as the same symlinks."""
    out = []
    for d in ("/lib", "/lib64", "/lib32"):
        if os.path.islink(d):
            out += ["--symlink", os.readlink(d), d]
    return out


@functools.lru_cache(maxsize=None)
def _options(program):
    """The options this bwrap lists in --help (older ones, e.g. 0.6 on Ubuntu 22.04, lack --disable-userns)."""
    try:
        done = subprocess.run([program, "--help"], capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(w for w in (done.stdout + done.stderr).decode("utf-8", "replace").split() if w.startswith("--"))


def command(child_argv, submission, inside_name):
    """The bwrap argv that runs ``python -I /grader/sandbox.py *child_argv`` with ``submission`` copied in."""
    binds, hide = runtime_paths()
    package, _, libs = numpy_dirs()
    program = bwrap_program()
    has = _options(shutil.which(program) or program)
    size = (lambda n: ["--size", str(n)]) if "--size" in has else (lambda n: [])
    argv = [program, "--unshare-all", "--unshare-user", "--uid", NOBODY, "--gid", NOBODY,
            *(["--disable-userns"] if "--disable-userns" in has else []),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "grader",
            # the private /tmp first: a venv or numpy under the host's /tmp is bound on top of it, not hidden
            "--perms", "1777", *size(16 * 2**20), "--tmpfs", "/tmp"]
    for b in binds:
        argv += ["--ro-bind", b, b]
    argv += _root_links()
    for h in hide:
        argv += ["--perms", "0555", *size(65536), "--tmpfs", h]
    for b in [package] + libs:
        argv += ["--ro-bind", b, b]
    for h in hide:
        argv += ["--remount-ro", h]
    for f in CHILD_FILES:
        argv += ["--ro-bind", os.path.join(HERE, f), f"{GRADER_DIR}/{f}"]
    argv += ["--ro-bind", submission, f"{SUBMISSION_DIR}/{inside_name}",
             "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "--chdir", "/tmp", "--", interpreter(), "-I", "-B", f"{GRADER_DIR}/sandbox.py"]
    return argv + list(child_argv)


@functools.lru_cache(maxsize=None)
def _probe(program):
    if not sys.platform.startswith("linux"):
        return False, f"no OS sandbox on {sys.platform} (bubblewrap needs Linux)"
    if not (os.path.isfile(program) and os.access(program, os.X_OK)):
        return False, f"bubblewrap ({program}) is not installed"
    package, parent, _ = numpy_dirs()
    marker = os.path.join(HERE, "sandbox.py")
    try:
        done = subprocess.run(command(["--probe", parent], marker, "probe.py"), capture_output=True, timeout=30,
                              stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"bubblewrap could not start ({type(e).__name__}: {e})"
    said = (done.stdout + done.stderr).decode("utf-8", "replace").strip()
    if done.returncode != 0 or said != "sandbox ok":
        said = " ".join(said.split())[-300:]
        return False, f"bubblewrap cannot create its sandbox here (exit status {done.returncode}: {said})"
    return True, f"bubblewrap, {program}"


def choose(sandboxed):
    """(run in the sandbox?, isolation text or a problem): ``sandboxed`` True requires it, None uses it if any."""
    if sandboxed is False:
        return False, "none (--unsandboxed)"
    ok, why = available()
    if ok:
        return True, SANDBOXED
    if sandboxed:
        return None, f"no OS sandbox to run it in: {why}; {HOW_TO_GET_ONE}"
    return False, f"none: {why}"


def available():
    """(True, what) when a student's file can run in the sandbox here, else (False, why not)."""
    program = bwrap_program()
    return _probe(shutil.which(program) or program)
