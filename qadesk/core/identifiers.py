"""What in free text looks like it identifies someone, though nobody told qadesk it does.

Pseudonymising a pack replaces the identifiers the store knows (the case reference, the names on the
audit, the case's people list); this module finds the rest, in plain text, for the exporter to judge:

- **names**: a title and a name (``Mrs Okafor``, ``DS Jones``), initials and a surname (``J. Smith``,
  ``J Smith``), a given name from a list of names common in England and Wales (``Jayden``, and the
  capitalised word after it: ``Jayden Okoro``), a surname from the same kind of list (``Kowalski``),
  and two capitalised words together that are not ordinary English (``Zephyrine Qwertz``);
- **dates** in the ways the British write them: ``12/03/2015``, ``12.3.15``, ``12-03-2015``,
  ``2015-03-12``, ``12 March 2015``, ``12th Mar 2015``, ``12th of March``, ``March 12, 2015``,
  ``March 2015``, ``Mar '15``;
- **case references**: letters and at least four digits (``CR-104233``, ``CR 104233``), any run of
  six digits or more, and a shorter run the caller knows to be a case number (``104233`` when
  ``CR-104233`` is a case here);
- **UK postcodes**, **NHS numbers** (ten digits, also written 3-3-4, whose modulus-11 check digit is
  right), **UK phone numbers** (landlines, mobiles, ``+44``) and **email addresses**.

Names are where ordinary prose fights back: "Will", "May", "Grace", "Hope", "Mark" or "Brown" start
sentences and name months and colours.  A given name that is also an ordinary word
(``namelists/ordinary_words.txt``) counts as a name only with more to go on: a capital in the middle
of a sentence (a month only outside a date's words: "in May" is a month), a surname-like word after
it ("Grace Okafor"), a reporting verb after it ("Grace said"), or a possessive ("Grace's").  The
name lists are qadesk's own, shipped in ``qadesk/core/namelists/`` (see their headers).

Plain Python: the pseudonymiser (``qadesk.services.pseudonymise``) calls :func:`find_suspects` on
each free-text field after it has masked what it knows.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from qadesk.core.dates import full_year

KINDS = ("name", "date", "case_ref", "postcode", "nhs_number", "phone", "email")
KIND_LABELS = {"name": "Name", "date": "Date", "case_ref": "Case or record number", "postcode": "Postcode",
               "nhs_number": "NHS number", "phone": "Phone number", "email": "Email address"}
# What a suspect the exporter masks becomes in the pack.
MASKS = {"name": "[name]", "date": "[date]", "case_ref": "[case reference]", "postcode": "[postcode]",
         "nhs_number": "[NHS number]", "phone": "[phone number]", "email": "[email address]"}
_PRIORITY = {kind: n for n, kind in enumerate(("email", "nhs_number", "phone", "date", "postcode", "case_ref",
                                                "name"))}


@dataclass(frozen=True)
class Suspect:
    """One stretch of text that looks identifying: what kind, where (``text[start:end]``), and why."""

    kind: str
    start: int
    end: int
    text: str
    why: str
    # Dates: (year, month, day) as far as the text says them (None where it does not: "March 2015").
    when: tuple[int | None, int | None, int | None] | None = None
    # Case references: the digits, for comparing with the store's case numbers.
    digits: str = ""

    @property
    def key(self) -> str:
        """The text the exporter's decision is about: the same words anywhere in the pack."""
        return suspect_key(self.text)


def suspect_key(text: str) -> str:
    """``text`` compared the way decisions about suspects are: case and spacing aside."""
    return " ".join(text.split()).casefold()


# ------------------------------------------------------------------------------------------------ lists


