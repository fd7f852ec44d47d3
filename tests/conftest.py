from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
COGNITO = SOURCES / "cognito-user-pools-vs-identity-pools.md"
SEED = ROOT.parent / "shared" / "seed" / "cognito-user-pools-vs-identity-pools.txt"


@pytest.fixture
def cognito_path() -> Path:
    return COGNITO
