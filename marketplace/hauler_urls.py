"""The hauler portal's pages, under /hauler/."""

urlpatterns: list = []
