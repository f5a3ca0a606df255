# The web, worker and beat image. Front-end libraries are installed from npm at build time in a
# separate stage, so the runtime image needs no Node.js and nothing comes from a CDN at run time.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production ARREARS_VAR_DIR=/var/lib/arrears \
    MEDIA_ROOT=/var/lib/arrears/media
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --no-cache-dir -c requirements/lock.txt . \
    && useradd --system --home /app arrears \
    && mkdir -p /var/lib/arrears/media /var/lib/arrears/beat && chown -R arrears /var/lib/arrears
# /var/lib/arrears/media and …/beat exist and belong to arrears in the image, so the named
# volumes docker-compose mounts there start with that owner. Evidence files are served only by the
# application's scoped views, never by a web server.
COPY --from=assets /app/node_modules ./node_modules
COPY . .
# collectstatic needs settings to import; the build-time key is thrown away with the layer.
RUN SECRET_KEY=build-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
    FIELD_ENCRYPTION_KEYS=build:$(head -c 32 /dev/urandom | base64) \
    FIELD_BLIND_INDEX_KEY=$(head -c 32 /dev/urandom | base64) \
    ALLOWED_HOSTS=build DJANGO_SETTINGS_MODULE=config.settings.production \
    python manage.py collectstatic --noinput
USER arrears
EXPOSE 8000
# Workers, threads, timeouts and logging: gunicorn.conf.py (overridable with GUNICORN_* env).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "config.wsgi:application"]
