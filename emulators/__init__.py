"""The local stand-in for Google Cloud: gcloud's Pub/Sub and Firestore emulators, a GCS emulator
from PyPI, and Switchyard's own emulators of Cloud Tasks, Secret Manager, Cloud Scheduler and the
Vertex AI Gemini API. ``python -m emulators up|down|run|env`` manages them (see ``stack.py``)."""
