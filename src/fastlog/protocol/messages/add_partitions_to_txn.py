"""AddPartitionsToTxn (API key 24): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
v0-v3 name one transaction; v4+ carry a batch of them (Kafka sends those broker to broker).
"""

TABLE = """
request 24 AddPartitionsToTxn 0-5 flex=3+
  transactions []AddPartitionsToTxnTransaction 4+    # per transaction
    transactional_id string 4+                       # txn id
    producer_id int64 4+                             # producer id
    producer_epoch int16 4+                          # producer epoch
    verify_only bool 4+ =false                       # check, don't add
    topics []AddPartitionsToTxnTopic 4+              # partitions to add
      name string 0+                                 # topic
      partitions []int32 0+                          # partition indexes
  v3_and_below_transactional_id string 0-3           # txn id
  v3_and_below_producer_id int64 0-3                 # producer id
  v3_and_below_producer_epoch int16 0-3              # producer epoch
  v3_and_below_topics []AddPartitionsToTxnTopic 0-3  # partitions to add
    name string 0+                                   # topic
    partitions []int32 0+                            # partition indexes

response 24 AddPartitionsToTxn 0-5 flex=3+
  throttle_time_ms int32 0+                                          # quota delay
  error_code int16 4+                                                # top-level error
  results_by_transaction []AddPartitionsToTxnResult 4+               # per transaction
    transactional_id string 4+                                       # txn id
    topic_results []AddPartitionsToTxnTopicResult 4+                 # per topic
      name string 0+                                                 # topic
      results_by_partition []AddPartitionsToTxnPartitionResult 0+    # per partition
        partition_index int32 0+                                     # partition
        partition_error_code int16 0+                                # error
  results_by_topic_v3_and_below []AddPartitionsToTxnTopicResult 0-3  # per topic
    name string 0+                                                   # topic
    results_by_partition []AddPartitionsToTxnPartitionResult 0+      # per partition
      partition_index int32 0+                                       # partition
      partition_error_code int16 0+                                  # error
"""
