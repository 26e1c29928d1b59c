"""Switchyard's Python library: the core that the Cloud Functions and Cloud Run services import."""
