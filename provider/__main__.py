"""The component package's entry point: the Pulumi engine runs it to serve webstack's components
(components/provider.py) to programs in other languages."""

import sys
from pathlib import Path

# The repository's components/ folder is the package (its modules import each other relatively).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.provider import main

if __name__ == "__main__":
    main()
