"""MkDocs hooks: the site shows the repository's CHANGELOG.md as a page of its own.

docs/ links to it as `../CHANGELOG.md` (right on GitHub, where the docs are also read);
on the site that link leads to the generated `changelog.md` page instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"


def on_files(files: Files, config: Any) -> Files:
    content = CHANGELOG.read_text(encoding="utf-8").replace("](docs/", "](")
    files.append(File.generated(config, "changelog.md", content=content))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    return markdown.replace("](../CHANGELOG.md)", "](changelog.md)")
