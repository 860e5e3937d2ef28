import pytest


@pytest.fixture(autouse=True)
def _cases_in_isolation(case_rules):
    pass
