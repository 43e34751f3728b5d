"""python -m lessons.book --out DIR [--quick] [--backend numpy] [--seed N] [--only NN ...] [--pdf] [--open]"""
from __future__ import annotations

import argparse
import os
import sys

from lessons.__main__ import add_only_argument, discover, select
from lessons._common import add_common_arguments, backend_problem

TOOLS = ["jupytext", "nbclient", "ipykernel", "markdown_it", "mdit_py_plugins", "latex2mathml", "pygments"]


def missing_tools():
    import importlib.util
    return [name for name in TOOLS if importlib.util.find_spec(name) is None]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lessons.book",
                                     description="Execute every lesson and write the HTML book.")
    parser.add_argument("--out", required=True, help="the folder of the book (DIR/index.html)")
    add_common_arguments(parser, "small sizes: every lesson in seconds (the quick book: a few minutes "
                                 "on 2 cores, with its browser-ready math)")
    add_only_argument(parser, "build")
    parser.add_argument("--pdf", action="store_true",
                        help="also print the whole book to DIR/book.pdf (needs Chromium)")
    parser.add_argument("--open", action="store_true", help="open DIR/index.html in a browser when done")
    args = parser.parse_args(argv)

    only = None
    if args.only:
        try:
            only = {n for n, _ in select(discover(), args.only)}
        except ValueError as e:
            parser.error(str(e))
    problem = backend_problem(args.backend)
    missing = missing_tools()
    if problem or missing:
        print(problem or f"the book needs {', '.join(missing)}: install its tools with\n"
              "    python -m pip install -e \".[book]\"", file=sys.stderr)
        return 2
    if args.pdf:
        from lessons.book.pdf import find_chromium
        if find_chromium() is None:
            print("--pdf needs Chromium to print the book: apt-get install chromium (or drop --pdf)",
                  file=sys.stderr)
            return 2
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        parser.error(f"--out {args.out} exists and is not a folder; pass a folder")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        parser.error(f"cannot create --out {args.out} ({e.strerror}); pass a folder you can write")

    from lessons.book import BookLocked, build
    from lessons.book.execute import LessonCellError
    from lessons.book.pdf import PdfError
    from lessons.book.render import MathError
    try:
        report = build(args.out, args.quick, args.backend, args.seed, only, pdf=args.pdf)
    except BookLocked as e:
        print(e, file=sys.stderr)
        return 2
    except (LessonCellError, MathError, PdfError) as e:
        print(f"\nthe book was not built: {e}", file=sys.stderr)
        return 1
    index = os.path.abspath(os.path.join(args.out, "index.html"))
    print(f"wrote {len(report['pages'])} pages in {report['seconds']:.1f} s: {index}")
    if "pdf" in report:
        print(f"wrote {report['pdf'][0]} ({report['pdf'][1]} pages)")
    if args.open:
        import webbrowser
        webbrowser.open(f"file://{index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
