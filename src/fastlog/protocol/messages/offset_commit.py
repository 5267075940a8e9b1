"""OffsetCommit (API key 8): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 8 OffsetCommit 2-10 flex=8+
  group_id string 0+                               # group
  generation_id_or_member_epoch int32 1+ =-1       # generation
  member_id string 1+                              # member
  group_instance_id string 7+ null=7+ =null        # static member id
  retention_time_ms int64 2-4 =-1                  # offsets' lifetime
  topics []OffsetCommitRequestTopic 0+             # per topic
    name string 0-9                                # topic
    topic_id uuid 10+                              # topic (v10+)
    partitions []OffsetCommitRequestPartition 0+   # per partition
      partition_index int32 0+                     # partition
      committed_offset int64 0+                    # position to commit
      committed_leader_epoch int32 6+ =-1          # epoch of the offset
      committed_metadata string 0+ null=0+         # client's note

response 8 OffsetCommit 2-10 flex=8+
  throttle_time_ms int32 3+                        # quota delay
  topics []OffsetCommitResponseTopic 0+            # per topic
    name string 0-9                                # topic
    topic_id uuid 10+                              # topic (v10+)
    partitions []OffsetCommitResponsePartition 0+  # per partition
      partition_index int32 0+                     # partition
      error_code int16 0+                          # error
"""
