"""ListPartitionReassignments (API key 46): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 46 ListPartitionReassignments 0-0 flex=0+
  timeout_ms int32 0+ =60000                                  # time allowed
  topics []ListPartitionReassignmentsTopics 0+ null=0+ =null  # wanted (null: all)
    name string 0+                                            # topic
    partition_indexes []int32 0+                              # partitions

response 46 ListPartitionReassignments 0-0 flex=0+
  throttle_time_ms int32 0+                                   # quota delay
  error_code int16 0+                                         # error
  error_message string 0+ null=0+                             # error text
  topics []OngoingTopicReassignment 0+                        # ongoing, per topic
    name string 0+                                            # topic
    partitions []OngoingPartitionReassignment 0+              # per partition
      partition_index int32 0+                                # partition
      replicas []int32 0+                                     # current replicas
      adding_replicas []int32 0+                              # being added
      removing_replicas []int32 0+                            # being removed
"""
