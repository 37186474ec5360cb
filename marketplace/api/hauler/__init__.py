"""The hauler API: offers, jobs, the service area and the rate card."""
