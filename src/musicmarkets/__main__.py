import sys

from musicmarkets.cli import main

sys.exit(main())
