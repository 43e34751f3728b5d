"""In the student's process, what it does to itself before the student's file runs (sandbox.py calls these).

``set_limits`` and ``die_with_parent`` first, before numpy loads: resource limits the student's code cannot
raise, and a kill when the grader dies. ``install_guards`` just before the student's file: an audit hook
(which cannot be removed) that refuses imports other than numpy and math, reading the library's or the
solutions' files, writing any file, starting processes, signals, sockets and ctypes. The hook lives in the
student's process and is no security boundary (a determined file can switch it off); it makes honest mistakes
fail clearly. The boundary is the OS sandbox (jail.py).
"""
import os
import sys

ALLOWED_IMPORTS = {"numpy", "math", "__future__", "typing"}
BLOCKED_EVENTS = {
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "os.kill", "os.killpg", "signal.pthread_kill", "socket.__new__", "socket.connect", "os.remove", "os.rename",
    "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate", "os.link", "os.symlink", "os.utime",
    "shutil.rmtree", "os.putenv", "os.unsetenv", "resource.setrlimit", "ctypes.dlopen", "ctypes.dlsym",
    "ctypes.dlsym/handle", "ctypes.call_function", "ctypes.cdata", "ctypes.cdata/buffer", "ctypes.addressof",
    "ctypes.string_at", "ctypes.wstring_at", "ctypes.PyObj_FromPtr", "sys.addaudithook", "builtins.input"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def set_limits(limits):
    """Resource limits on this process, soft = hard (so the student's code cannot raise them)."""
    try:
        import resource
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # too much output: a failed write, not a kill
    except (ImportError, AttributeError, OSError):        # no POSIX resource limits here (Windows)
        return
    for name, value in limits.items():
        which = getattr(resource, "RLIMIT_" + name.upper(), None)
        if which is None:
            continue
        hard = resource.getrlimit(which)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(which, (value, value))
        except (OSError, ValueError):
            pass


def die_with_parent(parent=None):
    """Linux: SIGKILL this process when the grader's thread that started it is gone (prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)
    except (OSError, AttributeError, TypeError):
        pass
    if parent and os.getppid() != parent:
        os._exit(3)                                       # the grader died before the prctl above


def install_guards(forbidden):
    roots = [os.path.realpath(r) for r in forbidden]

    def guard(event, args):
        if event == "import":
            top = str(args[0]).partition(".")[0]
            if top in ("cae_scratch", "lessons"):
                raise ImportError(f"import of {args[0]!r} refused: a graded file may not use the library or the "
                                  "solutions -- the point is your own derivation (numpy and math only)")
            if top not in ALLOWED_IMPORTS:
                raise ImportError(f"import of {args[0]!r} refused: a graded file may import numpy and math only")
        elif event == "open":
            path, mode, flags = (tuple(args) + (None, None))[:3]
            if isinstance(path, (str, bytes)):
                real = os.path.realpath(os.fsdecode(path))
                if any(real == r or real.startswith(r + os.sep) for r in roots):
                    raise PermissionError(f"reading {os.fsdecode(path)} refused: a graded file may not read the "
                                          "library or the solutions")
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (isinstance(flags, int)
                                                                                and flags & WRITE_FLAGS):
                raise PermissionError("a graded file may not write files")
        elif event in BLOCKED_EVENTS:
            raise PermissionError(f"{event} is not allowed in a graded file (numpy and math only)")
    sys.addaudithook(guard)
