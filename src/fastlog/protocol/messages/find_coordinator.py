"""FindCoordinator (API key 10): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 10 FindCoordinator 0-6 flex=3+
  key string 0-3                     # group/txn id
  key_type int8 1+ =0                # 0 group, 1 txn
  coordinator_keys []string 4+       # group/txn ids

response 10 FindCoordinator 0-6 flex=3+
  throttle_time_ms int32 1+          # quota delay
  error_code int16 0-3               # error
  error_message string 1-3 null=1-3  # error text
  node_id int32 0-3                  # node
  host string 0-3                    # address
  port int32 0-3                     # port
  coordinators []Coordinator 4+      # one per key
    key string 4+                    # group/txn id
    node_id int32 4+                 # node
    host string 4+                   # address
    port int32 4+                    # port
    error_code int16 4+              # error
    error_message string 4+ null=4+  # error text
"""
