"""ListTransactions (API key 66): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 66 ListTransactions 0-2 flex=0+
  state_filters []string 0+                         # states to list (none: all)
  producer_id_filters []int64 0+                    # producer ids to list (none: all)
  duration_filter int64 1+ =-1                      # running at least this long (ms)
  transactional_id_pattern string 2+ null=2+ =null  # regex on txn ids

response 66 ListTransactions 0-2 flex=0+
  throttle_time_ms int32 0+                         # quota delay
  error_code int16 0+                               # error
  unknown_state_filters []string 0+                 # filters naming no state
  transaction_states []TransactionState 0+          # matching txns
    transactional_id string 0+                      # txn id
    producer_id int64 0+                            # producer id
    transaction_state string 0+                     # state name
"""
