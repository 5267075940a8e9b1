"""InitProducerId (API key 22): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 22 InitProducerId 0-5 flex=2+
  transactional_id string 0+ null=0+  # txn id
  transaction_timeout_ms int32 0+     # txn time limit
  producer_id int64 3+ =-1            # producer id
  producer_epoch int16 3+ =-1         # producer epoch

response 22 InitProducerId 0-5 flex=2+
  throttle_time_ms int32 0+           # quota delay
  error_code int16 0+                 # error
  producer_id int64 0+ =-1            # producer id
  producer_epoch int16 0+             # producer epoch
"""
