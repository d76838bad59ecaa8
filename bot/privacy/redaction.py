"""Redaction: swap the personal details in a message for placeholders before it is stored or logged.

`redact(text)` swaps names, phone numbers, emails, postcodes, street addresses, social media handles and
dates of birth for placeholders such as [name] and [phone]. Help line numbers from the services registry
are never touched.
"""

from __future__ import annotations

import functools
import re

_APOS = "['\u2019]"  # straight or curly apostrophe, as phones type it
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_NUMERIC_DATE = (
    r"(?:[12]\d|3[01]|0?[1-9])(?:/(?:1[0-2]|0?[1-9])/(?:\d{4}|\d\d)|-(?:1[0-2]|0?[1-9])-(?:\d{4}|\d\d)"
    r"|\.(?:1[0-2]|0?[1-9])\.(?:19|20)\d\d)"
)
_TEXT_DATE_WITH_YEAR = rf"(?:{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}|{_MONTH}\s+{_DAY},?\s+{_YEAR})"
_ANY_DATE = (
    rf"(?:{_NUMERIC_DATE}|{_TEXT_DATE_WITH_YEAR}|{_DAY}\s+(?:of\s+)?{_MONTH}|{_MONTH}\s+{_DAY}"
    rf"|{_MONTH}\s+{_YEAR}|{_YEAR})"
)

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_BIRTH_DATE = re.compile(
    rf"\b((?:born|birthday|b{_APOS}?day|dob|d\.o\.b\.?|date\s+of\s+birth)"
    rf"(?:\s*(?:is|was|=|:|-))?(?:\s+(?:on|in))?(?:\s+the)?\s*){_ANY_DATE}\b",
    re.IGNORECASE,
)
_DATE = re.compile(rf"\b(?:{_NUMERIC_DATE}|{_TEXT_DATE_WITH_YEAR})\b", re.IGNORECASE)
# UK postcode areas (the letters before the first digit), so "y9 2nd" is not read as a postcode.
_POSTCODE_AREAS = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH "
    "EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M ME MK "
    "ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD "
    "TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE"
).split()
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|("
    + "|".join(sorted(_POSTCODE_AREAS, key=len, reverse=True))
    + r")\d[A-Z\d]? ?(\d[ABD-HJLNP-UW-Z]{2}))\b",
    re.IGNORECASE,
)
_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)", re.IGNORECASE)
# Street words that are seldom anything else; the others ("close", "park", "way") need capitals: "3 Elm Close".
_PLAIN_STREETS = "road rd street lane avenue drive crescent terrace gardens grove mews boulevard square".split()
_CAPITAL_STREETS = (
    "st ln ave dr cres ct pl sq gdns close way court place park green hill view walk row rise gate mount vale "
    "croft fold chase meadow meadows parade wharf estate".split()
)
_STREET = "(" + "|".join(sorted(_PLAIN_STREETS + _CAPITAL_STREETS, key=len, reverse=True)) + ")"
# "12 Oak Tree Road", "flat 3, 45b Mill Lane"
_ADDRESS_NUMBERED = re.compile(
    rf"\b(?:(?:flat|apartment|apt|unit)\s+\d+[a-z]?,?\s+)?\d{{1,4}}[a-z]?,?\s+((?:[a-z'\-]+\s+){{1,3}}){_STREET}\b",
    re.IGNORECASE,
)
# "I live on Oak Tree Road"
_ADDRESS_LIVE = re.compile(rf"\b(liv(?:e|es|ing)\s+(?:at|on|in)\s+)((?:[a-z'\-]+\s+){{1,3}}){_STREET}\b", re.IGNORECASE)
_NOT_STREET_WORDS = frozenset(
    "the a an my our your his her their this that down up to of on in at and or from near along across off "
    "by over miles mile mins minutes hours km metres meters steps times people kids friends years weeks days "
    "i im me we he she they it is was were be".split()
)
_PHONE = re.compile(r"(?<![\w+/])(\+|00)?\(?\d(?:[\s\-.()]{0,2}\d){5,15}(?![\w/])")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?")
_PLATFORMS = (
    r"(?:snap(?:chat)?|insta(?:gram)?|tik\s?tok|discord|twitter|x|roblox|xbox|psn|kik|telegram|threads|fortnite|steam)"
)
# "my snap is jess_x", "my insta: jess.x", "add me on snap jess_x"
_PLATFORM_HANDLE = re.compile(
    rf"\b((?:my\s+(?:{_PLATFORMS}(?:\s+(?:name|id|handle|username|user\s+name))?|gamertag|user\s?name)"
    rf"\s*(?:\bis\b|=|:|-)|(?:add|follow|message|msg|dm)\s+me\s+on\s+{_PLATFORMS}(?:\s*(?:,|:|-|at\b))?)\s*)"
    r"(?!\[)([A-Za-z0-9_.]{2,30})\b",
    re.IGNORECASE,
)
_NOT_HANDLES = frozenset(
    "private public gone blocked hacked deleted locked banned not on off down the a an and but so too if when "
    "account page story streak streaks please pls plz now later then tho he she they i im it its is was".split()
)
_NAME_TRIGGER = (
    rf"(?:my\s+name(?:{_APOS}s|s|\s+is)|i(?:{_APOS}?m|\s+am)\s+called"
    r"|(?:you\s+can\s+|just\s+|pls\s+|please\s+)?call\s+me)"
)
_NAME = re.compile(
    rf"\b({_NAME_TRIGGER}\s+)((?:[A-Za-z][A-Za-z'\u2019\-]*)(?:\s+[A-Za-z][A-Za-z'\u2019\-]*){{0,2}})",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset(
    "a an the and but or so because if when then back later now tonight tomorrow today please pls plz "
    "anytime sometime soon again too also if what whatever names stupid is was i im i'm i\u2019m me my "
    "not no yes just only really very from in at on to and with who who's age aged year years old "
    "cos coz cause tho though btw lol but".split()
)

# "a boy called Jake", "she is named Amy Jones": only capitalised names, so "it's called sexting" stays.
_CALLED = re.compile(r"\b((?:[Cc]alled|[Nn]amed)\s+)([A-Z][a-z'\u2019\-]+(?:\s+[A-Z][a-z'\u2019\-]+){0,2})")
# "I called Childline", "I called Mum": not names.
_NOT_CALLED = frozenset(
    "I Im I'm The A An And But So My His Her Their Our Your It Me Him Them Us Mum Mom Dad Mummy Daddy Nan Nana "
    "Gran Granny Grandma Grandad Grandpa Police Childline NSPCC CEOP Samaritans Shout Ambulance Kooth".split()
)

_FIXED_SAFE_NUMBERS = frozenset({"08001111", "116123", "999", "101", "112", "85258", "08088005000", "111"})


@functools.lru_cache(maxsize=1)
def _safe_contacts() -> tuple:
    """Digits of every help line number, and every email, in the services registry."""
    numbers, emails = set(_FIXED_SAFE_NUMBERS), set()
    try:
        from bot.answers.content_library import services

        for service in services().values():
            for value in (service.phone, service.text):
                for part in re.split(r"[,;/]|\bor\b", str(value or "")):
                    digits = re.sub(r"\D", "", part)
                    if digits:
                        numbers.add(digits)
            if service.email:
                emails.add(service.email.lower())
    except Exception:  # the registry is optional here: fall back to the fixed list
        pass
    return frozenset(numbers), frozenset(emails)


def _postcode(match: re.Match) -> str:
    found = match.group(0)
    # "b4 2nd period" in lower case reads as words, not a postcode
    if found.islower() and match.group(2) and _ORDINAL.fullmatch(match.group(2)):
        return found
    return "[postcode]"


@functools.lru_cache(maxsize=1)
def _service_words() -> frozenset:
    """Capitalised words of the services' names (Childline, Samaritans), never taken for a person's name."""
    try:
        from bot.answers.content_library import services

        return frozenset(w for s in services().values() for w in re.findall(r"[A-Z][A-Za-z]+", s.name))
    except Exception:
        return frozenset()


def _email(match: re.Match) -> str:
    return match.group(0) if match.group(0).lower() in _safe_contacts()[1] else "[email]"


def _phone(match: re.Match) -> str:
    found = match.group(0)
    digits = re.sub(r"\D", "", found)
    if digits in _safe_contacts()[0]:
        return found
    international = bool(match.group(1))
    if (international and 8 <= len(digits) <= 15) or (not international and 10 <= len(digits) <= 13):
        prefix = "(" if found.startswith("(") and not re.search(r"\)", found[1:]) else ""
        return prefix + "[phone]"
    return found


def _looks_like_street(words: str, street: str) -> bool:
    names = words.split()
    if any(w.lower() in _NOT_STREET_WORDS for w in names):
        return False
    if street.lower() in _CAPITAL_STREETS:
        return all(w[:1].isupper() for w in names + [street])
    return True


def _address(match: re.Match) -> str:
    return "[address]" if _looks_like_street(match.group(1), match.group(2)) else match.group(0)


def _address_live(match: re.Match) -> str:
    if _looks_like_street(match.group(2), match.group(3)):
        return match.group(1) + "[address]"
    return match.group(0)


def _platform_handle(match: re.Match) -> str:
    if match.group(2).lower() in _NOT_HANDLES:
        return match.group(0)
    return match.group(1) + "[handle]"


def _name(match: re.Match) -> str:
    trigger, words = match.group(1), match.group(2).split()
    kept = []
    for word in words:
        if word.lower() in _NOT_NAMES:
            break
        kept.append(word)
    if not kept:
        return match.group(0)
    # "call me" mid-sentence in lower case ("they call me fat") is not an introduction
    if trigger.lower().lstrip().startswith(("call", "you", "just", "pls", "please")):
        start = match.start()
        at_start = not match.string[:start].strip() or match.string[:start].rstrip()[-1:] in ".!?,"
        if not (kept[0][:1].isupper() or at_start):
            return match.group(0)
    rest = " ".join(words[len(kept) :])
    return trigger + "[name]" + (" " + rest if rest else "")


def _called(match: re.Match) -> str:
    words = match.group(2).split()
    kept = []
    for word in words:
        if word in _NOT_CALLED or word in _service_words():
            break
        kept.append(word)
    if not kept:
        return match.group(0)
    rest = " ".join(words[len(kept) :])
    return match.group(1) + "[name]" + (" " + rest if rest else "")


def redact(text: str | None) -> str | None:
    """The text with personal details replaced by [name], [phone], [email], [postcode], [address], [handle], [date]."""
    if not text or not isinstance(text, str):
        return text
    text = _EMAIL.sub(_email, text)
    text = _BIRTH_DATE.sub(lambda m: m.group(1) + "[date]", text)
    text = _DATE.sub("[date]", text)
    text = _POSTCODE.sub(_postcode, text)
    text = _ADDRESS_NUMBERED.sub(_address, text)
    text = _ADDRESS_LIVE.sub(_address_live, text)
    text = _PHONE.sub(_phone, text)
    text = _HANDLE.sub("[handle]", text)
    text = _PLATFORM_HANDLE.sub(_platform_handle, text)
    text = _NAME.sub(_name, text)
    text = _CALLED.sub(_called, text)
    return text
