"""UpdateFeatures (API key 57): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 57 UpdateFeatures 0-2 flex=0+
  timeout_ms int32 0+ =60000                        # time allowed
  feature_updates []FeatureUpdateKey 0+             # per feature
    feature string 0+                               # feature name
    max_version_level int16 0+                      # new level
    allow_downgrade bool 0                          # may lower it (v0)
    upgrade_type int8 1+ =1                         # upgrade, safe or unsafe downgrade
  validate_only bool 1+ =false                      # only check

response 57 UpdateFeatures 0-2 flex=0+
  throttle_time_ms int32 0+                         # quota delay
  error_code int16 0+                               # error
  error_message string 0+ null=0+                   # error text
  results []UpdatableFeatureResult 0-1              # per feature
    feature string 0+                               # feature name
    error_code int16 0+                             # error
    error_message string 0+ null=0+                 # error text
"""
