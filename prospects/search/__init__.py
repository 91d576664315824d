"""Finding things: full-text matching (fulltext.py), the search page and the quick log's
account finder (selectors.py, views.py)."""
