"""zonesim: models."""
