"""DescribeClientQuotas (API key 48): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 48 DescribeClientQuotas 0-1 flex=1+
  components []ComponentData 0+          # filter, one per entity type
    entity_type string 0+                # user, client-id or ip
    match_type int8 0+                   # 0 exact name, 1 the default, 2 any
    match string 0+ null=0+              # the name for match type 0
  strict bool 0+                         # only entities with no other types

response 48 DescribeClientQuotas 0-1 flex=1+
  throttle_time_ms int32 0+              # quota delay
  error_code int16 0+                    # error
  error_message string 0+ null=0+        # error text
  entries []EntryData 0+ null=0+         # matching entities
    entity []EntityData 0+               # the entity's parts
      entity_type string 0+              # user, client-id or ip
      entity_name string 0+ null=0+      # name (null: the default)
    values []ValueData 0+                # its quotas
      key string 0+                      # quota key
      value float64 0+                   # quota value
"""
