"""Adapters: the ports of ``shared.ports`` implemented for Google Cloud, and their twins.

Each port has a Google Cloud adapter, named for its backend (``FirestoreRunStore``,
``CloudTasksQueue``, ...), and an in-memory twin (``InMemoryRunStore``, ...) for fast unit
tests. The contract suite in ``tests/contract`` runs against both, the Google one on the local
stack's emulators, so the twin cannot lie. Only the Google adapters (and their ``*_support``
helpers) import ``google.*``; nothing is imported here, so that importing a twin never loads
Google's client libraries.
"""
