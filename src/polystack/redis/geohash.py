"""Redis's geohash (geohash.c, geohash_helper.c): 52-bit interleaved scores over the Mercator
latitude range, neighbour boxes for radius and box searches, and the haversine distance on
Redis's Earth radius, with the same double arithmetic (and libm) as Redis, so scores,
positions and distances match to the digit."""

from __future__ import annotations

import math

GEO_STEP_MAX = 26
GEO_LAT_MIN = -85.05112878
GEO_LAT_MAX = 85.05112878
GEO_LONG_MIN = -180.0
GEO_LONG_MAX = 180.0
D_R = math.pi / 180.0
EARTH_RADIUS_IN_METERS = 6372797.560856
MERCATOR_MAX = 20037726.37
_B = (0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF,
      0x0000FFFF0000FFFF, 0x00000000FFFFFFFF)  # fmt: skip
_M64 = (1 << 64) - 1


def interleave64(xlo: int, ylo: int) -> int:
    x, y = xlo, ylo
    for s, b in ((16, _B[4]), (8, _B[3]), (4, _B[2]), (2, _B[1]), (1, _B[0])):
        x = (x | (x << s)) & b
        y = (y | (y << s)) & b
    return x | (y << 1)


def deinterleave64(interleaved: int) -> int:
    x = interleaved
    y = interleaved >> 1
    for s, b in ((0, _B[0]), (1, _B[1]), (2, _B[2]), (4, _B[3]), (8, _B[4]), (16, _B[5])):
        x = (x | (x >> s)) & b
        y = (y | (y >> s)) & b
    return x | (y << 32)


def encode(
    lon: float,
    lat: float,
    step: int = GEO_STEP_MAX,
    lon_range: tuple[float, float] = (GEO_LONG_MIN, GEO_LONG_MAX),
    lat_range: tuple[float, float] = (GEO_LAT_MIN, GEO_LAT_MAX),
) -> int | None:
    """geohashEncode: the ``step``*2-bit hash, or None outside the supported ranges."""
    if lon > GEO_LONG_MAX or lon < GEO_LONG_MIN or lat > GEO_LAT_MAX or lat < GEO_LAT_MIN:
        return None
    if lat < lat_range[0] or lat > lat_range[1] or lon < lon_range[0] or lon > lon_range[1]:
        return None
    lat_offset = (lat - lat_range[0]) / (lat_range[1] - lat_range[0])
    lon_offset = (lon - lon_range[0]) / (lon_range[1] - lon_range[0])
    lat_offset *= 1 << step
    lon_offset *= 1 << step
    return interleave64(int(lat_offset) & 0xFFFFFFFF, int(lon_offset) & 0xFFFFFFFF)


def decode_area(bits: int, step: int) -> tuple[float, float, float, float] | None:
    """geohashDecode: (lon min, lon max, lat min, lat max) of a hash box."""
    if bits == 0 and step == 0:
        return None
    sep = deinterleave64(bits)
    lat_scale = GEO_LAT_MAX - GEO_LAT_MIN
    lon_scale = GEO_LONG_MAX - GEO_LONG_MIN
    ilato = sep & 0xFFFFFFFF
    ilono = (sep >> 32) & 0xFFFFFFFF
    div = float(1 << step)
    return (
        GEO_LONG_MIN + (ilono * 1.0 / div) * lon_scale,
        GEO_LONG_MIN + ((ilono + 1) * 1.0 / div) * lon_scale,
        GEO_LAT_MIN + (ilato * 1.0 / div) * lat_scale,
        GEO_LAT_MIN + ((ilato + 1) * 1.0 / div) * lat_scale,
    )


def decode_score(score: float) -> tuple[float, float] | None:
    """decodeGeohash: the (longitude, latitude) a sorted set score stands for."""
    area = decode_area(int(score) & _M64, GEO_STEP_MAX)
    if area is None:
        return None
    lon = (area[0] + area[1]) / 2
    lon = min(max(lon, GEO_LONG_MIN), GEO_LONG_MAX)
    lat = (area[2] + area[3]) / 2
    lat = min(max(lat, GEO_LAT_MIN), GEO_LAT_MAX)
    return lon, lat


def score_of(lon: float, lat: float) -> int:
    """GEOADD's score: the 52-bit hash."""
    bits = encode(lon, lat)
    assert bits is not None
    return bits


def standard_geohash(lon: float, lat: float) -> bytes:
    """GEOHASH's 11-character string: re-encoded over -90..90 latitude, base32."""
    alphabet = b"0123456789bcdefghjkmnpqrstuvwxyz"
    bits = encode(lon, lat, 26, (-180.0, 180.0), (-90.0, 90.0)) or 0
    out = bytearray()
    for i in range(11):
        idx = 0 if i == 10 else (bits >> (52 - (i + 1) * 5)) & 0x1F
        out.append(alphabet[idx])
    return bytes(out)


def lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS_IN_METERS * abs(lat2 * D_R - lat1 * D_R)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """geohashGetDistance (haversine)."""
    lon1r = lon1 * D_R
    lon2r = lon2 * D_R
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r = lat1 * D_R
    lat2r = lat2 * D_R
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS_IN_METERS * math.asin(math.sqrt(a))


# -- searching ---------------------------------------------------------------------------------
def estimate_steps(range_meters: float, lat: float) -> int:
    """geohashEstimateStepsByRadius."""
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    return max(1, min(step, 26))


