"""The Unicode classes of Go's RE2 syntax: ``\\pL``, ``\\p{Lu}``, ``\\p{Greek}`` ...

Go's regexp/syntax (Go 1.25, the Go Helm 4.2 is built with) looks a class name
up after canonicalising it (``canonicalName``: ``_``, ``-`` and spaces dropped,
first letter upper case, the rest lower case), in this order: the special
names ``Any``, ``Assigned`` (everything but ``Cn``), ``ASCII`` and ``LC``; the
general categories (``unicode.Categories``: ``L``, ``Lu``, ``Cn`` ...); the
scripts (``unicode.Scripts``, Unicode 15.0.0); the long category names
(``unicode.CategoryAliases``: ``Letter``, ``Uppercase_Letter``, ``digit``
...).  Script keys are not canonicalised, so a script whose name is not
already canonical (``Old_Italic``, ``SignWriting``) cannot be named at all:
Go rejects it, and so does this module.

General categories come from :mod:`unicodedata`; scripts from the ``regex``
package's ``\\p{Script=...}`` tables (Python's standard library has no script
data).  Both are spelled as explicit ranges in the pattern RE2 compiles
(:func:`re2_class_body`), so only the class *contents* come from elsewhere.
The Unicode versions differ slightly from Go's 15.0.0 (Python 3.11's
unicodedata is 14.0.0, regex 2024.11.6 is 16.0.0): code points assigned by one
version and not the other may classify differently.
"""

from __future__ import annotations

import functools
import sys
import unicodedata

__all__ = [
    "canonical_name",
    "unicode_ranges",
    "complement",
    "re2_class_body",
]

#: unicode.Categories keys (Go 1.25): the general categories, their major
#: classes, ``LC`` (cased letter) and ``Cn`` (unassigned).
CATEGORIES = frozenset(
    "C Cc Cf Cn Co Cs L LC Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No "
    "P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs".split()
)

#: unicode.CategoryAliases (the long names of PropertyValueAliases.txt).
CATEGORY_ALIASES = {
    "Other": "C", "Control": "Cc", "cntrl": "Cc", "Format": "Cf", "Unassigned": "Cn",
    "Private_Use": "Co", "Surrogate": "Cs", "Letter": "L", "Cased_Letter": "LC",
    "Lowercase_Letter": "Ll", "Modifier_Letter": "Lm", "Other_Letter": "Lo",
    "Titlecase_Letter": "Lt", "Uppercase_Letter": "Lu", "Mark": "M", "Combining_Mark": "M",
    "Spacing_Mark": "Mc", "Enclosing_Mark": "Me", "Nonspacing_Mark": "Mn", "Number": "N",
    "Decimal_Number": "Nd", "digit": "Nd", "Letter_Number": "Nl", "Other_Number": "No",
    "Punctuation": "P", "punct": "P", "Connector_Punctuation": "Pc",
    "Dash_Punctuation": "Pd", "Close_Punctuation": "Pe", "Final_Punctuation": "Pf",
    "Initial_Punctuation": "Pi", "Other_Punctuation": "Po", "Open_Punctuation": "Ps",
    "Symbol": "S", "Currency_Symbol": "Sc", "Modifier_Symbol": "Sk", "Math_Symbol": "Sm",
    "Other_Symbol": "So", "Separator": "Z", "Line_Separator": "Zl",
    "Paragraph_Separator": "Zp", "Space_Separator": "Zs",
}  # fmt: skip

#: unicode.Scripts keys (Unicode 15.0.0; Go has no table for Unknown/Zzzz).
SCRIPTS = frozenset(
    """Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah
    Batak Bengali Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal
    Carian Caucasian_Albanian Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform
    Cypriot Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan
    Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek
    Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew
    Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian
    Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi Khitan_Small_Script Khmer
    Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani
    Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek
    Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani
    Myanmar Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu
    Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian
    Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage
    Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang
    Runic Samaritan Saurashtra Sharada Shavian Siddham SignWriting Sinhala Sogdian
    Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham
    Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto
    Ugaritic Vai Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square""".split()
)


def canonical_name(name: str) -> str:
    """regexp/syntax canonicalName: drop ``_ - space``, ``Xxxx`` casing (ASCII only)."""
    out = []
    first = True
    for c in name:
        if c in "_- ":
            continue
        if first:
            if "a" <= c <= "z":
                c = c.upper()
            first = False
        elif "A" <= c <= "Z":
            c = c.lower()
        out.append(c)
    return "".join(out)


_ALIASES = {canonical_name(k): v for k, v in CATEGORY_ALIASES.items()}


Ranges = tuple[tuple[int, int], ...]


@functools.lru_cache(maxsize=64)
def _category(cat: str) -> Ranges:
    """Code point ranges of a general category (``L``, ``Lu``, ``LC``, ``Cn`` ...)."""
    if cat == "LC":
        want = frozenset({"Lu", "Ll", "Lt"})
    elif len(cat) == 2:
        want = frozenset({cat})
    else:
        want = frozenset(c for c in CATEGORIES if len(c) == 2 and c[0] == cat and c != "LC") | (
            {"Cn"} if cat == "C" else set()
        )
    ranges: list[tuple[int, int]] = []
    start = prev = -2
    category = unicodedata.category
    for cp in range(sys.maxunicode + 1):
        if category(chr(cp)) in want:
            if cp != prev + 1:
                if start >= 0:
                    ranges.append((start, prev))
                start = cp
            prev = cp
    if start >= 0:
        ranges.append((start, prev))
    return tuple(ranges)


@functools.lru_cache(maxsize=64)
def _script(name: str) -> Ranges:
    """Code point ranges of a script (``Greek``, ``Han`` ...) from the regex package."""
    import regex  # Unicode script data (Python's unicodedata has none)

    every = "".join(map(chr, range(sys.maxunicode + 1)))
    pat = regex.compile(r"\p{Script=" + name + "}+")
    return tuple((m.start(), m.end() - 1) for m in pat.finditer(every))


def unicode_ranges(name: str) -> tuple[Ranges, bool] | None:
    """regexp/syntax unicodeTable: (code point ranges, negated) for a ``\\p`` name,
    or None when Go knows no class of that name."""
    canon = canonical_name(name)
    if canon == "Any":
        return ((0, sys.maxunicode),), False
    if canon == "Assigned":
        return _category("Cn"), True
    if canon == "Ascii":
        return ((0, 0x7F),), False
    if canon == "Lc":
        return _category("LC"), False
    if canon in CATEGORIES:
        return _category(canon), False
    if canon in SCRIPTS:
        return _script(canon), False
    alias = _ALIASES.get(canon)
    if alias is not None:
        return _category(alias), False
    return None


def complement(ranges: Ranges) -> Ranges:
    """The code points (0 .. U+10FFFF) not in the sorted ``ranges``."""
    out: list[tuple[int, int]] = []
    nxt = 0
    for a, b in ranges:
        if a > nxt:
            out.append((nxt, a - 1))
        nxt = b + 1
    if nxt <= sys.maxunicode:
        out.append((nxt, sys.maxunicode))
    return tuple(out)


def re2_class_body(ranges: Ranges) -> str:
    """An RE2 class body (no brackets) for inclusive code point ranges."""
    return "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
