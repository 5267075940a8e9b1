"""TxnOffsetCommit (API key 28): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 28 TxnOffsetCommit 0-6 flex=3+
  transactional_id string 0+                          # txn id
  group_id string 0+                                  # group
  producer_id int64 0+                                # producer id
  producer_epoch int16 0+                             # producer epoch
  generation_id_or_member_epoch int32 3+ =-1          # group generation (KIP-447)
  member_id string 3+ =""                             # member (KIP-447)
  group_instance_id string 3+ null=3+ =null           # static member id
  topics []TxnOffsetCommitRequestTopic 0+             # per topic
    name string 0-5                                   # topic
    topic_id uuid 6+                                  # topic (by id)
    partitions []TxnOffsetCommitRequestPartition 0+   # per partition
      partition_index int32 0+                        # partition
      committed_offset int64 0+                       # position to commit
      committed_leader_epoch int32 2+ =-1             # epoch of the offset
      committed_metadata string 0+ null=0+            # client's note

response 28 TxnOffsetCommit 0-6 flex=3+
  throttle_time_ms int32 0+                           # quota delay
  topics []TxnOffsetCommitResponseTopic 0+            # per topic
    name string 0-5                                   # topic
    topic_id uuid 6+                                  # topic (by id)
    partitions []TxnOffsetCommitResponsePartition 0+  # per partition
      partition_index int32 0+                        # partition
      error_code int16 0+                             # error
"""
