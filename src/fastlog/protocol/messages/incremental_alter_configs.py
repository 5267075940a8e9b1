"""IncrementalAlterConfigs (API key 44): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 44 IncrementalAlterConfigs 0-1 flex=1+
  resources []AlterConfigsResource 0+          # what to change
    resource_type int8 0+                      # 2 topic, 4 broker
    resource_name string 0+                    # topic or broker
    configs []AlterableConfig 0+               # changes
      name string 0+                           # config
      config_operation int8 0+                 # set/delete/append/subtract
      value string 0+ null=0+                  # value
  validate_only bool 0+                        # check, don't do

response 44 IncrementalAlterConfigs 0-1 flex=1+
  throttle_time_ms int32 0+                    # quota delay
  responses []AlterConfigsResourceResponse 0+  # per resource
    error_code int16 0+                        # error
    error_message string 0+ null=0+            # error text
    resource_type int8 0+                      # 2 topic, 4 broker
    resource_name string 0+                    # topic or broker
"""
