"""A local, scripted stand-in for Vertex AI Gemini.

It speaks the ``generateContent`` / ``streamGenerateContent`` REST API that google-genai uses
in Vertex AI mode, and answers only from scripts (:mod:`emulators.vertex.script`): the script
is chosen by request labels, the turn by the number of model turns in the conversation
(:mod:`emulators.vertex.conversation`). Anything unscripted is an HTTP 400, never an invented
reply. Run it with ``python -m emulators.vertex``; register scripts with
:mod:`emulators.vertex.admin_client`.
"""
