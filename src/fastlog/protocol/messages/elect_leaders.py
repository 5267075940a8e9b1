"""ElectLeaders (API key 43): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 43 ElectLeaders 0-2 flex=2+
  election_type int8 1+                              # preferred or unclean
  topic_partitions []TopicPartitions 0+ null=0+      # wanted (null: all)
    topic string 0+                                  # topic
    partitions []int32 0+                            # partitions
  timeout_ms int32 0+ =60000                         # time allowed

response 43 ElectLeaders 0-2 flex=2+
  throttle_time_ms int32 0+                          # quota delay
  error_code int16 1+                                # error
  replica_election_results []ReplicaElectionResult 0+  # per topic
    topic string 0+                                  # topic
    partition_result []PartitionResult 0+            # per partition
      partition_id int32 0+                          # partition
      error_code int16 0+                            # error
      error_message string 0+ null=0+                # error text
"""
