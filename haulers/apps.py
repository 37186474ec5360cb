from django.apps import AppConfig


class HaulersConfig(AppConfig):
    name = "haulers"
    verbose_name = "Haulers"
