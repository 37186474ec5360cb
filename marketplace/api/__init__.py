"""The market's REST API (under /api/): the business API, the hauler API and sensor ingest."""
