"""zonesim: sim."""
