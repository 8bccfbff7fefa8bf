"""Request-parsing cost per request (issue #20): 200,000 pipelined ``SET key:N value-N``
requests fed to the Redis request parser in reads of 16, 64 and 256 KiB (best of 3).

    .venv/bin/python bench/hostile_parser.py
"""

from __future__ import annotations

import time

from polystack.redis.wire import RequestParser, encode_command


def main() -> None:
    n = 200_000
    stream = b"".join(encode_command("SET", f"key:{i:06d}", f"value-{i}") for i in range(n))
    for read in (16384, 65536, 262144):
        best = float("inf")
        for _ in range(3):
            parser = RequestParser()
            got = 0
            t0 = time.perf_counter()
            for i in range(0, len(stream), read):
                got += len(parser.feed(stream[i : i + read]))
            best = min(best, time.perf_counter() - t0)
        assert got == n
        print(f"reads of {read // 1024:>3} KiB: {best / n * 1e9:7.1f} ns per request")


if __name__ == "__main__":
    main()
