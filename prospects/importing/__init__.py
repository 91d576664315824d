"""Importing accounts and contacts from CSV: csvfile.py reads and checks a file, services.py
writes it (at once, or on a worker: tasks.py), views.py is the upload and report pages."""
