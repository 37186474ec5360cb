"""The hauler API's ratings: what businesses said about your visits, latest first."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from marketplace import ratings
from marketplace.api.common import EnumField
from marketplace.api.hauler.views import AUTHENTICATED, NOT_FOUND, HaulerView
from marketplace.api.pagination import Cursor
from marketplace.models import Rating


class HaulerRatingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    job = serializers.IntegerField(source="pickup_id", help_text="The job (pickup) rated: /api/v1/hauler/jobs/{id}/.")
    service_date = serializers.DateField(source="pickup.service_date")
    business = serializers.CharField(source="customer.name", help_text="The customer's name (and nothing else of it).")
    stars = serializers.IntegerField(min_value=1, max_value=5)
    tags = serializers.ListField(child=EnumField(Rating.Tag, name="RatingTagEnum"))
    comment = serializers.CharField(allow_blank=True)
    rated_at = serializers.DateTimeField(
        source="updated_at",
        help_text="When it was last saved (it may be changed for RATING_WINDOW_DAYS after the visit).",
    )


class RatingListView(HaulerView):
    """Ratings businesses gave your visits."""

    actions = {"GET": "see"}

    pagination_class = Cursor

    @extend_schema(
        tags=["hauler ratings"],
        summary="List your ratings, latest first",
        description="Each with the business's name, never who there rated it. A changed rating moves to the top.",
        responses={200: HaulerRatingSerializer(many=True), **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        return self.page(ratings.ratings_for_hauler(hauler=self.hauler), HaulerRatingSerializer)
