"""The business API's rating of a visit: read it, and put it (the first time, or to change it within the window)."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from core.errors import NotFound
from marketplace import ratings, selectors
from marketplace.api.business.views import AUTHENTICATED, NOT_FOUND, BusinessView
from marketplace.api.common import INVALID, NOT_JSON, EnumField, FlatListField, error_response
from marketplace.models import Rating


class RatingInputSerializer(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (very poor) to 5 (excellent).")
    tags = FlatListField(
        child=EnumField(Rating.Tag, name="RatingTagEnum"),
        required=False,
        default=list,
        max_length=len(Rating.Tag.values),
        help_text="What stood out; `on_time` and `late` exclude each other. Left out: none.",
    )
    comment = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=ratings.COMMENT_MAX, help_text="The hauler sees it."
    )


class RatingSerializer(serializers.Serializer):
    pickup = serializers.IntegerField(source="pickup_id")
    stars = serializers.IntegerField(min_value=1, max_value=5)
    tags = serializers.ListField(child=EnumField(Rating.Tag, name="RatingTagEnum"))
    comment = serializers.CharField(allow_blank=True)
    rated_at = serializers.DateTimeField(source="updated_at", help_text="When it was last saved.")
    changeable_until = serializers.SerializerMethodField(
        help_text="Until when a PUT may change it (RATING_WINDOW_DAYS after the visit was completed)."
    )

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_changeable_until(self, rating):
        until = ratings.rate_until(rating.pickup)
        return serializers.DateTimeField().to_representation(until) if until else None


NOT_RATABLE = error_response(
    "The visit cannot be rated (`conflict`): it is not completed, or its rating window has closed."
)


class PickupRatingView(BusinessView):
    """Your rating of one of your visits."""

    actions = {"GET": "see", "PUT": "see"}

    @extend_schema(
        tags=["pickups"],
        summary="Your rating of a visit",
        responses={
            200: RatingSerializer,
            **AUTHENTICATED,
            404: error_response("No such pickup among yours, or you have not rated it yet (`not_found`)."),
        },
    )
    def get(self, request, id: int):
        pickup = selectors.pickup_of(customer=self.customer, pickup_id=id)
        rating = ratings.rating_of(pickup=pickup)
        if rating is None:
            raise NotFound("You have not rated this pickup yet.")
        rating.pickup = pickup
        return Response(RatingSerializer(rating).data)

    @extend_schema(
        tags=["pickups"],
        summary="Rate a visit, or change its rating",
        description=(
            "A completed visit can be rated until `RATING_WINDOW_DAYS` (14) days after it was done. A second PUT "
            "replaces the first rating (its stars, tags and comment all at once); the same rating again changes "
            "nothing."
        ),
        request=RatingInputSerializer,
        responses={
            200: RatingSerializer,
            400: INVALID,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: NOT_RATABLE,
            415: NOT_JSON,
        },
    )
    def put(self, request, id: int):
        pickup = selectors.pickup_of(customer=self.customer, pickup_id=id)
        given = RatingInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        rating = ratings.rate_pickup(pickup=pickup, by=request.user, **given.validated_data)
        rating.pickup = pickup
        return Response(RatingSerializer(rating).data)
