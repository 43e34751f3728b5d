"""The parent's side of the messages: what it sends (calls, helpers) and how it checks every byte that comes back.

The child's process runs the student's code, so nothing it sends is trusted:
a header is at most MAX_HEADER bytes of strict JSON (no NaN or Infinity, no
nesting deeper than MAX_DEPTH: the C decoder's own recursion guard turns a
deeper frame into an error here, never a crash), every field has its type and
range checked, and anything else raises ``Malformed`` (a ValueError), which
fails that one file with "malformed answer" and never the batch.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

MAX_HEADER = 256 * 2**10
MAX_RESULT_BYTES = 64 * 2**20
MAX_DEPTH = 8                      # of a returned structure: the child sends at most 3 levels
MAX_TEXT = 1500                    # characters of an error message kept


class Malformed(ValueError):
    """A message from the child that breaks the protocol."""


@dataclass
class Bad:
    """Something the student returned that is not a plain numpy array (described in words)."""
    what: str


@dataclass
class Call:
    """One call of the student's function: its arguments (arrays, numbers, dicts, helpers) and its budget."""
    args: tuple
    budget: int = 8                      # helper calls allowed during this call
    out: object = None                   # what came back (decoded), once run
    error: str = ""                      # or why nothing came back
    mutated: bool = False
    helper_calls: int = 0
    refused: str = ""                    # the first helper refusal, if any


@dataclass
class Helper:
    """A function the student's code may call through the parent: ``methods`` name -> (check, compute)."""
    kind: str                            # "activation" or "function"
    name: str
    methods: dict = field(default_factory=dict)


def _refuse_constant(name):
    raise Malformed(f"{name} in a message")


def parse_header(raw):
    """A JSON object from the child's bytes, or Malformed."""
    try:
        header = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise Malformed("a message nested too deeply") from None
    except UnicodeDecodeError:
        raise Malformed("a message that is not UTF-8") from None
    except json.JSONDecodeError as e:
        raise Malformed(f"a message that is not JSON ({e.msg})") from None
    if not isinstance(header, dict):
        raise Malformed("a message that is not a JSON object")
    return header


def message_type(header, allowed):
    kind = header.get("type")
    if type(kind) is not str or kind not in allowed:
        raise Malformed(f"an unexpected message (type {kind!r:.40})")
    return kind


def text(header, key):
    """A string field (an error message), cut to MAX_TEXT characters."""
    value = header.get(key)
    if type(value) is not str:
        raise Malformed(f"{key!r} is not a string")
    return value[:MAX_TEXT]


def flag(header):
    value = header.get("mutated", False)
    if type(value) is not bool:
        raise Malformed("'mutated' is not true or false")
    return value


def index(value, size, what):
    """A JSON int in [0, size): rejects floats (1e400 is inf), bools, strings, huge ints."""
    if type(value) is not int or not 0 <= value < size:
        raise Malformed(f"{what} {value!r:.40} is not an index below {size}")
    return value


def helper_request(header, helpers, arrays):
    """(Helper, method name) of a helper call; its array arguments are checked by the helper's own check."""
    helper = helpers[index(header.get("id"), len(helpers), "helper id")]
    method = header.get("method")
    if type(method) is not str or len(method) > 20:
        raise Malformed("a helper method that is not a short string")
    if len(arrays) > 4 or any(a.dtype != np.float64 for a in arrays):
        raise Malformed("a helper call with unexpected arguments")
    return helper, method


def encode_args(obj, arrays, helpers):
    """The parent's call arguments as JSON with array and helper references (trusted: the parent made them)."""
    if isinstance(obj, np.ndarray):
        arrays.append(np.asarray(obj, dtype=np.float64, order="C"))
        return {"$array": len(arrays) - 1}
    if isinstance(obj, Helper):
        helpers.append(obj)
        return {f"${obj.kind}": len(helpers) - 1, "name": obj.name}
    if isinstance(obj, dict):
        return {"$dict": {k: encode_args(v, arrays, helpers) for k, v in obj.items()}}
    if isinstance(obj, (tuple, list)):
        return [encode_args(v, arrays, helpers) for v in obj]
    return obj                                           # numbers and strings travel as JSON


def decode_out(obj, arrays, depth=0):
    """What the student's function returned: arrays, tuples, dicts of str, Bad; Malformed for anything else."""
    if depth > MAX_DEPTH:
        raise Malformed("a result nested too deeply")
    if not isinstance(obj, dict) or len(obj) != 1:
        raise Malformed("a result that is not one tagged value")
    (tag, value), = obj.items()
    if tag == "$array":
        return arrays[index(value, len(arrays), "array")]
    if tag == "$bad":
        if type(value) is not str:
            raise Malformed("a '$bad' description that is not a string")
        return Bad(value[:200])
    if tag == "$list" and type(value) is list and len(value) <= 16:
        return tuple(decode_out(v, arrays, depth + 1) for v in value)
    if tag == "$dict" and type(value) is dict and len(value) <= 16:
        return {str(k)[:100]: decode_out(v, arrays, depth + 1) for k, v in value.items()}
    raise Malformed(f"an unexpected result {tag!r:.40}")
