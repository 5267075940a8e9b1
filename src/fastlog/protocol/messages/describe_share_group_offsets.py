"""DescribeShareGroupOffsets (API key 90, KIP-932): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 90 DescribeShareGroupOffsets 0-1 flex=0+
  groups []DescribeShareGroupOffsetsRequestGroup 0+     # groups
    group_id string 0+                                  # group
    topics []DescribeShareGroupOffsetsRequestTopic 0+ null=0+  # null: all
      topic_name string 0+                              # topic
      partitions []int32 0+                             # partitions

response 90 DescribeShareGroupOffsets 0-1 flex=0+
  throttle_time_ms int32 0+                             # quota delay
  groups []DescribeShareGroupOffsetsResponseGroup 0+    # per group
    group_id string 0+                                  # group
    topics []DescribeShareGroupOffsetsResponseTopic 0+  # per topic
      topic_name string 0+                              # topic
      topic_id uuid 0+                                  # topic uuid
      partitions []DescribeShareGroupOffsetsResponsePartition 0+  # per partition
        partition_index int32 0+                        # partition
        start_offset int64 0+                           # SPSO (-1: not initialized)
        leader_epoch int32 0+                           # leader epoch
        lag int64 1+ =-1                                # records not yet done
        error_code int16 0+                             # error
        error_message string 0+ null=0+ =null           # why
    error_code int16 0+                                 # group error
    error_message string 0+ null=0+ =null               # why
"""
