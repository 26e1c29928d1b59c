"""Build tools for deploying Switchyard to Google Cloud (see ``docs/deploy.md``).

- :mod:`deploy.requirements`: the runtime ``requirements.txt``, pinned from the virtualenv the
  tests ran in.
- :mod:`deploy.assemble_functions`: each Cloud Function's deployable source folder (and zip).

Nothing here is imported by the application; Cloud Build and the tests run these modules with
``python -m`` from the repository root.
"""
