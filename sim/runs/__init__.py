"""One run: data in, the model run year by year, tidy tables out, the run folder written.

Data in is data.py, the yearly run runner.py; results.py pulls the tidy tables from the
model and store.py writes the run folder atomically. How a scenario seed becomes random
generators is models/seeds.py.
"""
