"""EndTxn (API key 26): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 26 EndTxn 0-5 flex=3+
  transactional_id string 0+  # txn id
  producer_id int64 0+        # producer id
  producer_epoch int16 0+     # producer epoch
  committed bool 0+           # commit (true) or abort

response 26 EndTxn 0-5 flex=3+
  throttle_time_ms int32 0+   # quota delay
  error_code int16 0+         # error
  producer_id int64 5+ =-1    # new producer id (transaction.version 2)
  producer_epoch int16 5+ =-1 # new epoch (transaction.version 2)
"""
