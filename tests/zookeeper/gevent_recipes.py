"""Run kazoo's recipes with the gevent handler (monkey-patched process); argv[1] = hosts."""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

import gevent  # noqa: E402
from kazoo.client import KazooClient  # noqa: E402
from kazoo.handlers.gevent import SequentialGeventHandler  # noqa: E402


def main(hosts: str) -> None:
    clients = [KazooClient(hosts, handler=SequentialGeventHandler()) for _ in range(2)]
    for c in clients:
        c.start(timeout=10)
    a, b = clients
    root = "/gevent-recipes"
    a.ensure_path(root)
    order = []
    lock_a = a.Lock(root + "/lock", "a")
    lock_b = b.Lock(root + "/lock", "b")
    lock_a.acquire()

    def take_b():
        with lock_b:
            order.append("b")

    g = gevent.spawn(take_b)
    gevent.sleep(0.2)
    order.append("a")
    lock_a.release()
    g.join(10)
    assert order == ["a", "b"], order
    counter = a.Counter(root + "/counter")
    counter += 3
    assert b.Counter(root + "/counter").value == 3
    a.Queue(root + "/q").put(b"x")
    assert b.Queue(root + "/q").get() == b"x"
    a.Party(root + "/party", "p").join()
    assert list(b.Party(root + "/party")) == ["p"]
    sem = a.Semaphore(root + "/sem", max_leases=1)
    assert sem.acquire(timeout=5)
    assert not b.Semaphore(root + "/sem", max_leases=1).acquire(blocking=False)
    sem.release()
    elected = []
    election = a.Election(root + "/election", "me")
    ge = gevent.spawn(election.run, lambda: elected.append(True))
    ge.join(10)
    assert elected == [True]
    seen = []
    a.ensure_path(root + "/watched")
    a.ChildrenWatch(root + "/watched", lambda ch: seen.append(sorted(ch)))
    b.create(root + "/watched/x")
    for _ in range(100):
        if ["x"] in seen:
            break
        gevent.sleep(0.05)
    assert ["x"] in seen, seen
    a.delete(root, recursive=True)
    for c in clients:
        c.stop()
        c.close()
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
