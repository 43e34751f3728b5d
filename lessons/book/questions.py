"""Answers hidden until asked for: each answer moves under its question, inside a <details>.

A lesson asks its questions in prose, as paragraphs (or blockquotes) that begin with
``**Question N.**``, and answers them in a later section whose heading begins with
``## Answers``, one item per answer beginning ``**N.**`` or ``**Answer N.**``. On the page
each question is followed by a closed ``<details><summary>Answer</summary>``
holding its answer, and the Answers section goes (what else it holds stays, under the rest of
its heading: "Answers and what comes next" becomes "What comes next").

If the numbers of the questions and of the answers differ, the lesson is left as written
(``pair_answers`` says which numbers are unpaired).
"""
from __future__ import annotations

import re

QUESTION = re.compile(r"^(>\s*)?\*\*Question (\d+)\.\*\*", flags=re.M)
ANSWERS_HEADING = re.compile(r"^##\s+Answers\b(.*)$", flags=re.M)
ANSWER = re.compile(r"^\*\*(?:Answer )?(\d+)\.\*\*\s*", flags=re.M)
NEXT_HEADING = re.compile(r"^#{1,2}\s", flags=re.M)


def _answers_section(source):
    """(start, end, heading rest, body) of the Answers section of one markdown cell, or None."""
    heading = ANSWERS_HEADING.search(source)
    if not heading:
        return None
    following = NEXT_HEADING.search(source, heading.end())
    end = following.start() if following else len(source)
    return heading.start(), end, heading.group(1).strip(), source[heading.end():end]


def split_answers(body):
    """{number: answer markdown} and the text of the section that is not an answer.

    An answer runs from its marker to the next marker; the last one to the first paragraph
    that does not continue it (a blank line, then a line that starts a new thought: not math,
    not indented)."""
    marks = list(ANSWER.finditer(body))
    if not marks:
        return {}, body
    answers, rest = {}, body[:marks[0].start()]
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        text = body[m.end():end]
        if i + 1 == len(marks):
            paragraphs = re.split(r"\n\s*\n", text)
            keep = 1
            while keep < len(paragraphs) and paragraphs[keep].lstrip().startswith(("$$", " ", "-", "|")):
                keep += 1
            text, rest = "\n\n".join(paragraphs[:keep]), rest + "\n\n".join(paragraphs[keep:])
        answers[int(m.group(1))] = text.strip()
    return answers, rest


def _question_end(source, start):
    """Where the question that starts at ``start`` ends: its blockquote's or its paragraph's end."""
    quoted = source[start:].lstrip().startswith(">")
    pos = start
    for line in source[start:].splitlines(keepends=True):
        if (quoted and not line.lstrip().startswith(">")) or (not quoted and not line.strip()):
            break
        pos += len(line)
    return pos


def details(answer):
    return f"\n<details class=\"answer\"><summary>Answer</summary>\n\n{answer}\n\n</details>\n\n"


def pair_answers(sources):
    """Markdown sources of one lesson's cells -> (new sources, unpaired numbers).

    The questions get their answers in <details>; the Answers section is removed."""
    found = [(i, s) for i, s in enumerate(sources) if _answers_section(s)]
    questions = sorted(int(m.group(2)) for s in sources for m in QUESTION.finditer(s))
    if not found:
        return list(sources), sorted(set(questions))
    index, source = found[-1]
    start, end, heading_rest, body = _answers_section(source)
    answers, rest = split_answers(body)
    unpaired = sorted(set(questions) ^ set(answers)) + [n for n in set(questions) if questions.count(n) > 1]
    if unpaired:
        return list(sources), unpaired
    out = list(sources)
    remaining = rest.strip()
    heading = ""
    if remaining:
        title = re.sub(r"^(and\s+)", "", heading_rest).strip()
        heading = f"## {title[:1].upper() + title[1:]}\n\n" if title else ""
    out[index] = source[:start] + (heading + remaining + "\n\n" if remaining else "") + source[end:]
    for i, s in enumerate(out):
        for m in reversed(list(QUESTION.finditer(s))):
            cut = _question_end(s, m.start())
            s = s[:cut].rstrip("\n") + "\n" + details(answers[int(m.group(2))]) + s[cut:].lstrip("\n")
        out[i] = s
    return out, []
