"""AddOffsetsToTxn (API key 25): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 25 AddOffsetsToTxn 0-4 flex=3+
  transactional_id string 0+  # txn id
  producer_id int64 0+        # producer id
  producer_epoch int16 0+     # producer epoch
  group_id string 0+          # group whose offsets join the txn

response 25 AddOffsetsToTxn 0-4 flex=3+
  throttle_time_ms int32 0+   # quota delay
  error_code int16 0+         # error
"""
