"""Record ids as they come in from files and the command line: UUIDs, strictly written, in lower case.

A UUID is 32 hexadecimal digits in groups of 8-4-4-4-12 and nothing else (no braces, no ``urn:``, no
spaces, no newline at the end, which ``re.match(...$)`` would let through).  Upper and lower case
name the same UUID (RFC 9562), so qadesk keeps every id in lower case: ``7C0E...`` from another
program is the audit ``7c0e...`` here, never a twin.
"""

from __future__ import annotations

import re

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def canonical_uuid(text: object) -> str | None:
    """The UUID ``text`` writes, in lower case; None when it is not exactly a UUID."""
    if not isinstance(text, str) or not _UUID.fullmatch(text):
        return None
    return text.lower()


def lookup_id(text: str) -> str:
    """What to look a record up by: a UUID in lower case, anything else (a reference) as given."""
    return canonical_uuid(text) or text
