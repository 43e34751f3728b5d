"""One symbol, one meaning: the book's notation (lessons/notation.md), checked where a check is mechanical.

Every lesson's markdown cells are split into their formulas ($...$ and $$...$$); the exercise templates'
docstrings and comments are plain-text math (``sum_n``, ``s'(a)``) and are checked as text. Each rule
names the symbol, what it is reserved for, and a pattern that can only match a misuse:

- ``\\sigma`` is a singular value and always carries its index (``\\sigma_i``, ``\\sigma_1``): a bare
  ``\\sigma`` is the sigmoid (write ``\\operatorname{sigm}`` or ``g``) or a noise std (write ``\\tau``);
- ``b`` is a bias (``b_h``, ``b_r``), never the example index (``x_b``, ``\\sum_b``, ``a_{bk}``: write n),
  and a bias always says whose it is (``b_{h,k}``, not ``b_k``);
- ``\\beta`` without a subscript is the MTC's tangent weight, which appears in lesson 12 on; before it,
  only Adam's ``\\beta_1``, ``\\beta_2``;
- the derivative matrices are ``D_1 = s'(A)`` and ``D_2 = s''(A)``, never a bare ``D``;
- ``g`` is the decoder's activation, applied to something (``g(z)``, ``g'``), never a gradient
  (``\\hat g``, ``g/2``: write ``\\nabla`` or ``dL/d.``);
- ``V`` is the classifier's output weights (lesson 12); singular vectors are ``v_i``, so no ``V`` before it.
- ``h`` is the code, so a finite-difference step is ``t`` (``h = 10^{-6}``, ``\\theta + h e_i``, ``\\pm h``
  are misuses).

Each rule is also run on a line that breaks it (the negative controls at the bottom), so a rule that
cannot fail fails its own test.
"""
import ast
import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LESSONS = sorted(glob.glob(os.path.join(ROOT, "lessons", "[0-9][0-9]_*.py")))
TEMPLATES = sorted(glob.glob(os.path.join(ROOT, "lessons", "exercises", "templates", "ex*.py")))
MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)


def markdown_cells(path):
    """The markdown cells of a jupytext percent file: a list of (first line number, text)."""
    cells, current, start = [], None, 0
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.startswith("# %%"):
                if current is not None:
                    cells.append((start, "".join(current)))
                current, start = ([] if "[markdown]" in line else None), number + 1
            elif current is not None:
                current.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    if current is not None:
        cells.append((start, "".join(current)))
    return cells


def formulas(path):
    """Every formula of a lesson's prose: a list of (line number, LaTeX source)."""
    out = []
    for start, text in markdown_cells(path):
        for m in MATH.finditer(text):
            out.append((start + text.count("\n", 0, m.start()), m.group(1) or m.group(2)))
    return out


