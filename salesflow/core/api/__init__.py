"""The REST API's plumbing shared by every app: errors as problem details, keyset
pagination, the schema and its documentation pages. Each app's endpoints live in its own
``api`` package (prospects.api) and are mounted under /api/v1/ by ``urls``."""
