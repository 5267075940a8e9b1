"""AlterClientQuotas (API key 49): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 49 AlterClientQuotas 0-1 flex=1+
  entries []EntryData 0+                 # per entity
    entity []EntityData 0+               # the entity's parts
      entity_type string 0+              # user, client-id or ip
      entity_name string 0+ null=0+      # name (null: the default)
    ops []OpData 0+                      # changes
      key string 0+                      # quota key
      value float64 0+                   # new value
      remove bool 0+                     # remove instead of set
  validate_only bool 0+                  # check only

response 49 AlterClientQuotas 0-1 flex=1+
  throttle_time_ms int32 0+              # quota delay
  entries []EntryData 0+                 # per entity
    error_code int16 0+                  # error
    error_message string 0+ null=0+      # error text
    entity []EntityData 0+               # the entity's parts
      entity_type string 0+              # user, client-id or ip
      entity_name string 0+ null=0+      # name (null: the default)
"""
