"""AlterShareGroupOffsets (API key 91, KIP-932): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 91 AlterShareGroupOffsets 0 flex=0+
  group_id string 0+                                    # group
  topics []AlterShareGroupOffsetsRequestTopic 0+        # per topic
    topic_name string 0+                                # topic
    partitions []AlterShareGroupOffsetsRequestPartition 0+  # per partition
      partition_index int32 0+                          # partition
      start_offset int64 0+                             # new SPSO

response 91 AlterShareGroupOffsets 0 flex=0+
  throttle_time_ms int32 0+                             # quota delay
  error_code int16 0+                                   # error
  error_message string 0+ null=0+ =null                 # why
  responses []AlterShareGroupOffsetsResponseTopic 0+    # per topic
    topic_name string 0+                                # topic
    topic_id uuid 0+                                    # topic uuid
    partitions []AlterShareGroupOffsetsResponsePartition 0+  # per partition
      partition_index int32 0+                          # partition
      error_code int16 0+                               # error
      error_message string 0+ null=0+ =null             # why
"""
