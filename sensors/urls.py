from django.urls import path

from sensors import views

urlpatterns = [
    path("locations/<int:location_id>/sensors/new/", views.device_add, name="sensor_add"),
    path("sensors/<int:device_id>/token/", views.device_token, name="sensor_token"),
    path("sensors/<int:device_id>/rotate/", views.device_rotate, name="sensor_rotate"),
    path("sensors/<int:device_id>/rules/", views.device_rules, name="sensor_rules"),
]
