"""PushTelemetry (API key 72): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 72 PushTelemetry 0-0 flex=0+
  client_instance_id uuid 0+      # client's id
  subscription_id int32 0+        # subscription set id
  terminating bool 0+             # client is closing
  compression_type int8 0+        # codec of metrics
  metrics bytes 0+                # OpenTelemetry MetricsData

response 72 PushTelemetry 0-0 flex=0+
  throttle_time_ms int32 0+       # quota delay
  error_code int16 0+             # error
"""
