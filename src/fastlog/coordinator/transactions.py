"""The transaction coordinator: Kafka's per-transactional-id state machine (KIP-98), single node.

    Empty --AddPartitions/AddOffsets--> Ongoing --EndTxn(commit)--> PrepareCommit --markers--> CompleteCommit
                                        Ongoing --EndTxn(abort) / timeout--> PrepareAbort --markers--> CompleteAbort
    Complete* --AddPartitions--> Ongoing;   Empty/Complete* --InitProducerId--> Empty (epoch + 1)
    Empty/Complete* idle for transactional.id.expiration.ms --> Dead (tombstone, forgotten)

Every transition is written to `__transaction_state` (txn_log.py) before it is answered, so a
restart replays the same states; a transaction found in PrepareCommit/PrepareAbort at start has
its markers written again and completes; an Ongoing one is aborted when its timeout passes.

Writing the markers is the only await between Prepare* and Complete*; every request that finds a
transaction in Prepare* is answered CONCURRENT_TRANSACTIONS (the client retries), so no lock is
needed: all other state changes happen without awaiting. See docs/transactions.md.
"""
from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import re
import time
from typing import Awaitable, Callable, Iterable, Optional

from fastlog import _native
from fastlog.config import Config
from fastlog.coordinator.group_log import WRITE_ERRORS
from fastlog.coordinator.producer_ids import ProducerIdManager
from fastlog.coordinator.txn_log import StoredTxn, TxnLog, txn_value
from fastlog.protocol.errors import ErrorCode
from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.transactions")

E = ErrorCode
NO_PRODUCER_ID = -1
NO_EPOCH = -1
MAX_EPOCH = 32767
# On one node the coordinator never moves, so its epoch (Kafka: the leader epoch of the
# `__transaction_state` partition) is always 0; it is what the markers carry.
COORDINATOR_EPOCH = 0
TopicPartition = tuple[str, int]
# What the engine answers a marker it will not write (an older producer epoch, an older
# coordinator epoch): retrying cannot help, the partition is skipped.
MARKER_REFUSALS = (E.INVALID_PRODUCER_EPOCH, E.TRANSACTION_COORDINATOR_FENCED)


class TxnState(enum.IntEnum):
    """Kafka's TransactionState, with its status byte in `__transaction_state` and its name in
    DescribeTransactions / ListTransactions."""

    EMPTY = 0
    ONGOING = 1
    PREPARE_COMMIT = 2
    PREPARE_ABORT = 3
    COMPLETE_COMMIT = 4
    COMPLETE_ABORT = 5
    DEAD = 6
    PREPARE_EPOCH_FENCE = 7

    @property
    def kafka_name(self) -> str:
        return "".join(w.capitalize() for w in self.name.split("_"))


PREPARING = (TxnState.PREPARE_COMMIT, TxnState.PREPARE_ABORT)
ENDED = (TxnState.EMPTY, TxnState.COMPLETE_COMMIT, TxnState.COMPLETE_ABORT)
STATE_BY_NAME = {s.kafka_name: s for s in TxnState}


def epoch_exhausted(epoch: int) -> bool:
    # Kafka keeps one epoch in reserve: the bump that fences a timed-out transaction.
    return epoch >= MAX_EPOCH - 1


@dataclasses.dataclass
class TxnMetadata:
    transactional_id: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: TxnState
    partitions: set[TopicPartition] = dataclasses.field(default_factory=set)
    start_ms: int = -1
    last_update_ms: int = -1
    # KIP-360: the id/epoch handed out before the current one, so that a producer retrying an
    # InitProducerId whose answer it lost is not fenced. The id is stored (Kafka's
    # PreviousProducerId), the epoch lives in memory only, as in Kafka.
    last_producer_id: int = NO_PRODUCER_ID
    last_producer_epoch: int = NO_EPOCH
    # transaction.version 2: the id a commit or abort moves to when it used up the epochs (set
    # from Prepare* until Complete*), and the version the client spoke at the last transition.
    next_producer_id: int = NO_PRODUCER_ID
    client_tv: int = 0

    def stored(self) -> StoredTxn:
        return StoredTxn(self.producer_id, self.producer_epoch, self.timeout_ms, int(self.state),
                         sorted(self.partitions), self.last_update_ms, self.start_ms,
                         self.last_producer_id, self.next_producer_id, self.client_tv)


