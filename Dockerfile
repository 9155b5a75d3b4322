FROM python:3.11-slim

RUN useradd --create-home --uid 10001 depositdesk
WORKDIR /opt/depositdesk
COPY pyproject.toml README.md ./
COPY app app
COPY chains chains
COPY investigations investigations
# Editable install of the source tree (templates ship inside app/).
RUN pip install --no-cache-dir -e .

USER depositdesk
WORKDIR /home/depositdesk
# SQLite under ./data by default; set DATABASE_URL=postgresql://… to scale out.
VOLUME /home/depositdesk/data
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["depositdesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
