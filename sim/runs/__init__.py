"""One run: data in (data.py), the model run year by year (runner.py), tidy tables
pulled from it (results.py), the run folder written atomically (store.py). How a
scenario seed becomes random generators is models/seeds.py."""
