"""Geo commands through redis-py (sync and asyncio), and the geohash primitives as units:
interleaving, encode/decode round trips, neighbour boxes covering every point of a search."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis import geohash

# Points at (or a rounding step below) the upper edges encode past the 52-bit range, as in Redis
# (GEOADD k 180 0 m scores 10133099161583616 there too); the differential tests cover them.
LON = st.floats(-180, 179.9999)
LAT = st.floats(geohash.GEO_LAT_MIN, 85.0511)


def test_geo_commands(r, r3) -> None:
    assert r.geoadd("Sicily", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])
    assert r.geodist("Sicily", "Palermo", "Catania", "km") == pytest.approx(166.2742)
    assert r.geohash("Sicily", "Palermo", "nope") == ["sqc8b49rny0", None]
    (lon, lat), missing = r.geopos("Sicily", "Palermo", "nope")
    assert (round(lon, 6), round(lat, 6), missing) == (13.361389, 38.115556, None)
    assert r.georadius("Sicily", 15, 37, 200, "km", withdist=True, sort="ASC") == [
        [b"Catania", 56.4413],
        [b"Palermo", 190.4424],
    ]
    assert r.geosearch("Sicily", member="Palermo", radius=100, unit="km") == [b"Palermo"]
    assert r.geosearch("Sicily", longitude=15, latitude=37, width=400, height=400, unit="km",
                       sort="DESC", count=1) == [b"Palermo"]  # fmt: skip
    assert r.geosearchstore("near", "Sicily", longitude=15, latitude=37, radius=100, unit="km",
                            storedist=True) == 1  # fmt: skip
    assert r.zscore("near", "Catania") == pytest.approx(56.4413, abs=1e-3)
    assert r.georadiusbymember("Sicily", "Palermo", 200, "km", store="st") == 2
    assert r.zcard("st") == 2
    assert r3.geopos("Sicily", "Catania")[0][0] == pytest.approx(15.087269)
    with pytest.raises(redis.ResponseError, match="invalid longitude,latitude pair"):
        r.geoadd("Sicily", [200, 38, "x"])
    with pytest.raises(redis.ResponseError, match="could not decode requested zset member"):
        r.georadiusbymember("Sicily", "nope", 1, "km")


def test_asyncio(server) -> None:
    async def main() -> None:
        c = redis.asyncio.Redis(port=server.redis_port)
        try:
            await c.delete("ag")
            assert await c.geoadd("ag", [2.35, 48.85, "paris", 2.29, 48.86, "eiffel"]) == 2
            found = await c.geosearch("ag", member="paris", radius=10, unit="km", sort="ASC")
            assert found == [b"paris", b"eiffel"]
            assert await c.geodist("ag", "paris", "eiffel") == pytest.approx(4529.8014)
        finally:
            await c.aclose()

    asyncio.run(main())


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_interleave_round_trip(x: int, y: int) -> None:
    bits = geohash.interleave64(x, y)
    assert geohash.deinterleave64(bits) == x | (y << 32)


@settings(max_examples=200)
@given(LON, LAT)
def test_score_decodes_inside_its_box(lon: float, lat: float) -> None:
    score = geohash.score_of(lon, lat)
    assert 0 <= score < 2**52
    box = geohash.decode_area(score, geohash.GEO_STEP_MAX)
    assert box is not None
    lon2, lat2 = geohash.decode_score(float(score))
    assert box[0] <= lon2 <= box[1] and box[2] <= lat2 <= box[3]
    assert abs(lon2 - lon) <= (box[1] - box[0]) and abs(lat2 - lat) <= (box[3] - box[2])
    assert geohash.distance(lon, lat, lon2, lat2) < 1.0  # 52 bits: well under a metre


@settings(max_examples=100)
@given(LON, LAT, LON, LAT, st.floats(1, 5_000_000))
def test_search_boxes_cover_every_point_in_the_circle(lon, lat, plon, plat, radius) -> None:
    shape = geohash.Shape()
    shape.lon, shape.lat, shape.radius = lon, lat, radius
    score = geohash.score_of(plon, plat)
    plon, plat = geohash.decode_score(float(score))
    if shape.contains(plon, plat) is None:
        return
    ranges = [geohash.box_score_range(b, s) for b, s in geohash.search_boxes(shape)]
    assert any(lo <= score < hi for lo, hi in ranges)
