"""Every benchmark still imports: they are not run by the suite (they print figures and take minutes),
so a refactor that moves what one uses would otherwise be found only by the next person measuring."""

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.parametrize("module", sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__"))
def test_the_benchmark_imports(module):
    loaded = importlib.import_module(f"bench.{module}")
    assert loaded.__doc__, f"bench/{module}.py should say what it measures and how to run it"