@dataclasses.dataclass(frozen=True)
class TxnSettings:
    """The transaction.* broker configs, read once at start."""

    max_timeout_ms: int
    id_expiration_ms: int
    abort_check_interval_ms: int
    expire_check_interval_ms: int
    log_partitions: int
    log_segment_bytes: int

    @classmethod
    def from_config(cls, cfg: Config) -> "TxnSettings":
        return cls(
            max_timeout_ms=cfg.get_int("transaction.max.timeout.ms"),
            id_expiration_ms=cfg.get_int("transactional.id.expiration.ms"),
            abort_check_interval_ms=cfg.get_int("transaction.abort.timed.out.transaction.cleanup.interval.ms"),
            expire_check_interval_ms=cfg.get_int("transaction.remove.expired.transaction.cleanup.interval.ms"),
            log_partitions=cfg.get_int("transaction.state.log.num.partitions"),
            log_segment_bytes=cfg.get_int("transaction.state.log.segment.bytes"),
        )


# TxnOffsetCommit versions: v4 answers a producer outside a transaction TRANSACTION_ABORTABLE, v5
# (transaction.version 2) adds the group's partition to the transaction itself.
ABORTABLE_TXN_OFFSET_COMMIT = 4
TV2_TXN_OFFSET_COMMIT = 5

# Called with (producer id, `__consumer_offsets` partition, commit) once the marker is in that
# partition: the group coordinator makes the transaction's offsets visible or drops them.
OffsetsMarkerHook = Callable[[int, int, bool], None]
OFFSETS_TOPIC = "__consumer_offsets"


def _wall_ms() -> int:
    return int(time.time() * 1000)


