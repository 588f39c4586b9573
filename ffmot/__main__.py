from ffmot.app import main

raise SystemExit(main())
