"""Integration tests: what needs Ansible itself, through real ansible-playbook runs.

The emulator fixtures (``emulator``, ``emu``, ``emulator_factory``) come from the cckm_emulator pytest plugin; the
reliability figures and the ansible-playbook count live in tests/conftest.py (both layers use them).
"""