def _read_list(name: str) -> frozenset[str]:
    text = resources.files("qadesk.core").joinpath("namelists", name).read_text(encoding="utf-8")
    return frozenset(_fold(line) for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The shipped lists, folded (see :func:`_fold`): given names, surnames, ordinary words."""
    return _read_list("forenames.txt"), _read_list("surnames.txt"), _read_list("ordinary_words.txt")


def _fold(word: str) -> str:
    return re.sub(r"['’.]", "", word.strip()).casefold()


# ------------------------------------------------------------------------------------------------ patterns

_UP = "A-ZÀ-ÖØ-ÞĀ-ž"
_LOW = "a-zß-öø-ÿĀ-ž"
# A capitalised word as names are written: Smith, O'Brien, McDonald, Okoro-Smith, Siân.
_NAME_WORD = (rf"[{_UP}](?:[{_LOW}]+|['’][{_UP}][{_LOW}]+)(?:[{_UP}][{_LOW}]+)?"
              rf"(?:-[{_UP}](?:[{_LOW}]+|['’][{_UP}][{_LOW}]+))*")
_TOKEN = re.compile(rf"(?<![\w'’-]){_NAME_WORD}(?![\w-])")
_TITLES = r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Revd|Rev|Cllr|PC|DC|DS|DI|DCI|Sgt|Insp"
_TITLE = re.compile(rf"(?<![\w.])(?:{_TITLES})\.?[ \t]+({_NAME_WORD})(?:[ \t]+({_NAME_WORD}))?(?![\w-])")
_INITIALS = re.compile(rf"(?<![\w.'’-])((?:[A-Z]\.[ \t]?){{1,3}}|[B-HJ-Z][ \t])({_NAME_WORD})(?![\w-])")
# Words that never make a name after a title or initials ("Dr The...", "B. Then").
_FUNCTION = frozenset(["the", "a", "an", "and", "or", "but", "if", "in", "on", "at", "to", "of", "for", "with", "by", "from", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "i", "you", "his", "her", "their", "our", "my", "your", "was", "were", "is", "are", "be", "been", "has", "have", "had", "not", "no", "yes", "so", "as", "then", "than", "there", "here", "when", "where", "which", "who", "what", "while", "after", "before"])
_REPORTING = re.compile(r"[ \t]+(?:said|says|told|tells|reported|reports|explained|explains|shared|shares|asked|"
                        r"asks|stated|states|described|describes|disclosed|discloses|wants|wanted|feels|felt|"
                        r"attends|attended|lives|lived)\b")
_MONTH_NAMES = frozenset({"may", "june", "april", "august"})  # given names that are months too
_MONTH_CONTEXT = frozenset(["in", "on", "of", "since", "until", "till", "by", "from", "during", "before", "after", "early", "late", "mid", "end", "last", "next", "this", "each", "every", "between", "and", "or", "to", "through"])
_SENTENCE_END = frozenset(".!?:;\n\"“”‘'(•*·–—-[")

_MON = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
        r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_ORD = r"(?:st|nd|rd|th)?"
_MONTH_NUMBER = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTH_NUMBER.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH_NUMBER["sept"] = 9
_DATE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # 12 March 2015, 12th Mar 2015, 12th of March '15
    (re.compile(rf"(?<![\w.])(?P<d>\d{{1,2}}){_ORD}(?:[ \t]+of)?[ \t]+(?P<m>{_MON})\.?,?[ \t]+"
                rf"(?P<y>\d{{4}}|['’]\d{{2}}|\d{{2}})(?![\w])", re.IGNORECASE), "dmy"),
    # March 12, 2015
    (re.compile(rf"(?<![\w])(?P<m>{_MON})\.?[ \t]+(?P<d>\d{{1,2}}){_ORD},?[ \t]+(?P<y>\d{{4}})(?![\w])",
                re.IGNORECASE), "dmy"),
    # 12 March, 12th of Mar (a capital: "3 may" is not a date)
    (re.compile(rf"(?<![\w.])(?P<d>\d{{1,2}}){_ORD}(?:[ \t]+of)?[ \t]+(?P<m>{_MON})\b\.?"),
     "dm"),
    # March 2015, Mar '15
    (re.compile(rf"(?<![\w])(?P<m>{_MON})\.?,?[ \t]+(?P<y>\d{{4}}|['’]\d{{2}})(?![\w])", re.IGNORECASE), "my"),
    # 12/03/2015, 12.3.15, 12-03-2015
    (re.compile(r"(?<![\d/.\-])(?P<d>\d{1,2})(?P<sep>[/.\-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
                r"(?![\d/\-]|\.\d)"), "dmy"),
    # 2015-03-12, 2015/03/12
    (re.compile(r"(?<![\d/.\-])(?P<y>\d{4})(?P<sep>[/\-])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d/\-])"), "dmy"),
]
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_NHS = re.compile(r"(?<![\d+])(\d{3})([ -]?)(\d{3})\2(\d{4})(?![\d])")
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)44[ \t-]?(?:\(0\)[ \t-]?)?|\(?0)\d[\d \t()-]{7,13}\d(?![\d])")
_OUTWARD = r"[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?)"
_INWARD = r"\d[ABD-HJLNP-UW-Z]{2}"
_POSTCODE_UPPER = re.compile(rf"(?<![\w])(?:GIR ?0AA|{_OUTWARD} ?{_INWARD})(?![\w])")
_POSTCODE_ANY = re.compile(rf"(?<![\w])(?:GIR 0AA|{_OUTWARD} {_INWARD})(?![\w])", re.IGNORECASE)
_REFERENCE = re.compile(r"(?<![\w-])(?P<p>[A-Za-z]{1,4})[ \t]?[-/_.]?[ \t]?(?P<n>\d{4,})(?![\w])")
_DIGITS = re.compile(r"(?<![\w-])\d{4,}(?![\w])")
_AUDIT_REFERENCE = re.compile(r"AUD-\d{4}-\d+", re.IGNORECASE)  # qadesk's own audit numbers


def nhs_number_valid(digits: str) -> bool:
    """True for ten digits whose last is the modulus-11 check digit of the nine before it."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def case_numbers(reference: str) -> set[str]:
    """The digits of a case reference as free text may write them: ``CR-104233`` -> {"104233"}.

    All its digits together, and each group of at least four (``LCS/2023/00123`` gives
    ``202300123`` and ``00123``; the year alone is left out).
    """
    groups = re.findall(r"\d+", reference)
    out = {g for g in groups if len(g) >= 4 and not _year_like(g)}
    joined = "".join(groups)
    if len(joined) >= 4:
        out.add(joined)
    return out


def _year_like(digits: str) -> bool:
    return len(digits) == 4 and 1900 <= int(digits) <= 2099


# ------------------------------------------------------------------------------------------------ finding


def find_suspects(text: str, *, known_numbers: Collection[str] = (), ignore: Collection[str] = ()) -> list[Suspect]:
    """Everything in ``text`` that looks identifying, in order, none overlapping.

    ``known_numbers``: case numbers of the store (:func:`case_numbers`), so that a short bare number
    is taken for a case reference when it is one.  ``ignore``: exact texts never to report (the
    pseudonyms the pack already uses, e.g. ``CASE-0001``).
    """
    if not text or not text.strip():
        return []
    found = [*_emails(text), *_nhs_numbers(text), *_phones(text), *_dates(text), *_postcodes(text),
             *_references(text, known_numbers), *_names(text)]
    found.sort(key=lambda s: (_PRIORITY[s.kind], s.start, -(s.end - s.start)))
    taken: list[Suspect] = []
    for s in found:
        if s.text in ignore or any(s.start < t.end and t.start < s.end for t in taken):
            continue
        taken.append(s)
    return sorted(taken, key=lambda s: s.start)


def _emails(text: str) -> Iterator[Suspect]:
    for m in _EMAIL.finditer(text):
        yield Suspect("email", m.start(), m.end(), m.group(0), "an email address")


def _nhs_numbers(text: str) -> Iterator[Suspect]:
    for m in _NHS.finditer(text):
        digits = m.group(1) + m.group(3) + m.group(4)
        if nhs_number_valid(digits):
            yield Suspect("nhs_number", m.start(), m.end(), m.group(0), "ten digits with a valid NHS check digit",
                          digits=digits)


def _phones(text: str) -> Iterator[Suspect]:
    for m in _PHONE.finditer(text):
        raw = m.group(0).rstrip(" \t-(")
        digits = re.sub(r"\D", "", raw.replace("(0)", ""))
        if digits.startswith("44"):
            digits = "0" + digits[2:]
        elif digits.startswith("0044"):
            digits = "0" + digits[4:]
        if digits.startswith("0") and len(digits) in (10, 11) and digits[1] in "123578":
            yield Suspect("phone", m.start(), m.start() + len(raw), raw, "a UK phone number", digits=digits)


def _dates(text: str) -> Iterator[Suspect]:
    for pattern, _shape in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            when = _date_parts(m)
            if when is not None:
                yield Suspect("date", m.start(), m.end(), m.group(0).rstrip("."), "a date", when=when)


def _date_parts(m: re.Match[str]) -> tuple[int | None, int | None, int | None] | None:
    parts = m.groupdict()
    raw_month = parts.get("m") or ""
    month = int(raw_month) if raw_month.isdigit() else _MONTH_NUMBER.get(raw_month.lower().rstrip("."))
    day = int(parts["d"]) if parts.get("d") else None
    year: int | None = None
    if parts.get("y"):
        digits = re.sub(r"\D", "", parts["y"])
        year = int(digits) if len(digits) == 4 else full_year(int(digits))
        if not 1900 <= year <= 2099:
            return None
    if month is None:
        return None
    if month > 12 and day is not None and day <= 12 and raw_month.isdigit():  # 03/12/2015 written month first
        day, month = month, day
    if not 1 <= month <= 12:
        return None
    if day is not None:
        limit = calendar.monthrange(year or 2000, month)[1]  # 29 February in a year not said: allowed
        if not 1 <= day <= limit:
            return None
    return year, month, day


def _postcodes(text: str) -> Iterator[Suspect]:
    seen: set[int] = set()
    for pattern in (_POSTCODE_UPPER, _POSTCODE_ANY):
        for m in pattern.finditer(text):
            if m.start() not in seen:
                seen.add(m.start())
                yield Suspect("postcode", m.start(), m.end(), m.group(0), "a UK postcode")


def _references(text: str, known: Collection[str]) -> Iterator[Suspect]:
    for m in _REFERENCE.finditer(text):
        prefix, digits = m.group("p"), m.group("n")
        if _AUDIT_REFERENCE.match(text, m.start()):
            continue
        attached = not re.search(r"[ \t]", m.group(0))
        if digits in known and (prefix.isupper() or attached):
            yield Suspect("case_ref", m.start(), m.end(), m.group(0), "a case reference of this store", digits=digits)
        elif prefix.isupper() and not _year_like(digits):
            yield Suspect("case_ref", m.start(), m.end(), m.group(0), "letters and a number, like a case reference",
                          digits=digits)
    for m in _DIGITS.finditer(text):
        digits = m.group(0)
        if _inside_audit_reference(text, m.start()):
            continue
        if digits in known:
            yield Suspect("case_ref", m.start(), m.end(), digits, "the number of a case of this store", digits=digits)
        elif len(digits) >= 6:
            yield Suspect("case_ref", m.start(), m.end(), digits, "a long number, like a case or record number",
                          digits=digits)


def _inside_audit_reference(text: str, at: int) -> bool:
    start = text.rfind("AUD-", max(0, at - 9), at + 1)
    if start < 0:
        start = text.lower().rfind("aud-", max(0, at - 9), at + 1)
    return start >= 0 and bool(_AUDIT_REFERENCE.match(text, start))


# ------------------------------------------------------------------------------------------------ names


@dataclass
class _Token:
    start: int
    end: int
    text: str
    fold: str
    sentence_start: bool


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _TOKEN.finditer(text):
        before = text[:m.start()].rstrip(" \t")
        starts = not before or before[-1] in _SENTENCE_END or bool(re.search(r"(?:^|\s)\d+[.)]$", before))
        out.append(_Token(m.start(), m.end(), m.group(0), _fold(m.group(0)), starts))
    return out


def _names(text: str) -> Iterator[Suspect]:
    forenames, surnames, ordinary = name_lists()
    claimed: list[tuple[int, int]] = []

    def claim(start: int, end: int, why: str) -> Suspect:
        claimed.append((start, end))
        return Suspect("name", start, end, text[start:end], why)

    def name_like(word: str) -> bool:
        fold = _fold(word)
        return fold not in _FUNCTION and (fold in surnames or fold in forenames or fold not in ordinary)

    for m in _TITLE.finditer(text):
        if _fold(m.group(1)) in _FUNCTION:
            continue
        end = m.end(2) if m.group(2) and name_like(m.group(2)) else m.end(1)
        yield claim(m.start(), end, "a title and a name")
    for m in _INITIALS.finditer(text):
        word, initials = m.group(2), m.group(1)
        fold = _fold(word)
        if any(s <= m.start() < e for s, e in claimed) or fold in _FUNCTION:
            continue
        dotted = "." in initials
        if (dotted and (fold in surnames or fold not in ordinary)) or (not dotted and fold in surnames):
            yield claim(m.start(), m.end(), "initials and a surname")
    tokens = _tokens(text)
    n = 0
    while n < len(tokens):
        tok = tokens[n]
        if any(s <= tok.start < e for s, e in claimed):
            n += 1
            continue
        nxt = tokens[n + 1] if n + 1 < len(tokens) and _adjacent(text, tok, tokens[n + 1]) else None
        why = _name_reason(text, tok, nxt, forenames, surnames, ordinary)
        if why is None:
            n += 1
            continue
        end, n = tok.end, n + 1
        # The name goes on over the capitalised words after it that look like names (Jayden Okoro-Smith).
        for _ in range(2):
            if n < len(tokens) and _adjacent(text, tokens[n - 1], tokens[n]) and name_like(tokens[n].text) \
                    and not tokens[n].sentence_start:
                end, n = tokens[n].end, n + 1
            else:
                break
        yield claim(tok.start, end, why)


def _adjacent(text: str, a: _Token, b: _Token) -> bool:
    gap = text[a.end:b.start]
    return gap in (" ", "\t") or gap == " " * len(gap) and 0 < len(gap) <= 2


def _name_reason(text: str, tok: _Token, nxt: _Token | None, forenames: frozenset[str], surnames: frozenset[str],
                 ordinary: frozenset[str]) -> str | None:
    fold = tok.fold
    surname_after = nxt is not None and nxt.fold not in _FUNCTION and (nxt.fold in surnames or nxt.fold not in ordinary)
    if fold in forenames:
        if fold not in ordinary:
            return "a common given name"
        if surname_after:
            return "a given name and a surname"
        after = text[tok.end:tok.end + 14]
        if _REPORTING.match(after) and not (fold in _MONTH_NAMES and tok.sentence_start is False
                                             and _month_context(text, tok)):
            return "a given name (said, told...)"
        if after[:2] in ("'s", "’s") and fold not in _MONTH_NAMES:
            return "a given name (possessive)"
        if not tok.sentence_start and not (fold in _MONTH_NAMES and _month_context(text, tok)):
            return "a given name in the middle of a sentence"
        return None
    if fold in surnames and fold not in ordinary:
        return "a common surname"
    if fold not in ordinary and fold not in _FUNCTION and surname_after and nxt is not None \
            and nxt.fold not in forenames | surnames and len(fold) > 2 and len(nxt.fold) > 2:
        return "two capitalised words that are not ordinary English (a name or a place?)"
    return None


def _month_context(text: str, tok: _Token) -> bool:
    before = re.findall(r"[\w']+", text[max(0, tok.start - 20):tok.start])
    after = text[tok.end:tok.end + 6].lstrip()
    return bool(before and before[-1].lower() in _MONTH_CONTEXT) or bool(before and before[-1].isdigit()) \
        or after[:1].isdigit()


# ------------------------------------------------------------------------------------------------ known names


def name_parts(name: str) -> list[tuple[str, bool]]:
    """Regular expressions for the ways free text writes a known person's name, longest first.

    Each is (pattern, case_sensitive): the whole name in any case; initials and the surname
    (``J. Smith``, ``J Smith``, ``JL Smith``); and, written with a capital, the given name alone, each
    other part alone and each half of a hyphenated surname (at least two letters, three for a
    surname part).
    """
    words = [w for w in re.split(r"[\s]+", name.strip()) if w.strip(".")]
    if not words:
        return []
    out: list[tuple[str, bool]] = [(whole_name(name), False)]
    if len(words) >= 2:
        surname = words[-1]
        given = [w for w in words[:-1] if w.strip(".")]
        initials = "".join(rf"{re.escape(w[0])}\.?[ \t]?" for w in given)
        out.append((rf"{initials}{re.escape(surname)}", True))
        out.append((rf"{re.escape(given[0][0])}\.?[ \t]?{re.escape(surname)}", True))
        parts: list[str] = []
        for i, w in enumerate(words):
            w = w.strip(".")
            pieces = [w, *w.split("-")] if "-" in w else [w]
            for piece in pieces:
                if len(piece) >= (2 if i == 0 else 3) and piece[:1].isupper() and piece not in parts:
                    parts.append(piece)
        out += [(re.escape(p), True) for p in parts]
    seen: set[str] = set()
    unique = []
    for pattern, sensitive in out:
        if pattern not in seen:
            seen.add(pattern)
            unique.append((pattern, sensitive))
    return unique


def whole_name(name: str) -> str:
    """A regular expression for ``name`` written whole: its words in order, any spacing ("A. Worker",
    "A.Worker"; "Alex  Fictional"), the dots as written."""
    words = name.split()
    out = ""
    for n, w in enumerate(words):
        out += re.escape(w)
        if n < len(words) - 1:
            out += r"\s*" if w.endswith(".") else r"\s+"
    return out


def same_date(when: tuple[int | None, int | None, int | None], known: Iterable[tuple[int, int, int]]) -> bool:
    """True when a date found in text could be one of ``known`` (a date of birth written "March 2015" is)."""
    year, month, day = when
    for ky, km, kd in known:
        if month == km and (day is None or day == kd) and (year is None or year == ky) \
                and (year is not None or day is not None):
            return True
    return False
