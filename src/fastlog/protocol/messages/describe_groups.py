"""DescribeGroups (API key 15): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 15 DescribeGroups 0-6 flex=5+
  groups []string 0+                             # group ids
  include_authorized_operations bool 3+          # want ACL ops

response 15 DescribeGroups 0-6 flex=5+
  throttle_time_ms int32 1+                      # quota delay
  groups []DescribedGroup 0+                     # groups
    error_code int16 0+                          # error
    error_message string 6+ null=6+ =null        # error text
    group_id string 0+                           # group
    group_state string 0+                        # state name
    protocol_type string 0+                      # e.g. consumer
    protocol_data string 0+                      # chosen protocol
    members []DescribedGroupMember 0+            # members
      member_id string 0+                        # member
      group_instance_id string 4+ null=4+ =null  # static member id
      client_id string 0+                        # member's client id
      client_host string 0+                      # member's address
      member_metadata bytes 0+                   # subscription bytes
      member_assignment bytes 0+                 # assignment bytes
    authorized_operations int32 3+ =-2147483648  # allowed ACL ops bitfield
"""
