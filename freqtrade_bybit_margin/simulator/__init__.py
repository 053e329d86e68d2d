"""Local Bybit V5 simulator (placeholder)."""
