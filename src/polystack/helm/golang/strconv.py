"""Go's strconv: float formatting (``FormatFloat``) and quoting (``Quote``)."""

from __future__ import annotations

import math

__all__ = [
    "format_float",
    "shortest_digits",
    "quote",
    "quote_ascii",
    "quote_rune",
    "quote_rune_ascii",
    "can_backquote",
    "is_print",
]

_LOWERHEX = "0123456789abcdef"


def shortest_digits(v: float) -> tuple[str, int]:
    """Shortest decimal digits that round-trip ``abs(v)`` and the decimal point position.

    ``v == 0.d1d2d3... * 10**dp``; digits have no trailing zeros ("0" -> ("", 0)).
    """
    if v == 0:
        return "", 0
    # repr is the shortest round-trip form: "I.F" or "I.Fe+X" / "Ie-X"
    mant, _, e = repr(abs(v)).partition("e")
    ip, _, fp = mant.partition(".")
    ds = (ip + fp).lstrip("0")
    dp = len(ds) + (int(e) if e else 0) - len(fp)
    return ds.rstrip("0"), dp


def _fmt_e(neg: bool, ds: str, dp: int, prec: int, ch: str) -> str:
    # prec digits after the point; ds may be shorter (pad with zeros)
    first = ds[0] if ds else "0"
    out = ["-" if neg else "", first]
    if prec > 0:
        rest = ds[1 : 1 + prec]
        out.append(".")
        out.append(rest + "0" * (prec - len(rest)))
    exp = dp - 1 if ds else 0
    out.append(ch)
    if exp < 0:
        out.append("-")
        exp = -exp
    else:
        out.append("+")
    out.append(f"{exp:02d}")
    return "".join(out)


def _fmt_f(neg: bool, ds: str, dp: int, prec: int) -> str:
    out = ["-" if neg else ""]
    if dp > 0:
        ip = ds[:dp]
        out.append(ip + "0" * (dp - len(ip)))
    else:
        out.append("0")
    if prec > 0:
        out.append(".")
        frac = []
        for i in range(prec):
            j = dp + i
            frac.append(ds[j] if 0 <= j < len(ds) else "0")
        out.append("".join(frac))
    return "".join(out)


def _round_digits(v: float, nsig: int) -> tuple[str, int]:
    """Correctly rounded ``nsig`` significant digits of abs(v) (trailing zeros stripped)."""
    if v == 0:
        return "", 0
    s = format(abs(v), f".{max(nsig - 1, 0)}e")
    mant, _, exp = s.partition("e")
    ds = mant.replace(".", "").rstrip("0")
    return ds, int(exp) + 1


def _hex_float(v: float, prec: int, upper: bool) -> str:
    # Go's %x for floats: -0x1.8p+01
    neg = math.copysign(1.0, v) < 0
    v = abs(v)
    if v == 0:
        mant, exp = 0, 0
    else:
        m, e = math.frexp(v)  # v = m * 2**e, 0.5 <= m < 1
        mant = int(m * (1 << 53))  # 53 bits, leading bit set
        exp = e - 1
        if mant < (1 << 52):  # subnormal: normalise
            while mant < (1 << 52):
                mant <<= 1
                exp -= 1
    frac = mant & ((1 << 52) - 1)
    lead = 1 if v != 0 else 0
    hexfrac = f"{frac:013x}"
    if prec >= 0:
        if prec < 13:
            shift = (13 - prec) * 4
            full = (lead << 52) | frac
            half = 1 << (shift - 1)
            rem = full & ((1 << shift) - 1)
            full >>= shift
            if rem > half or (rem == half and full & 1):
                full += 1
            if full >> (prec * 4) >= 2:
                full >>= 1
                exp += 1
            lead = full >> (prec * 4)
            hexfrac = f"{full & ((1 << (prec * 4)) - 1):0{prec}x}" if prec else ""
        else:
            hexfrac = hexfrac + "0" * (prec - 13)
    else:
        hexfrac = hexfrac.rstrip("0")
    s = f"0x{lead}"
    if hexfrac:
        s += "." + hexfrac
    s += "p" + ("-" if exp < 0 else "+") + f"{abs(exp):02d}"
    if upper:
        s = s.upper()
    return ("-" if neg else "") + s


