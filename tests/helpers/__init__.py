"""Builders and checks shared by test modules. Test modules import from here (and conftest), never
from one another (tests/test_test_layout.py)."""
