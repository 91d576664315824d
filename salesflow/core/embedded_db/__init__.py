"""salesflow's embedded PostgreSQL: with DATABASE_URL unset, a private server under
``SALESFLOW_VAR_DIR/postgres`` that the first process to connect starts (``server.py``).

``salesflow.core.embedded_db`` is also a Django database ENGINE (``base.py``): Django's
PostgreSQL backend that starts the server when a connection finds none running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ENGINE = "salesflow.core.embedded_db"


def database_settings(var_dir: Path) -> dict[str, Any]:
    """Django's DATABASES entry for the embedded server of `var_dir`."""
    return {
        "ENGINE": ENGINE,
        "NAME": "salesflow",
        "USER": "postgres",
        # A folder as the host: psycopg connects through the Unix socket in it.
        "HOST": str(Path(var_dir).resolve() / "postgres"),
        "PORT": "5432",
        "CONN_HEALTH_CHECKS": True,
    }
