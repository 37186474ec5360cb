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
