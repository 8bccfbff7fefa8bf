"""Geo commands against a real redis-server 7.0, byte for byte in RESP2 and RESP3: GEOADD's
scores and errors, GEODIST/GEOPOS/GEOHASH formatting, radius and box searches (unsorted scan
order, ASC/DESC, COUNT with and without ANY, ties between equal points), the sorted sets
GEORADIUS STORE/STOREDIST and GEOSEARCHSTORE leave behind, and random searches over points
scattered at every scale."""

from __future__ import annotations

import random

import pytest

from polystack.redis.pqsort import pqsort
from tests.redis.scenarios import check

pytestmark = pytest.mark.differential

GEO: list[list] = [
    ["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
    ["GEOADD", "Sicily", "200", "38", "x"],
    ["GEOADD", "Sicily", "13", "86", "x"],
    ["GEOADD", "Sicily", "13", "38"],
    ["GEOADD", "Sicily", "NX", "XX", "13", "38", "x"],
    ["GEOADD", "Sicily", "CH", "13.361389", "38.115557", "Palermo"],
    ["GEOADD", "Sicily", "abc", "38", "x"],
    ["GEODIST", "Sicily", "Palermo", "Catania"],
    ["GEODIST", "Sicily", "Palermo", "Catania", "km"],
    ["GEODIST", "Sicily", "Palermo", "Catania", "MI"],
    ["GEODIST", "Sicily", "Palermo", "Catania", "ft"],
    ["GEODIST", "Sicily", "Palermo", "Catania", "yd"],
    ["GEODIST", "Sicily", "Palermo", "Catania", "km", "x"],
    ["GEODIST", "Sicily", "Palermo", "nope"],
    ["GEODIST", "nokey", "a", "b"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "DESC"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"],
    ["GEORADIUS", "Sicily", "15", "37", "-1", "km"],
    ["GEORADIUS", "Sicily", "15", "37", "x", "km"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "furlong"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst", "WITHDIST"],
    ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst2"],
    ["ZRANGE", "dst2", "0", "-1", "WITHSCORES"],
    ["OBJECT", "ENCODING", "dst2"],
    ["GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE", "dst"],
    ["EXISTS", "dst"],
    ["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "dst"],
    ["GEOHASH", "Sicily", "Palermo", "Catania", "nope"],
    ["GEOHASH", "nokey", "a"],
    ["GEOPOS", "Sicily", "Palermo", "Catania", "NonExisting"],
    ["GEOPOS", "nokey", "a"],
    ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"],
    [
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYBOX",
        "400",
        "400",
        "km",
        "ASC",
        "WITHCOORD",
        "WITHDIST",
    ],
    [
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYBOX",
        "400",
        "400",
        "km",
        "DESC",
        "WITHHASH",
    ],
    ["GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYBOX", "400", "400", "km"],
    [
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "200",
        "km",
    ],
    ["GEOSEARCH", "Sicily", "BYRADIUS", "200", "km"],
    ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37"],
    ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STORE", "x"],
    [
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "200",
        "km",
        "BYBOX",
        "1",
        "1",
        "km",
    ],
    ["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "200", "km"],
    ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "km"],
    ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "a", "1", "km"],
    [
        "GEOSEARCHSTORE",
        "dst",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYBOX",
        "400",
        "400",
        "km",
        "ASC",
        "COUNT",
        "3",
        "STOREDIST",
    ],
    ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    [
        "GEOSEARCHSTORE",
        "dst",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYBOX",
        "400",
        "400",
        "km",
        "WITHDIST",
    ],
    ["GEOSEARCHSTORE", "dst", "nokey", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km"],
    ["EXISTS", "dst"],
    ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST"],
    ["GEORADIUSBYMEMBER", "Sicily", "nope", "200", "km", "WITHDIST"],
    ["GEORADIUSBYMEMBER", "nokey", "nope", "200", "xx", "WITHDIST"],
    ["GEORADIUSBYMEMBER", "nokey", "nope", "200", "xx", "STORE", "a"],
    ["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km"],
    ["SET", "str", "x"],
    ["GEOADD", "str", "1", "1", "a"],
    ["GEOPOS", "str", "a"],
    ["GEORADIUS", "str", "1", "1", "1", "km"],
    ["GEOSEARCH", "str", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"],
    ["GEODIST", "str", "a", "b"],
    ["ZADD", "Sicily", "0", "zero", "9007199254740992", "big", "-1", "neg"],
    ["GEOPOS", "Sicily", "zero", "big", "neg"],
    ["GEOHASH", "Sicily", "zero", "big", "neg"],
    ["GEODIST", "Sicily", "zero", "Palermo"],
    [
        "GEOADD",
        "pts",
        "0",
        "0",
        "a",
        "0",
        "0",
        "b",
        "0",
        "0",
        "c",
        "0",
        "0",
        "d",
        "0.0001",
        "0",
        "e",
        "0",
        "0.0001",
        "f",
        "0",
        "0",
        "g",
        "0",
        "0",
        "h",
        "0",
        "0",
        "i",
    ],
    ["GEORADIUS", "pts", "0", "0", "10", "km", "COUNT", "3"],
    ["GEORADIUS", "pts", "0", "0", "10", "km", "COUNT", "3", "DESC"],
    ["GEORADIUS", "pts", "0", "0", "10", "km", "DESC"],
    ["GEORADIUS", "pts", "0", "0", "10", "km"],
    [
        "GEOADD",
        "w",
        "180",
        "85.05112878",
        "n1",
        "-180",
        "-85.05112878",
        "s1",
        "179.9",
        "0",
        "e1",
        "-179.9",
        "0",
        "w1",
    ],
    ["GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYRADIUS", "25000", "km", "WITHCOORD"],
    ["GEOSEARCH", "w", "FROMLONLAT", "179.95", "0", "BYRADIUS", "100", "km", "WITHDIST"],
    ["GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYBOX", "40000", "20000", "km", "WITHDIST"],
    [
        "COMMAND",
        "INFO",
        "geoadd",
        "georadius",
        "georadiusbymember",
        "geosearch",
        "geosearchstore",
        "georadius_ro",
    ],
    ["COMMAND", "GETKEYS", "GEORADIUS", "a", "1", "1", "1", "km", "STORE", "b", "STOREDIST", "c"],
]


@pytest.mark.parametrize("resp", [2, 3])
def test_geo_scenario(differ, resp: int) -> None:
    check(differ, GEO, resp)


def _geo_commands(seed: int) -> list[list]:
    rng = random.Random(seed)
    cmds: list[list] = []
    clon, clat = rng.uniform(-180, 180), rng.uniform(-85, 85)
    spread = rng.choice([0.001, 0.1, 2, 30, 180])
    n = rng.choice([5, 50, 200])
    pts: list[tuple[float, float]] = []
    for i in range(n):
        lon = max(-180, min(180, clon + rng.uniform(-spread, spread)))
        lat = max(-85.05, min(85.05, clat + rng.uniform(-spread, spread)))
        if pts and rng.random() < 0.1:
            lon, lat = rng.choice(pts)  # equal points: ties in distance
        pts.append((lon, lat))
        cmds.append(["GEOADD", "g", repr(lon), repr(lat), f"m{i}"])
    unit = "m"
    for _ in range(25):
        lon, lat = rng.choice(pts) if rng.random() < 0.5 else (clon, clat)
        radius = str(rng.choice([1, 10, 100, 1000, 5000, 20000]) * spread / 10)
        unit = rng.choice(["m", "km", "mi", "ft", "KM"])
        opts = [o for o in ("WITHDIST", "WITHCOORD", "WITHHASH") if rng.random() < 0.4]
        if rng.random() < 0.5:
            opts += ["COUNT", str(rng.randint(1, 10))]
            if rng.random() < 0.4:
                opts.append("ANY")
        if rng.random() < 0.5:
            opts.append(rng.choice(["ASC", "DESC"]))
        k = rng.random()
        member = f"m{rng.randrange(n)}"
        if k < 0.3:
            cmds.append(["GEORADIUS", "g", repr(lon), repr(lat), radius, unit, *opts])
        elif k < 0.5:
            cmds.append(["GEORADIUSBYMEMBER", "g", member, radius, unit, *opts])
        elif k < 0.8:
            height = str(float(radius) * rng.uniform(0.2, 3))
            cmds.append(
                ["GEOSEARCH", "g", "FROMLONLAT", repr(lon), repr(lat), "BYBOX", radius, height]
                + [unit, *opts]
            )
        else:
            store = [o for o in opts if not o.startswith("WITH")]
            if rng.random() < 0.5:
                store.append("STOREDIST")
            cmds.append(
                ["GEOSEARCHSTORE", "d", "g", "FROMMEMBER", member, "BYRADIUS", radius, unit, *store]
            )
            cmds.append(["ZRANGE", "d", "0", "-1", "WITHSCORES"])
            cmds.append(["OBJECT", "ENCODING", "d"])
    members = [f"m{i}" for i in range(n)]
    cmds.append(["GEOPOS", "g", *members])
    cmds.append(["GEOHASH", "g", *members])
    cmds.append(["GEODIST", "g", "m0", f"m{n - 1}", unit])
    return cmds


@pytest.mark.parametrize("seed", range(6))
def test_random_geo(differ, seed: int) -> None:
    check(differ, _geo_commands(seed), 3 if seed % 2 else 2)


def test_pqsort_orders_the_wanted_range() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(0, 120)
        items = [(rng.randint(0, 20), i) for i in range(n)]
        want = sorted(items, key=lambda t: t[0])
        lo = rng.randint(0, max(0, n - 1))
        hi = rng.randint(lo, max(lo, n - 1))
        got = list(items)
        pqsort(got, lambda a, b: (a[0] > b[0]) - (a[0] < b[0]), lo, hi)
        assert sorted(got) == sorted(items)
        assert [t[0] for t in got[lo : hi + 1]] == [t[0] for t in want[lo : hi + 1]]