def format_float(v: float, fmt: str, prec: int) -> str:
    """strconv.FormatFloat(v, fmt, prec, 64) for fmt in b e E f F g G x X."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if fmt == "b":
        neg = math.copysign(1.0, v) < 0
        if v == 0:
            return ("-" if neg else "") + "0p-1074"
        m, e = math.frexp(abs(v))
        mant = int(m * (1 << 53))
        exp = e - 53
        if exp < -1074:
            mant >>= -1074 - exp
            exp = -1074
        return ("-" if neg else "") + f"{mant}p{'-' if exp < 0 else '+'}{abs(exp)}"
    if fmt in "xX":
        return _hex_float(v, prec, fmt == "X")
    neg = math.copysign(1.0, v) < 0
    shortest = prec < 0
    if fmt in "eE":
        if shortest:
            ds, dp = shortest_digits(v)
            prec = max(len(ds) - 1, 0)
        else:
            ds, dp = _round_digits(v, prec + 1)
        return _fmt_e(neg, ds, dp, prec, fmt)
    if fmt in "fF":
        if shortest:
            ds, dp = shortest_digits(v)
            prec = max(len(ds) - dp, 0)
            return _fmt_f(neg, ds, dp, prec)
        s = format(abs(v), f".{prec}f")
        return ("-" if neg else "") + s
    if fmt in "gG":
        if shortest:
            ds, dp = shortest_digits(v)
            eprec = 6
            p = len(ds)
        else:
            if prec == 0:
                prec = 1
            ds, dp = _round_digits(v, prec)
            eprec = prec
            if eprec > len(ds) and len(ds) >= dp:
                eprec = len(ds)
            p = prec
        exp = dp - 1
        if exp < -4 or exp >= eprec:
            if shortest:
                p = len(ds)
            return _fmt_e(neg, ds, dp, max(min(p, len(ds)) - 1, 0), "e" if fmt == "g" else "E")
        return _fmt_f(neg, ds, dp, max(len(ds) - dp, 0))
    raise ValueError(f"unknown float format {fmt!r}")


def format_float_g(v: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 64): what %v prints for a float64."""
    return format_float(v, "g", -1)


def is_print(r: int) -> bool:
    """unicode.IsPrint / strconv.IsPrint."""
    if r < 0x7F:
        return r >= 0x20
    if 0xD800 <= r <= 0xDFFF:
        return False
    return chr(r).isprintable()


def _escape_rune(out: list[str], r: int, quote: str, ascii_only: bool) -> None:
    ch = chr(r)
    if ch == quote or ch == "\\":
        out.append("\\" + ch)
        return
    if ascii_only:
        if r < 0x80 and is_print(r):
            out.append(ch)
            return
    elif is_print(r):
        out.append(ch)
        return
    esc = _SIMPLE_ESC.get(r)
    if esc is not None:
        out.append(esc)
    elif r < 0x20 or r == 0x7F:
        out.append(f"\\x{r:02x}")
    elif r < 0x10000:
        out.append(f"\\u{r:04x}")
    else:
        out.append(f"\\U{r:08x}")


_SIMPLE_ESC = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}


def _quote_with(s: str, quote: str, ascii_only: bool) -> str:
    if s.isascii() and s.isprintable():
        # (printable ASCII, 0x20-0x7E, is written as it is but for the quote and
        # the backslash: str methods in C, not the loop below per character)
        if "\\" in s:
            s = s.replace("\\", "\\\\")
        if quote in s:
            s = s.replace(quote, "\\" + quote)
        return quote + s + quote
    return _quote_with_loop(s, quote, ascii_only)


def _quote_with_loop(s: str, quote: str, ascii_only: bool) -> str:
    """strconv's quoting, one character at a time (every string)."""
    out = [quote]
    for ch in s:
        r = ord(ch)
        if 0xDC80 <= r <= 0xDCFF:  # surrogateescape'd invalid UTF-8 byte
            out.append(f"\\x{r - 0xDC00:02x}")
            continue
        if 0xD800 <= r <= 0xDFFF:
            out.append("\\ufffd" if ascii_only else "\ufffd")
            continue
        if 0x20 <= r < 0x7F and ch != quote and ch != "\\":
            out.append(ch)
            continue
        _escape_rune(out, r, quote, ascii_only)
    out.append(quote)
    return "".join(out)


def quote(s: str) -> str:
    """strconv.Quote."""
    return _quote_with(s, '"', False)


def quote_ascii(s: str) -> str:
    """strconv.QuoteToASCII."""
    return _quote_with(s, '"', True)


def quote_rune(r: int) -> str:
    """strconv.QuoteRune."""
    if r > 0x10FFFF or 0xD800 <= r <= 0xDFFF or r < 0:
        r = 0xFFFD
    out = ["'"]
    _escape_rune(out, r, "'", False)
    out.append("'")
    return "".join(out)


def quote_rune_ascii(r: int) -> str:
    """strconv.QuoteRuneToASCII."""
    if r > 0x10FFFF or 0xD800 <= r <= 0xDFFF or r < 0:
        r = 0xFFFD
    out = ["'"]
    _escape_rune(out, r, "'", True)
    out.append("'")
    return "".join(out)


def can_backquote(s: str) -> bool:
    """strconv.CanBackquote."""
    for ch in s:
        r = ord(ch)
        if r >= 0x80:
            if r == 0xFEFF or 0xD800 <= r <= 0xDFFF:
                return False
            continue
        if (r < 0x20 and r != 9) or r == 0x60 or r == 0x7F:
            return False
    return True
