"""Cloud Run services: ``api`` (the public HTTPS API) and ``executor`` (the agent loop)."""
