# Ledgerline, scale-out image: the same image runs the web server, workers and the scheduler.
#   docker build -t ledgerline .
#   docker run -e DATABASE_URL=… -e BROKER_URL=… -e CHANNEL_LAYER_URL=… -p 8000:8000 ledgerline            # web
#   docker run … ledgerline python manage.py rundramatiq --processes 2 --threads 8                          # worker
#   docker run … ledgerline python manage.py runscheduler                                                   # scheduler
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LEDGERLINE_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml ./
COPY ledgerline/ ledgerline/
COPY orgs/ orgs/
COPY designer/ designer/
COPY engine/ engine/
COPY connectors/ connectors/
RUN pip install --no-cache-dir .
COPY manage.py ./
COPY fixtures/ fixtures/
COPY frontend/ frontend/
COPY --from=frontend /src/frontend/static/ frontend/static/
RUN useradd --create-home ledgerline && mkdir -p /data && chown ledgerline /data
USER ledgerline
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", "ledgerline.asgi:application"]
