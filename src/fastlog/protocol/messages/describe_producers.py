"""DescribeProducers (API key 61): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 61 DescribeProducers 0 flex=0+
  topics []TopicRequest 0+                      # per topic
    name string 0+                              # topic
    partition_indexes []int32 0+                # partitions

response 61 DescribeProducers 0 flex=0+
  throttle_time_ms int32 0+                     # quota delay
  topics []TopicResponse 0+                     # per topic
    name string 0+                              # topic
    partitions []PartitionResponse 0+           # per partition
      partition_index int32 0+                  # partition
      error_code int16 0+                       # error
      error_message string 0+ null=0+ =null     # error text
      active_producers []ProducerState 0+       # producers with state here
        producer_id int64 0+                    # producer id
        producer_epoch int32 0+                 # producer epoch
        last_sequence int32 0+ =-1              # last sequence written
        last_timestamp int64 0+ =-1             # last batch's timestamp
        coordinator_epoch int32 0+              # epoch of the last marker's coordinator
        current_txn_start_offset int64 0+ =-1   # first offset of the open txn
"""
