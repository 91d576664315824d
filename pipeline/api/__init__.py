"""The REST API over the pipeline's parts: deals, sequences of events, follow-ups, the
dashboard's figures. One module per part; urls.py mounts them under /api/v1/. Reviews sit on
top of every part and keep their endpoints in pipeline/reviews/api.py."""
