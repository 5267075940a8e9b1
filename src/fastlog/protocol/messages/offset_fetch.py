"""OffsetFetch (API key 9): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 9 OffsetFetch 1-10 flex=6+
  group_id string 0-7                                # group
  topics []OffsetFetchRequestTopic 0-7 null=2-7      # wanted (null: all)
    name string 0-7                                  # topic
    partition_indexes []int32 0-7                    # partitions
  groups []OffsetFetchRequestGroup 8+                # groups
    group_id string 8+                               # group
    member_id string 9+ null=9+ =null                # member
    member_epoch int32 9+ =-1                        # member epoch
    topics []OffsetFetchRequestTopics 8+ null=8+     # wanted (null: all)
      name string 8-9                                # topic
      topic_id uuid 10+                              # topic (v10+)
      partition_indexes []int32 8+                   # partitions
  require_stable bool 7+ =false                      # wait for open txns

response 9 OffsetFetch 1-10 flex=6+
  throttle_time_ms int32 3+                          # quota delay
  topics []OffsetFetchResponseTopic 0-7              # per topic
    name string 0-7                                  # topic
    partitions []OffsetFetchResponsePartition 0-7    # per partition
      partition_index int32 0-7                      # partition
      committed_offset int64 0-7                     # committed position
      committed_leader_epoch int32 5-7 =-1           # epoch of the offset
      metadata string 0-7 null=0-7                   # client's note
      error_code int16 0-7                           # error
  error_code int16 2-7 =0                            # error
  groups []OffsetFetchResponseGroup 8+               # groups
    group_id string 8+                               # group
    topics []OffsetFetchResponseTopics 8+            # per topic
      name string 8-9                                # topic
      topic_id uuid 10+                              # topic (v10+)
      partitions []OffsetFetchResponsePartitions 8+  # per partition
        partition_index int32 8+                     # partition
        committed_offset int64 8+                    # committed position
        committed_leader_epoch int32 8+ =-1          # epoch of the offset
        metadata string 8+ null=8+                   # client's note
        error_code int16 8+                          # error
    error_code int16 8+ =0                           # error
"""
