"""One module per API a handler serves, named like its handler module, each holding `TABLE`: our
schema of the API's request and response (format: protocol/schema.py), a field a line with its
meaning in a few words. schema.py reads every module here; an API without a handler has none."""
