"""The business API: locations, quotes and pickups."""
