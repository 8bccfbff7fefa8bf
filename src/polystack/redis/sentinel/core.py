"""The Sentinel itself (sentinel.c's sentinelTimer and what it drives).

Every 100 ms, for each monitored master, its replicas and the other Sentinels watching it:
reconnect lost links; PING (every second, or down-after-milliseconds if shorter), INFO (every
10 s; every second for replicas of a master that is down or failing over) and PUBLISH a hello
on ``__sentinel__:hello`` (every 2 s); flag an instance subjectively down (+sdown) when no valid
PING reply came for down-after-milliseconds; for a master, objectively down (+odown) once
``quorum`` Sentinels agree (SENTINEL is-master-down-by-addr, asked every second), then start a
failover in a new epoch, get elected leader by a majority of the Sentinels (Raft-like: one vote
per epoch, first come first served), select the best replica (priority, offset, run id),
promote it (MULTI, SLAVEOF NO ONE, CONFIG REWRITE, CLIENT KILL, EXEC), wait for its INFO to say
master, point the other replicas at it (parallel-syncs at a time), and switch the master's
address (+switch-master); the other Sentinels follow through the hellos' config epochs.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any

from polystack.redis.sentinel.failover import FailoverMixin
from polystack.redis.sentinel.instance import (
    FAILOVER_NONE,
    MASTER,
    RECONF_SLAVES,
    SENTINEL,
    SLAVE,
    UPDATE_CONFIG,
    WAIT_PROMOTION,
    Instance,
    parse_info,
    replicas_in_info,
)
from polystack.redis.sentinel.link import InstanceLink, is_error
from polystack.redis.sentinel.periods import (
    ASK_PERIOD,
    DEFAULT_DOWN_AFTER,
    HELLO_CHANNEL,
    INFO_PERIOD,
    PING_PERIOD,
    PUBLISH_PERIOD,
)

log = logging.getLogger(__name__)


class LinkOwner:
    """Routes a link's connect/close to the Sentinel for one instance."""

    def __init__(self, sentinel: Sentinel, inst: Instance, kind: str) -> None:
        self.sentinel = sentinel
        self.inst = inst
        self.kind = kind

    def link_connected(self, link: InstanceLink) -> None:
        self.sentinel._link_connected(self.inst, self.kind, link)

    def link_closed(self, link: InstanceLink) -> None:
        self.sentinel._link_closed(self.inst, self.kind, link)


