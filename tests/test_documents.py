"""CV files to text: each supported kind, and a clear error for each kind of unreadable file."""

from __future__ import annotations

import pytest

from matcher.documents import (
    DocumentError,
    EncryptedFile,
    FileTooLarge,
    NoText,
    UnsupportedFile,
    read_document,
)
from tests.documents_helpers import make_blank_pdf, make_docx, make_encrypted_pdf, make_pdf

CV = "Senior Go developer\nKubernetes, PostgreSQL and AWS in production since 2018.\nMentored four engineers."


def test_text_and_markdown() -> None:
    assert read_document(CV.encode(), "cv.txt").text == CV
    assert read_document(("# Ana\n\n" + CV).encode("utf-8-sig"), "cv.md").text.startswith("# Ana")
    assert read_document("Développeuse Go".encode("cp1252"), "cv.txt").text == "Développeuse Go"
    assert read_document("Entwickler Go".encode("utf-16"), "cv.txt").text == "Entwickler Go"
    assert read_document(CV.encode(), None).kind == "text"


def test_pdf_text_is_extracted() -> None:
    doc = read_document(make_pdf(CV), "cv.pdf")
    assert doc.kind == "pdf"
    assert "Kubernetes, PostgreSQL and AWS" in doc.text and "Mentored four engineers" in doc.text


def test_docx_paragraphs_and_tables_in_order() -> None:
    data = make_docx(CV, table=[["Skills", "Go, Terraform"], ["Languages", "English"]])
    doc = read_document(data, "cv.docx")
    assert doc.kind == "docx"
    assert doc.text.index("Senior Go developer") < doc.text.index("Skills | Go, Terraform")
    assert "Languages | English" in doc.text


def test_kind_comes_from_content_not_name() -> None:
    assert read_document(make_pdf(CV), "cv.txt").kind == "pdf"
    assert read_document(make_docx(CV), "upload").kind == "docx"


def test_scanned_pdf_has_no_text() -> None:
    with pytest.raises(NoText, match="no text could be extracted from the PDF.*scanned"):
        read_document(make_blank_pdf(), "scan.pdf")
    with pytest.raises(NoText):
        read_document(b"  \n\t ", "empty.txt")


def test_encrypted_pdf() -> None:
    with pytest.raises(EncryptedFile, match="password-protected") as info:
        read_document(make_encrypted_pdf(CV), "cv.pdf")
    assert info.value.status == 422 and info.value.code == "encrypted_file"
    # encrypted against editing only (empty user password): readable
    assert "Kubernetes" in read_document(make_encrypted_pdf(CV, owner_only=True), "cv.pdf").text


@pytest.mark.parametrize(("data", "name", "needle"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "cv.doc", "legacy Word .doc"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "cv.png", "unsupported file type .png"),
    (b"GIF89a\x00\x00", "scan", "unsupported file type"),
    (b"PK\x03\x04rest", "cv.odt", ".odt file is not supported"),
])
def test_unsupported_types_are_named(data: bytes, name: str, needle: str) -> None:
    with pytest.raises(UnsupportedFile, match=needle) as info:
        read_document(data, name)
    assert info.value.status == 415


def test_damaged_files() -> None:
    with pytest.raises(DocumentError, match="named .pdf but is not a valid PDF"):
        read_document(b"hello", "cv.pdf")
    with pytest.raises(DocumentError, match="PDF could not be read"):
        read_document(b"%PDF-1.7\n garbage", "cv.pdf")
    with pytest.raises(DocumentError, match="DOCX could not be read"):
        read_document(b"PK\x03\x04" + b"\x00" * 50, "cv.docx")


def test_size_limits() -> None:
    with pytest.raises(FileTooLarge, match="more than the limit of 10 bytes") as info:
        read_document(b"x" * 11, "cv.txt", max_bytes=10)
    assert info.value.status == 413
    with pytest.raises(FileTooLarge, match="limit of 50 characters"):
        read_document(("word " * 20).encode(), "cv.txt", max_chars=50)
    with pytest.raises(FileTooLarge, match="limit of 50 characters"):
        read_document(make_pdf("word " * 20), "cv.pdf", max_chars=50)


def test_errors_never_quote_the_file() -> None:
    secret = "Zanzibarian falconry"
    for data in (make_encrypted_pdf(secret), (secret * 30).encode()):
        with pytest.raises(DocumentError) as info:
            read_document(data, "cv.pdf", max_chars=100)
        assert secret not in info.value.message
