from padserver.cli import main

raise SystemExit(main())
