"""DeleteGroups (API key 42): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 42 DeleteGroups 0-3 flex=2+
  groups_names []string 0+           # groups to delete

response 42 DeleteGroups 0-3 flex=2+
  throttle_time_ms int32 0+          # quota delay
  results []DeletableGroupResult 0+  # per group
    group_id string 0+               # group
    error_code int16 0+              # error
    error_message string 3+ null=3+ =null  # why, or null
"""
