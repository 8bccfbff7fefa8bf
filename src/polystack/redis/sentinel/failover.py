"""Sentinel's leader election and failover state machine (sentinelVoteLeader,
sentinelGetLeader, sentinelStartFailover, sentinelSelectSlave, sentinelFailoverStateMachine,
sentinelFailoverReconfNextSlave, sentinelFailoverSwitchToPromotedSlave), part of
:class:`~polystack.redis.sentinel.core.Sentinel`."""

from __future__ import annotations

import logging
import random
from typing import Any

from polystack.redis.sentinel.instance import (
    FAILOVER_NONE,
    RECONF_SLAVES,
    SELECT_SLAVE,
    SEND_SLAVEOF_NOONE,
    UPDATE_CONFIG,
    WAIT_PROMOTION,
    WAIT_START,
    Instance,
)
from polystack.redis.sentinel.periods import (
    ELECTION_TIMEOUT,
    INFO_PERIOD,
    MAX_DESYNC,
    PING_PERIOD,
    SLAVE_RECONF_TIMEOUT,
)

log = logging.getLogger(__name__)


class FailoverMixin:
    """The election and failover half of the Sentinel (it provides ``event``, ``now``,
    ``flush``, ``myid``, ``current_epoch`` and ``change_master_address``)."""

    myid: str
    current_epoch: int
    event: Any
    now: Any
    flush: Any
    change_master_address: Any

    # -- leader election --------------------------------------------------------------------------
    def vote_leader(self, m: Instance, req_epoch: int, req_runid: str) -> tuple[str, int]:
        """sentinelVoteLeader: one vote per epoch, to the first that asks."""
        if req_epoch > self.current_epoch:
            self.current_epoch = req_epoch
            self.flush()
            self.event(logging.WARNING, "+new-epoch", m, f"%@ {self.current_epoch}")
        if m.leader_epoch < req_epoch and self.current_epoch <= req_epoch:
            m.leader = req_runid
            m.leader_epoch = self.current_epoch
            self.flush()
            self.event(logging.WARNING, "+vote-for-leader", m, f"%@ {m.leader} {m.leader_epoch}")
            if m.leader != self.myid:
                m.failover_start_time = self.now() + random.randrange(MAX_DESYNC)
        return m.leader, m.leader_epoch

    def get_leader(self, m: Instance, epoch: int) -> str:
        """sentinelGetLeader: the run id with a majority (and at least quorum) of votes."""
        votes: dict[str, int] = {}
        for s in m.sentinels.values():
            if s.leader and s.leader_epoch == self.current_epoch:
                votes[s.leader] = votes.get(s.leader, 0) + 1
        winner = max(votes, key=lambda k: (votes[k], k), default="")
        myvote, leader_epoch = self.vote_leader(m, epoch, winner or self.myid)
        if myvote and leader_epoch == epoch:
            votes[myvote] = votes.get(myvote, 0) + 1
            winner = max(votes, key=lambda k: (votes[k], k))
        voters = len(m.sentinels) + 1
        needed = max(voters // 2 + 1, m.quorum)
        if not winner or votes.get(winner, 0) < needed:
            return ""
        return winner

    # -- failover ---------------------------------------------------------------------------------
    def start_failover_if_needed(self, m: Instance) -> bool:
        if "o_down" not in m.flags or "failover_in_progress" in m.flags:
            return False
        now = self.now()
        if now - m.failover_start_time < m.failover_timeout * 2:
            if m.failover_delay_logged != m.failover_start_time:
                m.failover_delay_logged = m.failover_start_time
                log.warning(
                    "Next failover delay: I will not start a failover before %d ms",
                    int(m.failover_start_time + m.failover_timeout * 2 - now),
                )
            return False
        self.start_failover(m)
        return True

    def start_failover(self, m: Instance) -> None:
        m.failover_state = WAIT_START
        m.flags.add("failover_in_progress")
        self.current_epoch += 1
        m.failover_epoch = self.current_epoch
        self.event(logging.WARNING, "+new-epoch", m, f"%@ {self.current_epoch}")
        self.event(logging.WARNING, "+try-failover", m)
        now = self.now()
        m.failover_start_time = now + random.randrange(MAX_DESYNC)
        m.failover_state_change_time = now

    def abort_failover(self, m: Instance) -> None:
        m.flags.discard("failover_in_progress")
        m.flags.discard("force_failover")
        m.failover_state = FAILOVER_NONE
        m.failover_state_change_time = self.now()
        if m.promoted is not None:
            m.promoted.flags.discard("promoted")
            m.promoted = None
        for r in m.replicas.values():
            r.reconf = ""

    def select_replica(self, m: Instance) -> Instance | None:
        """sentinelSelectSlave."""
        now = self.now()
        max_down = m.down_after * 10
        if "s_down" in m.flags:
            max_down += now - m.s_down_since
        info_validity = 5 * PING_PERIOD if "s_down" in m.flags else 3 * INFO_PERIOD
        candidates = []
        for r in m.replicas.values():
            if r.flags & {"s_down", "o_down"} or r.cc is None:
                continue
            if now - r.last_avail_time > 5 * PING_PERIOD:
                continue
            if r.slave_priority == 0 or not r.info_refresh:
                continue
            if now - r.info_refresh > info_validity:
                continue
            if r.master_link_down_time > max_down:
                continue
            candidates.append(r)
        if not candidates:
            return None
        candidates.sort(key=lambda r: (r.slave_priority, -r.slave_repl_offset, r.runid or "\xff"))
        return candidates[0]

    def send_slaveof(self, inst: Instance, host: str | None, port: int = 0) -> None:
        """sentinelSendSlaveOf: MULTI, SLAVEOF, CONFIG REWRITE, CLIENT KILL, EXEC."""
        link = inst.cc
        if link is None:
            return
        args: tuple[Any, ...] = ("NO", "ONE") if host is None else (host, port)
        link.command("MULTI")
        link.command("SLAVEOF", *args)
        link.command("CONFIG", "REWRITE")
        link.command("CLIENT", "KILL", "TYPE", "normal")
        link.command("CLIENT", "KILL", "TYPE", "pubsub")
        link.command("EXEC")

    def failover_state_machine(self, m: Instance) -> None:
        if "failover_in_progress" not in m.flags:
            return
        now = self.now()
        state = m.failover_state
        if state == WAIT_START:
            leader = self.get_leader(m, m.failover_epoch)
            if leader != self.myid and "force_failover" not in m.flags:
                election_timeout = min(ELECTION_TIMEOUT, m.failover_timeout)
                if now - m.failover_start_time > election_timeout:
                    self.event(logging.WARNING, "-failover-abort-not-elected", m)
                    self.abort_failover(m)
                return
            self.event(logging.WARNING, "+elected-leader", m)
            m.failover_state = SELECT_SLAVE
            m.failover_state_change_time = now
            self.event(logging.WARNING, "+failover-state-select-slave", m)
        elif state == SELECT_SLAVE:
            r = self.select_replica(m)
            if r is None:
                self.event(logging.WARNING, "-failover-abort-no-good-slave", m)
                self.abort_failover(m)
                return
            self.event(logging.WARNING, "+selected-slave", r)
            r.flags.add("promoted")
            m.promoted = r
            m.failover_state = SEND_SLAVEOF_NOONE
            m.failover_state_change_time = now
            self.event(logging.INFO, "+failover-state-send-slaveof-noone", r)
        elif state == SEND_SLAVEOF_NOONE:
            r = m.promoted
            assert r is not None
            if r.cc is None:
                if now - m.failover_state_change_time > m.failover_timeout:
                    self.event(logging.WARNING, "-failover-abort-slave-timeout", m)
                    self.abort_failover(m)
                return
            self.send_slaveof(r, None)
            self.event(logging.INFO, "+failover-state-wait-promotion", r)
            m.failover_state = WAIT_PROMOTION
            m.failover_state_change_time = now
        elif state == WAIT_PROMOTION:
            if now - m.failover_state_change_time > m.failover_timeout:
                self.event(logging.WARNING, "-failover-abort-slave-timeout", m)
                self.abort_failover(m)
        elif state == RECONF_SLAVES:
            self.reconf_next_replica(m)

    def reconf_next_replica(self, m: Instance) -> None:
        """sentinelFailoverReconfNextSlave and sentinelFailoverDetectEnd."""
        now = self.now()
        promoted = m.promoted
        assert promoted is not None
        in_progress = sum(1 for r in m.replicas.values() if r.reconf in ("sent", "inprog"))
        for r in m.replicas.values():
            if in_progress >= m.parallel_syncs:
                break
            if r is promoted or r.reconf == "done":
                continue
            if r.reconf == "sent" and now - r.reconf_sent_time > SLAVE_RECONF_TIMEOUT:
                self.event(logging.INFO, "-slave-reconf-sent-timeout", r)
                r.reconf = "done"
                continue
            if r.reconf in ("sent", "inprog") or r.cc is None:
                continue
            self.send_slaveof(r, promoted.host, promoted.port)
            r.reconf = "sent"
            r.reconf_sent_time = now
            self.event(logging.INFO, "+slave-reconf-sent", r)
            in_progress += 1
        # sentinelFailoverDetectEnd
        if promoted.flags & {"s_down", "o_down"}:
            return
        not_reconfigured = sum(
            1
            for r in m.replicas.values()
            if r is not promoted and r.reconf != "done" and "s_down" not in r.flags
        )
        timeout = now - m.failover_state_change_time > m.failover_timeout
        if not_reconfigured and not timeout:
            return
        if timeout:
            self.event(logging.WARNING, "+failover-end-for-timeout", m)
            for r in m.replicas.values():
                if r is not promoted and r.reconf not in ("done", "sent"):
                    self.send_slaveof(r, promoted.host, promoted.port)
                    r.reconf = "sent"
        self.event(logging.WARNING, "+failover-end", m)
        m.failover_state = UPDATE_CONFIG
        m.failover_state_change_time = now

    def switch_to_promoted(self, m: Instance) -> None:
        """sentinelFailoverSwitchToPromotedSlave."""
        r = m.promoted
        assert r is not None
        self.event(
            logging.WARNING,
            "+switch-master",
            m,
            f"{m.name} {m.host} {m.port} {r.host} {r.port}",
        )
        self.change_master_address(m, r.host, r.port)
