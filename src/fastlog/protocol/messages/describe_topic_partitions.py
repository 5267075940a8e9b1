"""DescribeTopicPartitions (API key 75): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 75 DescribeTopicPartitions 0-0 flex=0+
  topics []TopicRequest 0+                                        # wanted (empty: all)
    name string 0+                                                # topic
  response_partition_limit int32 0+ =2000                         # partitions per answer
  cursor Cursor 0+ null=0+ =null                                  # where to start
    topic_name string 0+                                          # first topic
    partition_index int32 0+                                      # its first partition

response 75 DescribeTopicPartitions 0-0 flex=0+
  throttle_time_ms int32 0+                                       # quota delay
  topics []DescribeTopicPartitionsResponseTopic 0+                # per topic
    error_code int16 0+                                           # error
    name string 0+ null=0+                                        # topic
    topic_id uuid 0+                                              # topic uuid
    is_internal bool 0+ =false                                    # internal topic
    partitions []DescribeTopicPartitionsResponsePartition 0+      # per partition
      error_code int16 0+                                         # error
      partition_index int32 0+                                    # partition
      leader_id int32 0+                                          # leader node
      leader_epoch int32 0+ =-1                                   # leader epoch
      replica_nodes []int32 0+                                    # replicas
      isr_nodes []int32 0+                                        # in-sync replicas
      eligible_leader_replicas []int32 0+ null=0+ =null           # ELR (KIP-966)
      last_known_elr []int32 0+ null=0+ =null                     # last known ELR
      offline_replicas []int32 0+                                 # replicas down
    topic_authorized_operations int32 0+ =-2147483648             # allowed topic ops bitfield
  next_cursor Cursor 0+ null=0+ =null                             # where the next page starts
    topic_name string 0+                                          # its topic
    partition_index int32 0+                                      # its partition
"""
