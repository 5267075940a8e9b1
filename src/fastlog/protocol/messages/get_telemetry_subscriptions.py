"""GetTelemetrySubscriptions (API key 71): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 71 GetTelemetrySubscriptions 0-0 flex=0+
  client_instance_id uuid 0+                # client's id (zero: assign one)

response 71 GetTelemetrySubscriptions 0-0 flex=0+
  throttle_time_ms int32 0+                 # quota delay
  error_code int16 0+                       # error
  client_instance_id uuid 0+                # assigned id
  subscription_id int32 0+                  # subscription set id
  accepted_compression_types []int8 0+      # push codecs accepted
  push_interval_ms int32 0+                 # push interval
  telemetry_max_bytes int32 0+              # largest push accepted
  delta_temporality bool 0+                 # counters as deltas
  requested_metrics []string 0+             # metric prefixes wanted
"""
