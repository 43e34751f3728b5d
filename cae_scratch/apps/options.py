"""What every command shares, defined once: argument types, output-path checks, --backend/--dtype/--seed/--out."""
from __future__ import annotations

import argparse
import os

from .. import backend
from ..validation import number


class UsageError(ValueError):
    """A user's mistake on the command line: printed as one line, exit status 2."""


def number_type(integer=False, strict=True):
    """An argparse type: the text as a number checked by ``validation.number`` (positive, or >= 0)."""
    def parse(text):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole number' if integer else 'a number'}") from None
        try:
            return number("the value", value, integer=integer, strict=strict)
        except (TypeError, ValueError) as e:
            raise argparse.ArgumentTypeError(str(e).replace("the value must be", "must be")) from None
    return parse


positive_int, non_negative_int = number_type(integer=True), number_type(integer=True, strict=False)
positive_float, non_negative_float = number_type(), number_type(strict=False)


def writable_dir(path, what="--out"):
    """Create ``path`` if needed and make sure we can write files into it, or a UsageError."""
    if not path:
        raise UsageError(f"{what} is empty; give a directory, e.g. {what} runs/mine")
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{what} {path!r} exists and is not a directory; choose another name")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{what} {path!r} cannot be created ({e.strerror}); choose a writable place") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path!r} is not writable; choose a writable place")
    return path


def writable_file(path, what):
    """``path`` may be written as a file: not a directory, its folder exists or can be made and is writable."""
    if not path:
        raise UsageError(f"{what} is empty; give a file name")
    if os.path.isdir(path):
        raise UsageError(f"{what} {path!r} is a directory; give a file name inside it")
    writable_dir(os.path.dirname(os.path.abspath(path)), f"the folder of {what}")
    return path


def command(sub, name, **kwargs):
    """A sub-command whose --help shows every default and choice."""
    return sub.add_parser(name, formatter_class=argparse.ArgumentDefaultsHelpFormatter, **kwargs)


def add_shared(p, out_default, progress=True):
    """--backend, --dtype, --seed, --out (and --no-progress): defined once, used by every command."""
    p.add_argument("--backend", default="numpy",
                   help="numpy | cupy | array_api_strict | array_api_strict:device1")
    p.add_argument("--dtype", default="float64", choices=backend.DTYPES)
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, the shuffling and the noise")
    if progress:
        p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.add_argument("--out", default=out_default, help="output directory (created)")


def add_data(p, choices):
    p.add_argument("--data", default="digits", choices=choices, help="dataset (digits is bundled and offline)")
    p.add_argument("--data-dir", default=None, help="directory of the MNIST / Fashion-MNIST IDX files "
                                                    "(default: the cache directory)")
    p.add_argument("--download", action="store_true", help="download missing MNIST / Fashion-MNIST files first")


def backend_kwargs(args):
    """{"backend", "device"} from --backend, checked (a clear message when CuPy is not usable)."""
    from ..model import model_kwargs
    kwargs = model_kwargs(args.backend)
    backend.get_namespace(kwargs["backend"])
    return kwargs
