# salesflow's production image: gunicorn for the web, the same image for Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=salesflow.settings.production \
    SALESFLOW_VAR_DIR=/app/var

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# collectstatic only reads settings; these throwaway values never reach a running container.
RUN SECRET_KEY="collectstatic-only-$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" \
    ALLOWED_HOSTS=build DATABASE_URL=postgres://build/build REDIS_URL=redis://build:6379/0 \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 --home /app salesflow \
 && mkdir -p /app/var && chown -R salesflow /app/var

USER salesflow
EXPOSE 8000
CMD ["gunicorn", "salesflow.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
