"""In the student's process: one clear sentence for an exception, with the line and, for a shape error, the product.

Imported by sandbox.py before the guards go up; numpy and the standard library only.
"""
import ast

import numpy as np


def _safe(node):
    """True for an expression made of names, attributes, constants and subscripts only (no calls)."""
    return all(isinstance(n, (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Slice, ast.Tuple,
                              ast.Load, ast.UnaryOp, ast.USub)) for n in ast.walk(node))


def explain_product(tree, source_lines, lineno, frame):
    """For a shape error on ``lineno``: which product, with which operand shapes (or '')."""
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) > lineno or getattr(node, "end_lineno", 0) < lineno:
            continue
        pair = None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            pair = node.left, node.right
        elif isinstance(node, ast.Call) and len(node.args) == 2 and getattr(node.func, "attr", None) in ("dot",
                                                                                                          "matmul"):
            pair = tuple(node.args)
        if not pair or not all(_safe(p) for p in pair):
            continue
        try:
            a, b = (eval(compile(ast.Expression(p), "<shape>", "eval"), frame.f_globals, frame.f_locals)
                    for p in pair)
            sa, sb = np.shape(a), np.shape(b)
        except Exception:
            continue
        if len(sa) >= 1 and len(sb) >= 1 and sa[-1] != sb[-2 if len(sb) >= 2 else 0]:
            text = ast.get_source_segment("\n".join(source_lines), node) or "the product"
            return (f"the product `{text}` multiplies shapes {sa} and {sb}: the inner dimensions "
                    f"{sa[-1]} and {sb[-2 if len(sb) >= 2 else 0]} differ (a transpose missing or extra?)")
    return ""


def describe(exc, path, source, tree, fname, who=None):
    """One clear sentence for an exception from the student's code: type, line, what went wrong."""
    if isinstance(exc, SystemExit):
        return (f"your file called sys.exit({exc.code!r}); a graded file only defines {fname} "
                "-- remove the exit (the grader decides pass or fail, not the exit status)")
    if isinstance(exc, NotImplementedError):
        return (f"{fname} still raises NotImplementedError: the body is the template's stub. Replace the "
                "`raise` with your code (see the docstring).")
    lines = source.splitlines()
    tb, where, frame = exc.__traceback__, None, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            where, frame = tb.tb_lineno, tb.tb_frame
        tb = tb.tb_next
    at = f" at line {where} (`{lines[where - 1].strip()}`)" if where and where <= len(lines) else ""
    detail = str(exc)
    if frame is not None and isinstance(exc, (ValueError, TypeError)) and tree is not None:
        detail = explain_product(tree, lines, where, frame) or detail
    return f"{who or fname} raised {type(exc).__name__}{at}: {detail}"[:1500]
