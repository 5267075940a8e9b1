"""ListConfigResources (API key 74): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 74 ListConfigResources 0-1 flex=0+
  resource_types []int8 1+                     # types wanted (empty: all)

response 74 ListConfigResources 0-1 flex=0+
  throttle_time_ms int32 0+                    # quota delay
  error_code int16 0+                          # error
  config_resources []ConfigResource 0+         # per resource
    resource_name string 0+                    # name
    resource_type int8 1+ =16                  # type
"""
