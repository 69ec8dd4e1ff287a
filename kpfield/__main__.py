from kpfield.cli import main

raise SystemExit(main())
