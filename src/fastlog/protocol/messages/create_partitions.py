"""CreatePartitions (API key 37): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 37 CreatePartitions 0-3 flex=2+
  topics []CreatePartitionsTopic 0+                      # per topic
    name string 0+                                       # topic
    count int32 0+                                       # new partition total
    assignments []CreatePartitionsAssignment 0+ null=0+  # replicas of new partitions
      broker_ids []int32 0+                              # replica nodes
  timeout_ms int32 0+                                    # time limit
  validate_only bool 0+                                  # check, don't do

response 37 CreatePartitions 0-3 flex=2+
  throttle_time_ms int32 0+                              # quota delay
  results []CreatePartitionsTopicResult 0+               # per topic
    name string 0+                                       # topic
    error_code int16 0+                                  # error
    error_message string 0+ null=0+ =null                # error text
"""
