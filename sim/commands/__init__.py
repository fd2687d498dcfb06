"""The `zonesim` command line (cli.py) and its doctor and bench commands."""
