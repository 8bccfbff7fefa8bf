"""The update modifiers ($set, $inc, $push ...): each a small object applied to one field."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.timestamp import Timestamp

from .. import arith
from ..bsontypes import bson_type, is_numeric, type_name
from ..display import document as display_doc
from ..display import value as display
from ..errors import MongoError
from ..keystring import MISSING, compare, encode_key


@dataclass(slots=True)
class ApplyContext:
    position: int | None = None  # the array position the query matched ($)
    is_insert: bool = False
    now: datetime.datetime | None = None
    cluster_time: Timestamp | None = None
    array_filters: dict[str, Any] = field(default_factory=dict)
    doc_id: Any = MISSING
    renamed: dict[str, Any] = field(default_factory=dict)  # $rename source -> its value


class Modifier:
    NO_CHANGE: ClassVar[object] = object()
    REMOVE: ClassVar[object] = object()
    creates: ClassVar[bool] = True
    name: ClassVar[str] = ""

    __slots__ = ("path", "arg", "only_on_insert")

    def __init__(self, path: str, arg: Any) -> None:
        self.path = path
        self.arg = arg
        self.only_on_insert = False

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        raise NotImplementedError


def _id_text(ctx: ApplyContext) -> str:
    return display_doc({"_id": ctx.doc_id}) if ctx.doc_id is not MISSING else "{}"


class SetMod(Modifier):
    name = "$set"
    __slots__ = ()

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        return _copy(self.arg)


class SetOnInsertMod(SetMod):
    name = "$setOnInsert"
    __slots__ = ()

    def __init__(self, path: str, arg: Any) -> None:
        super().__init__(path, arg)
        self.only_on_insert = True


class UnsetMod(Modifier):
    name = "$unset"
    creates = False
    __slots__ = ()

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if current is MISSING:
            return Modifier.NO_CHANGE
        return Modifier.REMOVE


class IncMod(Modifier):
    name = "$inc"
    __slots__ = ()
    verb = "increment"

    def __init__(self, path: str, arg: Any) -> None:
        super().__init__(path, arg)
        if not is_numeric(arg) or isinstance(arg, bool):
            raise MongoError(
                14, f"Cannot {self.verb} with non-numeric argument: {{{path}: {display(arg)}}}"
            )

    def combine(self, a: Any, b: Any) -> Any:
        return arith.add(a, b)

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if current is MISSING:
            return self.initial()
        if not is_numeric(current) or isinstance(current, bool):
            raise MongoError(
                14,
                f"Cannot apply {self.name} to a value of non-numeric type. {_id_text(ctx)} has "
                f"the field '{path.rsplit('.', 1)[-1]}' of non-numeric type {type_name(current)}",
            )
        return self.combine(current, self.arg)

    def initial(self) -> Any:
        return self.arg


class MulMod(IncMod):
    name = "$mul"
    __slots__ = ()
    verb = "multiply"

    def combine(self, a: Any, b: Any) -> Any:
        return arith.multiply(a, b)

    def initial(self) -> Any:
        return arith.multiply(arith.zero_like(self.arg), self.arg)


class MinMod(Modifier):
    name = "$min"
    __slots__ = ()
    sign = -1

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if current is MISSING:
            return _copy(self.arg)
        c = compare(self.arg, current)
        if c * self.sign > 0:
            return _copy(self.arg)
        return Modifier.NO_CHANGE


class MaxMod(MinMod):
    name = "$max"
    __slots__ = ()
    sign = 1


class CurrentDateMod(Modifier):
    name = "$currentDate"
    __slots__ = ("as_timestamp",)

    def __init__(self, path: str, arg: Any) -> None:
        super().__init__(path, arg)
        self.as_timestamp = False
        if isinstance(arg, bool):
            return
        if isinstance(arg, dict):
            t = arg.get("$type")
            if len(arg) != 1 or "$type" not in arg:
                raise MongoError(
                    2,
                    "The only valid field of the option is '$type': {$currentDate: {field : "
                    "{$type: 'date/timestamp'}}}",
                )
            if t == "timestamp":
                self.as_timestamp = True
                return
            if t == "date":
                return
            raise MongoError(
                2,
                "The '$type' string field is required to be 'date' or 'timestamp': "
                "{$currentDate: {field : {$type: 'date'}}}",
            )
        raise MongoError(
            2,
            f"{type_name(arg)} is not valid type for $currentDate. Please use a boolean ('true') "
            "or a $type expression ({$type: 'timestamp/date'}).",
        )

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if self.as_timestamp:
            return ctx.cluster_time or Timestamp(0, 0)
        now = ctx.now or datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        return now.replace(microsecond=(now.microsecond // 1000) * 1000)


class RenameFromMod(Modifier):
    """The source half of $rename: removes the field (the target half sets its old value)."""

    name = "$rename"
    creates = False
    __slots__ = ()

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if current is MISSING:
            return Modifier.NO_CHANGE
        return Modifier.REMOVE


class RenameToMod(Modifier):
    name = "$rename"
    __slots__ = ("source",)

    def __init__(self, path: str, arg: Any) -> None:
        super().__init__(arg, path)
        self.source = path

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        value = ctx.renamed.get(self.source, MISSING)
        if value is MISSING:
            return Modifier.NO_CHANGE
        return value


def rename_mod(path: str, arg: Any, half: str) -> Modifier:
    return RenameFromMod(path, arg) if half == "from" else RenameToMod(path, arg)


def _not_array(path: str, current: Any, ctx: ApplyContext) -> MongoError:
    return MongoError(
        2,
        f"The field '{path.rsplit('.', 1)[-1]}' must be an array but is of type "
        f"{type_name(current)} in document {_id_text(ctx)}",
    )


class PushMod(Modifier):
    name = "$push"
    __slots__ = ("each", "position", "slice", "sort")

    def __init__(self, path: str, arg: Any) -> None:
        super().__init__(path, arg)
        self.position: int | None = None
        self.slice: int | None = None
        self.sort: Any = None
        if isinstance(arg, dict) and "$each" in arg:
            for k in arg:
                if k not in ("$each", "$position", "$slice", "$sort"):
                    raise MongoError(2, f"Unrecognized clause in $push: {k}")
            each = arg["$each"]
            if not isinstance(each, list):
                raise MongoError(
                    2,
                    f"The argument to $each in $push must be an array but it was of type: "
                    f"{type_name(each)}",
                )
            self.each = each
            if "$position" in arg:
                self.position = _int_arg(arg["$position"], "$position")
            if "$slice" in arg:
                self.slice = _int_arg(arg["$slice"], "$slice")
            if "$sort" in arg:
                self.sort = _sort_spec(arg["$sort"])
        else:
            self.each = [arg]

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if current is MISSING:
            arr: list = []
        elif type(current) is not list:
            raise _not_array(path, current, ctx)
        else:
            arr = current
        items = [_copy(x) for x in self.each]
        if self.position is None:
            arr.extend(items)
        else:
            pos = self.position
            if pos < 0:
                pos = max(0, len(arr) + pos)
            arr[pos:pos] = items
        if self.sort is not None:
            arr.sort(key=self.sort)
        if self.slice is not None:
            s = self.slice
            if s >= 0:
                del arr[s:]
            else:
                del arr[: max(0, len(arr) + s)]
        return arr


def _int_arg(v: Any, what: str) -> int:
    from ..bsontypes import is_integral

    if not is_numeric(v) or isinstance(v, bool) or not is_integral(v):
        raise MongoError(
            2, f"The value for {what} must be an integer value but was given type: {type_name(v)}"
        )
    return int(v)


def _sort_spec(spec: Any) -> Callable[[Any], Any]:
    if is_numeric(spec) and not isinstance(spec, bool):
        if spec not in (1, -1):
            raise MongoError(2, "The $sort element value must be either 1 or -1")
        if spec == 1:
            return encode_key
        return lambda v: _Desc(encode_key(v))
    if isinstance(spec, dict):
        if not spec:
            raise MongoError(2, "The $sort pattern is empty when it should be a set of fields.")
        from .. import paths

        fields = []
        for f, d in spec.items():
            if d not in (1, -1):
                raise MongoError(2, "The $sort element value must be either 1 or -1")
            fields.append((paths.split(f), d))

        def key(v: Any) -> Any:
            out = []
            for parts, d in fields:
                x = paths.get_exact(v, parts) if type(v) is dict else MISSING
                k = encode_key(None if x is MISSING else x)
                out.append(k if d == 1 else _Desc(k))
            return tuple(out)

        return key
    raise MongoError(
        2,
        "The $sort is invalid: use 1/-1 to sort the whole element, or "
        "{field:1/-1} to sort embedded fields",
    )


class _Desc:
    __slots__ = ("k",)

    def __init__(self, k: bytes) -> None:
        self.k = k

    def __lt__(self, other: _Desc) -> bool:
        return self.k > other.k

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.k == other.k


class AddToSetMod(Modifier):
    name = "$addToSet"
    __slots__ = ("each",)

    def __init__(self, path: str, arg: Any) -> None:
        super().__init__(path, arg)
        if isinstance(arg, dict) and "$each" in arg:
            each = arg["$each"]
            if not isinstance(each, list):
                raise MongoError(
                    2,
                    f"The argument to $each in $addToSet must be an array but it was of type "
                    f"{type_name(each)}",
                )
            self.each = each
        else:
            self.each = [arg]

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if current is MISSING:
            arr: list = []
        elif type(current) is not list:
            raise _not_array(path, current, ctx)
        else:
            arr = current
        keys = {encode_key(x) for x in arr}
        changed = current is MISSING
        for x in self.each:
            k = encode_key(x)
            if k not in keys:
                keys.add(k)
                arr.append(_copy(x))
                changed = True
        return arr if changed else Modifier.NO_CHANGE


class PopMod(Modifier):
    name = "$pop"
    creates = False
    __slots__ = ()

    def __init__(self, path: str, arg: Any) -> None:
        super().__init__(path, arg)
        if not is_numeric(arg) or isinstance(arg, bool):
            raise MongoError(9, f"Expected a number in: {path}: {display(arg)}")
        if arg not in (1, -1):
            raise MongoError(9, f"$pop expects 1 or -1, found: {display(arg)}")

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if current is MISSING:
            return Modifier.NO_CHANGE
        if type(current) is not list:
            raise MongoError(
                14,
                f"Path '{path}' contains an element of non-array type '{type_name(current)}'",
            )
        if not current:
            return Modifier.NO_CHANGE
        if self.arg == 1:
            current.pop()
        else:
            current.pop(0)
        return current


class PullMod(Modifier):
    name = "$pull"
    creates = False
    __slots__ = ("pred",)

    def __init__(self, path: str, arg: Any) -> None:
        super().__init__(path, arg)
        from ..query.matcher import compile_filter
        from ..query.predicates import _eq_pred
        from ..query.predicates import is_operator_object as _is_operator_object

        if isinstance(arg, dict) and arg and not _is_operator_object(arg):
            flt = compile_filter(arg)
            self.pred = lambda v: type(v) is dict and flt.match(v)
        elif isinstance(arg, dict) and _is_operator_object(arg):
            flt = compile_filter({"x": arg})
            self.pred = lambda v: flt.match({"x": v})
        else:
            from bson.regex import Regex

            if type(arg) is Regex:
                flt = compile_filter({"x": arg})
                self.pred = lambda v: flt.match({"x": v})
            else:
                eq = _eq_pred(arg)
                self.pred = eq

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if current is MISSING:
            return Modifier.NO_CHANGE
        if type(current) is not list:
            raise MongoError(2, "Cannot apply $pull to a non-array value")
        kept = [x for x in current if not self.pred(x)]
        if len(kept) == len(current):
            return Modifier.NO_CHANGE
        return kept


class PullAllMod(Modifier):
    name = "$pullAll"
    creates = False
    __slots__ = ("keys",)

    def __init__(self, path: str, arg: Any) -> None:
        super().__init__(path, arg)
        if not isinstance(arg, list):
            raise MongoError(
                2, f"$pullAll requires an array argument but was given a {type_name(arg)}"
            )
        self.keys = {encode_key(x) for x in arg}

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if current is MISSING:
            return Modifier.NO_CHANGE
        if type(current) is not list:
            raise MongoError(2, "Cannot apply $pull to a non-array value")
        kept = [x for x in current if encode_key(x) not in self.keys]
        if len(kept) == len(current):
            return Modifier.NO_CHANGE
        return kept


class BitMod(Modifier):
    name = "$bit"
    __slots__ = ("ops",)

    def __init__(self, path: str, arg: Any) -> None:
        super().__init__(path, arg)
        if not isinstance(arg, dict):
            raise MongoError(
                2,
                f"The $bit modifier is not compatible with a {type_name(arg)}. You must pass in "
                f"an embedded document: {{$bit: {{field: {{and/or/xor: #}}}}",
            )
        if not arg:
            raise MongoError(
                2,
                "You must pass in at least one bitwise operation. The format is: "
                "{$bit: {field: {and/or/xor: #}}",
            )
        self.ops = []
        for op, v in arg.items():
            if op not in ("and", "or", "xor"):
                raise MongoError(
                    2,
                    f"The $bit modifier only supports 'and', 'or', and 'xor', not '{op}' which is "
                    f"an unknown operator: {{{op}: {display(v)}}}",
                )
            if bson_type(v) not in (16, 18):
                raise MongoError(
                    2,
                    "The $bit modifier field must be an Integer(32/64 bit); a "
                    f"'{type_name(v)}' is not supported here: {{{op}: {display(v)}}}",
                )
            self.ops.append((op, v))

    def apply(self, current: Any, ctx: ApplyContext, path: str, container: Any) -> Any:
        if current is MISSING:
            current = 0
        elif bson_type(current) not in (16, 18):
            raise MongoError(
                2,
                f"Cannot apply $bit to a value of non-integral type.{_id_text(ctx)} has the field "
                f"{path.rsplit('.', 1)[-1]} of non-integer type {type_name(current)}",
            )
        long_ = bson_type(current) == 18
        n = int(current)
        for op, v in self.ops:
            long_ = long_ or bson_type(v) == 18
            if op == "and":
                n &= int(v)
            elif op == "or":
                n |= int(v)
            else:
                n ^= int(v)
        if long_:
            return Int64(arith.wrap64(n))
        return arith.wrap32(n)


def _copy(v: Any) -> Any:
    t = type(v)
    if t is dict:
        return {k: _copy(x) for k, x in v.items()}
    if t is list:
        return [_copy(x) for x in v]
    return v


MODIFIERS: dict[str, Callable[..., Modifier]] = {
    "$set": SetMod,
    "$setOnInsert": SetOnInsertMod,
    "$unset": UnsetMod,
    "$inc": IncMod,
    "$mul": MulMod,
    "$min": MinMod,
    "$max": MaxMod,
    "$currentDate": CurrentDateMod,
    "$rename": rename_mod,
    "$push": PushMod,
    "$addToSet": AddToSetMod,
    "$pop": PopMod,
    "$pull": PullMod,
    "$pullAll": PullAllMod,
    "$bit": BitMod,
}

_ = Decimal128
