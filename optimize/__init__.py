"""zonesim: optimize."""
