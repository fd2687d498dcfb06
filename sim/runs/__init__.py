"""One run: data in (data.py), the model run year by year (runner.py), tidy tables
pulled from it (results.py), the run folder written atomically (store.py); seeds.py is
how a scenario seed becomes random generators."""
