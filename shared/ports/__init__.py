"""Ports: the capabilities the core needs, as abstract classes.

Each has a Google Cloud adapter and an in-memory twin in ``shared/adapters``; the contract suite
in ``tests/contract`` runs against both, the Google one on the emulators.
"""
