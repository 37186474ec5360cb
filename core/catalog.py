"""The catalog: what can be picked up and in what. Shared vocabulary for every app."""

from django.db import models


class WasteStream(models.TextChoices):
    TRASH = "trash", "Trash"
    RECYCLING = "recycling", "Recycling"
    CARDBOARD = "cardboard", "Cardboard"
    ORGANICS = "organics", "Organics"


class Container(models.TextChoices):
    CART_96_GAL = "cart_96gal", "96-gallon cart"
    DUMPSTER_2_YD = "dumpster_2yd", "2-yard dumpster"
    DUMPSTER_4_YD = "dumpster_4yd", "4-yard dumpster"
    DUMPSTER_6_YD = "dumpster_6yd", "6-yard dumpster"
    DUMPSTER_8_YD = "dumpster_8yd", "8-yard dumpster"
    ROLL_OFF_20_YD = "rolloff_20yd", "20-yard roll-off"
    ROLL_OFF_30_YD = "rolloff_30yd", "30-yard roll-off"
    ROLL_OFF_40_YD = "rolloff_40yd", "40-yard roll-off"


ROLL_OFFS = frozenset({Container.ROLL_OFF_20_YD, Container.ROLL_OFF_30_YD, Container.ROLL_OFF_40_YD})

# Loose cubic yards one container holds when full: what it adds to a collection truck's load.
CONTAINER_YARDS = {
    Container.CART_96_GAL: 0.5,
    Container.DUMPSTER_2_YD: 2,
    Container.DUMPSTER_4_YD: 4,
    Container.DUMPSTER_6_YD: 6,
    Container.DUMPSTER_8_YD: 8,
    Container.ROLL_OFF_20_YD: 20,
    Container.ROLL_OFF_30_YD: 30,
    Container.ROLL_OFF_40_YD: 40,
}


def is_roll_off(container: str) -> bool:
    """A roll-off box is hauled away whole by a roll-off truck; everything else is emptied into a collection truck."""
    return container in ROLL_OFFS
