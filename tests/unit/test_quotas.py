"""fastlog.quotas: Kafka's precedence of quota entities and its throttle-time formula."""
from __future__ import annotations

from fastlog.quotas import ClientQuotas, entity_key


def _quotas(tmp_path, *settings):
    quotas = ClientQuotas(str(tmp_path))
    for parts, key, value in settings:
        quotas.alter(entity_key(parts), [(key, value, False)], validate_only=False)
    return quotas


def test_the_most_specific_entity_that_sets_the_key_wins(tmp_path):
    quotas = _quotas(tmp_path,
                     ((("client-id", None),), "producer_byte_rate", 100.0),
                     ((("client-id", "app"),), "producer_byte_rate", 200.0),
                     ((("user", None),), "producer_byte_rate", 300.0),
                     ((("user", "alice"),), "consumer_byte_rate", 400.0),
                     ((("user", "alice"), ("client-id", None)), "producer_byte_rate", 500.0))
    assert quotas._matching("producer_byte_rate", "alice", "app")[1] == 500.0
    assert quotas._matching("consumer_byte_rate", "alice", "app")[1] == 400.0   # other keys from other entities
    assert quotas._matching("producer_byte_rate", "bob", "app")[1] == 300.0     # <default user> before client ids
    assert quotas._matching("request_percentage", "bob", "app") is None


def test_throttle_time_is_kafkas_formula_bounded_by_one_window(tmp_path):
    quotas = _quotas(tmp_path, ((("client-id", "c"),), "producer_byte_rate", 1000.0))
    # 5000 bytes at once: over 11 windows of 1 s the rate counts at least 10 s: 500 B/s, within.
    assert quotas.record("producer_byte_rate", 5000, "ANONYMOUS", "c", now_ms=0) == 0
    # 10500 in all: 1050 B/s over 10 s, so (1050 - 1000) / 1000 * 10000 ms = 500 ms
    assert quotas.record("producer_byte_rate", 5500, "ANONYMOUS", "c", now_ms=0) == 500
    # far over: never more than one window (quota.window.size.seconds)
    assert quotas.record("producer_byte_rate", 10**6, "ANONYMOUS", "c", now_ms=0) == 1000
    # a client id under no quota is never throttled
    assert quotas.record("producer_byte_rate", 10**9, "ANONYMOUS", "other", now_ms=0) == 0


def test_default_entities_give_each_client_its_own_rate(tmp_path):
    quotas = _quotas(tmp_path, ((("client-id", None),), "producer_byte_rate", 1000.0))
    assert quotas.record("producer_byte_rate", 10500, "ANONYMOUS", "one", now_ms=0) == 500
    assert quotas.record("producer_byte_rate", 5000, "ANONYMOUS", "two", now_ms=0) == 0


def test_a_changed_quota_is_matched_at_the_next_request(tmp_path):
    """The matched entity is kept per client (every Produce looks it up) until the quotas change."""
    quotas = _quotas(tmp_path, ((("client-id", None),), "producer_byte_rate", 1000.0))
    assert quotas._matching("producer_byte_rate", "ANONYMOUS", "c")[1] == 1000.0
    quotas.alter(entity_key([("client-id", "c")]), [("producer_byte_rate", 50.0, False)], validate_only=False)
    assert quotas._matching("producer_byte_rate", "ANONYMOUS", "c")[1] == 50.0
    quotas.alter(entity_key([("client-id", "c")]), [("producer_byte_rate", 0.0, True)], validate_only=False)
    quotas.alter(entity_key([("client-id", None)]), [("producer_byte_rate", 0.0, True)], validate_only=False)
    assert quotas._matching("producer_byte_rate", "ANONYMOUS", "c") is None
    ClientQuotas(str(tmp_path)).alter(entity_key([("client-id", "c")]), [("producer_byte_rate", 70.0, False)],
                                      validate_only=False)
    quotas.load()  # the file written by another store
    assert quotas._matching("producer_byte_rate", "ANONYMOUS", "c")[1] == 70.0
