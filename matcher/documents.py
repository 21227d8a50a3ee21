"""CV files to text: PDF, DOCX, plain text and Markdown, read entirely in memory (nothing touches the disk)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Literal

from matcher.errors import MatcherError
from matcher.limits import MAX_BODY_BYTES, MAX_TEXT_CHARS

MAX_FILE_BYTES = MAX_BODY_BYTES  # a file is never larger than the request that could carry it
MAX_DOCX_XML_BYTES = 50_000_000  # the unpacked document part: refuses zip bombs before the XML is parsed
SUPPORTED = "PDF, DOCX, plain text (.txt) or Markdown (.md)"
TEXT_SUFFIXES = {"", ".txt", ".text", ".md", ".markdown"}
Kind = Literal["pdf", "docx", "text"]


class DocumentError(MatcherError):
    """A CV file that cannot be read; the message names the problem and what to do."""

    status = 422
    code = "unreadable_file"


class UnsupportedFile(DocumentError):
    status = 415
    code = "unsupported_file_type"


class EncryptedFile(DocumentError):
    code = "encrypted_file"


class NoText(DocumentError):
    code = "no_text"


class FileTooLarge(DocumentError):
    status = 413
    code = "file_too_large"


@dataclass(frozen=True, slots=True)
class Document:
    """The text of a CV file and what kind of file it was."""

    text: str
    kind: Kind


def sniff(data: bytes, filename: str | None = None) -> Kind:
    """The file's kind from its first bytes (the name only decides between text and unsupported)."""
    suffix = PurePath(filename or "").suffix.lower()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if suffix in {".odt", ".pages", ".zip"}:
            raise UnsupportedFile(f"a {suffix} file is not supported: save it as {SUPPORTED}")
        return "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: a legacy .doc, or an Office file with a password
        raise UnsupportedFile("this is a legacy Word .doc or a password-protected Office file: save it as DOCX "
                              "(without a password) or PDF, or paste the text")
    if suffix in {".pdf", ".docx"}:
        raise DocumentError(f"the file is named {suffix} but is not a valid {suffix[1:].upper()} file")
    if suffix not in TEXT_SUFFIXES or b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedFile(f"unsupported file type{f' {suffix}' if suffix else ''}: upload {SUPPORTED}")
    return "text"


def read_document(data: bytes, filename: str | None = None, *, max_bytes: int = MAX_FILE_BYTES,
                  max_chars: int = MAX_TEXT_CHARS) -> Document:
    """Extract the text of a CV file held in memory.

    Raises `FileTooLarge` (over `max_bytes`, or text over `max_chars`), `UnsupportedFile`, `EncryptedFile`,
    `NoText` (e.g. a scanned PDF with no text layer) or `DocumentError` (a damaged file).

    Example:
        >>> read_document(b"Go developer, 6 years", "cv.txt").text
        'Go developer, 6 years'
    """
    if len(data) > max_bytes:
        raise FileTooLarge(f"the file is {len(data):,} bytes, more than the limit of {max_bytes:,} bytes",
                           details={"limit_bytes": max_bytes})
    kind = sniff(data, filename)
    reader = {"pdf": _pdf_text, "docx": _docx_text, "text": _plain_text}[kind]
    text = reader(data, max_chars).strip()
    if not any(ch.isalnum() for ch in text):
        hint = " (a scanned image has no text layer)" if kind == "pdf" else ""
        raise NoText(f"no text could be extracted from the {_label(kind)}{hint}: paste the text instead, "
                     "or upload a text-based PDF or DOCX")
    _check_length(len(text), max_chars)
    return Document(text, kind)


def read_file(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES, max_chars: int = MAX_TEXT_CHARS) -> Document:
    """`read_document` for a file on disk (the CLI and batch lines); errors name the path."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:  # refuse before reading a huge file into memory
            raise FileTooLarge(f"the file is {size:,} bytes, more than the limit of {max_bytes:,} bytes")
        data = path.read_bytes()
        return read_document(data, path.name, max_bytes=max_bytes, max_chars=max_chars)
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    except DocumentError as exc:
        raise type(exc)(f"{path}: {exc.message}", details=dict(exc.details)) from None


def _label(kind: Kind) -> str:
    return {"pdf": "PDF", "docx": "DOCX file", "text": "text file"}[kind]


def _check_length(chars: int, max_chars: int) -> None:
    if chars > max_chars:
        raise FileTooLarge(f"the file's text is more than the limit of {max_chars:,} characters: shorten the CV",
                           details={"limit_chars": max_chars})


def _plain_text(data: bytes, max_chars: int) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "cp1252"]  # Windows editors still save cp1252; it fails on most binary data
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnsupportedFile(f"the file is neither UTF-8 nor Windows-1252 text: upload {SUPPORTED}")


def _pdf_text(data: bytes, max_chars: int) -> str:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _decrypts(reader):
            raise EncryptedFile("the PDF is password-protected: remove the password (print to a new PDF) or "
                                "paste the text")
        pages, chars = [], 0
        for page in reader.pages:
            text = page.extract_text() or ""
            pages.append(text)
            chars += len(text)
            _check_length(chars, max_chars)  # stop early: a huge PDF is not read to the end
        return "\n\n".join(pages)
    except DependencyError:
        raise EncryptedFile("the PDF is encrypted with a cipher this server cannot read: remove the password "
                            "or paste the text") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # pypdf raises a variety of types on damaged files; none of them is the caller's to handle differently
        raise DocumentError(f"the PDF could not be read ({type(exc).__name__}): it may be damaged; "
                            "export it again or paste the text") from None


def _decrypts(reader: object) -> bool:
    """Many PDFs are encrypted only against editing, with an empty password for reading."""
    from pypdf.errors import DependencyError

    try:
        return bool(reader.decrypt(""))  # type: ignore[attr-defined]
    except DependencyError:
        raise
    except Exception:  # noqa: BLE001 - any failure to decrypt means we cannot read it
        return False


def _docx_text(data: bytes, max_chars: int) -> str:
    import docx
    from docx.table import Table

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_DOCX_XML_BYTES:
                raise FileTooLarge(f"the DOCX unpacks to more than {MAX_DOCX_XML_BYTES:,} bytes")
        document = docx.Document(io.BytesIO(data))
    except KeyError:
        raise UnsupportedFile(f"this zip file is not a Word document: upload {SUPPORTED}") from None
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocumentError(f"the DOCX could not be read ({type(exc).__name__}): it may be damaged; "
                            "save it again or paste the text") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _table_lines(table: object) -> list[str]:
    """CVs often lay out sections in tables: one line per row, merged cells once."""
    lines = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            text = cell.text.strip()
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return lines
