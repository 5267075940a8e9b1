"""Heartbeat (API key 12): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 12 Heartbeat 0-4 flex=4+
  group_id string 0+                         # group
  generation_id int32 0+                     # member's generation
  member_id string 0+                        # member
  group_instance_id string 3+ null=3+ =null  # static member id

response 12 Heartbeat 0-4 flex=4+
  throttle_time_ms int32 1+                  # quota delay
  error_code int16 0+                        # error
"""
