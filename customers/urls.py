from django.urls import path

from customers import views

urlpatterns = [
    path("locations/", views.location_list, name="location_list"),
    path("locations/new/", views.location_add, name="location_add"),
    path("locations/<int:location_id>/edit/", views.location_edit, name="location_edit"),
    path("locations/<int:location_id>/archive/", views.location_archive, name="location_archive"),
    path("locations/<int:location_id>/restore/", views.location_restore, name="location_restore"),
    path("business/", views.company, name="company"),
]
