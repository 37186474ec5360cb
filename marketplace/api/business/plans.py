"""The business API's recurring service: book a plan from a recurring quote, read it, skip, pause, resume, move
to other weekdays, end. The website's plan page calls the same services (marketplace.plans)."""

import datetime as dt

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from marketplace import plans, scheduling, selectors
from marketplace.api.business import plan_serializers as p
from marketplace.api.business.views import AUTHENTICATED, NOT_FOUND, BusinessView
from marketplace.api.common import INVALID, NOT_JSON, Pages, error_response
from marketplace.models import ServicePlan

PLAN_CONFLICT = error_response("The plan is ended or cancelled, or not yet taken by a hauler (`conflict`).")


def _detail(plan: ServicePlan, *, code: int = status.HTTP_200_OK, reload: bool = True) -> Response:
    if reload:  # after a change, read back as it is now
        plan = selectors.plan_of(customer=plan.customer_id, plan_id=plan.pk)
    today = scheduling.local_today(plan.location.timezone)
    visits = plan.visits.filter(service_date__gte=today - dt.timedelta(days=7)).order_by("service_date", "id")[:30]
    return Response(p.PlanDetailSerializer(plan, context={"visits": list(visits)}).data, status=code)


def _changed(summary: str, request, *, description: str = "", conflict=PLAN_CONFLICT):
    """The schema of a change: its input, the plan after it, and its errors."""
    return extend_schema(
        tags=["plans"],
        summary=summary,
        description=description,
        request=request,
        responses={
            200: p.PlanDetailSerializer,
            400: INVALID,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: conflict,
            415: NOT_JSON,
        },
    )


class PlanView(BusinessView):
    # One of the business's plans, by the id in the path.

    def plan(self, id: int) -> ServicePlan:
        return selectors.plan_of(customer=self.customer, plan_id=id)

    def form(self, serializer_class) -> dict:
        form = serializer_class(data=self.request.data)
        form.is_valid(raise_exception=True)
        return form.validated_data


class PlanListView(PlanView):
    """Your recurring plans; book a recurring quote to make one."""

    pagination_class = Pages  # read by the schema generator

    @extend_schema(
        tags=["plans"],
        summary="List your recurring plans, open ones first",
        responses={200: p.PlanSerializer(many=True), 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        return self.page(
            selectors.plans_of(customer=self.customer).order_by("status", "-created_at", "-id"), p.PlanSerializer
        )

    @extend_schema(
        tags=["plans"],
        summary="Book a recurring quote as a plan",
        description=(
            "Ask for the quote with a `frequency` other than `once`. The plan's first visit is offered to haulers; "
            "the hauler that takes it takes the plan, and later visits are scheduled with it. Booking the same "
            "quote again returns the same plan, with 200 instead of 201."
        ),
        request=p.PlanBookingSerializer,
        responses={
            201: OpenApiResponse(p.PlanDetailSerializer, description="Booked."),
            200: OpenApiResponse(p.PlanDetailSerializer, description="Already booked: the same plan."),
            400: INVALID,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("The quote is for one pickup, has expired, or bookings are paused (`conflict`)."),
            415: NOT_JSON,
        },
    )
    def post(self, request):
        quote_id = self.form(p.PlanBookingSerializer)["quote"]
        quote = selectors.quote_of(customer=self.customer, quote_id=quote_id)
        plan, created = plans.get_or_book_plan(quote=quote, customer=self.customer, by=request.user)
        return _detail(plan, code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PlanDetailView(PlanView):
    """One of your plans, with its pauses and visits."""

    @extend_schema(
        tags=["plans"],
        summary="One of your plans, with its pauses and visits",
        responses={200: p.PlanDetailSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return _detail(self.plan(id), reload=False)


class PlanSkipView(PlanView):
    """Skipping one visit of a plan."""

    @_changed(
        "Skip one visit",
        p.SkipSerializer,
        description="A scheduled visit skipped within the cancellation cutoff costs its `cancellation_fee_cents`.",
    )
    def post(self, request, id: int):
        plan = self.plan(id)
        day = self.form(p.SkipSerializer)["date"]
        plans.skip_visit(plan=plan, customer=self.customer, date=day, by=request.user)
        return _detail(plan)


class PlanPauseView(PlanView):
    """Pausing a plan between two dates."""

    @_changed("Pause between two dates", p.PauseRequestSerializer, description="No visits from start_date to end_date.")
    def post(self, request, id: int):
        plan = self.plan(id)
        data = self.form(p.PauseRequestSerializer)
        plans.pause_plan(
            plan=plan,
            customer=self.customer,
            start=data["start_date"],
            end=data["end_date"],
            reason=data["reason"],
            by=request.user,
        )
        return _detail(plan)


class PlanResumeView(PlanView):
    """Resuming a paused plan."""

    @_changed(
        "Resume a paused plan",
        p.ResumeSerializer,
        description="Lifts its pauses from `from_date` on. Visits a pause already skipped stay skipped.",
        conflict=error_response("The plan is not paused then, or is ended or cancelled (`conflict`)."),
    )
    def post(self, request, id: int):
        plan = self.plan(id)
        data = self.form(p.ResumeSerializer)
        plans.resume_plan(plan=plan, customer=self.customer, from_date=data.get("from_date"), by=request.user)
        return _detail(plan)


class PlanWeekdaysView(PlanView):
    """Moving a weekly plan to other weekdays."""

    @_changed(
        "Change the weekdays",
        p.WeekdaysChangeSerializer,
        description=(
            "From `from_date` on, visits are on the new weekdays: this plan ends the day before and the plan "
            "returned (its `replaces` is this one) continues it with the same hauler and price."
        ),
    )
    def post(self, request, id: int):
        plan = self.plan(id)
        data = self.form(p.WeekdaysChangeSerializer)
        successor = plans.change_weekdays(
            plan=plan, customer=self.customer, weekdays=data["weekdays"], from_date=data["from_date"], by=request.user
        )
        return _detail(successor)


class PlanEndView(PlanView):
    """Ending a plan."""

    @_changed(
        "End the plan",
        p.EndSerializer,
        description="Visits after `last_day` are dropped; a `last_day` before the start cancels the plan.",
    )
    def post(self, request, id: int):
        plan = self.plan(id)
        data = self.form(p.EndSerializer)
        plans.end_plan(plan=plan, customer=self.customer, last_day=data["last_day"], by=request.user)
        return _detail(plan)
