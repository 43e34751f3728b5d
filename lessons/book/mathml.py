"""LaTeX -> MathML at build time (latex2mathml), with the repairs Chromium needs to draw it as TeX would.

latex2mathml's output is MathML 3; browsers draw MathML Core. These of its habits show on
the page, so one pass over its output repairs them:

- ``\\|`` (a norm bar) is left as the two characters ``\\|``: it becomes U+2016, the double bar;
  ``\\{`` and ``\\}`` likewise become braces.
- ``\\big``, ``\\Big``, ``\\bigg``, ``\\Bigg`` give ``<mo minsize=m maxsize=m>``, which MathML Core
  stretches only if the operator is marked stretchy: they get ``stretchy="true"`` and keep ``m`` as
  their least size, without the cap, so a ``\\Big(`` around a fraction covers it (``\\big`` keeps
  its cap: it is meant to stay small).
- A big delimiter that carries a script (``\\Big)_q``, ``\\Big\\|_F^2``) is not stretched by Chromium
  inside ``<msub>``: the delimiter moves out in front, and the scripts hang on an empty box of the
  delimiter's least height.
- Named widths (``\\!`` is ``negativethinmathspace``) are not MathML Core: they become ems.
- An ``\\underbrace`` stretches to its base's width, except (Chromium 156) the first of two in one row,
  which comes out narrower: the brace is given the full width of its under-script slot, and stretches right.
- ``\\mathbb``, ``\\mathcal``, ``\\mathfrak`` come as ``mathvariant``, which MathML Core ignores:
  they become Unicode's double-struck, script and fraktur letters.
- ``\\operatorname{diag}`` comes as an operator ``<mo>``, spaced as one: it becomes a name ``<mi>``;
  the bars of ``|x|`` and ``\\|x\\|`` lose the operator spacing that set them apart from ``x``.

Display sums, under-braces and stretched delimiters also need an OpenType MATH font;
``book.css`` names the usual ones.
"""
from __future__ import annotations

import re


class MathError(ValueError):
    """A formula latex2mathml cannot convert; the message quotes it."""


ESCAPED = {r"\|": "&#x02016;", r"\{": "{", r"\}": "}"}
NAMED_SPACE = {"negativeveryverythinmathspace": "-0.0556em", "negativeverythinmathspace": "-0.1111em",
               "negativethinmathspace": "-0.1667em", "negativemediummathspace": "-0.2222em",
               "negativethickmathspace": "-0.2778em", "veryverythinmathspace": "0.0556em",
               "verythinmathspace": "0.1111em", "thinmathspace": "0.1667em", "mediummathspace": "0.2222em",
               "thickmathspace": "0.2778em", "verythickmathspace": "0.3333em"}
BIG = re.compile(r'<mo minsize="([0-9.]+)em" maxsize="([0-9.]+)em">')
SMALL_BIG = 1.3                    # \big is 1.2em: it keeps its cap; \Big (1.623em) and up stretch
SCRIPTED_BIG = re.compile(r'<(msub|msup|msubsup)>(<mo class="big"[^>]*minsize="([0-9.]+)em"[^>]*>[^<]*</mo>)')
# MathML Core draws mathvariant="normal" only: other alphabets are Unicode's mathematical letters
# (A, a and 0 of each; letters that Unicode placed earlier, in Letterlike Symbols, are listed).
ALPHABETS = {"double-struck": (0x1D538, 0x1D552, 0x1D7D8, dict(zip("CHNPQRZ", "\u2102\u210d\u2115\u2119\u211a\u211d\u2124"))),
             "script": (0x1D49C, 0x1D4B6, None, dict(zip("BEFHILMRego", "\u212c\u2130\u2131\u210b\u2110\u2112"
                                                                         "\u2133\u211b\u212f\u210a\u2134"))),
             "fraktur": (0x1D504, 0x1D51E, None, dict(zip("CHIRZ", "\u212d\u210c\u2111\u211c\u2128")))}
VARIANT = re.compile(r'<(mi|mn) mathvariant="(double-struck|script|fraktur)">([A-Za-z0-9]+)</\1>')


