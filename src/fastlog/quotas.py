"""Client quotas as Kafka keeps and enforces them (DescribeClientQuotas / AlterClientQuotas).

Quotas are set per entity: a user, a client id, a (user, client id) pair, or an IP, each by name
or as the default of its type (name None). A client's quota of one kind (producer_byte_rate,
consumer_byte_rate, request_percentage, controller_mutation_rate) comes from the first entity
of Kafka's precedence order that sets that kind:

    user+client-id, user+<default client>, user, <default user>+client-id,
    <default user>+<default client>, <default user>, client-id, <default client>

Without authentication every client is the user ANONYMOUS, as in Kafka. controller_mutation_rate
and connection_creation_rate are kept and described but not enforced (README).

Enforcement (Kafka's ClientQuotaManager): each quota is measured as a rate over
quota.window.num windows of quota.window.size.seconds; a request that takes the rate over the
quota gets a throttle time (observed - quota) / quota * window, at most one window size, in its
response's throttle_time_ms, and its connection then handles nothing for that long (KIP-219).
Clients that share the matched entity share one rate (all clients of user alice under a quota
set on alice; each client id on its own under a default client-id quota).

The quotas are kept in DATA_DIR/client-quotas.json (a JSON list of {"entity": [[type, name],
...], "quotas": {key: value}}), written atomically on each change.
"""
from __future__ import annotations

import collections
import ipaddress
import json
import math
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Iterable, Optional

from fastlog.files import atomic_write
from fastlog.protocol.errors import ErrorCode

FILE_NAME = "client-quotas.json"
ANONYMOUS = "ANONYMOUS"

USER, CLIENT_ID, IP = "user", "client-id", "ip"
# The order of an entity's parts in Kafka's answers.
ENTITY_ORDER = (CLIENT_ID, USER, IP)

PRODUCER_BYTE_RATE = "producer_byte_rate"
CONSUMER_BYTE_RATE = "consumer_byte_rate"
REQUEST_PERCENTAGE = "request_percentage"
CONTROLLER_MUTATION_RATE = "controller_mutation_rate"
CONNECTION_CREATION_RATE = "connection_creation_rate"
# Keys valid for user/client-id entities and for IP entities; the integer-valued ones refuse fractions.
CLIENT_KEYS = (PRODUCER_BYTE_RATE, CONSUMER_BYTE_RATE, REQUEST_PERCENTAGE, CONTROLLER_MUTATION_RATE)
IP_KEYS = (CONNECTION_CREATION_RATE,)
INTEGER_KEYS = {PRODUCER_BYTE_RATE, CONSUMER_BYTE_RATE, CONNECTION_CREATION_RATE}

MATCH_EXACT, MATCH_DEFAULT, MATCH_ANY = 0, 1, 2

Entity = tuple[tuple[str, Optional[str]], ...]  # sorted (type, name) pairs; name None = default

# (key, user, client id) lookups whose matched entity is kept (all are dropped when full).
MAX_CACHED_MATCHES = 4096


class QuotaError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def entity_key(parts: Iterable[tuple[str, Optional[str]]]) -> Entity:
    return tuple(sorted(dict(parts).items()))


def kafka_order(entity: Entity) -> list[tuple[str, Optional[str]]]:
    return sorted(entity, key=lambda p: ENTITY_ORDER.index(p[0]) if p[0] in ENTITY_ORDER else len(ENTITY_ORDER))


def _check_ip(name: Optional[str]) -> None:
    if name is None:
        return
    try:
        ipaddress.ip_address(name)
    except ValueError:
        try:
            socket.getaddrinfo(name, None)
        except OSError:
            raise QuotaError(ErrorCode.INVALID_REQUEST, f"{name} is not a valid IP or resolvable host.") from None


