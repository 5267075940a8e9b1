"""DeleteRecords (API key 21): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 21 DeleteRecords 0-2 flex=2+
  topics []DeleteRecordsTopic 0+                  # per topic
    name string 0+                                # topic
    partitions []DeleteRecordsPartition 0+        # per partition
      partition_index int32 0+                    # partition
      offset int64 0+                             # delete before (-1: end)
  timeout_ms int32 0+                             # time limit

response 21 DeleteRecords 0-2 flex=2+
  throttle_time_ms int32 0+                       # quota delay
  topics []DeleteRecordsTopicResult 0+            # per topic
    name string 0+                                # topic
    partitions []DeleteRecordsPartitionResult 0+  # per partition
      partition_index int32 0+                    # partition
      low_watermark int64 0+                      # new log start
      error_code int16 0+                         # error
"""
