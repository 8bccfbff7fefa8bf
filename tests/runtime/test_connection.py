"""runtime/connection.py with the toy session: backpressure, flow control before the reply is
built, hard output limits, the barrier and per-record durability, shutdown hooks."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time

import pytest

from polystack.runtime import log as logmod

from .toy import LineClient, in_thread, port_of, toy_server


class BlockingFsync:
    """An fsync that waits until released (a slow disk under the test's control)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.real = os.fsync

    def __call__(self, fd: int) -> None:
        self.entered.set()
        self.gate.wait(20)
        self.real(fd)


def run(coro_fn, tmp_path, **cfg):
    async def main():
        srv = toy_server(tmp_path, **cfg)
        await srv.start()
        try:
            return await coro_fn(srv)
        finally:
            await srv.stop("test over")

    return asyncio.run(main())


def test_backpressure_and_max_clients(tmp_path):
    async def body(srv):
        port = port_of(srv, "toy")
        svc = srv.services["toy"]

        def client_work():
            slow = LineClient(port, rcvbuf=4096)
            slow.sock.settimeout(0.05)
            for _ in range(400):  # asks for 100 MiB of replies, one line at a time, reads none
                try:
                    slow.sock.send(b"BLAST 256\n")
                except TimeoutError:
                    break
                time.sleep(0.002)
            time.sleep(0.3)
            pending = svc.sessions[0].peer.pending_output
            other = LineClient(port)
            other.send(b"PING")
            got = other.line()
            third = LineClient(port)
            fourth = LineClient(port)
            rejected = fourth.sock.recv(100)
            for c in (slow, other, third, fourth):
                c.close()
            return got, pending, rejected

        got, pending, rejected = await in_thread(client_work)
        assert got == b"+PONG"
        # Reading was paused: far less than the 100 MiB asked for is buffered.
        assert pending < 16 * 1024 * 1024
        assert rejected == b"-ERR max number of clients reached\n"
        assert srv.listener_states[0].rejected_connections == 1

    run(body, tmp_path, policy="no", barrier=False)


def test_flow_control_stops_building_replies_when_the_output_is_full(tmp_path):
    """READ 1000 asks for 64 MB in one request; a client that does not read gets a bounded
    amount built, and everything once it reads."""

    async def body(srv):
        port = port_of(srv, "toy")
        svc = srv.services["toy"]
        c = LineClient(port, rcvbuf=4096)
        c.send(b"READ 1000")
        await asyncio.sleep(0.5)
        built_while_stalled = svc.built
        pending = svc.sessions[0].peer.pending_output

        def drain():
            n = 0
            while n < 1000:
                assert len(c.line()) == 64 * 1024 - 1
                n += 1
            c.send(b"PING")
            return c.line()

        session = svc.sessions[0]
        pong = await in_thread(drain)
        c.close()
        assert session.paused >= 1 and session.resumed >= 1  # the hooks were called
        return built_while_stalled, pending, pong, svc.built, svc

    built, pending, pong, total, svc = run(body, tmp_path, policy="no", barrier=False)
    assert built < 200  # at most the high-water mark (4 MiB) plus what the socket holds
    assert pending < 16 * 1024 * 1024
    assert pong == b"+PONG" and total == 1000


def test_hard_output_limit_disconnects_a_client_that_never_reads(tmp_path, caplog):
    async def body(srv):
        port = port_of(srv, "toy")
        c = LineClient(port, rcvbuf=4096)
        for _ in range(8):
            c.send(b"BLAST 512")
        await asyncio.sleep(0.5)
        state = srv.listener_states[0]

        def closed():
            c.sock.settimeout(5)
            try:
                while c.sock.recv(1 << 20):
                    pass
            except ConnectionError:
                pass
            return True

        assert await in_thread(closed)
        c.close()
        return state.output_limit_disconnections

    with caplog.at_level("WARNING"):
        assert run(body, tmp_path, policy="no", barrier=False, hard_limit=1 << 20) == 1
    assert "overcoming of output buffer limits" in caplog.text


def test_barrier_no_client_sees_a_write_before_its_fsync(tmp_path, monkeypatch):
    """Under a barrier log, a GET from another client waits for the SET's fsync; a PING (no
    state) does not wait."""
    fake = BlockingFsync()
    monkeypatch.setattr(logmod, "fsync", fake)

    async def body(srv):
        port = port_of(srv, "toy")
        svc = srv.services["toy"]
        writer, reader, pinger = LineClient(port), LineClient(port), LineClient(port)

        def work():
            writer.send(b"SET k v1")
            assert fake.entered.wait(10)  # the record is written, its fsync is running
            reader.send(b"GET k")
            pinger.send(b"PING")
            pong = pinger.line()
            reader.sock.settimeout(0.3)
            writer.sock.settimeout(0.3)
            early = []
            for c in (reader, writer):
                try:
                    early.append(c.sock.recv(100))
                except TimeoutError:
                    pass
            fake.gate.set()
            reader.sock.settimeout(10)
            writer.sock.settimeout(10)
            return pong, early, writer.line(), reader.line()

        pong, early, ok, got = await in_thread(work)
        for c in (writer, reader, pinger):
            c.close()
        assert svc.data[b"k"] == b"v1"
        return pong, early, ok, got

    pong, early, ok, got = run(body, tmp_path, policy="always", barrier=True)
    assert pong == b"+PONG"
    assert early == []  # neither the writer's +OK nor the reader's value before the fsync
    assert ok == b"+OK" and got == b"v1"


def test_per_record_confirm_waits_for_its_fsync_only(tmp_path, monkeypatch):
    """write_when_synced: the confirm waits for its record's fsync (forced under policy
    "no"); other replies on the same connection go out meanwhile."""
    fake = BlockingFsync()
    monkeypatch.setattr(logmod, "fsync", fake)

    async def body(srv):
        port = port_of(srv, "toy")
        c = LineClient(port)

        def work():
            c.send(b"CONFIRM a 1")
            assert fake.entered.wait(10)
            c.send(b"GET a")
            first = c.line()
            c.send(b"PING")
            second = c.line()
            fake.gate.set()
            return first, second, c.line()

        out = await in_thread(work)
        c.close()
        return out

    assert run(body, tmp_path, policy="no", barrier=False) == (b"1", b"+PONG", b"+CONFIRMED a")


def test_shutdown_hook_says_goodbye_and_logs_are_flushed(tmp_path):
    async def main():
        srv = toy_server(tmp_path, policy="no", barrier=False)
        await srv.start()
        port = port_of(srv, "toy")
        c = LineClient(port)
        c.send(b"SET k v")
        assert await in_thread(c.line) == b"+OK"
        await srv.stop("SIGTERM")

        def rest():
            lines = [c.line()]
            try:
                c.line()
            except ConnectionError:
                lines.append(b"<closed>")
            return lines

        lines = await in_thread(rest)
        c.close()
        return lines

    assert asyncio.run(main()) == [b"-SHUTDOWN SIGTERM", b"<closed>"]

    async def again():
        srv = toy_server(tmp_path, policy="no", barrier=False)
        await srv.start()
        data = dict(srv.services["toy"].data)
        await srv.stop()
        return data

    assert asyncio.run(again()) == {b"k": b"v"}


@pytest.mark.parametrize("use_uvloop", [False, True])
def test_output_full_resumes_when_the_transport_stays_between_marks(tmp_path, use_uvloop):
    """A session that stopped because output_full() said so is resumed even when the
    transport's buffer never passed its own high-water mark."""
    if use_uvloop:
        uvloop = pytest.importorskip("uvloop")

    async def body(srv):
        port = port_of(srv, "toy")
        svc = srv.services["toy"]
        c = LineClient(port)
        c.send(b"READ 200")

        def drain():
            for _ in range(200):
                c.line()
            return True

        ok = await in_thread(drain)
        c.close()
        return ok and svc.built == 200

    if use_uvloop:

        async def main():
            srv = toy_server(tmp_path, policy="no", barrier=False)
            await srv.start()
            try:
                return await body(srv)
            finally:
                await srv.stop()

        loop = uvloop.new_event_loop()
        try:
            assert loop.run_until_complete(main())
        finally:
            loop.close()
    else:
        assert run(body, tmp_path, policy="no", barrier=False)


def test_session_failure_closes_only_that_client(tmp_path):
    async def body(srv):
        port = port_of(srv, "toy")
        bad, good = LineClient(port), LineClient(port)
        bad.send(b"BLAST notanumber")  # int() raises inside the session

        def check():
            try:
                bad.line()
            except ConnectionError:
                pass
            good.send(b"PING")
            return good.line()

        out = await in_thread(check)
        bad.close()
        good.close()
        return out

    assert run(body, tmp_path, policy="no", barrier=False) == b"+PONG"


def test_free_socket_after_stop(tmp_path):
    async def main():
        srv = toy_server(tmp_path, policy="no", barrier=False)
        await srv.start()
        port = port_of(srv, "toy")
        await srv.stop()
        return port

    port = asyncio.run(main())
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


class _RecordingTransport:
    """A transport that records each write with what the log had written at that moment."""

    def __init__(self, lg: logmod.RecordLog, name: str, sent: list) -> None:
        self.lg, self.name, self.sent = lg, name, sent

    def write(self, data: bytes) -> None:
        self.sent.append((self.name, data, self.lg.written_seq))

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return False

    def set_write_buffer_limits(self, *args: int) -> None:
        pass

    def get_extra_info(self, key: str) -> tuple:
        return ("127.0.0.1", 1)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        pass


class _LoggingSession:
    """Feeds ``w <x>`` append a record and answer ``+x``; feeds ``r <x>`` only answer."""

    def __init__(self, peer, lg: logmod.RecordLog) -> None:
        self.peer, self.lg = peer, lg

    def feed(self, data: bytes) -> None:
        op, arg = data.split()
        if op == b"w":
            self.lg.append(arg)
        self.peer.write(b"+" + arg)

    def connection_lost(self) -> None:
        pass


def test_replies_follow_the_turns_log_write_and_reads_go_out_inline(tmp_path):
    """Replies of feeds that appended records wait for the end-of-turn write (sent by the log
    group's one callback, after the write, each client's once), and so does every reply made
    after them in that turn (a read may have seen those records); a feed before any of them
    that appended nothing is answered at once."""
    from polystack.runtime.connection import ListenerState, Peer

    async def main():
        group = logmod.LogGroup(name="t")
        lg = group.record_log(tmp_path / "t.log", "everysec")
        lg.open()
        listener = ListenerState("t", lambda p: _LoggingSession(p, lg), 10, b"", logs=group)
        sent: list = []
        peers = {}
        for name in ("a", "b", "c", "d"):
            peers[name] = p = Peer(listener)
            p.connection_made(_RecordingTransport(lg, name, sent))
        loop = asyncio.get_running_loop()
        callbacks = []
        real_call_soon = loop.call_soon

        def counting_call_soon(fn, *args, **kw):
            callbacks.append(fn)
            return real_call_soon(fn, *args, **kw)

        loop.call_soon = counting_call_soon  # type: ignore[method-assign]
        try:
            peers["c"].data_received(b"r 0")
            assert sent == [("c", b"+0", 0)]  # nothing logged: answered inline
            peers["a"].data_received(b"w 1")
            peers["b"].data_received(b"w 2")
            peers["a"].data_received(b"w 3")
            peers["d"].data_received(b"r 4")
            assert len(sent) == 1
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        finally:
            loop.call_soon = real_call_soon  # type: ignore[method-assign]
        # every reply after the write of all three records; a's two replies in one write
        assert sent[1:] == [("a", b"+1+3", 3), ("b", b"+2", 3), ("d", b"+4", 3)]
        # one loop callback for the whole turn (the others are asyncio's own, for the sleeps)
        ours = [fn for fn in callbacks if getattr(fn, "__self__", None) in (group, *peers.values())]
        assert ours == [group.write_pending]
        lg.close()

    asyncio.run(main())


class _GatheringSession(_LoggingSession):
    """``w <x>`` gathers ``x`` for the turn's one record (LogGroup.defer) and answers ``+x``."""

    turn: list | None = None

    def feed(self, data: bytes) -> None:
        op, arg = data.split()
        if op == b"w":
            cls = _GatheringSession
            if cls.turn is None:
                cls.turn = [arg]
                self.lg.group.defer(self.lg, self._append_turn)
            else:
                cls.turn.append(arg)
        self.peer.write(b"+" + arg)

    def _append_turn(self) -> None:
        turn, _GatheringSession.turn = _GatheringSession.turn, None
        self.lg.append(b",".join(turn))


def test_deferred_records_are_one_record_written_before_the_replies(tmp_path):
    """LogGroup.defer: the writes of a turn become one record, appended just before the
    turn's write; until then the log counts as dirty, so every reply of the turn (and a read
    after them) waits for that write, and nothing is appended before it."""
    from polystack.runtime.connection import ListenerState, Peer

    async def main():
        group = logmod.LogGroup(name="t")
        lg = group.record_log(tmp_path / "t.log", "everysec")
        lg.open()
        listener = ListenerState("t", lambda p: _GatheringSession(p, lg), 10, b"", logs=group)
        sent: list = []
        peers = {}
        for name in ("a", "b", "c"):
            peers[name] = p = Peer(listener)
            p.connection_made(_RecordingTransport(lg, name, sent))
        peers["a"].data_received(b"w 1")
        peers["b"].data_received(b"w 2")
        peers["c"].data_received(b"r 3")
        assert sent == [] and lg.last_seq == 0  # gathered, not appended yet, nothing sent
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert sent == [("a", b"+1", 1), ("b", b"+2", 1), ("c", b"+3", 1)]
        lg.close()
        assert logmod.RecordLog(tmp_path / "t.log").open() == [b"1,2"]

    asyncio.run(main())


def test_deferred_records_are_appended_by_flush_all(tmp_path):
    """A turn's gathered records are appended and written when the group is flushed (the
    shutdown's flush_all) before its loop turn ends."""
    group = logmod.LogGroup(name="t")
    lg = group.record_log(tmp_path / "t.log", "everysec")
    lg.open()
    gathered = [b"x"]
    group.before_write.append(lambda: lg.append(gathered.pop()))
    group.flush_all()
    assert lg.written_seq == 1 and not group.before_write
    lg.close()
    assert logmod.RecordLog(tmp_path / "t.log").open() == [b"x"]
