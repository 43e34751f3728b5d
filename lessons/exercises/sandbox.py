"""The student's process: load one file under guard, call its function on what the grader sends, return arrays.

``python -I sandbox.py CONFIG_JSON`` is started by runner.py (the parent), inside the bubblewrap sandbox of
jail.py where the machine has one; CONFIG gives the pipe fds, the copied file, the function's name, the folders
to refuse, numpy's folder and the resource limits. Self-contained with guards.py and explain.py (numpy and the
standard library only), it never imports cae_scratch or lessons: the loss, the activations' formulas and every
grading decision live in the parent, which trusts no byte of what comes back.

Before numpy or the student's file loads, it sets resource limits it cannot raise again and asks to die with
the grader; the guards (guards.py, an audit hook: no security boundary, the OS sandbox is) then make honest
mistakes fail clearly.

Messages on the pipes: an 8-byte length, a JSON header, then the raw bytes of the arrays the header lists
([dtype, shape] each). Structures are JSON with {"$array": i}, {"$list": [...]}, {"$dict": {...}},
{"$bad": "what it was"}; from the parent also {"$activation": id, "name": ...} and {"$function": id},
helpers whose every call is a round trip to the parent (which counts them).
"""
import ast
import builtins
import json
import math
import os
import struct
import sys


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"]:                      # jail.available(): can this sandbox import numpy?
        sys.path.append(sys.argv[2])
        import numpy  # noqa: F401
        print("sandbox ok")
        sys.exit(0)
    CONFIG = json.loads(sys.argv[1])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))   # guards.py and explain.py, beside this file
    import guards
    guards.die_with_parent(CONFIG.get("parent"))
    guards.set_limits(CONFIG["limits"])
    sys.path.append(CONFIG["numpy_dir"])                  # where the parent found numpy (python -I skips it)
import numpy as np  # noqa: E402

DTYPES = ("<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1", "<c16", "<c8")
MAX_HEADER = 1 << 20


# ---- framing (the parent imports these too) --------------------------------------------------------
def message_bytes(header, arrays=()):
    """One message: the 8-byte length, the JSON header (with the arrays' specs), the arrays' bytes."""
    arrays = [np.asarray(a, order="C") for a in arrays]    # (ascontiguousarray makes 0-d arrays 1-d)
    head = json.dumps(dict(header, arrays=[[a.dtype.str, list(a.shape)] for a in arrays])).encode()
    return b"".join([struct.pack("<Q", len(head)), head] + [a.tobytes() for a in arrays])


def write_all(fd, data):
    data = memoryview(data)
    while data:
        data = data[os.write(fd, data):]


def read_message(read_exact, max_bytes, parse=json.loads, max_header=MAX_HEADER):
    """(header, arrays) from ``read_exact(n) -> bytes``; a malformed or oversized message raises ValueError."""
    (n,) = struct.unpack("<Q", read_exact(8))
    if n > max_header:
        raise ValueError("message header too large")
    header = parse(read_exact(n))
    specs = header.get("arrays") if isinstance(header, dict) else None
    if not isinstance(specs, list):
        raise ValueError("malformed message header")
    if len(specs) > 64:
        raise ValueError("too many arrays in a message")
    arrays, total = [], 0
    for spec in specs:
        if not isinstance(spec, list) or len(spec) != 2:
            raise ValueError(f"unexpected array {spec!r:.60} in a message")
        dtype, shape = spec
        if type(dtype) is not str or dtype not in DTYPES or not isinstance(shape, list) or len(shape) > 6 \
                or not all(type(d) is int and 0 <= d < 2**31 for d in shape):
            raise ValueError(f"unexpected array {spec!r} in a message")
        size = math.prod(shape) * np.dtype(dtype).itemsize                # exact: no int64 wrap-around
        total += size
        if total > max_bytes:
            raise ValueError(f"message larger than {max_bytes} bytes")
        arrays.append(np.frombuffer(read_exact(size), dtype=dtype).reshape(shape).copy())
    return header, arrays


def encode(obj, arrays, depth=0):
    """The student's output as JSON with array references; anything unexpected becomes {"$bad": ...}."""
    t = type(obj)
    if t is np.ndarray:
        if obj.dtype.str not in DTYPES:
            return {"$bad": f"an array of dtype {obj.dtype}"}
        arrays.append(obj)
        return {"$array": len(arrays) - 1}
    if isinstance(obj, np.ndarray):
        return {"$bad": f"an ndarray subclass ({t.__module__}.{t.__qualname__}): return a plain numpy array"}
    if t in (float, int, np.float64, np.float32, np.int64, np.int32):
        arrays.append(np.asarray(obj))
        return {"$array": len(arrays) - 1}
    if t in (tuple, list) and depth < 3 and len(obj) <= 16:
        return {"$list": [encode(v, arrays, depth + 1) for v in obj]}
    if t is dict and depth < 3 and len(obj) <= 16 and all(type(k) is str for k in obj):
        return {"$dict": {k: encode(v, arrays, depth + 1) for k, v in obj.items()}}
    return {"$bad": "None" if obj is None else f"a {t.__module__}.{t.__qualname__}".replace("builtins.", "")}