class TransactionCoordinator:
    def __init__(self, logs: LogManager, config: Config, producer_ids: ProducerIdManager,
                 now_ms: Callable[[], int] = _wall_ms) -> None:
        self.logs = logs
        self.settings = TxnSettings.from_config(config)
        self.producer_ids = producer_ids
        self.store = TxnLog(logs, self.settings.log_partitions, self.settings.log_segment_bytes)
        self.now_ms = now_ms
        self.txns: dict[str, TxnMetadata] = {}
        self.active = False
        self.on_offsets_marker: Optional[OffsetsMarkerHook] = None
        # Transactions whose markers are being written right now (not to be started twice).
        self._completing: set[str] = set()
        self._tasks: list[asyncio.Task] = []

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Replay `__transaction_state`, finish what a crash left in Prepare*, start the timers."""
        for tid, stored in self.store.replay():
            if stored is None:
                self.txns.pop(tid, None)
                continue
            try:
                state = TxnState(stored.status)
            except ValueError:
                log.warning("transactional id %s: unknown status %d, skipped", tid, stored.status)
                continue
            self.txns[tid] = TxnMetadata(tid, stored.producer_id, stored.producer_epoch, stored.timeout_ms, state,
                                         set(stored.partitions), stored.start_ms, stored.last_update_ms,
                                         last_producer_id=stored.previous_producer_id,
                                         next_producer_id=stored.next_producer_id,
                                         client_tv=stored.client_transaction_version)
        for meta in list(self.txns.values()):
            if meta.state == TxnState.DEAD:
                del self.txns[meta.transactional_id]
        self.active = True
        log.info("loaded %d transactional ids from %s", len(self.txns), self.store.topic and self.store.topic.name)
        for meta in list(self.txns.values()):
            if meta.state in PREPARING:
                log.info("transactional id %s: completing its %s after restart", meta.transactional_id,
                         meta.state.kafka_name)
                await self._complete(meta)
        self._tasks.append(asyncio.create_task(self._every(self.settings.abort_check_interval_ms,
                                                           self.abort_timed_out), name="txn-timeouts"))
        self._tasks.append(asyncio.create_task(self._every(self.settings.expire_check_interval_ms,
                                                           self.expire_ids), name="txn-expiry"))

    def ensure_log_topic(self) -> bool:
        """Create `__transaction_state` if it does not exist yet, as Kafka does at FindCoordinator.
        False: it cannot be created now."""
        return self.store.create_if_missing()

    async def stop(self) -> None:
        self.active = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _every(self, interval_ms: int, work: Callable[[], Awaitable[int]]) -> None:
        while True:
            await asyncio.sleep(max(interval_ms, 10) / 1000)
            try:
                await work()
            except WRITE_ERRORS:  # the next pass tries again
                log.exception("transaction housekeeping failed")

    # -- persistence --------------------------------------------------------------------
    def _persist(self, meta: TxnMetadata) -> None:
        """Write the metadata's current state; raises one of WRITE_ERRORS."""
        meta.last_update_ms = self.now_ms()
        self.store.write(meta.transactional_id, txn_value(meta.stored()))

    def _transition(self, meta: TxnMetadata, **changes) -> Optional[int]:
        """Apply `changes` to `meta` and persist them; on a failed write undo them and return
        the error to answer (Kafka's answer when the log append fails)."""
        before = dataclasses.replace(meta, partitions=set(meta.partitions))
        for name, value in changes.items():
            setattr(meta, name, value)
        try:
            self._persist(meta)
        except WRITE_ERRORS:
            log.exception("writing transactional id %s failed", meta.transactional_id)
            for f in dataclasses.fields(meta):
                setattr(meta, f.name, getattr(before, f.name))
            return E.COORDINATOR_NOT_AVAILABLE
        return None

    # -- InitProducerId ---------------------------------------------------------------
    async def init_producer_id(self, transactional_id: str, timeout_ms: int, producer_id: int = NO_PRODUCER_ID,
                               producer_epoch: int = NO_EPOCH) -> tuple[int, int, int]:
        """(error, producer id, epoch)."""
        fail = (NO_PRODUCER_ID, NO_EPOCH)
        if not self.active:
            return (E.COORDINATOR_NOT_AVAILABLE, *fail)
        if transactional_id == "":
            return (E.INVALID_REQUEST, *fail)
        if not 0 < timeout_ms <= self.settings.max_timeout_ms:
            return (E.INVALID_TRANSACTION_TIMEOUT, *fail)
        meta = self.txns.get(transactional_id)
        if meta is None:
            meta = TxnMetadata(transactional_id, self.producer_ids.new_id(), NO_EPOCH, timeout_ms, TxnState.EMPTY)
            self.txns[transactional_id] = meta
            error = self._transition(meta, producer_epoch=0, timeout_ms=timeout_ms)
            if error is not None:
                del self.txns[transactional_id]
                return (error, *fail)
            return E.NONE, meta.producer_id, meta.producer_epoch
        if meta.state in PREPARING or meta.transactional_id in self._completing:
            return (E.CONCURRENT_TRANSACTIONS, *fail)
        expected = producer_id != NO_PRODUCER_ID
        if expected and not (meta.producer_id == producer_id or meta.producer_epoch == NO_EPOCH or (
                producer_id == meta.last_producer_id and epoch_exhausted(producer_epoch))):
            return (E.PRODUCER_FENCED, *fail)
        if meta.state == TxnState.ONGOING:
            # A new instance of the producer: abort what the old one left open, fencing it with
            # an epoch bump, and let the client retry (CONCURRENT_TRANSACTIONS, as Kafka): the
            # retry then bumps once more for the new instance.
            error = await self._abort_fencing(meta)
            return (error or E.CONCURRENT_TRANSACTIONS, *fail)
        # Ended (Empty, CompleteCommit, CompleteAbort): bump the epoch, or a new producer id when
        # the epoch is used up.
        if expected and meta.producer_id == producer_id and producer_epoch != meta.producer_epoch:
            if producer_epoch == meta.last_producer_epoch and meta.last_producer_id in (NO_PRODUCER_ID, producer_id):
                return E.NONE, meta.producer_id, meta.producer_epoch  # a retry of the last bump
            return (E.PRODUCER_FENCED, *fail)
        if expected and producer_id == meta.last_producer_id and producer_id != meta.producer_id:
            return E.NONE, meta.producer_id, meta.producer_epoch  # a retry of the last id rotation
        if epoch_exhausted(meta.producer_epoch):
            changes = dict(producer_id=self.producer_ids.new_id(), producer_epoch=0,
                           last_producer_id=meta.producer_id, last_producer_epoch=meta.producer_epoch)
        else:
            changes = dict(producer_epoch=meta.producer_epoch + 1, last_producer_id=meta.producer_id,
                           last_producer_epoch=meta.producer_epoch)
        error = self._transition(meta, state=TxnState.EMPTY, partitions=set(), start_ms=-1, timeout_ms=timeout_ms,
                                 **changes)
        if error is not None:
            return (error, *fail)
        return E.NONE, meta.producer_id, meta.producer_epoch

    # -- the checks every producer request passes ---------------------------------------
    def _check_producer(self, transactional_id: str, producer_id: int, producer_epoch: int
                        ) -> tuple[Optional[int], Optional[TxnMetadata]]:
        """(error or None, metadata)."""
        if not self.active:
            return E.COORDINATOR_NOT_AVAILABLE, None
        meta = self.txns.get(transactional_id) if transactional_id else None
        if meta is None or meta.producer_id != producer_id:
            return E.INVALID_PRODUCER_ID_MAPPING, meta
        if meta.producer_epoch != producer_epoch:
            return E.PRODUCER_FENCED, meta
        if meta.state in PREPARING or transactional_id in self._completing:
            return E.CONCURRENT_TRANSACTIONS, meta
        return None, meta

    def _begin(self, meta: TxnMetadata, add: Iterable[TopicPartition], client_tv: int) -> Optional[int]:
        new = set(add) - meta.partitions
        if meta.state == TxnState.ONGOING and not new:
            return None
        if meta.state not in (TxnState.ONGOING, *ENDED):
            return E.INVALID_TXN_STATE
        start = meta.start_ms if meta.state == TxnState.ONGOING else self.now_ms()
        partitions = (meta.partitions if meta.state == TxnState.ONGOING else set()) | new
        return self._transition(meta, state=TxnState.ONGOING, partitions=partitions, start_ms=start,
                                client_tv=client_tv)

    # -- AddPartitionsToTxn, AddOffsetsToTxn ---------------------------------------------
    def add_partitions(self, transactional_id: str, producer_id: int, producer_epoch: int,
                       partitions: list[TopicPartition], client_tv: int = 0) -> dict[TopicPartition, int]:
        """The error per partition (Kafka answers every partition with the one error).
        `client_tv` 2: the implicit add of a transaction.version 2 Produce (v12+)."""
        unknown = [tp for tp in partitions if not self._partition_exists(tp)]
        if unknown:
            # Nothing is added when a partition is unknown; the others were not attempted.
            return {tp: (E.UNKNOWN_TOPIC_OR_PARTITION if tp in unknown else E.OPERATION_NOT_ATTEMPTED)
                    for tp in partitions}
        error, meta = self._check_producer(transactional_id, producer_id, producer_epoch)
        if error is None and meta is not None:
            error = self._begin(meta, partitions, client_tv)
        return {tp: error or E.NONE for tp in partitions}

    def verify_partitions(self, transactional_id: str, producer_id: int, producer_epoch: int,
                          partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """AddPartitionsToTxn v4+ verify_only, and the check of a transactional Produce: is each
        partition in the producer's ongoing transaction?"""
        error, meta = self._check_producer(transactional_id, producer_id, producer_epoch)
        if error is None and meta is not None:
            return {tp: E.NONE if meta.state == TxnState.ONGOING and tp in meta.partitions else E.INVALID_TXN_STATE
                    for tp in partitions}
        return {tp: error or E.NONE for tp in partitions}

    def add_offsets(self, transactional_id: str, producer_id: int, producer_epoch: int,
                    offsets_partition: int) -> int:
        """AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction."""
        error, meta = self._check_producer(transactional_id, producer_id, producer_epoch)
        if error is None and meta is not None:
            error = self._begin(meta, [(OFFSETS_TOPIC, offsets_partition)], client_tv=0)
        return error or E.NONE

    def check_offsets_producer(self, transactional_id: str, producer_id: int, producer_epoch: int,
                               offsets_partition: int, api_version: int) -> int:
        """TxnOffsetCommit's producer check (the group coordinator asks): a zombie is fenced, and
        the group's partition must be in the ongoing transaction, or the offsets would never get a
        marker. v5+ (transaction.version 2) adds it, as AddOffsetsToTxn would; older versions need
        AddOffsetsToTxn first, else TRANSACTION_ABORTABLE (v4, KIP-890's error the client can
        abort on) or INVALID_TXN_STATE, as Kafka 4 answers."""
        tp = (OFFSETS_TOPIC, offsets_partition)
        if api_version >= TV2_TXN_OFFSET_COMMIT:
            return self.add_partitions(transactional_id, producer_id, producer_epoch, [tp], client_tv=2)[tp]
        error, meta = self._check_producer(transactional_id, producer_id, producer_epoch)
        if error is None and meta is not None and not (meta.state == TxnState.ONGOING and tp in meta.partitions):
            return E.TRANSACTION_ABORTABLE if api_version >= ABORTABLE_TXN_OFFSET_COMMIT else E.INVALID_TXN_STATE
        return error or E.NONE

    def _partition_exists(self, tp: TopicPartition) -> bool:
        topic = self.logs.get(tp[0])
        return topic is not None and 0 <= tp[1] < len(topic.partitions)

    # -- EndTxn -------------------------------------------------------------------------
    async def end_txn(self, transactional_id: str, producer_id: int, producer_epoch: int, commit: bool,
                      client_tv: int = 0) -> tuple[int, int, int]:
        """(error, producer id, epoch). With `client_tv` 2 (EndTxn v5+, KIP-890) every commit or
        abort bumps the epoch and the answer carries the id and epoch the producer goes on with;
        with 0 the epoch stays and the answer carries -1, -1."""
        if client_tv >= 2:
            return await self._end_txn_tv2(transactional_id, producer_id, producer_epoch, commit)
        none = (NO_PRODUCER_ID, NO_EPOCH)
        error, meta = self._check_producer(transactional_id, producer_id, producer_epoch)
        if meta is not None and error == E.CONCURRENT_TRANSACTIONS and meta.state in PREPARING:
            wanted = TxnState.PREPARE_COMMIT if commit else TxnState.PREPARE_ABORT
            return (E.CONCURRENT_TRANSACTIONS if meta.state == wanted else E.INVALID_TXN_STATE, *none)
        if error is not None or meta is None:
            return (error or E.INVALID_PRODUCER_ID_MAPPING, *none)
        if meta.state == TxnState.ONGOING:
            return (await self._prepare_and_complete(meta, commit, bump=False), *none)
        # A retry of an EndTxn that already completed answers as it did; anything else is wrong.
        done = TxnState.COMPLETE_COMMIT if commit else TxnState.COMPLETE_ABORT
        return (E.NONE if meta.state == done else E.INVALID_TXN_STATE, *none)

    async def _end_txn_tv2(self, transactional_id: str, producer_id: int, producer_epoch: int,
                           commit: bool) -> tuple[int, int, int]:
        """Kafka 4's EndTxn for transaction.version 2. A retry carries the epoch before the bump
        (or, after the bump used up the id, the old id at MAX_EPOCH - 1), so the epoch that is valid
        depends on the state:

            state           abort: retry / current      commit: retry / current
            Empty           PRODUCER_FENCED / bump      PRODUCER_FENCED / INVALID_TXN_STATE
            CompleteAbort   NONE / bump                 INVALID_TXN_STATE / INVALID_TXN_STATE
            CompleteCommit  INVALID_TXN_STATE / bump    NONE / INVALID_TXN_STATE
            Ongoing         - / bump                    - / bump

        An abort of no transaction (Empty, Complete*) is a transaction without partitions: the
        epoch is bumped all the same, so the client can always abort to get a fresh epoch."""
        none = (NO_PRODUCER_ID, NO_EPOCH)
        if not self.active:
            return (E.COORDINATOR_NOT_AVAILABLE, *none)
        meta = self.txns.get(transactional_id) if transactional_id else None
        if meta is None:
            return (E.INVALID_PRODUCER_ID_MAPPING, *none)
        retry_on_overflow = (meta.last_producer_id == producer_id and producer_epoch == MAX_EPOCH - 1
                             and meta.producer_epoch == 0)
        retry_on_bump = meta.producer_epoch == producer_epoch + 1
        if meta.state in PREPARING:
            valid_epoch = retry_on_bump
        elif meta.state in (TxnState.COMPLETE_COMMIT, TxnState.COMPLETE_ABORT):
            valid_epoch = retry_on_bump or retry_on_overflow or producer_epoch == meta.producer_epoch
        else:
            valid_epoch = producer_epoch == meta.producer_epoch
        if meta.producer_id != producer_id and not retry_on_overflow:
            return (E.INVALID_PRODUCER_ID_MAPPING, *none)
        if not valid_epoch:
            return (E.PRODUCER_FENCED, *none)
        retry = retry_on_bump or retry_on_overflow
        wanted_prepare = TxnState.PREPARE_COMMIT if commit else TxnState.PREPARE_ABORT
        if meta.state in PREPARING or transactional_id in self._completing:
            return (E.CONCURRENT_TRANSACTIONS if meta.state == wanted_prepare else E.INVALID_TXN_STATE, *none)
        done = TxnState.COMPLETE_COMMIT if commit else TxnState.COMPLETE_ABORT
        if meta.state == TxnState.ONGOING:
            pass
        elif meta.state == done and retry:
            return E.NONE, meta.producer_id, meta.producer_epoch
        elif commit or retry:
            return (E.INVALID_TXN_STATE, *none)
        error = await self._prepare_and_complete(meta, commit, bump=True)
        if error != E.NONE:
            return (error, *none)
        if meta.next_producer_id != NO_PRODUCER_ID:  # markers not all written yet: the id comes at Complete*
            return E.NONE, meta.next_producer_id, 0
        return E.NONE, meta.producer_id, meta.producer_epoch

    async def _prepare_and_complete(self, meta: TxnMetadata, commit: bool, bump: bool) -> int:
        """Ongoing (or, with `bump`, any ended state: an abort without partitions) -> Prepare* ->
        markers -> Complete*. With `bump` (transaction.version 2) the epoch goes up by one for the
        markers; when that reaches MAX_EPOCH the transaction ends under a new producer id at epoch 0
        (Kafka keeps MAX_EPOCH for the markers and hands out the new id)."""
        prepare = TxnState.PREPARE_COMMIT if commit else TxnState.PREPARE_ABORT
        changes: dict = dict(state=prepare, client_tv=2 if bump else 0)
        if bump:
            changes.update(producer_epoch=meta.producer_epoch + 1, last_producer_epoch=meta.producer_epoch)
            if epoch_exhausted(meta.producer_epoch):
                changes["next_producer_id"] = self.producer_ids.new_id()
            if meta.state != TxnState.ONGOING:
                changes.update(partitions=set(), start_ms=self.now_ms())
        error = self._transition(meta, **changes)
        if error is not None:
            return error
        await self._complete(meta)
        return E.NONE

    async def _complete(self, meta: TxnMetadata) -> None:
        """Write the markers of a Prepare* transaction, then move it to Complete*. On a failed
        marker write it stays in Prepare* and the timeout task tries again."""
        tid = meta.transactional_id
        if tid in self._completing:
            return
        commit = meta.state == TxnState.PREPARE_COMMIT
        self._completing.add(tid)
        try:
            for tp in sorted(meta.partitions):
                await self._write_marker(tp, meta.producer_id, meta.producer_epoch, commit)
        except WRITE_ERRORS:
            log.exception("transactional id %s: writing markers failed; retried later", tid)
            return
        finally:
            self._completing.discard(tid)
        done = TxnState.COMPLETE_COMMIT if commit else TxnState.COMPLETE_ABORT
        rotation: dict = {}
        if meta.next_producer_id != NO_PRODUCER_ID:  # the bump used up the id: the next one at epoch 0
            rotation = dict(producer_id=meta.next_producer_id, producer_epoch=0, last_producer_id=meta.producer_id,
                            next_producer_id=NO_PRODUCER_ID)
        if self._transition(meta, state=done, partitions=set(), **rotation) is None:
            log.debug("transactional id %s: %s", tid, done.kafka_name)

    async def _write_marker(self, tp: TopicPartition, producer_id: int, producer_epoch: int, commit: bool) -> None:
        topic = self.logs.get(tp[0])
        if topic is None or not 0 <= tp[1] < len(topic.partitions):
            return  # deleted since it joined the transaction: nothing left to mark
        try:
            await self.logs.write_txn_marker_async(topic, tp[1], producer_id, producer_epoch, commit,
                                                   COORDINATOR_EPOCH)
        except _native.StorageError as e:
            if e.code not in MARKER_REFUSALS:
                raise  # disk trouble: the transaction stays in Prepare* and is retried
            # The log has a newer producer epoch or coordinator there (a marker written through
            # WriteTxnMarkers, e.g. `kafka-transactions abort`): nothing left to end, as in Kafka.
            log.warning("%s-%d: marker of producer %d refused (%s); skipped", tp[0], tp[1], producer_id, e.message)
            return
        if tp[0] == OFFSETS_TOPIC and self.on_offsets_marker is not None:
            self.on_offsets_marker(producer_id, tp[1], commit)

    async def _abort_fencing(self, meta: TxnMetadata) -> Optional[int]:
        """Abort an Ongoing transaction under a bumped epoch, so that its producer (a zombie, or
        one past its timeout) is fenced: its next request carries the old epoch."""
        epoch = meta.producer_epoch if epoch_exhausted(meta.producer_epoch) else meta.producer_epoch + 1
        error = self._transition(meta, state=TxnState.PREPARE_ABORT, producer_epoch=epoch,
                                 last_producer_epoch=NO_EPOCH)
        if error is not None:
            return error
        await self._complete(meta)
        return None

    # -- housekeeping -------------------------------------------------------------------
    async def abort_timed_out(self) -> int:
        """Abort every Ongoing transaction past its timeout; finish Prepare* ones whose markers
        failed before. Returns how many were aborted."""
        now = self.now_ms()
        aborted = 0
        for meta in list(self.txns.values()):
            if meta.transactional_id in self._completing:
                continue
            if meta.state in PREPARING:
                await self._complete(meta)
            elif meta.state == TxnState.ONGOING and meta.start_ms + meta.timeout_ms <= now:
                log.info("transactional id %s: aborting its transaction, open longer than %d ms",
                         meta.transactional_id, meta.timeout_ms)
                if await self._abort_fencing(meta) is None:
                    aborted += 1
        return aborted

    async def expire_ids(self) -> int:
        """Forget transactional ids idle for transactional.id.expiration.ms (a tombstone in the
        log). Returns how many."""
        now = self.now_ms()
        expired = 0
        for meta in list(self.txns.values()):
            if meta.state in ENDED and meta.last_update_ms + self.settings.id_expiration_ms <= now \
                    and meta.transactional_id not in self._completing:
                try:
                    self.store.write(meta.transactional_id, None)
                except WRITE_ERRORS:
                    log.exception("expiring transactional id %s failed", meta.transactional_id)
                    continue
                del self.txns[meta.transactional_id]
                expired += 1
        if expired:
            log.info("expired %d transactional ids", expired)
        return expired

    # -- DescribeTransactions, ListTransactions ---------------------------------------------
    def describe(self, transactional_id: str) -> tuple[int, Optional[TxnMetadata]]:
        if not self.active:
            return E.COORDINATOR_NOT_AVAILABLE, None
        meta = self.txns.get(transactional_id)
        if meta is None or meta.state == TxnState.DEAD:
            return E.TRANSACTIONAL_ID_NOT_FOUND, None
        return E.NONE, meta

    def list(self, states: list[str], producer_ids: list[int], min_duration_ms: int = -1,
             id_pattern: Optional[str] = None) -> tuple[int, list[str], list[TxnMetadata]]:
        """(error, unknown state filters, matching transactions)."""
        if not self.active:
            return E.COORDINATOR_NOT_AVAILABLE, [], []
        unknown = [s for s in states if s not in STATE_BY_NAME]
        wanted = {STATE_BY_NAME[s] for s in states if s in STATE_BY_NAME}
        try:
            pattern = re.compile(id_pattern) if id_pattern else None
        except re.error:
            return E.INVALID_REQUEST, [], []
        now = self.now_ms()
        out = []
        for meta in self.txns.values():
            if states and meta.state not in wanted:
                continue
            if producer_ids and meta.producer_id not in producer_ids:
                continue
            # Kafka's rule, for every state: running (since start_ms, -1 when none) longer than the filter.
            if min_duration_ms >= 0 and now - meta.start_ms <= min_duration_ms:
                continue
            if pattern is not None and not pattern.fullmatch(meta.transactional_id):
                continue
            out.append(meta)
        return E.NONE, unknown, out
