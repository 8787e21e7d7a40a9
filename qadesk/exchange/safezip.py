"""Opening zip archives (xlsx workbooks, .qapack files) from people we do not know.

Everything is checked from the central directory *before* a byte is
decompressed: member count (read from the end record before the directory itself is parsed), total uncompressed size, compression ratio,
names that would escape a folder (``../``, absolute paths, drive letters),
links and encrypted members.  Reading a member stops at its declared size, so
a lying header cannot smuggle in more.
"""

from __future__ import annotations

import hashlib
import io
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from qadesk.core.errors import LimitError, ValidationError


@dataclass(frozen=True)
class ZipLimits:
    max_file_bytes: int = 200 * 1024 * 1024
    max_members: int = 10_000
    max_total_bytes: int = 500 * 1024 * 1024
    max_member_bytes: int = 200 * 1024 * 1024
    max_ratio: float = 200.0


WORKBOOK_LIMITS = ZipLimits(max_file_bytes=50 * 1024 * 1024, max_members=2_000,
                            max_total_bytes=300 * 1024 * 1024, max_member_bytes=250 * 1024 * 1024, max_ratio=250.0)
PACK_LIMITS = ZipLimits()


def unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe, or None."""
    if not name or "\x00" in name:
        return "an empty or binary name"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return "a path that climbs out of the archive ('..')"
    return None


class SafeZip:
    """A checked zip archive; read members with :meth:`read`."""

    def __init__(self, source: Path | str | bytes, limits: ZipLimits = PACK_LIMITS, label: str = "") -> None:
        self.limits = limits
        self.label = label or (str(source) if not isinstance(source, bytes) else "the archive")
        if isinstance(source, bytes):
            size = len(source)
            fileobj: io.BytesIO | Path = io.BytesIO(source)
        else:
            path = Path(source)
            size = path.stat().st_size
            fileobj = path
        if size > limits.max_file_bytes:
            raise LimitError(f"the file is {size:,} bytes; the limit is {limits.max_file_bytes:,} bytes", self.label)
        self._check_directory_size(fileobj, size)
        try:
            self.zf = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ValidationError(f"this is not a readable zip archive ({exc})", self.label) from None
        try:
            self._check()
        except Exception:
            self.zf.close()
            raise

    def _check_directory_size(self, source: io.BytesIO | Path, size: int) -> None:
        """Refuse an archive whose end record announces more members (or a bigger directory) than the limit,
        before zipfile builds an object for every entry of it (millions of entries cost gigabytes)."""
        tail_size = min(size, 65_535 + 22 + 20 + 56)
        if isinstance(source, io.BytesIO):
            buf = source.getbuffer()
            tail = bytes(buf[size - tail_size:])
            del buf
        else:
            with source.open("rb") as fh:
                fh.seek(size - tail_size)
                tail = fh.read(tail_size)
        pos = tail.rfind(b"PK\x05\x06")
        if pos < 0 or len(tail) < pos + 22:
            return  # not a zip: zipfile says so
        entries, directory = struct.unpack_from("<HI", tail, pos + 10)
        if entries == 0xFFFF or directory == 0xFFFFFFFF:
            loc = pos - 20
            if loc >= 0 and tail[loc:loc + 4] == b"PK\x06\x07":
                z64 = struct.unpack_from("<Q", tail, loc + 8)[0] - (size - tail_size)
                if z64 >= 0 and tail[z64:z64 + 4] == b"PK\x06\x06" and len(tail) >= z64 + 56:
                    entries, directory = struct.unpack_from("<QQ", tail, z64 + 32)
        lim = self.limits
        if entries > lim.max_members:
            raise LimitError(f"the archive says it has {entries:,} members; the limit is {lim.max_members:,}",
                             self.label)
        if directory > lim.max_members * 1024:
            raise LimitError(f"the archive's directory is {directory:,} bytes; the limit is "
                             f"{lim.max_members * 1024:,}", self.label)

    def _check(self) -> None:
        infos = self.zf.infolist()
        lim = self.limits
        if len(infos) > lim.max_members:
            raise LimitError(f"the archive has {len(infos):,} members; the limit is {lim.max_members:,}", self.label)
        total = 0
        seen: set[str] = set()
        for info in infos:
            why = unsafe_name(info.filename)
            if why:
                raise ValidationError(f"member '{info.filename[:100]}' has {why}", self.label)
            mode = (info.external_attr >> 16) & 0xFFFF
            if stat.S_ISLNK(mode):
                raise ValidationError(f"member '{info.filename[:100]}' is a link, which is not allowed", self.label)
            if info.flag_bits & 0x1:
                raise ValidationError(f"member '{info.filename[:100]}' is encrypted", self.label)
            key = info.filename.lower()
            if key in seen:
                raise ValidationError(f"member '{info.filename[:100]}' appears twice", self.label)
            seen.add(key)
            if info.file_size > lim.max_member_bytes:
                raise LimitError(f"member '{info.filename[:100]}' would unpack to {info.file_size:,} bytes; "
                                 f"the limit is {lim.max_member_bytes:,}", self.label)
            total += info.file_size
            if info.compress_size and info.file_size / info.compress_size > lim.max_ratio and info.file_size > 1_000_000:
                raise LimitError(f"member '{info.filename[:100]}' is compressed {info.file_size / info.compress_size:,.0f} "
                                 f"to 1; the limit is {lim.max_ratio:,.0f} to 1 (a zip bomb?)", self.label)
        if total > lim.max_total_bytes:
            raise LimitError(f"the archive would unpack to {total:,} bytes; the limit is {lim.max_total_bytes:,}", self.label)

    def names(self) -> list[str]:
        return [i.filename for i in self.zf.infolist() if not i.is_dir()]

    def read(self, name: str) -> bytes:
        """A member's bytes, never more than its declared size."""
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise ValidationError(f"member '{name}' is missing", self.label) from None
        try:
            with self.zf.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            # A flipped byte fails the CRC or the inflater: the file is damaged, not our bug.
            raise ValidationError(f"member '{name}' is damaged ({exc})", self.label) from None
        if len(data) != info.file_size:
            raise ValidationError(f"member '{name}' is not the size its header says", self.label)
        return data

    def sha256(self, name: str) -> str:
        """A member's SHA-256 (hex), read a megabyte at a time and never past its declared size."""
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise ValidationError(f"member '{name}' is missing", self.label) from None
        digest = hashlib.sha256()
        seen = 0
        try:
            with self.zf.open(info) as fh:
                while chunk := fh.read(min(1 << 20, info.file_size + 1 - seen)):
                    seen += len(chunk)
                    digest.update(chunk)
                    if seen > info.file_size:
                        break
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise ValidationError(f"member '{name}' is damaged ({exc})", self.label) from None
        if seen != info.file_size:
            raise ValidationError(f"member '{name}' is not the size its header says", self.label)
        return digest.hexdigest()

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
