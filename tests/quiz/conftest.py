import pytest

from quizzes.bank import load_bank


@pytest.fixture(scope="session")
def bank():
    return load_bank()
