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


PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
# where a piece of a long paragraph may end: after whitespace, or after a Chinese or Latin
# sentence or clause mark: the ideographic full stop, the full-width ! ? ; , : and the
# enumeration comma (Chinese has no spaces between words)
BREAK = re.compile("[\\s\u3002\uff01\uff1f\uff1b\uff0c\u3001\uff1a!?;,:]")


def chunk_text(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """Pieces of at most `size` characters, split on paragraphs first (blank lines, the seeds'
    separator `\n\n`): whole paragraphs are packed together while they fit, and the next piece
    starts with the last paragraphs of the previous one that fit in `overlap` characters. A
    paragraph longer than `size` is cut at whitespace or punctuation, each cut starting about
    `overlap` characters before the previous one ended (a word longer than `size` is cut)."""
    overlap = max(0, min(overlap, size // 2))
    pieces: list[str] = []
    for paragraph in PARAGRAPH.split(text):
        paragraph = re.sub(r"[ \t]+", " ", paragraph).strip()
        if len(paragraph) > size:
            pieces.extend(_cut(paragraph, size, overlap))
        elif paragraph:
            pieces.append(paragraph)
    chunks: list[str] = []
    current: list[str] = []
    for piece in pieces:
        if current and _joined_length([*current, piece]) > size:
            chunks.append("\n\n".join(current))
            kept: list[str] = []
            for previous in reversed(current):
                if _joined_length([previous, *kept]) > overlap:
                    break
                kept.insert(0, previous)
            current = kept if _joined_length([*kept, piece]) <= size else []
        current.append(piece)
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def _joined_length(pieces: list[str]) -> int:
    return sum(map(len, pieces)) + 2 * (len(pieces) - 1)


def _cut(text: str, size: int, overlap: int) -> list[str]:
    """A paragraph longer than `size`, in overlapping windows cut at a break."""
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            breaks = [m.end() for m in BREAK.finditer(text, start + 1, end + 1)]
            if breaks and breaks[-1] > start + 1:
                end = min(breaks[-1], end)
        piece = text[start:end].strip()
        if piece:
            chunks.append(piece)
        if end >= len(text):
            break
        next_start = max(end - overlap, start + 1)
        found = BREAK.search(text, next_start, end) if overlap else None
        start = found.end() if found is not None else (next_start if overlap else end)
    return chunks
