"""DescribeConfigs (API key 32): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 32 DescribeConfigs 1-4 flex=4+
  resources []DescribeConfigsResource 0+        # what to describe
    resource_type int8 0+                       # 2 topic, 4 broker
    resource_name string 0+                     # topic or broker
    configuration_keys []string 0+ null=0+      # names wanted (null: all)
  include_synonyms bool 1+ =false               # want synonyms
  include_documentation bool 3+ =false          # want help texts

response 32 DescribeConfigs 1-4 flex=4+
  throttle_time_ms int32 0+                     # quota delay
  results []DescribeConfigsResult 0+            # per resource
    error_code int16 0+                         # error
    error_message string 0+ null=0+             # error text
    resource_type int8 0+                       # 2 topic, 4 broker
    resource_name string 0+                     # topic or broker
    configs []DescribeConfigsResourceResult 0+  # config entries
      name string 0+                            # config
      value string 0+ null=0+                   # value
      read_only bool 0+                         # cannot be changed
      config_source int8 1+ =-1                 # where the value comes from
      is_sensitive bool 0+                      # value hidden
      synonyms []DescribeConfigsSynonym 1+      # other sources of it
        name string 1+                          # config name
        value string 1+ null=0+                 # value
        source int8 1+                          # where it comes from
      config_type int8 3+ =0                    # value type
      documentation string 3+ null=0+           # config help text
"""
