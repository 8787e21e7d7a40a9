from qadesk.cli import main

raise SystemExit(main())
