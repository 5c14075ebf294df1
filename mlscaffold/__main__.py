"""``python -m mlscaffold`` runs the CLI."""

from __future__ import annotations

from mlscaffold.cli import main

if __name__ == "__main__":
    main()
