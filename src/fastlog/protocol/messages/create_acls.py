"""CreateAcls (API key 30): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 30 CreateAcls 1-3 flex=2+
  creations []AclCreation 0+                           # ACLs to add
    resource_type int8 0+                              # topic, group, ...
    resource_name string 0+                            # name
    resource_pattern_type int8 1+ =3                   # literal, prefixed
    principal string 0+                                # User:name
    host string 0+                                     # host or *
    operation int8 0+                                  # operation
    permission_type int8 0+                            # allow, deny

response 30 CreateAcls 1-3 flex=2+
  throttle_time_ms int32 0+                            # quota delay
  results []AclCreationResult 0+                       # per creation
    error_code int16 0+                                # error
    error_message string 0+ null=0+                    # error text
"""
