"""AlterPartitionReassignments (API key 45): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 45 AlterPartitionReassignments 0-1 flex=0+
  timeout_ms int32 0+ =60000                              # time allowed
  allow_replication_factor_change bool 1+ =true           # may change replica count
  topics []ReassignableTopic 0+                           # per topic
    name string 0+                                        # topic
    partitions []ReassignablePartition 0+                 # per partition
      partition_index int32 0+                            # partition
      replicas []int32 0+ null=0+ =null                   # new replicas (null: cancel)

response 45 AlterPartitionReassignments 0-1 flex=0+
  throttle_time_ms int32 0+                               # quota delay
  allow_replication_factor_change bool 1+ =true           # as asked
  error_code int16 0+                                     # error
  error_message string 0+ null=0+                         # error text
  responses []ReassignableTopicResponse 0+                # per topic
    name string 0+                                        # topic
    partitions []ReassignablePartitionResponse 0+         # per partition
      partition_index int32 0+                            # partition
      error_code int16 0+                                 # error
      error_message string 0+ null=0+                     # error text
"""
