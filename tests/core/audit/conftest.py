"""The pipeline's fixtures (the shipped pipeline, an account and a deal, sales ops), for the
pages and endpoints that read the audit history of accounts, contacts and deals."""

from tests.pipeline.conftest import (  # noqa: F401 - fixtures, found by name
    _patience_rules,
    account,
    deal,
    sales_ops,
    stages,
    standard,
)
