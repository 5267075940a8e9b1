"""JoinGroup (API key 11): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 11 JoinGroup 0-9 flex=6+
  group_id string 0+                           # group
  session_timeout_ms int32 0+                  # member dies after
  rebalance_timeout_ms int32 1+ =-1            # max rejoin wait
  member_id string 0+                          # member
  group_instance_id string 5+ null=5+ =null    # static member id
  protocol_type string 0+                      # e.g. consumer
  protocols []JoinGroupRequestProtocol 0+      # supported protocols
    name string 0+                             # assignor
    metadata bytes 0+                          # subscription bytes
  reason string 8+ null=8+ =null               # why (for the log)

response 11 JoinGroup 0-9 flex=6+
  throttle_time_ms int32 2+                    # quota delay
  error_code int16 0+                          # error
  generation_id int32 0+ =-1                   # group generation
  protocol_type string 7+ null=7+ =null        # e.g. consumer
  protocol_name string 0+ null=7+              # chosen protocol
  leader string 0+                             # leader's member id
  skip_assignment bool 9+ =false               # leader need not assign
  member_id string 0+                          # member
  members []JoinGroupResponseMember 0+         # all members (leader only)
    member_id string 0+                        # member
    group_instance_id string 5+ null=5+ =null  # static member id
    metadata bytes 0+                          # subscription bytes
"""