def _letter(char, alphabet):
    upper, lower, digit, exceptions = ALPHABETS[alphabet]
    if char in exceptions:
        return exceptions[char]
    if char.isdigit():
        return chr(digit + int(char)) if digit else char
    return chr((upper + ord(char) - 65) if char.isupper() else (lower + ord(char) - 97))


def _variant(match):
    tag, alphabet, text = match.groups()
    letters = "".join(f"&#x{ord(_letter(c, alphabet)):05X};" for c in text)
    return f"<{tag}>{letters}</{tag}>"


PRIME_SUP = re.compile(r"<msup>(<mi>[^<]*</mi>)<mi>(&#x0203[234];)</mi></msup>")     # s', s'', s'''


def _big(match):
    least = float(match.group(1))
    cap = f' maxsize="{match.group(2)}em"' if least < SMALL_BIG else ""
    return f'<mo class="big" stretchy="true" symmetric="true" minsize="{match.group(1)}em"{cap}>'


def _scripted_big(match):
    """<msub><mo big>)</mo>S</msub> -> <mo big>)</mo><msub><mpadded (its height)/>S</msub>."""
    half = float(match.group(3)) / 2
    return (f'{match.group(2)}<{match.group(1)}>'
            f'<mpadded height="{half + 0.25:.3f}em" depth="{max(half - 0.25, 0):.3f}em"></mpadded>')


def repair(mathml):
    """latex2mathml's MathML -> MathML that Chromium draws as TeX would (see the module docstring)."""
    for tex, char in ESCAPED.items():
        mathml = mathml.replace(f">{tex}<", f">{char}<")
    mathml = re.sub(r'width="([a-z]+mathspace)"', lambda m: f'width="{NAMED_SPACE.get(m.group(1), "0em")}"',
                    mathml)
    mathml = re.sub(r"<mo>([A-Za-z]{2,})</mo>", r"<mi>\1</mi>", mathml)      # \operatorname{diag}: a name
    mathml = re.sub(r'<mo((?: fence="false")? stretchy="false")>(\||&#x0007C;|&#x02016;)</mo>',
                    r'<mo\1 lspace="0em" rspace="0em">\2</mo>', mathml)       # |x| and ||x|| hug their content
    mathml = VARIANT.sub(_variant, mathml)
    mathml = mathml.replace("<mo>&#x23DF;</mo>", '<mo style="width: 100%">&#x23DF;</mo>')    # \underbrace
    mathml = BIG.sub(_big, mathml)
    mathml = SCRIPTED_BIG.sub(_scripted_big, mathml)
    # a prime as a superscript <mi> is drawn tiny; the prime glyph is already raised, so set it inline
    return PRIME_SUP.sub(r"\1<mo>\2</mo>", mathml)


def math_to_mathml(latex, display):
    """LaTeX -> a <math> element (display="block" or "inline"); MathError if any command stays raw."""
    from latex2mathml.converter import convert
    source = latex.strip().replace(r"\begin{aligned}", r"\begin{align*}").replace(r"\end{aligned}", r"\end{align*}")
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as e:                                # the converter raises many kinds; report the formula
        raise MathError(f"cannot typeset ${latex.strip()}$: {type(e).__name__}: {e}") from None
    mathml = repair(mathml)
    raw = re.findall(r">[^<]*?(\\[A-Za-z]+|\\.)[^<]*<", mathml)   # latex2mathml passes unknown commands as text
    if raw:
        raise MathError(f"cannot typeset ${latex.strip()}$: unknown command {', '.join(sorted(set(raw)))}")
    return mathml


INLINE_THEN_PUNCTUATION = re.compile(r'(?<!<span class="nobreak">)(<math [^>]*display="inline"[^>]*>(?:(?!</math>).)*</math>)([,.;:!?)\]]+)',
                                     flags=re.S)


def keep_punctuation_with_math(html_text):
    """Inline math and the punctuation right after it in one unbreakable span: a comma never
    starts a line alone."""
    return INLINE_THEN_PUNCTUATION.sub(r'<span class="nobreak">\1\2</span>', html_text)
