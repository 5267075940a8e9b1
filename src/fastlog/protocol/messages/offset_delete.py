"""OffsetDelete (API key 47): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 47 OffsetDelete 0-0 flex=none
  group_id string 0+                               # group
  topics []OffsetDeleteRequestTopic 0+             # per topic
    name string 0+                                 # topic
    partitions []OffsetDeleteRequestPartition 0+   # per partition
      partition_index int32 0+                     # partition

response 47 OffsetDelete 0-0 flex=none
  error_code int16 0+                              # error
  throttle_time_ms int32 0+                        # quota delay
  topics []OffsetDeleteResponseTopic 0+            # per topic
    name string 0+                                 # topic
    partitions []OffsetDeleteResponsePartition 0+  # per partition
      partition_index int32 0+                     # partition
      error_code int16 0+                          # error
"""
