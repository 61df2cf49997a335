from lanboard.cli import main

raise SystemExit(main())