# ---- the child ---------------------------------------------------------------------------------------
class HelperRefused(Exception):
    """The grader refused a helper call (too many calls, or arguments of the wrong shape)."""


class _Channel:
    def __init__(self, rfd, wfd):
        self.rfd, self.wfd = rfd, wfd

    def read_exact(self, n):
        chunks = []
        while n:
            chunk = os.read(self.rfd, min(n, 1 << 20))
            if not chunk:
                os._exit(3)                                  # the parent is gone
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def receive(self):
        return read_message(self.read_exact, 1 << 31)

    def send(self, header, arrays=()):
        write_all(self.wfd, message_bytes(header, arrays))

    def helper(self, hid, method, args):
        arrays = [np.asarray(a, dtype=np.float64) for a in args]
        self.send({"type": "helper", "id": hid, "method": method}, arrays)
        header, out = self.receive()
        if not header.get("ok"):
            raise HelperRefused(header.get("message", "refused"))
        return out[0] if out[0].ndim else float(out[0])


class Activation:
    """activation.f(A), activation.d1(A, H) = s'(A), activation.d2(A, H, D1) = s''(A),
    activation.d3(A, H, D1, D2) = the third derivative: computed by the grader."""
    smooth = True

    def __init__(self, channel, hid, name):
        self._channel, self._hid, self.name = channel, hid, name

    def f(self, A):
        return self._channel.helper(self._hid, "f", [A])

    def d1(self, A, H):
        return self._channel.helper(self._hid, "d1", [A, H])

    def d2(self, A, H, D1):
        return self._channel.helper(self._hid, "d2", [A, H, D1])

    def d3(self, A, H, D1, D2):
        return self._channel.helper(self._hid, "d3", [A, H, D1, D2])

    __call__ = f

    def __repr__(self):
        return f"<activation {self.name!r}>"


class Function:
    """A scalar function f(x) -> float, evaluated by the grader."""

    def __init__(self, channel, hid, name):
        self._channel, self._hid, self.name = channel, hid, name

    def __call__(self, x):
        return self._channel.helper(self._hid, "call", [x])

    def __repr__(self):
        return f"<function {self.name}>"


def decode(obj, arrays, channel):
    if isinstance(obj, dict):
        if "$array" in obj:
            return arrays[obj["$array"]]
        if "$activation" in obj:
            return Activation(channel, obj["$activation"], obj["name"])
        if "$function" in obj:
            return Function(channel, obj["$function"], obj["name"])
        if "$dict" in obj:
            return {k: decode(v, arrays, channel) for k, v in obj["$dict"].items()}
    if isinstance(obj, list):
        return [decode(v, arrays, channel) for v in obj]
    return obj


def main(config):
    rfd, wfd, path, fname, forbidden = config["rfd"], config["wfd"], config["path"], config["function"], \
        config["forbidden"]
    channel = _Channel(rfd, wfd)
    with open(path, encoding="utf-8", errors="replace") as f:      # read before the guards forbid it
        source = f.read()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as e:                         # ValueError: null bytes in the file
        where = f" at line {e.lineno}: {e.msg}" if getattr(e, "lineno", None) else f": {getattr(e, 'msg', e)}"
        channel.send({"type": "error", "stage": "import", "message": f"your file is not valid Python{where}"})
        return
    from explain import describe
    from guards import install_guards
    del sys.path[0]
    install_guards(forbidden)
    namespace = {"__name__": "student", "__file__": path, "__builtins__": builtins}
    try:
        exec(compile(tree, path, "exec"), namespace)
    except BaseException as e:                                    # SystemExit and KeyboardInterrupt too
        channel.send({"type": "error", "stage": "import",
                      "message": describe(e, path, source, tree, fname, "importing your file")})
        return
    fn = namespace.get(fname)
    if not callable(fn):
        channel.send({"type": "error", "stage": "import",
                      "message": f"your file has no function named {fname!r} (keep the template's name)"})
        return
    channel.send({"type": "ready"})
    while True:
        header, arrays = channel.receive()
        if header.get("type") != "call":
            return
        args = decode(header["args"], arrays, channel)
        copies = [a.copy() for a in arrays]
        try:
            out = fn(*args)
        except BaseException as e:
            channel.send({"type": "error", "stage": "call", "message": describe(e, path, source, tree, fname)})
            continue
        mutated = any(not np.array_equal(a, c) for a, c in zip(arrays, copies))
        result = []
        channel.send({"type": "result", "out": encode(out, result), "mutated": mutated}, result)


if __name__ == "__main__":
    main(CONFIG)
