"""PyInstaller's entry script for the one-file LANBoard executable."""

from lanboard.cli import main

raise SystemExit(main())