def check_entity(parts: list[tuple[str, Optional[str]]]) -> Entity:
    """The entity of an AlterClientQuotas entry, checked as Kafka checks it."""
    if not parts:
        raise QuotaError(ErrorCode.INVALID_REQUEST, "Invalid empty client quota entity")
    entity = dict(parts)  # a type given twice: the last name counts, as in Kafka's map
    for entity_type in entity:
        if entity_type not in (USER, CLIENT_ID, IP):
            raise QuotaError(ErrorCode.INVALID_REQUEST, f"Unhandled client quota entity type: {entity_type}")
    if IP in entity and len(entity) > 1:
        raise QuotaError(ErrorCode.INVALID_REQUEST,
                         "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId")
    if IP in entity:
        _check_ip(entity[IP])
    return entity_key(entity.items())


def check_ops(entity: Entity, ops: list[tuple[str, float, bool]]) -> None:
    keys = IP_KEYS if any(t == IP for t, _ in entity) else CLIENT_KEYS
    seen = set()
    for key, value, remove in ops:
        if key in seen:
            raise QuotaError(ErrorCode.INVALID_REQUEST,
                             f"Ignoring duplicate entity ClientQuotaEntity(entries={{{_entity_text(entity)}}})")
        seen.add(key)
        if key not in keys:
            raise QuotaError(ErrorCode.INVALID_REQUEST, f"Invalid configuration key {key}")
        if remove:
            continue
        if key in INTEGER_KEYS and value != math.floor(value):
            raise QuotaError(ErrorCode.INVALID_REQUEST, f"{key} cannot be a fractional value.")
        if not value > 0:
            raise QuotaError(ErrorCode.INVALID_REQUEST, f"Quota {key} must be greater than 0")


def _entity_text(entity: Entity) -> str:
    return ", ".join(f"{t}={n if n is not None else '<default>'}" for t, n in kafka_order(entity))


@dataclass
class _Rate:
    """A rate over `samples` windows of `window_ms` (Kafka's SampledStat Rate)."""
    samples: int
    window_ms: int
    windows: collections.deque = field(default_factory=collections.deque)  # [start_ms, total]

    def record(self, value: float, now_ms: float) -> None:
        if not self.windows or now_ms >= self.windows[-1][0] + self.window_ms:
            self.windows.append([now_ms, 0.0])
        self.windows[-1][1] += value
        while self.windows and self.windows[0][0] + self.samples * self.window_ms <= now_ms:
            self.windows.popleft()

    def unrecord(self, value: float) -> None:
        if self.windows:
            self.windows[-1][1] -= value

    def elapsed_ms(self, now_ms: float) -> float:
        """Kafka's Rate.windowSize: time since the oldest window, at least samples-1 windows."""
        elapsed = now_ms - self.windows[0][0] if self.windows else 0.0
        return max(elapsed, (self.samples - 1) * self.window_ms)

    def per_second(self, now_ms: float) -> float:
        total = sum(t for _, t in self.windows)
        return total / (self.elapsed_ms(now_ms) / 1000.0)


