"""Replica election and promotion (cluster.c's clusterHandleSlaveFailover and friends): the
rank delay, FAILOVER_AUTH_REQUEST/ACK votes by the masters, CLUSTER FAILOVER (default: the
master pauses and the replica catches up; FORCE; TAKEOVER), and replica migration to
orphaned masters."""

from __future__ import annotations

import logging
import random

from polystack.redis.cluster import bus
from polystack.redis.cluster.bus import Message
from polystack.redis.cluster.defs import (
    BROADCAST_ALL,
    BROADCAST_LOCAL_SLAVES,
    MF_TIMEOUT,
    SLAVE_MIGRATION_DELAY,
    TODO_FSYNC_CONFIG,
    TODO_HANDLE_FAILOVER,
    TODO_SAVE_CONFIG,
    TODO_UPDATE_STATE,
)
from polystack.redis.cluster.node import Node
from polystack.redis.cluster.state import ClusterState

log = logging.getLogger(__name__)

CANT_FAILOVER_NONE = 0
CANT_FAILOVER_DATA_AGE = 1
CANT_FAILOVER_WAITING_DELAY = 2
CANT_FAILOVER_EXPIRED = 3
CANT_FAILOVER_WAITING_VOTES = 4
CANT_FAILOVER_RELOG_PERIOD = 60 * 5

_CANT_MSG = {
    CANT_FAILOVER_DATA_AGE: "Disconnected from master for longer than allowed. Please check "
    "the 'cluster-replica-validity-factor' configuration option.",
    CANT_FAILOVER_WAITING_DELAY: "Waiting the delay before I can start a new failover.",
    CANT_FAILOVER_EXPIRED: "Failover attempt expired.",
    CANT_FAILOVER_WAITING_VOTES: "Waiting for votes, but majority still not reached.",
}


class ManualFailoverError(Exception):
    pass


