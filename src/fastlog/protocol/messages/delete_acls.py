"""DeleteAcls (API key 31): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 31 DeleteAcls 1-3 flex=2+
  filters []DeleteAclsFilter 0+                        # filters
    resource_type_filter int8 0+                       # resource type
    resource_name_filter string 0+ null=0+             # name (null: any)
    pattern_type_filter int8 1+ =3                     # pattern type
    principal_filter string 0+ null=0+                 # principal (null: any)
    host_filter string 0+ null=0+                      # host (null: any)
    operation int8 0+                                  # operation
    permission_type int8 0+                            # allow, deny, any

response 31 DeleteAcls 1-3 flex=2+
  throttle_time_ms int32 0+                            # quota delay
  filter_results []DeleteAclsFilterResult 0+           # per filter
    error_code int16 0+                                # error
    error_message string 0+ null=0+                    # error text
    matching_acls []DeleteAclsMatchingAcl 0+           # deleted ACLs
      error_code int16 0+                              # error
      error_message string 0+ null=0+                  # error text
      resource_type int8 0+                            # type
      resource_name string 0+                          # name
      pattern_type int8 1+ =3                          # pattern type
      principal string 0+                              # User:name
      host string 0+                                   # host
      operation int8 0+                                # operation
      permission_type int8 0+                          # allow, deny
"""
