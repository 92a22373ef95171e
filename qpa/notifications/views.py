"""The inbox. Thin views: the selector finds the person's own notification (anyone
else's answers 404), the service changes it, the view redirects back."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qpa.accounts.models import User
from qpa.accounts.permissions import acting_user
from qpa.core.events import record_view
from qpa.notifications import selectors, services

PAGE_SIZE = 25


def _acting(request: HttpRequest) -> User:
    return acting_user(request)


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    """Back to the page of the inbox the button was on."""
    url = reverse("notifications:inbox")
    page = request.POST.get("page", "")
    if page.isdigit() and page != "1":
        url += f"?page={page}"
    return redirect(url)


def inbox(request: HttpRequest) -> HttpResponse:
    user = _acting(request)
    page = Paginator(
        selectors.notifications_for(user=user).select_related("acknowledged_by"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    # Notifications name children and quote what happened: the look is recorded.
    page.object_list = list(page.object_list)
    if page.object_list:
        record_view(request, action="notifications.listed", objects=page.object_list)
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread": selectors.unread_count(user=user)},
    )


@require_POST
def mark_read(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _acting(request)
    notification = selectors.notification_get_for_user(user=user, public_id=public_id)
    services.notification_mark_read(acting_user=user, notification=notification)
    messages.success(request, f"Marked as read: {notification.subject}")
    return _back_to_inbox(request)


@require_POST
def acknowledge(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _acting(request)
    notification = selectors.notification_get_for_user(user=user, public_id=public_id)
    try:
        services.notification_acknowledge(acting_user=user, notification=notification)
    except ValidationError as error:
        # Only urgent notifications have an acknowledge address.
        raise Http404 from error
    messages.success(request, f"Acknowledged: {notification.subject}")
    if request.POST.get("back") == "item" and notification.url.startswith("/"):
        # From the page the alert is about (its own address, made by QPA, never input).
        return redirect(notification.url)
    return _back_to_inbox(request)


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(acting_user=_acting(request))
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("notifications:inbox")
