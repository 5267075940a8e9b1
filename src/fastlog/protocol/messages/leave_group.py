"""LeaveGroup (API key 13): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 13 LeaveGroup 0-5 flex=4+
  group_id string 0+                           # group
  member_id string 0-2                         # member
  members []MemberIdentity 3+                  # who leaves
    member_id string 3+                        # member
    group_instance_id string 3+ null=3+ =null  # static member id
    reason string 5+ null=5+ =null             # why (for the log)

response 13 LeaveGroup 0-5 flex=4+
  throttle_time_ms int32 1+                    # quota delay
  error_code int16 0+                          # error
  members []MemberResponse 3+                  # members
    member_id string 3+                        # member
    group_instance_id string 3+ null=3+        # static member id
    error_code int16 3+                        # error
"""
