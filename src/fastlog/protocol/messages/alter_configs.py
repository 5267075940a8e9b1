"""AlterConfigs (API key 33): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 33 AlterConfigs 0-2 flex=2+
  resources []AlterConfigsResource 0+          # what to change
    resource_type int8 0+                      # 2 topic, 4 broker
    resource_name string 0+                    # topic or broker
    configs []AlterableConfig 0+               # the full new set
      name string 0+                           # config
      value string 0+ null=0+                  # value
  validate_only bool 0+                        # check, don't do

response 33 AlterConfigs 0-2 flex=2+
  throttle_time_ms int32 0+                    # quota delay
  responses []AlterConfigsResourceResponse 0+  # per resource
    error_code int16 0+                        # error
    error_message string 0+ null=0+            # error text
    resource_type int8 0+                      # 2 topic, 4 broker
    resource_name string 0+                    # topic or broker
"""
