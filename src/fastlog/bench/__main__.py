from fastlog.bench.runner import main

raise SystemExit(main())
