"""The hauler portal, under /hauler/."""
