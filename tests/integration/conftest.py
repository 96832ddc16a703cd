"""Fixtures that run the CCKM/Clumio emulator as a real HTTP server for integration tests.

``emulator_factory``, the reliability figures and the ansible-playbook count live in tests/conftest.py (both layers use them).
"""

from tests.emulator.fixtures import emu, emulator  # noqa: F401 pylint: disable=unused-import
