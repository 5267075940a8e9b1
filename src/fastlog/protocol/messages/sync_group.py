"""SyncGroup (API key 14): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 14 SyncGroup 0-5 flex=4+
  group_id string 0+                           # group
  generation_id int32 0+                       # group generation
  member_id string 0+                          # member
  group_instance_id string 3+ null=3+ =null    # static member id
  protocol_type string 5+ null=5+ =null        # e.g. consumer
  protocol_name string 5+ null=5+ =null        # chosen protocol
  assignments []SyncGroupRequestAssignment 0+  # leader's plan
    member_id string 0+                        # member
    assignment bytes 0+                        # member's partitions

response 14 SyncGroup 0-5 flex=4+
  throttle_time_ms int32 1+                    # quota delay
  error_code int16 0+                          # error
  protocol_type string 5+ null=5+ =null        # e.g. consumer
  protocol_name string 5+ null=5+ =null        # chosen protocol
  assignment bytes 0+                          # this member's partitions
"""
