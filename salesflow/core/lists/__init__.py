"""Lists any app declares (spec.py): sortable, filterable tables paged by keyset
(keyset.py), with saved views, a per-person column choice and a streamed CSV of the view as
shown. Templates: templates/lists/."""
