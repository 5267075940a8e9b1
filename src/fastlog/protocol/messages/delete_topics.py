"""DeleteTopics (API key 20): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 20 DeleteTopics 1-6 flex=4+
  topics []DeleteTopicState 6+             # by name or id
    name string 6+ null=6+ =null           # topic (null: use id)
    topic_id uuid 6+                       # topic uuid
  topic_names []string 0-5                 # topics
  timeout_ms int32 0+                      # time limit

response 20 DeleteTopics 1-6 flex=4+
  throttle_time_ms int32 1+                # quota delay
  responses []DeletableTopicResult 0+      # per topic
    name string 0+ null=6+                 # topic
    topic_id uuid 6+                       # topic uuid
    error_code int16 0+                    # error
    error_message string 5+ null=5+ =null  # error text
"""
