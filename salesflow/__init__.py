# The one place salesflow's version is written; pyproject.toml repeats it (a test keeps the two
# equal) because the project is run from its folder, never installed, so
# importlib.metadata cannot read it back.
__version__ = "0.1.0"

# Load the Celery app with Django so @shared_task binds to it and tasks enqueue correctly.
from salesflow.celery import app as celery_app

__all__ = ("__version__", "celery_app")
