"""What every command shares, defined once: argument types, output-path checks, --backend/--dtype/--seed/--out,
and ``execute``: the checking phase, then the work, each with its exit statuses."""
from __future__ import annotations

import argparse
import os
import sys

from .. import atomic, backend
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
    if not os.access(path, os.W_OK | os.X_OK) or not can_create_in(path):
        raise UsageError(f"{what} {path!r} is not writable; choose a writable place")
    return path


can_create_in = atomic.can_create_in


def writable_file(path, what):
    """``path`` may be written as a file by ``atomic.write``: not a directory, FIFO or device, a name the
    file system takes, its folder exists (or is made) and takes a new file. A symlink is followed (the
    link stays, its target is replaced), a dangling one only into a folder that exists and is writable
    (a link's target folder is never created)."""
    if not path:
        raise UsageError(f"{what} is empty; give a file name")
    if os.path.isdir(path):
        raise UsageError(f"{what} {path!r} is a directory; give a file name inside it")
    if os.path.islink(path):                           # its target is what gets replaced
        target = os.path.realpath(path)
        folder = os.path.dirname(target)
        if not os.path.isdir(folder) or not can_create_in(folder):
            raise UsageError(f"{what} {path!r} is a symlink to {target!r}, whose folder {folder!r} does not "
                             "exist or is not writable; remove the link or create that folder")
    else:
        writable_dir(os.path.dirname(os.path.abspath(path)), f"the folder of {what}")
    try:
        atomic.check_target(path)                      # a FIFO, a device, a name too long
    except ValueError as e:
        raise UsageError(f"{what}: {e}") from None
    return path


def fits_in_memory(what, need):
    """A UsageError when ``need`` bytes (a lower bound of what ``what`` holds at once) exceed this machine's
    memory; nothing where the OS does not tell its size."""
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return
    if need > physical:
        raise UsageError(f"{what} needs more than {need / 2**30:,.0f} GiB, more than this machine's "
                         f"{physical / 2**30:,.0f} GiB; choose smaller sizes")


def command(sub, name, **kwargs):
    """A sub-command whose --help shows every default and choice."""
    return sub.add_parser(name, formatter_class=argparse.ArgumentDefaultsHelpFormatter, **kwargs)


def add_shared(p, out_default, progress=True):
    """--backend, --dtype, --seed, --out (and --no-progress): defined once, used by every command."""
    p.add_argument("--backend", default="numpy",
                   help="numpy | cupy | array_api_strict | array_api_strict:device1")
    p.add_argument("--dtype", default="float64", choices=backend.DTYPES)
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="seed (>= 0) of everything random: the weights, the shuffling, the noise, and the "
                        "experiment's splits (its models get seed, seed + 1, ...)")
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
    if not args.backend.strip():
        raise UsageError("--backend is empty; give numpy, cupy, array_api_strict or array_api_strict:device1")
    kwargs = model_kwargs(args.backend)
    backend.get_namespace(kwargs["backend"])
    return kwargs


def execute(args):
    """``args.check(args)`` then ``args.run(args, **checked)``: the exit status, and one line on stderr when
    it is not 0 for a user's mistake (2), Ctrl-C (130) or an output that could not be written (1)."""
    from .outputs import Outputs, is_write_error
    args.outputs = Outputs([])                         # a command's check names its output files
    try:
        prepared = args.check(args)                    # every argument and path, before any work
    except (ValueError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except MemoryError as e:                           # e.g. --hidden 100000000000
        print(f"error: not enough memory ({e or 'MemoryError'}); choose smaller sizes", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted (Ctrl-C) before any work; nothing was written", file=sys.stderr)
        return 130
    try:
        return args.run(args, **prepared)
    except KeyboardInterrupt:                          # train handles its own first, to save the finished epochs
        print(f"error: interrupted (Ctrl-C); {args.outputs.report()}", file=sys.stderr)
        return 130
    except OSError as e:                               # a full disk: say so, and what was written
        if not is_write_error(e):
            raise
        print(f"error: {e.strerror}; {args.outputs.report()}", file=sys.stderr)
        return 1
