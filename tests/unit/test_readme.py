"""The README's table of contents and links stay true as sections come and go."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
FENCED = re.compile(r"^```.*?^```", re.M | re.S)


def _anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def _headings(level: str) -> list[str]:
    return re.findall(rf"^{level} (.+)$", FENCED.sub("", README), re.M)


def test_contents_lists_every_section_in_order() -> None:
    contents = README.split("## Contents\n", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^- \[(.+?)\]\(#(.+?)\)$", contents, re.M)
    sections = [h for h in _headings("##") if h != "Contents"]
    assert [title for title, _ in listed] == sections
    assert all(anchor == _anchor(title) for title, anchor in listed)


def test_links_to_sections_and_files_resolve() -> None:
    text = FENCED.sub("", README)
    anchors = {_anchor(h) for level in ("##", "###", "####") for h in _headings(level)}
    broken = [a for a in re.findall(r"\]\(#([^)]+)\)", text) if a not in anchors]
    missing = [f for f in re.findall(r"\]\((?!https?://|#)([^)#]+)", text) if not (ROOT / f).exists()]
    assert (broken, missing) == ([], [])
