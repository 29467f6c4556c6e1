"""Text extraction (plain, Markdown, HTML, PDF) and chunking on word boundaries."""

from __future__ import annotations

import io

import pytest

from services.knowledge.text import ExtractionError, chunk_text, extract_text


def test_html_keeps_the_text_and_drops_tags_and_scripts() -> None:
    html = b"<html><head><title>t</title><script>x=1</script></head><body><h1>Title</h1>" \
           b"<p>Hello &amp; welcome</p></body></html>"

    assert extract_text(html, filename="a.html", mime_type=None) == "Title\n\nHello & welcome"


def test_markdown_and_plain_text_are_read_as_utf8() -> None:
    assert extract_text("# Größe\n".encode(), filename="a.md", mime_type=None) == "# Größe\n"
    assert extract_text(b"plain", filename="x", mime_type="text/plain") == "plain"


def test_a_pdf_gives_its_text() -> None:
    from pypdf import PdfWriter

    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(out)
    with pytest.raises(ExtractionError, match="no text"):  # a blank page has none
        extract_text(out.getvalue(), filename="a.pdf", mime_type="application/pdf")


@pytest.mark.parametrize(("data", "filename", "mime", "message"), [
    (b"%PDF-1.4 garbage", "a.pdf", "application/pdf", "The PDF could not be read"),
    (b"\xff\xfe\xfa", "a.txt", None, "not valid UTF-8"),
    (b"PK\x03\x04", "a.docx", None, "Unsupported file type"),
])
def test_unreadable_files_give_a_readable_reason(data, filename, mime, message) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract_text(data, filename=filename, mime_type=mime)


def test_chunks_respect_size_and_overlap_on_word_boundaries() -> None:
    words = [f"w{i:04d}" for i in range(600)]  # 5 characters and a space each
    chunks = chunk_text(" ".join(words), size=1000, overlap=200)

    assert all(len(c) <= 1000 for c in chunks)
    assert all(w in words for c in chunks for w in c.split())  # no word cut
    assert chunks[0].split()[-1] in chunks[1]  # consecutive chunks overlap
    assert " ".join(words).endswith(chunks[-1])
    assert chunk_text("tiny", 1000, 200) == ["tiny"]
    assert chunk_text("   ", 1000, 200) == []


def test_chunks_split_on_paragraphs_first_and_overlap_by_whole_paragraphs() -> None:
    paragraphs = [f"Paragraph {n} " + "word " * 70 for n in range(6)]  # 361 characters each

    chunks = chunk_text("\n\n".join(paragraphs), size=1000, overlap=400)

    assert chunks[0] == "\n\n".join(p.strip() for p in paragraphs[:2])
    # the next chunk starts with the last paragraph of the previous one (it fits the overlap)
    assert chunks[1].startswith("Paragraph 1 ") and chunks[1].count("Paragraph") == 2
    assert all(c.startswith("Paragraph") for c in chunks)
    assert chunks[-1].endswith(paragraphs[-1].strip())


def test_a_long_chinese_paragraph_is_cut_after_punctuation() -> None:
    sentence = "\u5145\u7535\u6869\u5728\u4f4e\u6e29\u65f6\u4f1a\u964d\u4f4e\u529f\u7387\u3002"
    chunks = chunk_text(sentence * 100, size=200, overlap=50)

    assert len(chunks) > 5 and all(len(c) <= 200 for c in chunks)
    assert all(c.endswith("\u3002") for c in chunks)  # whole sentences, no character cut off
