"""Geo commands (geo.c) over sorted sets: GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH,
GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their _RO forms.  Members are scanned box by
box in Redis's order, so unsorted and COUNT ... ANY results come out as Redis's do."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from polystack.redis import geohash
from polystack.redis.args import parse_double, parse_int
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import single, spec
from polystack.redis.commands.zsets import store_result, zadd_generic
from polystack.redis.errors import SYNTAX, err
from polystack.redis.longdouble import format_long_double
from polystack.redis.lookup import read_typed
from polystack.redis.pqsort import pqsort
from polystack.redis.wire import NULL_ARRAY, Raw
from polystack.redis.zset_type import ZSet, score_bounds

_GEO = "geo"
_UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}
_BAD_MEMBER = err("could not decode requested zset member")


def _lonlat(argv: list[bytes], i: int) -> tuple[float, float]:
    """extractLongLatOrReply."""
    lon, lat = parse_double(argv[i]), parse_double(argv[i + 1])
    if (
        lon < geohash.GEO_LONG_MIN
        or lon > geohash.GEO_LONG_MAX
        or lat < geohash.GEO_LAT_MIN
        or lat > geohash.GEO_LAT_MAX
    ):
        raise err(f"invalid longitude,latitude pair {lon:f},{lat:f}")
    return lon, lat


def _unit(arg: bytes) -> float:
    conv = _UNITS.get(arg.lower())
    if conv is None:
        raise err("unsupported unit provided. please use M, KM, FT, MI")
    return conv


def human(client: Any, value: float) -> Raw:
    """addReplyHumanLongDouble: %.17Lf without trailing zeros, a RESP3 double."""
    text = format_long_double(Fraction(value))
    if client.resp3:
        return Raw(b",%b\r\n" % text)
    return Raw(b"$%d\r\n%b\r\n" % (len(text), text))


@command(
    "geoadd",
    -5,
    "write denyoom",
    (1, 1, 1),
    _GEO,
    "3.2.0",
    "Add one or more geospatial items in the geospatial index represented using a sorted set",
    complexity="O(log(N)) for each item added, where N is the number of elements in the "
    "sorted set.",
    arguments="key:key condition:oneof?@6.2.0{nx:pure-token'NX' xx:pure-token'XX'} "
    "change:pure-token'CH'?@6.2.0 "
    "longitude_latitude_member:block+{longitude:double latitude:double member:string}",
    history=(("6.2.0", "Added the `CH`, `NX` and `XX` options."),),
    specs=(single("RW UPDATE"),),
)
def geoadd(client: Any, argv: list[bytes]) -> Any:
    xx = nx = False
    idx = 2
    while idx < len(argv):
        opt = argv[idx].lower()
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt != b"ch":
            break
        idx += 1
    if (len(argv) - idx) % 3 or (xx and nx):
        raise SYNTAX
    zargv = [b"zadd", *argv[1:idx]]
    for i in range(idx, len(argv), 3):
        lon, lat = _lonlat(argv, i)
        zargv += [b"%d" % geohash.score_of(lon, lat), argv[i + 2]]
    client.propagate = [zargv]
    return zadd_generic(client, zargv, 0)


@command(
    "geodist",
    -4,
    "readonly",
    (1, 1, 1),
    _GEO,
    "3.2.0",
    "Returns the distance between two members of a geospatial index",
    complexity="O(log(N))",
    arguments="key:key member1:string member2:string "
    "unit:oneof?{m:pure-token'M' km:pure-token'KM' ft:pure-token'FT' mi:pure-token'MI'}",
    specs=(single("RO ACCESS"),),
)
def geodist(client: Any, argv: list[bytes]) -> Any:
    to_meter = 1.0
    if len(argv) == 5:
        to_meter = _unit(argv[4])
    elif len(argv) > 5:
        raise SYNTAX
    z = read_typed(client, argv[1], ZSet)
    if z is None:
        return None
    s1, s2 = z.dict.get(argv[2]), z.dict.get(argv[3])
    if s1 is None or s2 is None:
        return None
    a, b = geohash.decode_score(s1), geohash.decode_score(s2)
    if a is None or b is None:
        return None
    return geohash.format_distance(geohash.distance(a[0], a[1], b[0], b[1]) / to_meter)


@command(
    "geohash",
    -2,
    "readonly",
    (1, 1, 1),
    _GEO,
    "3.2.0",
    "Returns members of a geospatial index as standard geohash strings",
    complexity="O(log(N)) for each member requested, where N is the number of elements in the "
    "sorted set.",
    arguments="key:key member:string+",
    specs=(single("RO ACCESS"),),
)
def geohash_(client: Any, argv: list[bytes]) -> Any:
    z = read_typed(client, argv[1], ZSet)
    out: list[Any] = []
    for m in argv[2:]:
        score = z.dict.get(m) if z is not None else None
        xy = geohash.decode_score(score) if score is not None else None
        out.append(None if xy is None else geohash.standard_geohash(*xy))
    return out


@command(
    "geopos",
    -2,
    "readonly",
    (1, 1, 1),
    _GEO,
    "3.2.0",
    "Returns longitude and latitude of members of a geospatial index",
    complexity="O(N) where N is the number of members requested.",
    arguments="key:key member:string+",
    specs=(single("RO ACCESS"),),
)
def geopos(client: Any, argv: list[bytes]) -> Any:
    z = read_typed(client, argv[1], ZSet)
    out: list[Any] = []
    for m in argv[2:]:
        score = z.dict.get(m) if z is not None else None
        xy = geohash.decode_score(score) if score is not None else None
        out.append(NULL_ARRAY if xy is None else [human(client, xy[0]), human(client, xy[1])])
    return out


# -- searches ------------------------------------------------------------------------------------
COORDS, MEMBER, NOSTORE, SEARCH, SEARCHSTORE = 1, 2, 4, 8, 16


def points(
    z: ZSet, shape: geohash.Shape, limit: int
) -> list[tuple[float, float, float, float, bytes]]:
    """membersOfAllNeighbors: (lon, lat, distance, score, member) in scan order; ``limit``
    (COUNT ... ANY) stops the scan early."""
    found: list[tuple[float, float, float, float, bytes]] = []
    for bits, step in geohash.search_boxes(shape):
        if found and limit and len(found) >= limit:
            break
        lo, hi = geohash.box_score_range(bits, step)
        start, stop = score_bounds(z, float(lo), False, float(hi), True)
        for score, member in z.range(start, stop):
            xy = geohash.decode_score(score)
            if xy is not None:
                d = shape.contains(xy[0], xy[1])
                if d is not None:
                    found.append((xy[0], xy[1], d, score, member))
            if found and limit and len(found) >= limit:
                break
    return found


def _ASC(a: tuple, b: tuple) -> int:
    return 1 if a[2] > b[2] else 0 if a[2] == b[2] else -1


def _DESC(a: tuple, b: tuple) -> int:
    return -_ASC(a, b)


def _distance_args(argv: list[bytes], i: int, shape: geohash.Shape) -> None:
    radius = parse_double(argv[i], "need numeric radius")
    if radius < 0:
        raise err("radius cannot be negative")
    shape.radius = radius
    shape.conversion = _unit(argv[i + 1])


def georadius_generic(client: Any, argv: list[bytes], src: int, flags: int) -> Any:
    z = read_typed(client, argv[src], ZSet)
    shape = geohash.Shape()
    storekey: bytes | None = None
    storedist = False
    if flags & COORDS:
        base = 6
        shape.lon, shape.lat = _lonlat(argv, 2)
        _distance_args(argv, 4, shape)
    elif flags & MEMBER:
        base = 5
        if z is not None:
            score = z.dict.get(argv[2])
            xy = geohash.decode_score(score) if score is not None else None
            if xy is None:
                raise _BAD_MEMBER
            shape.lon, shape.lat = xy
            _distance_args(argv, 3, shape)
    else:
        base = 2
        if flags & SEARCHSTORE:
            base = 3
            storekey = argv[1]
    withdist = withhash = withcoord = anyflag = False
    frommember = fromloc = byradius = bybox = False
    sort = 0
    count = 0
    n = len(argv)
    i = base
    while i < n:
        arg = argv[i].lower()
        rem = n - i
        if arg == b"withdist":
            withdist = True
        elif arg == b"withhash":
            withhash = True
        elif arg == b"withcoord":
            withcoord = True
        elif arg == b"any":
            anyflag = True
        elif arg == b"asc":
            sort = 1
        elif arg == b"desc":
            sort = 2
        elif arg == b"count" and rem > 1:
            count = parse_int(argv[i + 1])
            if count <= 0:
                raise err("COUNT must be > 0")
            i += 1
        elif arg in (b"store", b"storedist") and rem > 1 and not flags & (NOSTORE | SEARCH):
            storekey = argv[i + 1]
            storedist = arg == b"storedist"
            i += 1
        elif arg == b"storedist" and flags & SEARCH and flags & SEARCHSTORE:
            storedist = True
        elif arg == b"frommember" and rem > 1 and flags & SEARCH and not fromloc:
            if z is not None:
                score = z.dict.get(argv[i + 1])
                xy = geohash.decode_score(score) if score is not None else None
                if xy is None:
                    raise _BAD_MEMBER
                shape.lon, shape.lat = xy
            frommember = True
            i += 1
        elif arg == b"fromlonlat" and rem > 2 and flags & SEARCH and not frommember:
            shape.lon, shape.lat = _lonlat(argv, i + 1)
            fromloc = True
            i += 2
        elif arg == b"byradius" and rem > 2 and flags & SEARCH and not bybox:
            _distance_args(argv, i + 1, shape)
            shape.box = False
            byradius = True
            i += 2
        elif arg == b"bybox" and rem > 3 and flags & SEARCH and not byradius:
            width = parse_double(argv[i + 1], "need numeric width")
            height = parse_double(argv[i + 2], "need numeric height")
            if height < 0 or width < 0:
                raise err("height or width cannot be negative")
            shape.width, shape.height = width, height
            shape.conversion = _unit(argv[i + 3])
            shape.box = True
            bybox = True
            i += 3
        else:
            raise SYNTAX
        i += 1
    if storekey is not None and (withdist or withhash or withcoord):
        what = "GEOSEARCHSTORE" if flags & SEARCHSTORE else "STORE option in GEORADIUS"
        raise err(f"{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
    name = argv[0].decode("latin-1")
    if flags & SEARCH and not (frommember or fromloc):
        raise err(f"exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")
    if flags & SEARCH and not (byradius or bybox):
        raise err(f"exactly one of BYRADIUS and BYBOX can be specified for {name}")
    if anyflag and not count:
        raise err("the ANY argument requires COUNT argument")
    if z is None:
        if storekey is not None:
            return store_result(client, storekey, None, b"")
        return []
    if count and not sort and not anyflag:
        sort = 1
    found = points(z, shape, count if anyflag else 0)
    if not found and storekey is None:
        return []
    returned_items = len(found) if not count or len(found) < count else count
    if sort:
        if returned_items == len(found):
            # glibc's qsort (a stable merge sort for arrays this size)
            found.sort(key=lambda p: p[2], reverse=sort == 2)
        else:
            pqsort(found, _ASC if sort == 1 else _DESC, 0, returned_items - 1)
    returned = found[:returned_items]
    if storekey is None:
        out: list[Any] = []
        extra = withdist or withhash or withcoord
        for lon, lat, dist, score, member in returned:
            if not extra:
                out.append(member)
                continue
            item: list[Any] = [member]
            if withdist:
                item.append(geohash.format_distance(dist / shape.conversion))
            if withhash:
                item.append(int(score))
            if withcoord:
                item.append([human(client, lon), human(client, lat)])
            out.append(item)
        return out
    result = ZSet(False)
    for _, _, dist, score, member in returned:
        result.insert(member, dist / shape.conversion if storedist else score)
    result.convert_if_small(client.ks.limits)
    event = b"geosearchstore" if flags & SEARCH else b"georadiusstore"
    store_result(client, storekey, result if returned else None, event)
    if returned:
        client.ks.dirty += len(returned) - 1  # server.dirty += returned_items
    return len(returned)


_UNIT = "unit:oneof{m:pure-token'M' km:pure-token'KM' ft:pure-token'FT' mi:pure-token'MI'}"
_RADIUS_OPTS = (
    "withcoord:pure-token'WITHCOORD'? withdist:pure-token'WITHDIST'? "
    "withhash:pure-token'WITHHASH'? count:block?{count:integer'COUNT' any:pure-token'ANY'?%s} "
    "order:oneof?{asc:pure-token'ASC' desc:pure-token'DESC'}"
)
_STORE_ARGS = " key:key'STORE'? key:key'STOREDIST'?"
_RADIUS_COMPLEXITY = (
    "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area "
    "delimited by center and radius and M is the number of items inside the index."
)
_UNITS_HISTORY = ("7.0.0", "Added support for uppercase unit names.")


def _store_specs(startfrom: int) -> tuple:
    return (
        single("RO ACCESS"),
        spec("OW UPDATE", ("keyword", "STORE", startfrom), ("range", 0, 1, 0)),
        spec("OW UPDATE", ("keyword", "STOREDIST", startfrom), ("range", 0, 1, 0)),
    )


@command(
    "georadius",
    -6,
    "write denyoom movablekeys",
    (1, 1, 1),
    _GEO,
    "3.2.0",
    "Query a sorted set representing a geospatial index to fetch members matching a given "
    "maximum distance from a point",
    complexity=_RADIUS_COMPLEXITY,
    arguments="key:key longitude:double latitude:double radius:double "
    + _UNIT
    + " "
    + _RADIUS_OPTS % "@6.2.0"
    + _STORE_ARGS,
    history=(("6.2.0", "Added the `ANY` option for `COUNT`."), _UNITS_HISTORY),
    deprecated=("6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument"),
    specs=_store_specs(6),
)
def georadius(client: Any, argv: list[bytes]) -> Any:
    return georadius_generic(client, argv, 1, COORDS)


@command(
    "georadius_ro",
    -6,
    "readonly",
    (1, 1, 1),
    _GEO,
    "3.2.10",
    "A read-only variant for GEORADIUS",
    complexity=_RADIUS_COMPLEXITY,
    arguments="key:key longitude:double latitude:double radius:double "
    + _UNIT
    + " "
    + _RADIUS_OPTS % "@6.2.0",
    history=(("6.2.0", "Added the `ANY` option for `COUNT`."),),
    deprecated=("6.2.0", "`GEOSEARCH` with the `BYRADIUS` argument"),
    specs=(single("RO ACCESS"),),
)
def georadius_ro(client: Any, argv: list[bytes]) -> Any:
    return georadius_generic(client, argv, 1, COORDS | NOSTORE)


@command(
    "georadiusbymember",
    -5,
    "write denyoom movablekeys",
    (1, 1, 1),
    _GEO,
    "3.2.0",
    "Query a sorted set representing a geospatial index to fetch members matching a given "
    "maximum distance from a member",
    complexity=_RADIUS_COMPLEXITY,
    arguments="key:key member:string radius:double "
    + _UNIT
    + " "
    + _RADIUS_OPTS % ""
    + _STORE_ARGS,
    history=(_UNITS_HISTORY,),
    deprecated=(
        "6.2.0",
        "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
    ),
    specs=_store_specs(5),
)
def georadiusbymember(client: Any, argv: list[bytes]) -> Any:
    return georadius_generic(client, argv, 1, MEMBER)


@command(
    "georadiusbymember_ro",
    -5,
    "readonly",
    (1, 1, 1),
    _GEO,
    "3.2.10",
    "A read-only variant for GEORADIUSBYMEMBER",
    complexity=_RADIUS_COMPLEXITY,
    arguments="key:key member:string radius:double " + _UNIT + " " + _RADIUS_OPTS % "",
    deprecated=("6.2.0", "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments"),
    specs=(single("RO ACCESS"),),
)
def georadiusbymember_ro(client: Any, argv: list[bytes]) -> Any:
    return georadius_generic(client, argv, 1, MEMBER | NOSTORE)


_FROM_BY = (
    "from:oneof{member:string'FROMMEMBER' "
    "longitude_latitude:block'FROMLONLAT'{longitude:double latitude:double}} "
    "by:oneof{circle:block{radius:double'BYRADIUS' " + _UNIT + "} "
    "box:block{width:double'BYBOX' height:double " + _UNIT + "}} "
    "order:oneof?{asc:pure-token'ASC' desc:pure-token'DESC'} "
    "count:block?{count:integer'COUNT' any:pure-token'ANY'?}"
)
_SEARCH_COMPLEXITY = (
    "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around "
    "the shape provided as the filter and M is the number of items inside the shape"
)


@command(
    "geosearch",
    -7,
    "readonly",
    (1, 1, 1),
    _GEO,
    "6.2.0",
    "Query a sorted set representing a geospatial index to fetch members inside an area of a "
    "box or a circle.",
    complexity=_SEARCH_COMPLEXITY,
    arguments="key:key "
    + _FROM_BY
    + " withcoord:pure-token'WITHCOORD'? withdist:pure-token'WITHDIST'? "
    "withhash:pure-token'WITHHASH'?",
    history=(_UNITS_HISTORY,),
    specs=(single("RO ACCESS"),),
)
def geosearch(client: Any, argv: list[bytes]) -> Any:
    return georadius_generic(client, argv, 1, SEARCH)


@command(
    "geosearchstore",
    -8,
    "write denyoom",
    (1, 2, 1),
    _GEO,
    "6.2.0",
    "Query a sorted set representing a geospatial index to fetch members inside an area of a "
    "box or a circle, and store the result in another key.",
    complexity=_SEARCH_COMPLEXITY,
    arguments="destination:key source:key " + _FROM_BY + " storedist:pure-token'STOREDIST'?",
    history=(_UNITS_HISTORY,),
    specs=(single("OW UPDATE"), single("RO ACCESS", 2)),
)
def geosearchstore(client: Any, argv: list[bytes]) -> Any:
    return georadius_generic(client, argv, 2, SEARCH | SEARCHSTORE)
