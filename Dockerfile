# syntax=docker/dockerfile:1
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    PORT=8000

RUN useradd --create-home --uid 10001 depositdesk \
    && python -m venv /opt/venv
# Dependencies first, from the hashed lock: a code change does not reinstall them.
COPY requirements.lock /opt/depositdesk/requirements.lock
RUN pip install --require-hashes --no-deps -r /opt/depositdesk/requirements.lock
# Then the project itself, a plain (not editable) install: templates and migrations are package data.
COPY pyproject.toml README.md /opt/depositdesk/src/
COPY app /opt/depositdesk/src/app
COPY chains /opt/depositdesk/src/chains
COPY investigations /opt/depositdesk/src/investigations
RUN pip install --no-deps /opt/depositdesk/src && rm -rf /opt/depositdesk/src
# The data directory exists in the image and belongs to the service user, so a new named volume
# mounted there (Docker copies the owner from the image) is writable: SQLite and data/secret_key.
RUN install -d -o depositdesk -g depositdesk /home/depositdesk/data

USER depositdesk
WORKDIR /home/depositdesk
# SQLite under ./data by default; set DATABASE_URL=postgresql://… to scale out (see compose.yaml).
VOLUME /home/depositdesk/data
EXPOSE 8000
# Follows PORT (serve reads it too); a hung server fails the check after 5 s.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"
CMD ["depositdesk", "serve", "--host", "0.0.0.0"]
