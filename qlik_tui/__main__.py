from qlik_tui.cli import main

raise SystemExit(main())