def _move_x(bits: int, step: int, d: int) -> int:
    if d == 0:
        return bits
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0x5555555555555555 >> (64 - step * 2)
    if d > 0:
        x = (x + (zz + 1)) & _M64
    else:
        x = x | zz
        x = (x - (zz + 1)) & _M64
    x &= 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    return x | y


def _move_y(bits: int, step: int, d: int) -> int:
    if d == 0:
        return bits
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    if d > 0:
        y = (y + (zz + 1)) & _M64
    else:
        y = y | zz
        y = (y - (zz + 1)) & _M64
    y &= 0x5555555555555555 >> (64 - step * 2)
    return x | y


# The neighbour order membersOfAllNeighbors visits: itself, N, S, E, W, NE, NW, SE, SW.
_NEIGHBOURS = ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))


class Shape:
    """A search area: a circle (radius) or a box (width, height), in the unit's meters."""

    __slots__ = ("lon", "lat", "radius", "width", "height", "conversion", "box")

    def __init__(self) -> None:
        self.lon = self.lat = 0.0
        self.radius = self.width = self.height = 0.0
        self.conversion = 1.0
        self.box = False

    def bounds(self) -> tuple[float, float, float, float]:
        """geohashBoundingBox: (min lon, min lat, max lon, max lat)."""
        height = self.conversion * (self.height / 2 if self.box else self.radius)
        width = self.conversion * (self.width / 2 if self.box else self.radius)
        lat_delta = (height / EARTH_RADIUS_IN_METERS) / D_R
        top = (width / EARTH_RADIUS_IN_METERS / math.cos((self.lat + lat_delta) * D_R)) / D_R
        bottom = (width / EARTH_RADIUS_IN_METERS / math.cos((self.lat - lat_delta) * D_R)) / D_R
        south = self.lat < 0
        return (
            self.lon - bottom if south else self.lon - top,
            self.lat - lat_delta,
            self.lon + bottom if south else self.lon + top,
            self.lat + lat_delta,
        )

    def contains(self, lon: float, lat: float) -> float | None:
        """geoWithinShape: the distance to the centre when (lon, lat) is inside, else None."""
        if not self.box:
            d = distance(self.lon, self.lat, lon, lat)
            return d if d <= self.radius * self.conversion else None
        width_m = self.width * self.conversion
        height_m = self.height * self.conversion
        if lat_distance(lat, self.lat) > height_m / 2:
            return None
        if distance(lon, lat, self.lon, lat) > width_m / 2:
            return None
        return distance(self.lon, self.lat, lon, lat)


def search_boxes(shape: Shape) -> list[tuple[int, int]]:
    """geohashCalculateAreasByShapeWGS84: the (hash, step) boxes to scan, in order (the zeroed
    ones left out, a neighbour equal to the one scanned before it skipped)."""
    min_lon, min_lat, max_lon, max_lat = shape.bounds()
    if shape.box:
        radius = math.sqrt((shape.width / 2) ** 2 + (shape.height / 2) ** 2)
    else:
        radius = shape.radius
    radius *= shape.conversion
    steps = estimate_steps(radius, shape.lat)
    hash_ = encode(shape.lon, shape.lat, steps) or 0

    def neighbours(h: int, s: int) -> list[int]:
        return [_move_y(_move_x(h, s, dx), s, dy) for dx, dy in _NEIGHBOURS]

    nb = neighbours(hash_, steps)
    n_area, s_area = decode_area(nb[1], steps), decode_area(nb[2], steps)
    e_area, w_area = decode_area(nb[3], steps), decode_area(nb[4], steps)
    decrease = bool(
        (n_area and n_area[3] < max_lat)
        or (s_area and s_area[2] > min_lat)
        or (e_area and e_area[1] < max_lon)
        or (w_area and w_area[0] > min_lon)
    )
    if steps > 1 and decrease:
        steps -= 1
        hash_ = encode(shape.lon, shape.lat, steps) or 0
        nb = neighbours(hash_, steps)
    area = decode_area(hash_, steps)
    zero = [False] * 9
    if steps >= 2 and area is not None:
        if area[2] < min_lat:  # south, south-west, south-east
            zero[2] = zero[8] = zero[7] = True
        if area[3] > max_lat:  # north, north-east, north-west
            zero[1] = zero[5] = zero[6] = True
        if area[0] < min_lon:  # west, south-west, north-west
            zero[4] = zero[8] = zero[6] = True
        if area[1] > max_lon:  # east, south-east, north-east
            zero[3] = zero[7] = zero[5] = True
    boxes = []
    last_processed = 0  # membersOfAllNeighbors only compares once a neighbour was processed
    for i, bits in enumerate(nb):
        if zero[i]:
            continue
        if last_processed and bits == nb[last_processed]:
            continue
        boxes.append((bits, steps))
        last_processed = i
    return boxes


def box_score_range(bits: int, step: int) -> tuple[int, int]:
    """scoresOfGeoHashBox: [min, max) scores of the members inside a hash box."""
    shift = 52 - step * 2
    return bits << shift, (bits + 1) << shift


def format_distance(d: float) -> bytes:
    """addReplyDoubleDistance: fixedpoint_d2string(d, 4), rounding d*10000 half to even."""
    if d == 0:
        return b"0.0000"
    v = round(d * 10000.0)
    sign = b"-" if v < 0 else b""
    v = abs(v)
    return b"%s%d.%04d" % (sign, v // 10000, v % 10000)
