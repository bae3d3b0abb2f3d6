import sys

from keylatch.cli import main

sys.exit(main())
