"""Merging duplicates: an account into the one kept, with its look-alike contacts made one
(services.account_merge), chosen on the merge page (views.py, forms.py)."""
