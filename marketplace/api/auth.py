"""The token endpoint: scripts trade an email and password for the account's API token."""

from allauth.account.utils import has_verified_email
from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from marketplace.api.common import NOT_JSON, VALIDATION_ERROR_SCHEMA, error_response


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class TokenThrottle(AnonRateThrottle):
    """Guessing passwords through the token endpoint is slow."""

    scope = "api_token"
    rate = "10/minute"


class TokenView(APIView):
    """For scripts: one token per account, sent as `Authorization: Token <token>`."""

    authentication_classes = []  # so no session, and so no CSRF check, applies to getting a token
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Get an API token",
        description="Trade an email and password for the account's token (the same one each time).",
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA,
                description="Missing fields, or wrong credentials (`invalid_credentials`, `email_unverified`).",
            ),
            415: NOT_JSON,
            429: error_response("Too many attempts (`throttled`)."),
        },
    )
    def post(self, request):
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request=request, email=form.validated_data["email"].lower(), password=form.validated_data["password"]
        )
        if user is None:
            raise serializers.ValidationError(
                "Unable to sign in with that email and password.", code="invalid_credentials"
            )
        if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory" and not has_verified_email(user):
            # the website would not let this account sign in either
            raise serializers.ValidationError(
                "Confirm your email address first (see the email we sent you).", code="email_unverified"
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response(TokenSerializer({"token": token.key}).data)
