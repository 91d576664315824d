"""prospects' endpoints of the REST API (/api/v1/accounts/, /api/v1/contacts/,
/api/v1/conversations/, /api/v1/accounts/{id}/why/): reads through prospects.access and
prospects.selectors, writes through prospects.services, so a user sees and does exactly
what the pages let them."""