class Sentinel(FailoverMixin):
    def __init__(
        self,
        clock: Any,
        connect: Callable[[str, int, Callable[[Any], InstanceLink], Callable[[], None]], None],
        publish: Callable[[bytes, bytes], None],
        flush_config: Callable[[], None],
        myid: str = "",
    ) -> None:
        self.clock = clock
        self.connect_fn = connect
        self.publish_fn = publish
        self.flush_config_fn = flush_config
        self.myid = myid or secrets.token_hex(20)
        self.current_epoch = 0
        self.masters: dict[str, Instance] = {}
        self.announce_ip = ""
        self.announce_port = 0
        self.port = 26379
        self.deny_scripts_reconfig = True
        self.resolve_hostnames = False
        self.announce_hostnames = False
        self.simulate_failure: set[str] = set()
        self._stopped = False

    def now(self) -> float:
        return float(self.clock.time_ms())

    # -- events -------------------------------------------------------------------------------
    def event(self, level: int, kind: str, inst: Instance | None, text: str = "%@") -> None:
        """sentinelEvent: logged, and published on the Sentinel's pub/sub channel ``kind``."""
        if inst is not None and text.startswith("%@"):
            if inst.kind == MASTER:
                who = f"master {inst.name} {inst.host} {inst.port}"
            else:
                m = inst.master
                assert m is not None
                ident = inst.runid if inst.kind == SENTINEL else inst.addr
                who = f"{inst.kind} {ident} {inst.host} {inst.port} @ {m.name} {m.host} {m.port}"
            text = who + text[2:]
        log.log(level, "%s %s", kind, text)
        self.publish_fn(kind.encode(), text.encode())

    def flush(self) -> None:
        try:
            self.flush_config_fn()
        except OSError as e:
            log.warning("sentinel: could not rewrite the configuration: %s", e)

    # -- configuration --------------------------------------------------------------------------
    def monitor(self, name: str, host: str, port: int, quorum: int) -> Instance:
        m = Instance(MASTER, name, host, port, quorum=quorum, down_after=DEFAULT_DOWN_AFTER)
        self.masters[name] = m
        now = self.now()
        m.last_avail_time = m.last_pong_time = m.role_reported_time = now
        return m

    def remove(self, name: str) -> None:
        m = self.masters.pop(name)
        self._release(m)

    def _release(self, m: Instance) -> None:
        for inst in (m, *m.replicas.values(), *m.sentinels.values()):
            for link in (inst.cc, inst.pc):
                if link is not None:
                    link.close()

    def add_replica(self, m: Instance, host: str, port: int) -> Instance:
        r = Instance(SLAVE, f"{host}:{port}", host, port, master=m)
        now = self.now()
        r.last_avail_time = r.last_pong_time = r.role_reported_time = now
        r.slave_conf_change_time = now
        m.replicas[r.addr] = r
        return r

    def add_sentinel(self, m: Instance, host: str, port: int, runid: str) -> Instance:
        s = Instance(SENTINEL, f"{host}:{port}", host, port, runid=runid, master=m)
        now = self.now()
        s.last_avail_time = s.last_pong_time = now
        m.sentinels[s.addr] = s
        return s

    def reset_master(self, m: Instance, keep_sentinels: bool = False) -> None:
        """sentinelResetMaster."""
        for r in m.replicas.values():
            for link in (r.cc, r.pc):
                if link is not None:
                    link.close()
        m.replicas = {}
        if not keep_sentinels:
            for s in m.sentinels.values():
                if s.cc is not None:
                    s.cc.close()
            m.sentinels = {}
        for link in (m.cc, m.pc):
            if link is not None:
                link.close()
        m.flags = set()
        m.leader = ""
        m.failover_state = FAILOVER_NONE
        m.failover_state_change_time = 0
        m.failover_start_time = 0
        m.promoted = None
        m.role_reported = ""
        now = self.now()
        m.role_reported_time = m.last_avail_time = m.last_pong_time = now
        m.act_ping_time = 0
        m.info_refresh = 0
        m.runid = ""
        self.event(logging.WARNING, "+reset-master", m)

    def change_master_address(self, m: Instance, host: str, port: int) -> None:
        """sentinelResetMasterAndChangeAddress: the old master and every replica but the new
        master become the new master's replicas."""
        addrs = [(r.host, r.port) for r in m.replicas.values() if (r.host, r.port) != (host, port)]
        if (m.host, m.port) != (host, port):
            addrs.append((m.host, m.port))
        self.reset_master(m, keep_sentinels=True)
        m.host, m.port = host, port
        for h, p in addrs:
            r = self.add_replica(m, h, p)
            self.event(logging.INFO, "+slave", r)
        self.flush()

    # -- links ------------------------------------------------------------------------------
    def _link_connected(self, inst: Instance, kind: str, link: InstanceLink) -> None:
        inst.connecting.discard(kind)
        if self._stopped or self._is_released(inst):
            link.close()
            return
        if kind == "cmd":
            if inst.cc is not None:
                inst.cc.close()
            inst.cc = link
        else:
            if inst.pc is not None:
                inst.pc.close()
            inst.pc = link
        inst.link_down_since = 0
        master = inst if inst.kind == MASTER else inst.master
        assert master is not None
        if inst.kind != SENTINEL and master.auth_pass:
            if master.auth_user:
                link.command("AUTH", master.auth_user, master.auth_pass)
            else:
                link.command("AUTH", master.auth_pass)
        if inst.kind != SENTINEL:
            link.command("CLIENT", "SETNAME", f"sentinel-{self.myid[:8]}-{kind}")
        if kind == "cmd":
            self.send_ping(inst)
        else:
            link.on_message = lambda msg, inst=inst: self._hello_message(inst, msg)
            link.command("SUBSCRIBE", HELLO_CHANNEL)

    def _link_closed(self, inst: Instance, kind: str, link: InstanceLink) -> None:
        if kind == "cmd" and inst.cc is link:
            inst.cc = None
            inst.act_ping_time = inst.act_ping_time or self.now()
        elif kind == "pubsub" and inst.pc is link:
            inst.pc = None
        if not inst.link_down_since:
            inst.link_down_since = self.now()

    def _is_released(self, inst: Instance) -> bool:
        m = inst if inst.kind == MASTER else inst.master
        if m is None or self.masters.get(m.name) is not m:
            return True
        if inst.kind == SLAVE:
            return m.replicas.get(inst.addr) is not inst
        if inst.kind == SENTINEL:
            return m.sentinels.get(inst.addr) is not inst
        return False

    def reconnect(self, inst: Instance) -> None:
        """sentinelReconnectInstance."""
        now = self.now()
        kinds = ["cmd"] if inst.kind == SENTINEL else ["cmd", "pubsub"]
        for kind in kinds:
            have = inst.cc if kind == "cmd" else inst.pc
            if have is not None or kind in inst.connecting:
                continue
            last = inst.last_reconn.get(kind, 0.0)
            if now - last < PING_PERIOD:  # at most one attempt a second per link
                continue
            inst.last_reconn[kind] = now
            inst.connecting.add(kind)
            owner = LinkOwner(self, inst, kind)
            self.connect_fn(
                inst.host,
                inst.port,
                partial(InstanceLink, owner, kind),
                partial(inst.connecting.discard, kind),
            )

    # -- periodic commands --------------------------------------------------------------------
    def send_ping(self, inst: Instance) -> None:
        link = inst.cc
        if link is None:
            return
        now = self.now()
        link.command("PING", cb=lambda reply, inst=inst: self._ping_reply(inst, reply))
        inst.last_ping_time = now
        if not inst.act_ping_time:
            inst.act_ping_time = now

    def _ping_reply(self, inst: Instance, reply: Any) -> None:
        now = self.now()
        inst.last_pong_time = now
        text = str(reply) if is_error(reply) else reply
        if (not is_error(reply) and reply == b"PONG") or (
            is_error(reply) and (text.startswith("LOADING") or text.startswith("MASTERDOWN"))
        ):
            inst.last_avail_time = now
            inst.act_ping_time = 0

    def send_periodic(self, inst: Instance) -> None:
        """sentinelSendPeriodicCommands."""
        link = inst.cc
        if link is None or link.pending >= 100:
            return
        now = self.now()
        master = inst if inst.kind == MASTER else inst.master
        assert master is not None
        if inst.kind == SLAVE and (
            master.flags & {"o_down", "failover_in_progress"} or inst.master_link_down_time
        ):
            info_period = 1000
        else:
            info_period = INFO_PERIOD
        ping_period = min(master.down_after, PING_PERIOD)
        if inst.kind != SENTINEL and (
            not inst.info_refresh or now - inst.info_refresh > info_period
        ):
            link.command("INFO", cb=lambda reply, inst=inst: self._info_reply(inst, reply))
        if now - inst.last_pong_time > ping_period and now - inst.last_ping_time > ping_period / 2:
            self.send_ping(inst)
        if now - inst.last_pub_time > PUBLISH_PERIOD:
            self.send_hello(inst)

    def send_hello(self, inst: Instance) -> None:
        """A hello on the instance's ``__sentinel__:hello`` (or, to another Sentinel, as a
        PUBLISH it relays)."""
        link = inst.cc
        if link is None:
            return
        master = inst if inst.kind == MASTER else inst.master
        assert master is not None
        ip = self.announce_ip or self.my_ip(link)
        port = self.announce_port or self.port
        payload = (
            f"{ip},{port},{self.myid},{self.current_epoch},{master.name},{master.host},"
            f"{master.port},{master.config_epoch}"
        )
        inst.last_pub_time = self.now()
        link.command("PUBLISH", HELLO_CHANNEL, payload, cb=lambda reply: None)

    @staticmethod
    def my_ip(link: InstanceLink) -> str:
        sock = getattr(link.peer, "sockname", None)
        return sock[0] if sock else "127.0.0.1"

    # -- INFO -----------------------------------------------------------------------------------
    def _info_reply(self, inst: Instance, reply: Any) -> None:
        if is_error(reply) or not isinstance(reply, bytes):
            return
        self.refresh_from_info(inst, reply.decode("utf-8", "replace"))

    def refresh_from_info(self, inst: Instance, text: str) -> None:
        """sentinelRefreshInstanceInfo."""
        now = self.now()
        info = parse_info(text)
        inst.info_text = text
        inst.info_refresh = now
        runid = info.get("run_id", "")
        if runid and inst.runid != runid:
            if inst.runid:
                self.event(logging.INFO, "+reboot", inst)
            inst.runid = runid
        master = inst if inst.kind == MASTER else inst.master
        assert master is not None
        if inst.kind == MASTER:
            for host, port in replicas_in_info(info):
                if f"{host}:{port}" not in inst.replicas:
                    r = self.add_replica(inst, host, port)
                    self.event(logging.INFO, "+slave", r)
                    self.flush()
        role = "master" if info.get("role") == "master" else "slave"
        if role != inst.role_reported:
            inst.role_reported = role
            inst.role_reported_time = now
            if role == "slave":
                inst.slave_conf_change_time = now
        if role == "slave":
            down = info.get("master_link_down_since_seconds")
            inst.master_link_down_time = int(down) * 1000 if down and down.isdigit() else 0
            host = info.get("master_host", "")
            port = int(info.get("master_port", "0") or 0)
            if host != inst.slave_master_host or port != inst.slave_master_port:
                inst.slave_master_host, inst.slave_master_port = host, port
                inst.slave_conf_change_time = now
            inst.slave_master_link_status = (
                "ok" if info.get("master_link_status") == "up" else "err"
            )
            inst.slave_priority = int(info.get("slave_priority", "100") or 100)
            inst.slave_repl_offset = int(info.get("slave_repl_offset", "0") or 0)
            inst.replica_announced = info.get("replica_announced", "1") != "0"
        if inst.kind != SLAVE:
            return
        if role == "master":
            if (
                "promoted" in inst.flags
                and "failover_in_progress" in master.flags
                and master.failover_state == WAIT_PROMOTION
            ):
                master.config_epoch = master.failover_epoch
                master.failover_state = RECONF_SLAVES
                master.failover_state_change_time = now
                self.flush()
                self.event(logging.WARNING, "+promoted-slave", inst)
                self.event(logging.WARNING, "+failover-state-reconf-slaves", master)
                self.force_hello(master)
            else:
                wait = PUBLISH_PERIOD * 4
                if (
                    "promoted" not in inst.flags
                    and self.master_looks_sane(master)
                    and self.no_down_for(inst, wait)
                    and now - inst.role_reported_time > wait
                ):
                    self.send_slaveof(inst, master.host, master.port)
                    self.event(logging.INFO, "+convert-to-slave", inst)
            return
        if (inst.slave_master_host, inst.slave_master_port) != (master.host, master.port):
            wait = master.failover_timeout
            if (
                "failover_in_progress" not in master.flags
                and self.master_looks_sane(master)
                and self.no_down_for(inst, wait)
                and now - inst.slave_conf_change_time > wait
            ):
                self.send_slaveof(inst, master.host, master.port)
                self.event(logging.INFO, "+fix-slave-config", inst)
        promoted = master.promoted
        if inst.reconf in ("sent", "inprog") and promoted is not None:
            if inst.reconf == "sent" and (inst.slave_master_host, inst.slave_master_port) == (
                promoted.host,
                promoted.port,
            ):
                inst.reconf = "inprog"
                self.event(logging.INFO, "+slave-reconf-inprog", inst)
            if inst.reconf == "inprog" and inst.slave_master_link_status == "ok":
                inst.reconf = "done"
                self.event(logging.INFO, "+slave-reconf-done", inst)

    def master_looks_sane(self, m: Instance) -> bool:
        return (
            m.role_reported == "master"
            and not m.flags & {"s_down", "o_down"}
            and self.now() - m.info_refresh < INFO_PERIOD * 2
        )

    def no_down_for(self, inst: Instance, ms: float) -> bool:
        since = max(inst.s_down_since if "s_down" in inst.flags else 0, inst.link_down_since)
        if "s_down" in inst.flags or inst.link_down_since:
            return False
        return since == 0 or self.now() - since > ms

    # -- hellos ---------------------------------------------------------------------------------
    def _hello_message(self, inst: Instance, msg: list[Any]) -> None:
        if len(msg) < 3 or msg[1] != HELLO_CHANNEL:
            return
        master = inst if inst.kind == MASTER else inst.master
        if master is None:
            return
        master_inst = master
        self.process_hello(msg[2].decode("utf-8", "replace"), master_inst)

    def process_hello(self, hello: str, via: Instance) -> None:
        """sentinelProcessHelloMessage."""
        token = hello.split(",")
        if len(token) != 8:
            return
        ip, port_s, runid, epoch_s, name, master_ip, master_port_s, cfg_epoch_s = token
        try:
            port, epoch = int(port_s), int(epoch_s)
            master_port, cfg_epoch = int(master_port_s), int(cfg_epoch_s)
        except ValueError:
            return
        if runid == self.myid:
            return
        master = self.masters.get(name)
        if master is None or via not in (master, *master.replicas.values()):
            return
        addr = f"{ip}:{port}"
        si = master.sentinels.get(addr)
        if si is not None and si.runid != runid:
            self._drop_sentinel(master, addr)
            si = None
        if si is None:
            # The same Sentinel at another address, or another Sentinel at this one: forget it.
            for other_addr, other in list(master.sentinels.items()):
                if other.runid == runid:
                    self._drop_sentinel(master, other_addr)
                    self.event(logging.INFO, "+sentinel-address-switch", master,
                               f"%@ ip {ip} port {port} for {runid}")  # fmt: skip
            si = self.add_sentinel(master, ip, port, runid)
            self.event(logging.INFO, "+sentinel", si)
            self.flush()
        if epoch > self.current_epoch:
            self.current_epoch = epoch
            self.flush()
            self.event(logging.WARNING, "+new-epoch", None, str(self.current_epoch))
        if master.config_epoch < cfg_epoch:
            master.config_epoch = cfg_epoch
            if (master_ip, master_port) != (master.host, master.port):
                self.event(logging.WARNING, "+config-update-from", si)
                self.event(
                    logging.WARNING,
                    "+switch-master",
                    master,
                    f"{master.name} {master.host} {master.port} {master_ip} {master_port}",
                )
                self.change_master_address(master, master_ip, master_port)
        si.last_hello_time = self.now()

    def _drop_sentinel(self, master: Instance, addr: str) -> None:
        s = master.sentinels.pop(addr, None)
        if s is not None and s.cc is not None:
            s.cc.close()

    def force_hello(self, master: Instance) -> None:
        """sentinelForceHelloUpdateForMaster: hellos go out on the next tick."""
        for inst in (master, *master.replicas.values()):
            inst.last_pub_time = 0

    # -- down states ------------------------------------------------------------------------------
    def check_sdown(self, inst: Instance) -> None:
        """sentinelCheckSubjectivelyDown."""
        now = self.now()
        master = inst if inst.kind == MASTER else inst.master
        assert master is not None
        if inst.act_ping_time:
            elapsed = now - inst.act_ping_time
        elif inst.cc is None:
            elapsed = now - inst.last_avail_time
        else:
            elapsed = 0
        # A link that connected but cannot answer is recycled (half the down period).
        if (
            inst.cc is not None
            and inst.act_ping_time
            and now - inst.act_ping_time > master.down_after / 2
            and now - inst.last_pong_time > master.down_after / 2
        ):
            inst.cc.close()
        down = elapsed > master.down_after or (
            inst.kind == MASTER
            and inst.role_reported == "slave"
            and now - inst.role_reported_time > master.down_after + INFO_PERIOD * 2
        )
        if down:
            if "s_down" not in inst.flags:
                self.event(logging.WARNING, "+sdown", inst)
                inst.s_down_since = now
                inst.flags.add("s_down")
        elif "s_down" in inst.flags:
            self.event(logging.WARNING, "-sdown", inst)
            inst.flags.discard("s_down")
            inst.flags.discard("scripts_kill_sent")

    def check_odown(self, m: Instance) -> None:
        """sentinelCheckObjectivelyDown."""
        quorum = 0
        if "s_down" in m.flags:
            quorum = 1 + sum(1 for s in m.sentinels.values() if "master_down" in s.flags)
        odown = "s_down" in m.flags and quorum >= m.quorum
        if odown:
            if "o_down" not in m.flags:
                self.event(logging.WARNING, "+odown", m, f"%@ #quorum {quorum}/{m.quorum}")
                m.flags.add("o_down")
                m.o_down_since = self.now()
        elif "o_down" in m.flags:
            self.event(logging.WARNING, "-odown", m)
            m.flags.discard("o_down")

    def ask_master_state(self, m: Instance, forced: bool) -> None:
        """sentinelAskMasterStateToOtherSentinels."""
        now = self.now()
        for s in m.sentinels.values():
            elapsed = now - s.last_master_down_reply_time
            if elapsed > ASK_PERIOD * 5:
                s.flags.discard("master_down")
                s.leader = ""
            if "s_down" not in m.flags or s.cc is None:
                continue
            if not forced and elapsed < ASK_PERIOD:
                continue
            runid = self.myid if m.failover_state != FAILOVER_NONE else "*"
            s.cc.command(
                "SENTINEL",
                "is-master-down-by-addr",
                m.host,
                m.port,
                self.current_epoch,
                runid,
                cb=lambda reply, s=s: self._master_down_reply(s, reply),
            )

    def _master_down_reply(self, s: Instance, reply: Any) -> None:
        if (
            not isinstance(reply, list)
            or len(reply) != 3
            or not isinstance(reply[0], int)
            or not isinstance(reply[1], bytes)
            or not isinstance(reply[2], int)
        ):
            return
        s.last_master_down_reply_time = self.now()
        if reply[0] == 1:
            s.flags.add("master_down")
        else:
            s.flags.discard("master_down")
        leader = reply[1].decode()
        if leader != "*":
            s.leader = leader
            s.leader_epoch = reply[2]

    # -- the timer ----------------------------------------------------------------------------
    def tick(self) -> None:
        """sentinelTimer (every 100 ms)."""
        for m in list(self.masters.values()):
            if self.masters.get(m.name) is not m:
                continue
            self.handle_instance(m)
            for r in list(m.replicas.values()):
                self.handle_instance(r)
            for s in list(m.sentinels.values()):
                self.handle_instance(s)
            if m.failover_state == UPDATE_CONFIG:
                self.switch_to_promoted(m)

    def handle_instance(self, inst: Instance) -> None:
        self.reconnect(inst)
        self.send_periodic(inst)
        self.check_sdown(inst)
        if inst.kind == MASTER:
            self.check_odown(inst)
            if self.start_failover_if_needed(inst):
                self.ask_master_state(inst, forced=True)
            self.failover_state_machine(inst)
            self.ask_master_state(inst, forced=False)

    def stop(self) -> None:
        self._stopped = True
        for m in self.masters.values():
            self._release(m)
