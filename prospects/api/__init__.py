"""prospects' endpoints of the REST API (/api/v1/accounts/, /api/v1/contacts/): reads
through prospects.access and prospects.selectors, so a user sees exactly what the pages
show them."""
