"""OffsetForLeaderEpoch (API key 23): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 23 OffsetForLeaderEpoch 2-4 flex=4+
  replica_id int32 3+ =-2                     # follower (-2: consumer)
  topics []OffsetForLeaderTopic 0+            # per topic
    topic string 0+                           # topic
    partitions []OffsetForLeaderPartition 0+  # per partition
      partition int32 0+                      # partition
      current_leader_epoch int32 2+ =-1       # client's leader epoch
      leader_epoch int32 0+                   # epoch asked

response 23 OffsetForLeaderEpoch 2-4 flex=4+
  throttle_time_ms int32 2+                   # quota delay
  topics []OffsetForLeaderTopicResult 0+      # per topic
    topic string 0+                           # topic
    partitions []EpochEndOffset 0+            # per partition
      error_code int16 0+                     # error
      partition int32 0+                      # partition
      leader_epoch int32 1+ =-1               # largest epoch <= asked
      end_offset int64 0+ =-1                 # epoch's end
"""
