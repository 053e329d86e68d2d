"""pytest fixtures for the simulator (placeholder)."""
