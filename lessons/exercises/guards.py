"""In the student's process: an audit hook (which cannot be removed) that refuses what a graded file must not do.

Imports other than numpy and math, reading the library's or the solutions' files, writing any file,
starting processes, signals, sockets and ctypes. Installed by sandbox.py just before the student's file runs.
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
