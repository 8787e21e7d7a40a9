"""What a store's file is, before anything trusts it, and the plain words for what went wrong with it.

The database file is read by its first bytes only: a plain SQLite store starts with SQLite's
header; an SQLCipher store is, from its first byte, indistinguishable from random data, a whole
number of pages long.  Anything else (a PDF renamed, a workbook, a file of zeros left by a disk
fault) is said to be what it is, so nobody is asked for a passphrase to open a PDF.

The errors here are what the command line prints and the window shows at start, never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from qadesk import APP_NAME
from qadesk.core.errors import StateError

SQLITE_MAGIC = b"SQLite format 3\x00"
CIPHER_PAGE = 4096  # SQLCipher 4's page size: an encrypted store is a whole number of these
_HEAD = 4096


class StoreUnusable(StateError):
    """The store's file cannot be opened as it is; the message says what it is and what to do."""


class NotAStore(StoreUnusable):
    """The file is something else (a PDF, a workbook, another program's database)."""


class StoreTooNew(StoreUnusable):
    """The store was written by a newer QA Desk (a schema this copy does not know)."""


class StoreDamaged(StoreUnusable):
    """The file is a store, or was meant to be one, but SQLite cannot read it."""


class StoreWriteFailed(StateError):
    """The disk refused a write (full, read-only, failing): nothing of the change was kept."""


@dataclass(frozen=True)
class FileKind:
    """What the file at a store's path is: ``kind`` is one of missing, empty, plain, encrypted, other, damaged."""

    kind: str
    detail: str = ""  # for "other" and "damaged": what it looks like, in plain words

    @property
    def openable(self) -> bool:
        return self.kind in ("missing", "empty", "plain", "encrypted")


_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older Microsoft Office file (.doc or .xls)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"{\\rtf", "a Rich Text document"),
)


def _zip_kind(head: bytes) -> str:
    if b"xl/" in head:
        return "an Excel workbook"
    if b"word/" in head:
        return "a Word document"
    if b"manifest.json" in head:
        return "a ZIP archive (a QA Desk pack, perhaps)"
    return "a ZIP archive"


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # a multi-byte character cut at the end of the sample is still text
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(ch.isprintable() or ch in "\r\n\t\ufeff" for ch in text)


def examine(path: Path) -> FileKind:
    """What the file at ``path`` is, judged by its length and first bytes (never by its name)."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
            size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        return FileKind("missing")
    except IsADirectoryError:
        return FileKind("other", "a folder")
    if not head:
        return FileKind("empty")
    if head.startswith(SQLITE_MAGIC):
        return _sqlite_header(head, size)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return FileKind("other", _zip_kind(head))
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return FileKind("other", what)
    if not head.strip(b"\0"):
        return FileKind("damaged", f"its first {len(head):,} bytes are all zeros, where the database should begin "
                                   "(what a disk or copying fault leaves)")
    if _looks_like_text(head):
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        return FileKind("other", "a JSON file" if start in (b"{", b"[") else "a text file")
    if size % CIPHER_PAGE:
        return FileKind("damaged", f"it is {size:,} bytes long, not a whole number of {CIPHER_PAGE:,}-byte pages "
                                   "as an encrypted store is (cut short, or not a store)")
    if len(set(head)) < 200:  # SQLCipher pages are indistinguishable from random bytes: nearly every value appears
        return FileKind("other", "an unknown kind of file (neither a plain nor an encrypted store)")
    return FileKind("encrypted")


def _sqlite_header(head: bytes, size: int) -> FileKind:
    if len(head) < 100:
        return FileKind("damaged", f"it is only {size:,} bytes long, shorter than SQLite's own header")
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1):
        return FileKind("damaged", "its SQLite header names an impossible page size")
    if size < page:
        return FileKind("damaged", f"it is {size:,} bytes long, shorter than its first page ({page:,} bytes)")
    return FileKind("plain")


IN_DATA_FOLDER = ("Move it out of the data folder, or choose another folder.",
                  "Restore the store from a backup.")


def refuse_unless_openable(path: Path, advice: tuple[str, str] = IN_DATA_FOLDER) -> FileKind:
    """The file's kind, or the located refusal for a file no passphrase or migration could open.

    ``advice`` is what to do about a file that is something else, and about a damaged one."""
    found = examine(path)
    if found.kind == "other":
        raise NotAStore(f"{path} is not a {APP_NAME} store: it looks like {found.detail}. "
                        f"Nothing was changed. {advice[0]}")
    if found.kind == "damaged":
        raise StoreDamaged(f"{path} is damaged: {found.detail}. Nothing was changed. {advice[1]}")
    return found


def describe_disk_error(message: str, folder: Path | None = None) -> str | None:
    """Plain words for SQLite's message about a write the disk refused; None for any other error.

    SQLite says "disk I/O error" for several causes; with the ``folder`` written to, the disk
    itself is asked which it is (read-only, full) before the general words are used."""
    m = message.lower()
    if "readonly" in m or "read-only" in m:
        return diagnose_folder(folder) or "the disk or the folder is read-only, or the file is not yours to write"
    if "disk is full" in m or "database or disk is full" in m:
        return "the disk is full"
    if "disk i/o error" in m:
        return diagnose_folder(folder) or "the disk refused the write (it may be full, read-only or failing)"
    if "unable to open database file" in m:
        return (diagnose_folder(folder)
                or "the file or its folder cannot be opened for writing (no permission, or the disk has gone)")
    return None


LOW_SPACE = 1 << 20  # less free than this, and a refused write is the disk being full


def diagnose_folder(folder: Path | None) -> str | None:
    """Why writes in ``folder`` fail, if the file system says: read-only, full, or not writable by us."""
    if folder is None:
        return None
    try:
        st = os.statvfs(folder) if hasattr(os, "statvfs") else None
    except OSError:
        return None
    if st is not None:
        if st.f_flag & getattr(os, "ST_RDONLY", 1):
            return "the disk is read-only"
        if st.f_bavail * st.f_frsize < LOW_SPACE:
            return "the disk is full"
    else:  # Windows: no statvfs, but the free space is known
        import shutil

        try:
            if shutil.disk_usage(folder).free < LOW_SPACE:
                return "the disk is full"
        except OSError:
            return None
    if not os.access(folder, os.W_OK):
        return "the folder is read-only, or not yours to write in"
    return None


def describe_os_error(exc: OSError) -> str:
    """Plain words for an operating system's refusal to write a file."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno == errno.EFBIG:
        return "the file would be larger than this disk or account allows (the disk is full for it)"
    if exc.errno == errno.EROFS:
        return "the disk is read-only"
    if exc.errno == errno.EIO:
        return "the disk reported an error reading or writing (it may be failing)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "the folder is read-only, or not yours to write in"
    return exc.strerror or str(exc)
