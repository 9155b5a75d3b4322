"""The deployment files say what the README says: compose runs PostgreSQL, Redis, one migrate step
before two API replicas and two workers; the image keeps its data directory for the service user."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_migrates_once_before_two_api_replicas_and_two_workers():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert {"postgres", "redis", "migrate", "api", "worker"} <= set(services)
    assert services["migrate"]["command"] == ["depositdesk", "migrate"]
    for name in ("api", "worker"):
        assert services[name]["deploy"]["replicas"] == 2
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert "--workers" in services["api"]["command"]
    assert services["api"]["environment"]["WORKER_THREADS"] == "0"


def test_the_image_owns_its_data_directory_and_installs_from_the_lock_before_the_code():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    text = "\n".join(lines)
    assert "install -d -o depositdesk -g depositdesk /home/depositdesk/data" in text
    assert "--require-hashes" in text and "-e ." not in text
    lock_step = next(i for i, line in enumerate(lines) if "--require-hashes" in line)
    first_code = next(i for i, line in enumerate(lines) if line.startswith("COPY app"))
    assert lock_step < first_code  # a code change does not reinstall the dependencies
    assert "PYTHONUNBUFFERED=1" in text and "--start-period=" in text and "--timeout=" in text
    assert "os.environ.get('PORT'" in text  # the health check follows the configured port
    assert ".venv" in (ROOT / ".dockerignore").read_text().split()
