from __future__ import annotations

import pytest

from ffmot.services.types import Actor


@pytest.fixture
def actor() -> Actor:
    return Actor("Fault Tester", "Station 1")
