"""The benchmark harness behind ``manage.py bench``: it measures whatever data set the
database holds (built by ``seed_scale`` or anything else) and picks who and what to measure
by querying the data, never by a name prefix. Not runtime code: nothing the app runs (views,
services, selectors, tasks) imports this package; the two management commands do.

- ``run``: one run, every part in turn, and the checks that it did what it says;
- ``subjects``: the users, pages and records to measure, found in the data;
- ``pages``: the pages measured (GETs), each as the users who would open it;
- ``timing``: server time of GETs and POSTs through Django's test client, with every SQL
  statement recorded so the slowest can be run again alone;
- ``actions``: the main POSTs, made repeatable on throwaway records that are deleted after;
- ``sweep``: the follow-up sweep, two OS processes racing over the same due rows;
- ``throughput``: gunicorn with production settings under a fixed-duration ``wrk`` load;
- ``report``: row counts, PostgreSQL settings and the Markdown tables;
- ``soak``: ``manage.py soak``, the rep's day through gunicorn with workers killed and Redis
  restarted, and the check that no promise broke (``smtp_sink``: the SMTP server it counts at);
- ``scale``: the scale data set behind ``manage.py seed_scale``, loaded with COPY.
"""
