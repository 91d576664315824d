# Accounts, contacts, conversations and why notes arrive with the prospects issue.
