"""Data-protection requests about one person: export everything salesflow holds about a
contact, or erase it everywhere it appears (services.py). What the apps built on prospects
hold is reached through the registry in holders.py."""