class ClientQuotas:
    """The quota store, its file, and the rates measured against it."""

    def __init__(self, data_dir: str, window_num: int = 11, window_size_s: int = 1) -> None:
        self.path = os.path.join(data_dir, FILE_NAME)
        self.window_num = window_num
        self.window_ms = window_size_s * 1000
        self.quotas: dict[Entity, dict[str, float]] = {}
        self._rates: dict[tuple[str, Entity], _Rate] = {}
        # (key, user, client id) -> what _matching found, while the quotas stay as they are:
        # every Produce of a client under a quota looks its entities up (Kafka caches it too).
        self._matched: dict[tuple[str, str, str], Optional[tuple[Entity, float]]] = {}

    # -- the store ---------------------------------------------------------------------------
    def load(self) -> None:
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as f:
            for row in json.load(f):
                self.quotas[entity_key((t, n) for t, n in row["entity"])] = dict(row["quotas"])
        self._matched.clear()

    def _save(self) -> None:
        rows = [{"entity": [list(p) for p in entity], "quotas": values}
                for entity, values in sorted(self.quotas.items(), key=lambda kv: str(kv[0]))]
        atomic_write(self.path, json.dumps(rows, indent=1) + "\n")

    def alter(self, entity: Entity, ops: list[tuple[str, float, bool]], validate_only: bool) -> None:
        check_ops(entity, ops)
        if validate_only:
            return
        values = dict(self.quotas.get(entity, {}))
        for key, value, remove in ops:
            if remove:
                values.pop(key, None)
            else:
                values[key] = value
        if values:
            self.quotas[entity] = values
        else:
            self.quotas.pop(entity, None)
        # A changed quota starts from fresh rates, as Kafka re-creates its sensors' quotas.
        self._rates = {k: r for k, r in self._rates.items() if k[1] != entity}
        self._matched.clear()
        self._save()

    def describe(self, components: list[tuple[str, int, Optional[str]]], strict: bool) -> list[tuple[Entity, dict]]:
        seen = set()
        for entity_type, match_type, match in components:
            if entity_type in seen:
                raise QuotaError(ErrorCode.INVALID_REQUEST,
                                 f"Entity type {entity_type} cannot appear more than once in the filter.")
            seen.add(entity_type)
            if entity_type not in (USER, CLIENT_ID, IP):
                raise QuotaError(ErrorCode.UNSUPPORTED_VERSION, f"Unsupported entity type {entity_type}")
            if match_type == MATCH_EXACT and match is None:
                raise QuotaError(ErrorCode.INVALID_REQUEST,
                                 "Request specified MATCH_TYPE_EXACT, but set match string to null.")
            if match_type not in (MATCH_EXACT, MATCH_DEFAULT, MATCH_ANY):
                raise QuotaError(ErrorCode.INVALID_REQUEST, f"Unknown match type {match_type}")
        if strict and not components:
            return []
        out = []
        for entity, values in self.quotas.items():
            parts = dict(entity)
            if strict and set(parts) != seen:
                continue
            if all(t in parts and (m == MATCH_ANY or (m == MATCH_DEFAULT and parts[t] is None)
                                   or (m == MATCH_EXACT and parts[t] == n))
                   for t, m, n in components):
                out.append((entity, dict(values)))
        return out

    # -- enforcement -------------------------------------------------------------------------
    def _matching(self, key: str, user: str, client_id: str) -> Optional[tuple[Entity, float]]:
        """The rate's sharing key of the entity whose `key` quota applies to this client, by
        Kafka's precedence (defaults replaced by the client's own names), and the quota."""
        lookup = (key, user, client_id)
        if lookup in self._matched:
            return self._matched[lookup]
        if len(self._matched) >= MAX_CACHED_MATCHES:
            self._matched.clear()
        found = self._matched[lookup] = self._find_matching(key, user, client_id)
        return found

    def _find_matching(self, key: str, user: str, client_id: str) -> Optional[tuple[Entity, float]]:
        candidates = [((USER, user), (CLIENT_ID, client_id)), ((USER, user), (CLIENT_ID, None)), ((USER, user),),
                      ((USER, None), (CLIENT_ID, client_id)), ((USER, None), (CLIENT_ID, None)), ((USER, None),),
                      ((CLIENT_ID, client_id),), ((CLIENT_ID, None),)]
        for parts in candidates:
            values = self.quotas.get(entity_key(parts))
            if values and key in values:
                shared = entity_key((t, user if t == USER else client_id) for t, _ in parts)
                return shared, values[key]
        return None

    def record(self, key: str, value: float, user: str, client_id: str, now_ms: Optional[float] = None) -> int:
        """Count `value` against the client's `key` quota; the throttle time in ms (0: within)."""
        if not self.quotas:
            return 0
        found = self._matching(key, user, client_id)
        if found is None:
            return 0
        shared, quota = found
        now = time.monotonic() * 1000 if now_ms is None else now_ms
        rate = self._rates.get((key, shared))
        if rate is None:
            rate = self._rates[(key, shared)] = _Rate(self.window_num, self.window_ms)
        rate.record(value, now)
        observed = rate.per_second(now)
        if observed <= quota:
            return 0
        throttle = (observed - quota) / quota * rate.elapsed_ms(now)
        return int(min(round(throttle), self.window_ms))

    def unrecord(self, key: str, value: float, user: str, client_id: str) -> None:
        found = self._matching(key, user, client_id)
        if found is not None and (key, found[0]) in self._rates:
            self._rates[(key, found[0])].unrecord(value)
