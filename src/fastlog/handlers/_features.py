"""The feature flags (KIP-584) fastlog reports, shared by ApiVersions and UpdateFeatures.

Each feature Kafka 4.4 knows, with the levels fastlog supports:
- metadata.version at 4.4-IV2 (33, the protocol level fastlog speaks);
- group.version at 1 (KIP-848 consumer groups, as Kafka 4 finalizes it);
- share.version at 1 (KIP-932 share groups, as Kafka 4.2 made them GA; level 2, Kafka 4.4's
  share-group dead-letter queues, is not done);
- eligible.leader.replicas.version at 1, as a new Kafka 4.4 cluster runs (KIP-966). For one node
  the eligible replicas are always empty; what shows is Kafka's rule that min.insync.replicas is
  kept at the cluster level only (storage/dynamic_configs.py). Supported at 1 only: it cannot be
  turned off;
- transaction.version 0-2 as in Kafka, finalized at 2 as Kafka 4.4 does (KIP-890): clients that
  see level 2 use Produce v12+, EndTxn v5+ and TxnOffsetCommit v5+ with their implicit partition
  add and epoch bump per transaction (docs/transactions.md). UpdateFeatures changes it for real
  (KEPT, stored by storage/feature_levels.py): what each request does follows its version, as in
  Kafka, so the level only tells clients which flow to use;
- every other feature only at level 0 (off): no streams groups, no dynamic KRaft quorum.
Supported ranges are the levels fastlog runs at (group.version and share.version 0-1; a downgrade
to 0 is accepted but changes nothing: the protocols stay served), so UpdateFeatures refuses every
other level.
"""
METADATA_VERSION = "metadata.version"

# name -> (min, max) supported level, in Kafka's order of its ApiVersions answer
SUPPORTED: dict[str, tuple[int, int]] = {
    "group.version": (0, 1),
    "kraft.version": (0, 0),
    METADATA_VERSION: (33, 33),
    "share.version": (0, 1),
    "streams.version": (0, 0),
    "transaction.version": (0, 2),
    "eligible.leader.replicas.version": (1, 1),
}
# Finalized (cluster-wide) levels of a new cluster, in Kafka's order of its ApiVersions answer (a
# feature at level 0 is not listed, as Kafka leaves it out).
FINALIZED: dict[str, int] = {"group.version": 1, METADATA_VERSION: 33, "share.version": 1,
                             "transaction.version": 2, "eligible.leader.replicas.version": 1}
# The features whose level UpdateFeatures really changes (and the data directory keeps).
KEPT: frozenset[str] = frozenset({"transaction.version"})