def template_text(path):
    """The prose of an exercise template, line by line: [(line number, text)] of its docstrings
    and of its comments (code is not checked: a variable may be called anything)."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    lines = source.splitlines()
    prose = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            prose.update(range(body[0].lineno, body[0].end_lineno + 1))
    out = [(n, lines[n - 1]) for n in sorted(prose)]
    out += [(n, line[line.index("#"):]) for n, line in enumerate(lines, 1) if "#" in line and n not in prose]
    return out


def lesson_number(path):
    return int(os.path.basename(path)[:2])


# (name, pattern, message, first lesson where the pattern is allowed or None); LaTeX formulas
LATEX_RULES = [
    ("sigma", re.compile(r"\\sigma(?![_A-Za-z])"),
     "a bare \\sigma: \\sigma_i is a singular value; the sigmoid is \\operatorname{sigm} or g, "
     "a noise std is \\tau", None),
    ("example index b", re.compile(r"(?<![A-Za-z\\])[A-Za-z]+_b(?![A-Za-z])|\\sum_b(?![A-Za-z])"
                                   r"|_\{b[ijkl]{0,3}(?=[},=\\\s])"),
     "b used as the example index: b is the bias (b_h, b_r); the example index is n", None),
    ("bias without owner", re.compile(r"(?<![A-Za-z\\])b_[jk](?![A-Za-z])|(?<![A-Za-z\\{_^])b(?=\s*[,)])"),
     "a bias written b_k or b: write b_h (entries b_{h,k}) or b_r", None),
    ("beta", re.compile(r"\\beta(?![_A-Za-z])"),
     "a bare \\beta before lesson 12: \\beta is the MTC's tangent weight; Adam's are \\beta_1, \\beta_2", 12),
    ("bare D", re.compile(r"(?<![A-Za-z\\{])D(?![A-Za-z_])"),
     "a bare D: the derivative matrices are D_1 = s'(A) and D_2 = s''(A)", None),
    ("g as a gradient", re.compile(r"(?<![A-Za-z\\])g(?![A-Za-z(']|\s*\\!\(|\s*\\left\(|_r)"),
     "g not applied to anything: g is the decoder's activation; a gradient is \\nabla or dL/d.", None),
    ("h as a step", re.compile(r"(?<![A-Za-z\\])h\s*=\s*10\^|(?<![A-Za-z\\])h\s*e_[ij]|\\pm\s*h(?![A-Za-z])"
                             r"|[/{]\s*2h(?![A-Za-z])"),
     "h as a finite-difference step: h is the code; a scalar step is t", None),
    ("V before lesson 12", re.compile(r"(?<![A-Za-z\\{])V(?![A-Za-z])"),
     "V before lesson 12: V is the classifier's output weights; singular vectors are v_i", 12),
]
# plain-text math of the exercise templates
TEXT_RULES = [
    ("example index b", re.compile(r"\b(?:sum|mean)_b\b|\b[a-zA-Z]+_b(?:[ijkl])?\b(?<!b_b)"),
     "b used as the example index (sum_b, x_b, a_bk): the example index is n (sum_n, x_n, a_nk)"),
    ("sigma", re.compile(r"\bsigma\b(?!_)"), "a bare sigma: write sigmoid(...) or tau for a noise std"),
    ("beta", re.compile(r"\bbeta\b(?!_)"), "a bare beta: the MTC's weight; Adam's are beta_1, beta_2"),
]


NAMED = re.compile(r"\\(?:text|operatorname|mathrm|mathcal|mathbb)\s*(?:\{[^{}]*\}|[A-Za-z])")


def rule_hits(tex, number=0):
    """(rule name, message, match) for each misuse in one formula of lesson ``number``."""
    tex = NAMED.sub(" ", tex)                            # words and named sets are not symbols
    if tex.strip() in ("g", "D", "V", "b"):              # the symbol named in prose: "we take $g$ = ..."
        return []
    return [(name, message, tex[max(0, m.start() - 25):m.end() + 25])
            for name, pattern, message, allowed_from in LATEX_RULES
            if allowed_from is None or number < allowed_from
            for m in pattern.finditer(tex)]


def latex_violations(path):
    return [f"{os.path.basename(path)}:{line}: {name}: {message}: ...{context}..."
            for line, tex in formulas(path) for name, message, context in rule_hits(tex, lesson_number(path))]


def text_violations(path):
    found = []
    for line, text in template_text(path):
        for name, pattern, message in TEXT_RULES:
            for m in pattern.finditer(text):
                found.append(f"{os.path.basename(path)}:{line}: {name}: {message}: "
                             f"...{text[max(0, m.start() - 25):m.end() + 25]}...")
    return found


def test_the_files_are_found():
    assert len(LESSONS) >= 13 and len(TEMPLATES) >= 12
    assert all(formulas(p) for p in LESSONS), "every lesson has formulas to check"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: os.path.basename(p)[:2])
def test_lesson_follows_the_notation(path):
    found = latex_violations(path)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: os.path.basename(p).split("_")[0])
def test_exercise_template_follows_the_notation(path):
    found = text_violations(path)
    assert not found, "\n".join(found)


# Negative controls: each rule rejects a line that breaks it and accepts its correct spelling.
MISUSES = {
    "sigma": (r"r = \sigma(z)", r"x + \sigma \epsilon", r"\sigma^2 \|J\|_F^2"),
    "example index b": (r"\frac1B\sum_b \ell(x_b, r_b)", r"a_{bk} = W_k x_b + b_h", r"\sum_{b=1}^{B}",
                        r"J_{bkj} = D_{bk} W_{kj}", r"(dA_P)_{b\,\cdot}"),
    "bias without owner": (r"a_k = \sum_j W_{kj} x_j + b_k", r"P(W, b)"),
    "beta": (r"L + \beta R",),
    "bare D": (r"P = \mathbf 1^\top (D \odot D) q", r"\text{with } D = s'(A)"),
    "g as a gradient": (r"\hat g = g/2", r"\frac{|Bg - g|}{|Bg| + |g|}"),
    "V before lesson 12": (r"J = U \Sigma V^\top",),
    "h as a step": (r"h = 10^{-6}", r"\frac{L(\theta + h e_i) - L(\theta - h e_i)}{2h}", r"\varphi(\pm h)"),
}
CORRECT = (r"\sigma_1 \ge \sigma_i", r"r = \operatorname{sigm}(z)", r"x + \tau\epsilon",
           r"\frac1B\sum_{n=1}^{B} \ell(x_n, r_n)", r"a_{nk} = W_k x_n + b_{h,k}", r"\nabla_{b_h} L",
           r"z = W^\top h + b_r", r"\beta_1, \beta_2", r"D_1 = s'(A),\ D_2 = s''(A)", r"r = g(z)",
           r"g'(z)", r"u_i = v_i", r"\mathbf{1} b_h^\top", r"\operatorname{diag}(s'(a))\,W",
           r"\mathcal{D}", r"\text{the decoder g}", r"t = 10^{-6}", r"h = s(a)", r"h(1-h)",
           r"\frac{h(x + t e_j) - h(x - t e_j)}{2t}")


@pytest.mark.parametrize("rule", [r[0] for r in LATEX_RULES])
def test_each_latex_rule_rejects_a_misuse(rule):
    for bad in MISUSES[rule]:
        assert rule in [hit[0] for hit in rule_hits(bad)], f"rule {rule!r} misses {bad!r}"
    for good in CORRECT:
        assert rule not in [hit[0] for hit in rule_hits(good)], f"rule {rule!r} rejects the correct {good!r}"


def test_later_lessons_may_use_their_own_symbols():
    assert not rule_hits(r"L + \beta R", 12) and rule_hits(r"L + \beta R", 11)
    assert not rule_hits(r"o = V h + c", 12) and rule_hits(r"o = V h + c", 3)


def test_text_rules_reject_misuses():
    bad = {"example index b": "L = (1/B) sum_b bce(x_b, r_b) + s'(a_bk)^2",
           "sigma": "R = sigma(Z)", "beta": "L = CE + beta * R"}
    good = ("L = (1/B) sum_n bce(x_n, r_n) + lam (1/B) sum_n sum_k s'(a_nk)^2 q_k; b_h, b_r; "
            "R = sigmoid(Z); beta_1")
    for name, pattern, _ in TEXT_RULES:
        assert pattern.search(bad[name]), name
        assert not pattern.search(good), name


def test_the_reader_finds_formulas_in_markdown_only(tmp_path):
    lesson = tmp_path / "99_x.py"
    lesson.write_text("# %% [markdown]\n# text $r = \\sigma(z)$ and\n# $$\\sum_b x_b$$\n\n"
                      "# %%\nx = '$\\sigma(z)$'  # code is not prose\n")
    assert formulas(str(lesson)) == [(2, r"r = \sigma(z)"), (3, r"\sum_b x_b")]
    assert len(latex_violations(str(lesson))) == 3
