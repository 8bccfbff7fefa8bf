"""Go's fmt formatting primitives (src/fmt/format.go): the flags of one verb,
padding, and integers, floats, runes and strings formatted under them. The
printer in :mod:`.gofmt` (src/fmt/print.go) dispatches values to them."""

from __future__ import annotations

from polystack.helm.golang import strconv as gostrconv

_LDIGITS = "0123456789abcdefx"
_UDIGITS = "0123456789ABCDEFX"


class Format:
    """Go's ``fmt`` struct: output buffer and the flags of the current verb."""

    __slots__ = (
        "buf",
        "wid",
        "prec",
        "wid_present",
        "prec_present",
        "minus",
        "plus",
        "sharp",
        "space",
        "zero",
        "plus_v",
        "sharp_v",
    )

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.clear_flags()

    def clear_flags(self) -> None:
        self.wid = 0
        self.prec = 0
        self.wid_present = False
        self.prec_present = False
        self.minus = False
        self.plus = False
        self.sharp = False
        self.space = False
        self.zero = False
        self.plus_v = False
        self.sharp_v = False

    def write_padding(self, n: int) -> None:
        if n <= 0:
            return
        self.buf.append(("0" if self.zero and not self.minus else " ") * n)

    def pad(self, s: str) -> None:
        if not self.wid_present or self.wid == 0:
            self.buf.append(s)
            return
        width = self.wid - len(s)
        if not self.minus:
            self.write_padding(width)
            self.buf.append(s)
        else:
            self.buf.append(s)
            self.write_padding(width)

    def truncate(self, s: str) -> str:
        if self.prec_present and self.prec < len(s):
            return s[: self.prec]
        return s

    def fmt_integer_base(self, u: int, base: int, verb: str, digits: str) -> None:
        u = int(u)  # an int subclass (Int64, Uint8 ...) must not print through its repr
        negative = u < 0
        if negative:
            u = -u
        prec = 0
        if self.prec_present:
            prec = self.prec
            if prec == 0 and u == 0:
                old = self.zero
                self.zero = False
                self.write_padding(self.wid)
                self.zero = old
                return
        elif self.zero and not self.minus and self.wid_present:
            prec = self.wid
            if negative or self.plus or self.space:
                prec -= 1
        if base == 10:
            s = str(u)
        elif base == 16:
            s = format(u, "x")
            if digits is _UDIGITS:
                s = s.upper()
        elif base == 8:
            s = format(u, "o")
        else:
            s = format(u, "b")
        if prec > len(s):
            s = "0" * (prec - len(s)) + s
        if self.sharp:
            if base == 2:
                s = "0b" + s
            elif base == 8:
                if s[0] != "0":
                    s = "0" + s
            elif base == 16:
                s = "0" + digits[16] + s
        if verb == "O":
            s = "0o" + s
        if negative:
            s = "-" + s
        elif self.plus:
            s = "+" + s
        elif self.space:
            s = " " + s
        old = self.zero
        self.zero = False
        self.pad(s)
        self.zero = old

    def fmt_unicode(self, u: int) -> None:
        prec = 4
        if self.prec_present and self.prec > 4:
            prec = self.prec
        s = "U+" + format(u & 0xFFFFFFFFFFFFFFFF, "X").rjust(prec, "0")
        if self.sharp and 0 <= u <= 0x10FFFF and gostrconv.is_print(u):
            s += " '" + chr(u) + "'"
        old = self.zero
        self.zero = False
        self.pad(s)
        self.zero = old

    def fmt_float_core(self, v: float, verb: str, prec: int) -> None:
        if self.prec_present:
            prec = self.prec
        num = gostrconv.format_float(v, "f" if verb == "F" else verb, prec)
        if num[0] in "-+":
            sign, num = num[0], num[1:]
        else:
            sign = "+"
        if self.space and sign == "+" and not self.plus:
            sign = " "
        if num[0] in "IN":  # Inf, NaN
            old = self.zero
            self.zero = False
            if num[0] == "N" and not self.space and not self.plus:
                self.pad(num)
            else:
                self.pad(sign + num)
            self.zero = old
            return
        if self.sharp and verb != "b":
            digits = 0
            if verb in "vgGxX":
                digits = prec if prec != -1 else 6
            tail = ""
            head = []
            has_point = False
            saw_nonzero = False
            for i, c in enumerate(num):
                if c == ".":
                    has_point = True
                    head.append(c)
                elif c in "pP" or (c in "eE" and verb not in "xX"):
                    tail = num[i:]
                    break
                else:
                    if c != "0":
                        saw_nonzero = True
                    if saw_nonzero:
                        digits -= 1
                    head.append(c)
            num = "".join(head)
            if not has_point:
                if num == "0":
                    digits -= 1
                num += "."
            if digits > 0:
                num += "0" * digits
            num += tail
        if self.plus or sign != "+":
            if self.zero and not self.minus and self.wid_present and self.wid > len(num) + 1:
                self.buf.append(sign)
                self.write_padding(self.wid - len(num) - 1)
                self.buf.append(num)
                return
            self.pad(sign + num)
            return
        self.pad(num)

    def fmt_sx(self, data: bytes, digits: str) -> None:
        length = len(data)
        if self.prec_present and self.prec < length:
            length = self.prec
        width = 2 * length
        if width > 0:
            if self.space:
                if self.sharp:
                    width *= 2
                width += length - 1
            elif self.sharp:
                width += 2
        else:
            if self.wid_present:
                self.write_padding(self.wid)
            return
        if self.wid_present and self.wid > width and not self.minus:
            self.write_padding(self.wid - width)
        out = []
        if self.sharp:
            out.append("0" + digits[16])
        for i in range(length):
            if self.space and i > 0:
                out.append(" ")
                if self.sharp:
                    out.append("0" + digits[16])
            c = data[i]
            out.append(digits[c >> 4] + digits[c & 0xF])
        self.buf.append("".join(out))
        if self.wid_present and self.wid > width and self.minus:
            self.write_padding(self.wid - width)

    def fmt_q(self, s: str) -> None:
        s = self.truncate(s)
        if self.sharp and gostrconv.can_backquote(s):
            self.pad("`" + s + "`")
            return
        self.pad(gostrconv.quote_ascii(s) if self.plus else gostrconv.quote(s))
