"""Text out of a document's bytes (plain text, Markdown, HTML, PDF), and chunks of it."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

TEXT_TYPES = {"txt": "text", "text": "text", "md": "markdown", "markdown": "markdown",
              "html": "html", "htm": "html", "pdf": "pdf"}
MIME_TYPES = {"text/plain": "text", "text/markdown": "markdown", "text/x-markdown": "markdown",
              "text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf"}


class ExtractionError(Exception):
    """A readable reason why a document has no text; it becomes the document's error."""


def kind_of(filename: str | None, mime_type: str | None) -> str | None:
    """text, markdown, html or pdf from the MIME type, else the file name's extension."""
    if mime_type and mime_type.split(";")[0].strip().lower() in MIME_TYPES:
        return MIME_TYPES[mime_type.split(";")[0].strip().lower()]
    if filename and "." in filename:
        return TEXT_TYPES.get(filename.rsplit(".", 1)[1].lower())
    return None


def extract_text(data: bytes, *, filename: str | None, mime_type: str | None) -> str:
    kind = kind_of(filename, mime_type)
    if kind is None:
        raise ExtractionError(f"Unsupported file type ({mime_type or filename or 'unknown'}): "
                              "use plain text, Markdown, HTML or PDF")
    if kind == "pdf":
        text = _pdf_text(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ExtractionError("The file is not valid UTF-8 text") from None
        if kind == "html":
            text = html_text(text)
    if not text.strip():
        raise ExtractionError("The document contains no text")
    return text


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise ExtractionError(f"The PDF could not be read (corrupt or encrypted): {error}"
                              ) from None


class _TextOnly(HTMLParser):
    SKIP = {"script", "style", "head", "template"}
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
             "article", "pre", "blockquote", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n\s*\n+", "\n\n", "".join(parser.parts)).strip()


def chunk_text(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """Pieces of at most `size` characters cut at whitespace, each starting about `overlap`
    characters before the previous one ended (a word longer than `size` is cut)."""
    text = re.sub(r"[ \t]+", " ", text).strip()
    overlap = max(0, min(overlap, size // 2))
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = text.rfind(" ", start + 1, end + 1)
            cut = max(cut, text.rfind("\n", start + 1, end + 1))
            if cut > start:
                end = cut
        piece = text[start:end].strip()
        if piece:
            chunks.append(piece)
        if end >= len(text):
            break
        next_start = max(end - overlap, start + 1)
        space = text.find(" ", next_start, end)
        start = space + 1 if overlap and space != -1 else (next_start if overlap else end)
    return chunks
