"""The entry layer for Harness: webhook deliveries authenticated, checked, stored, then acknowledged."""
