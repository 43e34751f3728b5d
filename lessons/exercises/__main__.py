"""python -m lessons.exercises {list, where, copy, check, bundle, grade}: see lessons/exercises/__init__.py."""
from __future__ import annotations

import argparse
import os
import sys

if __package__ in (None, ""):                            # run as a file: find the packages
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from lessons.exercises import batch, jail
from lessons.exercises.grader import DEFAULT_MEMORY_MIB, DEFAULT_TIMEOUT, EXERCISES, TEMPLATE_DIR, check_file


class Parser(argparse.ArgumentParser):
    def error(self, message):                            # exit 2 with a message, never a traceback
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def positive(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} must be in (0, 3600] seconds")
    return value


def jobs(text):
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number from 1 to 64")
    return int(text)


def mebibytes(text):
    if not text.isdigit() or not 128 <= int(text) <= 65536:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number of MiB from 128 to 65536")
    return int(text)


def parser():
    p = Parser(prog="python -m lessons.exercises",
               description="Backward-pass exercises graded by finite differences, each file in its own process.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    sub.add_parser("list", help="list the exercises")
    sub.add_parser("where", help="print the directory of the templates")
    copy = sub.add_parser("copy", help="copy an exercise's template to DIR (default: the current directory)")
    copy.add_argument("number", type=int)
    copy.add_argument("dir", nargs="?", default=".")
    check = sub.add_parser("check", help="grade one file: exit status 0 pass, 1 fail, 2 cannot grade")
    check.add_argument("number", type=int)
    check.add_argument("file")
    check.add_argument("--timeout", type=positive, default=DEFAULT_TIMEOUT, help="seconds (default %(default)g)")
    check.add_argument("--reveal", action="store_true", help="instructors: print the expected values of failures")
    check.add_argument("--memory", type=mebibytes, default=DEFAULT_MEMORY_MIB, metavar="MIB",
                       help="address-space limit of the student's process (default %(default)s)")
    bund = sub.add_parser("bundle", help="write a student folder: every template and a README, no solutions")
    bund.add_argument("dir")
    grade = sub.add_parser("grade", help="grade many files of one exercise into a score table")
    grade.add_argument("number", type=int)
    grade.add_argument("paths", nargs="+", metavar="DIR_OR_FILE")
    out = grade.add_mutually_exclusive_group()
    out.add_argument("--json", metavar="F", help="also write the table as JSON")
    out.add_argument("--csv", metavar="F", help="also write the table as CSV")
    grade.add_argument("--timeout", type=positive, default=DEFAULT_TIMEOUT, help="seconds per file (default %(default)g)")
    grade.add_argument("--jobs", type=jobs, default=2, help="files graded at once (default %(default)s)")
    grade.add_argument("--memory", type=mebibytes, default=DEFAULT_MEMORY_MIB, metavar="MIB",
                       help="address-space limit of each student's process (default %(default)s)")
    grade.add_argument("--unsandboxed", action="store_true",
                       help="grade without the OS sandbox (only for files you trust; the table and file say so)")
    return p


def fail(message):
    print(f"python -m lessons.exercises: error: {message}", file=sys.stderr)
    return 2


def main(argv=None):
    try:
        return run(parser().parse_args(argv))
    except KeyboardInterrupt:                            # grade: the running processes are gone already
        print("python -m lessons.exercises: interrupted (Ctrl-C); nothing was written", file=sys.stderr)
        return 130


def run(args):
    if args.command == "list":
        for ex in EXERCISES.values():
            print(f"{ex.number:>2}  {ex.function:<22} {ex.title}")
        print("copy one with `python -m lessons.exercises copy N`, then `python -m lessons.exercises check N FILE`")
        return 0
    if args.command == "where":
        print(TEMPLATE_DIR)
        return 0
    if args.command == "bundle":
        try:
            written = batch.bundle(args.dir)
        except (ValueError, OSError) as e:
            return fail(str(e))
        print(f"wrote {len(written)} files to {args.dir} (templates and README.txt; no solutions)")
        return 0
    if args.number not in EXERCISES:
        return fail(f"no exercise {args.number}; there are {sorted(EXERCISES)}")
    ex = EXERCISES[args.number]
    if args.command == "copy":
        return copy(ex, args.dir)
    if args.command == "check":
        status, report = check_file(args.number, args.file, args.timeout, args.reveal, args.memory)
        if status == 2:
            return fail(report)
        print(report)
        return status
    try:                                                 # grade: check every path and the output first
        files = batch.submissions(args.paths)
        target = args.json or args.csv
        if target:
            batch.check_output(target)
    except ValueError as e:
        return fail(str(e))
    if not args.unsandboxed:
        ok, why = jail.available()
        if not ok:
            return fail(f"grade runs untrusted files and needs an OS sandbox, but {why}: {jail.HOW_TO_GET_ONE}; "
                        "or pass --unsandboxed to grade files you trust without one")
    rows = batch.grade_many(args.number, files, args.timeout, args.jobs, not args.unsandboxed, args.memory)
    print(batch.table(rows))
    if target:
        try:
            batch.write_rows(rows, target, "json" if args.json else "csv")
        except (ValueError, OSError) as e:
            return fail(str(e))
        print(f"wrote {batch.printable(target)}")
    return 0


def copy(ex, folder):
    """Copy the template into ``folder`` (created if missing); never overwrite; exit 2 on a bad folder."""
    if os.path.lexists(folder) and not os.path.isdir(folder):
        return fail(f"{folder} exists and is not a folder: give the folder to copy the template into")
    target = os.path.join(folder, ex.filename)
    try:
        os.makedirs(folder, exist_ok=True)
        with open(ex.template, "rb") as f, open(target, "xb") as out:       # "x": never overwrite
            out.write(f.read())
    except FileExistsError:
        return fail(f"{target} exists; not overwriting it")
    except OSError as e:
        return fail(f"cannot write {target}: {e.strerror}")
    print(f"wrote {target}: fill in {ex.function}, then run\n"
          f"    python -m lessons.exercises check {ex.number} {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
