"""What a run produces beyond its tables: charts (and, later, the briefing)."""