class Elections:
    def __init__(self, cluster: ClusterState) -> None:
        self.cluster = cluster
        cluster.failover_hook = self

    # -- the replica's side -----------------------------------------------------------------
    def rank(self) -> int:
        """clusterGetSlaveRank: replicas of our master with a better offset than ours."""
        c = self.cluster
        me = c.myself
        master = me.slaveof
        if master is None:
            return 0
        myoffset = c.host.repl_offset()
        return sum(
            1
            for r in master.replicas
            if r is not me and not r.cant_failover and r.repl_offset > myoffset
        )

    def _log_cant(self, reason: int) -> None:
        c = self.cluster
        now = c.host.now_ms()
        nolog_fail_time = c.node_timeout + 5000
        if reason == c.cant_failover_reason and (
            now - c.lastlog_time < CANT_FAILOVER_RELOG_PERIOD * 1000
        ):
            return
        c.cant_failover_reason = reason
        master = c.myself.slaveof
        if master is not None and master.failed and now - master.fail_time < nolog_fail_time:
            return
        c.lastlog_time = now
        log.info("Currently unable to failover: %s", _CANT_MSG.get(reason, ""))

    def handle_replica_failover(self) -> None:
        c = self.cluster
        host = c.host
        me = c.myself
        now = host.now_ms()
        auth_age = now - c.failover_auth_time
        needed = c.size // 2 + 1
        manual = c.mf_end != 0 and c.mf_can_start
        auth_timeout = max(c.node_timeout * 2, 2000)
        auth_retry_time = auth_timeout * 2
        master = me.slaveof
        cfg = c.config
        if (
            me.is_master
            or master is None
            or (not master.failed and not manual)
            or (cfg.cluster_replica_no_failover and not manual)
            or master.numslots == 0
        ):
            c.cant_failover_reason = CANT_FAILOVER_NONE
            return
        data_age = host.master_data_age_ms()
        if data_age > c.node_timeout:
            data_age -= c.node_timeout
        factor = cfg.cluster_replica_validity_factor
        if (
            factor
            and data_age > cfg.repl_ping_replica_period * 1000 + c.node_timeout * factor
            and not manual
        ):
            self._log_cant(CANT_FAILOVER_DATA_AGE)
            return
        if auth_age > auth_retry_time:
            c.failover_auth_time = now + 500 + random.randrange(500)
            c.failover_auth_count = 0
            c.failover_auth_sent = False
            c.failover_auth_rank = self.rank()
            c.failover_auth_time += c.failover_auth_rank * 1000
            if c.mf_end:
                c.failover_auth_time = now
                c.failover_auth_rank = 0
                c.todo |= TODO_HANDLE_FAILOVER
            log.info(
                "Start of election delayed for %d milliseconds (rank #%d, offset %d).",
                c.failover_auth_time - now,
                c.failover_auth_rank,
                host.repl_offset(),
            )
            c.broadcast_pong(BROADCAST_LOCAL_SLAVES)
            return
        if not c.failover_auth_sent and not c.mf_end:
            newrank = self.rank()
            if newrank > c.failover_auth_rank:
                added = (newrank - c.failover_auth_rank) * 1000
                c.failover_auth_time += added
                c.failover_auth_rank = newrank
                log.info(
                    "Replica rank updated to #%d, added %d milliseconds of delay.",
                    newrank,
                    added,
                )
        if now < c.failover_auth_time:
            self._log_cant(CANT_FAILOVER_WAITING_DELAY)
            return
        if auth_age > auth_timeout:
            self._log_cant(CANT_FAILOVER_EXPIRED)
            return
        if not c.failover_auth_sent:
            c.current_epoch += 1
            c.failover_auth_epoch = c.current_epoch
            log.info("Starting a failover election for epoch %d.", c.current_epoch)
            self.request_auth()
            c.failover_auth_sent = True
            c.todo |= TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG
            return
        if c.failover_auth_count >= needed:
            log.info("Failover election won: I'm the new master.")
            if me.config_epoch < c.failover_auth_epoch:
                me.config_epoch = c.failover_auth_epoch
                log.info("configEpoch set to %d after successful failover", me.config_epoch)
            self.replace_master()
        else:
            self._log_cant(CANT_FAILOVER_WAITING_VOTES)

    def request_auth(self) -> None:
        c = self.cluster
        m = c.header(bus.FAILOVER_AUTH_REQUEST)
        if c.mf_end:
            m.mflags |= bus.FLAG0_FORCEACK
        c.broadcast(m)

    def replace_master(self) -> None:
        """clusterFailoverReplaceYourMaster."""
        c = self.cluster
        me = c.myself
        old = me.slaveof
        if me.is_master or old is None:
            return
        c.set_node_as_master(me)
        c.host.unset_master()
        for j in bus.bitmap_slots(bytes(old.slots)):
            c.del_slot(j)
            c.add_slot(me, j)
        c.update_state()
        c.host.save_config(True)
        c.broadcast_pong(BROADCAST_ALL)
        c.reset_manual_failover()

    def handle_manual_failover(self) -> None:
        c = self.cluster
        if not c.mf_end or c.mf_can_start or c.mf_master_offset == -1:
            return
        if c.mf_master_offset == c.host.repl_offset():
            c.mf_can_start = True
            log.info("All master replication stream processed, manual failover can start.")
            c.todo |= TODO_HANDLE_FAILOVER

    def check_manual_timeout(self) -> None:
        c = self.cluster
        if c.mf_end and c.mf_end < c.host.now_ms():
            log.info("Manual failover timed out.")
            c.reset_manual_failover()

    # -- the master's side: votes -----------------------------------------------------------
    def send_auth_if_needed(self, node: Node, request: Message) -> None:
        c = self.cluster
        me = c.myself
        master = node.slaveof
        force_ack = bool(request.mflags & bus.FLAG0_FORCEACK)
        if me.is_replica or me.numslots == 0:
            return
        if request.current_epoch < c.current_epoch:
            log.info(
                "Failover auth denied to %s: reqEpoch (%d) < curEpoch(%d)",
                node.name,
                request.current_epoch,
                c.current_epoch,
            )
            return
        if c.last_vote_epoch == c.current_epoch:
            log.info(
                "Failover auth denied to %s: already voted for epoch %d",
                node.name,
                c.current_epoch,
            )
            return
        if node.is_master or master is None or (not master.failed and not force_ack):
            if node.is_master:
                why = "it is a master node"
            elif master is None:
                why = "I don't know its master"
            else:
                why = "its master is up"
            log.info("Failover auth denied to %s: %s", node.name, why)
            return
        now = c.host.now_ms()
        if now - master.voted_time < c.node_timeout * 2:
            log.info(
                "Failover auth denied to %s: can't vote about this master before %d milliseconds",
                node.name,
                c.node_timeout * 2 - (now - master.voted_time),
            )
            return
        for j in bus.bitmap_slots(request.myslots):
            owner = c.slots[j]
            if owner is None or owner.config_epoch <= request.config_epoch:
                continue
            log.info(
                "Failover auth denied to %s: slot %d epoch (%d) > reqEpoch (%d)",
                node.name,
                j,
                owner.config_epoch,
                request.config_epoch,
            )
            return
        c.last_vote_epoch = c.current_epoch
        master.voted_time = now
        # The vote is on disk before its ack leaves, as in Redis (clusterBeforeSleep saves and
        # fsyncs nodes.conf before the event loop writes the ack): a node that crashes right
        # after voting never votes twice in one epoch.  Redis exits when it cannot save; here
        # the vote is withheld (the epoch's vote stays spent) and the save retried.
        try:
            c.host.save_config_now(True)
        except OSError as e:
            log.warning("Failover auth to %s withheld: nodes.conf not saved: %s", node.name, e)
            c.todo |= TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG
            return
        c.send(node.link, c.header(bus.FAILOVER_AUTH_ACK))
        log.info("Failover auth granted to %s for epoch %d", node.name, c.current_epoch)

    # -- CLUSTER FAILOVER -------------------------------------------------------------------
    def manual_failover(self, force: bool, takeover: bool) -> None:
        c = self.cluster
        me = c.myself
        if me.is_master:
            raise ManualFailoverError("You should send CLUSTER FAILOVER to a replica")
        master = me.slaveof
        if master is None:
            raise ManualFailoverError("I'm a replica but my master is unknown to me")
        if not force and (master.failed or master.link is None):
            raise ManualFailoverError("Master is down or failed, please use CLUSTER FAILOVER FORCE")
        c.reset_manual_failover()
        c.mf_end = c.host.now_ms() + MF_TIMEOUT
        if takeover:
            log.info("Taking over the master (user request).")
            c.bump_epoch_without_consensus()
            self.replace_master()
        elif force:
            log.info("Forced failover user request accepted.")
            c.mf_can_start = True
        else:
            log.info("Manual failover user request accepted.")
            c.send(master.link, c.header(bus.MFSTART))

    # -- replica migration ------------------------------------------------------------------
    def handle_migration(self, max_replicas: int) -> None:
        """clusterHandleSlaveMigration: the replica with the smallest name among the masters
        with most replicas moves to an orphaned master."""
        c = self.cluster
        me = c.myself
        mymaster = me.slaveof
        if c.state != bus.CLUSTER_OK or mymaster is None:
            return
        okslaves = mymaster.ok_replicas()
        if okslaves <= c.config.cluster_migration_barrier:
            return
        candidate = me
        target = None
        now = c.host.now_ms()
        for node in list(c.nodes.values()):
            ok = 0
            is_orphaned = True
            if node.is_replica or node.failed:
                is_orphaned = False
            if not node.flags & bus.NODE_MIGRATE_TO:
                is_orphaned = False
            if node.is_master:
                ok = node.ok_replicas()
            if ok > 0:
                is_orphaned = False
            if is_orphaned:
                if target is None and node.numslots > 0:
                    target = node
                if not node.orphaned_time:
                    node.orphaned_time = now
            else:
                node.orphaned_time = 0
            if ok == max_replicas:
                for r in node.replicas:
                    if r.name < candidate.name:
                        candidate = r
        if (
            target is not None
            and candidate is me
            and now - target.orphaned_time > SLAVE_MIGRATION_DELAY
        ):
            log.info("Migrating to orphaned master %s", target.name)
            c.set_master(target)

    # -- called by ClusterState.cron ---------------------------------------------------------
    def cron(self, orphaned: int, max_replicas: int, this_replicas: int) -> None:
        c = self.cluster
        self.check_manual_timeout()
        if c.myself.is_replica:
            self.handle_manual_failover()
            self.handle_replica_failover()
            if (
                orphaned
                and max_replicas >= 2
                and this_replicas == max_replicas
                and c.config.cluster_allow_replica_migration
            ):
                self.handle_migration(max_replicas)
