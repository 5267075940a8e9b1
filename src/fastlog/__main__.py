import sys

from fastlog.cli import main

sys.exit(main())
