"""`python -m negotiation` runs the CLI."""

from negotiation.cli import main

raise SystemExit(main())
