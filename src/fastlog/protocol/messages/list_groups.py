"""ListGroups (API key 16): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 16 ListGroups 0-5 flex=3+
  states_filter []string 4+  # only these states
  types_filter []string 5+   # only these types

response 16 ListGroups 0-5 flex=3+
  throttle_time_ms int32 1+  # quota delay
  error_code int16 0+        # error
  groups []ListedGroup 0+    # groups
    group_id string 0+       # group
    protocol_type string 0+  # e.g. consumer
    group_state string 4+    # state name
    group_type string 5+     # classic/consumer
"""
