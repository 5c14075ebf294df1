"""The pytest plugin's parts; import them from ``mlscaffold.pytest_plugin``."""
