"""Backstage template.yaml builder and the cookiecutter export."""
