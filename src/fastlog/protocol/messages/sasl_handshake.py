"""SaslHandshake (API key 17): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 17 SaslHandshake 0-1 flex=none
  mechanism string 0+                                  # mechanism wanted

response 17 SaslHandshake 0-1 flex=none
  error_code int16 0+                                  # error
  mechanisms []string 0+                               # mechanisms offered
"""
