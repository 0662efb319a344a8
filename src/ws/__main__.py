"""`python -m ws` runs the same CLI as the `ws` console script."""

from ws.cli.main import main

main()
