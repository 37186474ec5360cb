"""The demo: seed_demo's data, its cards and charged pickup, and the bin-sensor simulation."""
