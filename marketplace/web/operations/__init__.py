"""The operations map: every bin a viewer may see, for staff and for businesses with many sites."""
