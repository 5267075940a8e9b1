"""DescribeTransactions (API key 65): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 65 DescribeTransactions 0 flex=0+
  transactional_ids []string 0+          # txn ids

response 65 DescribeTransactions 0 flex=0+
  throttle_time_ms int32 0+              # quota delay
  transaction_states []TransactionState 0+  # per txn id
    error_code int16 0+                  # error
    transactional_id string 0+           # txn id
    transaction_state string 0+          # Empty, Ongoing, ...
    transaction_timeout_ms int32 0+      # txn time limit
    transaction_start_time_ms int64 0+   # when it began (-1 none)
    producer_id int64 0+                 # producer id
    producer_epoch int16 0+              # producer epoch
    topics []TopicData 0+                # partitions in the txn
      topic string 0+                    # topic
      partitions []int32 0+              # partition indexes
"""
