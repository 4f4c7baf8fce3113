"""The app: the ``wlsim`` command line, the dashboard and the docs generator."""
