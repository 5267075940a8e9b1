"""ListOffsets (API key 2): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 2 ListOffsets 1-11 flex=6+
  replica_id int32 0+                             # follower (-1: consumer)
  isolation_level int8 2+                         # read committed?
  topics []ListOffsetsTopic 0+                    # per topic
    name string 0+                                # topic
    partitions []ListOffsetsPartition 0+          # per partition
      partition_index int32 0+                    # partition
      current_leader_epoch int32 4+ =-1           # client's leader epoch
      timestamp int64 0+                          # time (or -1 latest, -2 earliest...)
  timeout_ms int32 10+                            # time limit

response 2 ListOffsets 1-11 flex=6+
  throttle_time_ms int32 2+                       # quota delay
  topics []ListOffsetsTopicResponse 0+            # per topic
    name string 0+                                # topic
    partitions []ListOffsetsPartitionResponse 0+  # per partition
      partition_index int32 0+                    # partition
      error_code int16 0+                         # error
      timestamp int64 1+ =-1                      # its timestamp
      offset int64 1+ =-1                         # found offset
      leader_epoch int32 4+ =-1                   # leader epoch
"""
