"""The sandbox Calendar MCP server (`calendarmcp.googleapis.com`): its tools as Google's MCP reference declares them.

Arguments and shapes follow https://developers.google.com/workspace/calendar/api/v3/reference/mcp
(the get/update/delete/respond/search schemas were not published in full: their argument names
follow create_event's and list_events' documented ones). Deleting an
event always asks the person, so `/mcp/v1self` leaves `delete_event` out; creating or updating an
event with guests asks too, and is refused on `/mcp/v1self`.
"""

from __future__ import annotations

from typing import Any

from sandbox.mcp.arguments import boolean, integer, message, string, strings
from sandbox.mcp.calendar import CalendarTools
from sandbox.mcp.server import Product, Tool
from sandbox.world import World

_AUTH = "https://www.googleapis.com/auth/"
READ = tuple(_AUTH + s for s in ("calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly"))
LIST = (*READ, _AUTH + "calendar.calendarlist.readonly", _AUTH + "calendar.calendarlist")
FREE_BUSY = (*READ, _AUTH + "calendar.events.freebusy", _AUTH + "calendar.freebusy")
WRITE = (_AUTH + "calendar", _AUTH + "calendar.events")

_TEXT, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
PRINCIPAL = {"type": "object", "properties": {"email": _TEXT, "displayName": _TEXT, "self": _BOOL}}
WHEN = {"type": "object", "properties": {"date": _TEXT, "dateTime": _TEXT, "timeZone": _TEXT}}
ATTENDEE = {
    "type": "object",
    "properties": {
        **{k: _TEXT for k in ("id", "email", "displayName", "responseStatus", "comment")},
        **{k: _BOOL for k in ("organizer", "self", "resource", "optionalAttendee")},
        "additionalGuests": _INT,
    },
}
_TEXT_FIELDS = ("id", "status", "htmlLink", "created", "updated", "summary", "description", "location")
EVENT = {
    "type": "object",
    "properties": {
        **{k: _TEXT for k in _TEXT_FIELDS},
        "creator": PRINCIPAL,
        "organizer": PRINCIPAL,
        "start": WHEN,
        "end": WHEN,
        "recurrence": {"type": "array", "items": _TEXT},
        "recurringEventId": _TEXT,
        "originalStartTime": WHEN,
        **{k: _TEXT for k in ("transparency", "visibility", "eventType", "conferenceUrl", "colorId")},
        "attendees": {"type": "array", "items": ATTENDEE},
    },
}
EVENTS = {"type": "array", "items": EVENT}
REMINDER = {"type": "object", "properties": {"method": _TEXT, "minutes": _INT}}
LIST_EVENTS = {
    "type": "object",
    "properties": {
        **{k: _TEXT for k in ("summary", "description", "updated", "timeZone", "accessRole", "nextPageToken")},
        "defaultReminders": {"type": "array", "items": REMINDER},
        "events": EVENTS,
    },
}
CALENDAR = {"type": "object", "properties": {"id": _TEXT, "summary": _TEXT, "description": _TEXT, "timeZone": _TEXT}}
SLOT = {"type": "object", "properties": {"startTime": _TEXT, "endTime": _TEXT, "durationMinutes": _INT}}

_ISO = "ISO 8601 timestamp, e.g. 2026-06-03T10:00:00-07:00, 2026-06-03T10:00:00Z or 2026-06-03T10:00:00"
_CALENDAR_ID = string("Optional. The calendar ID. The default is the user's primary calendar.")
_EVENT_ID = string("Required. The event's ID.")
_TIME_ZONE = string("Optional. IANA time zone for the response and for timestamps without an offset.")
_NOTIFY = string(
    "Optional. Which email notifications to send: NONE (default), EXTERNAL_ONLY or ALL.",
    enum=("NONE", "EXTERNAL_ONLY", "ALL"),
)
_VISIBILITY = string("Optional. default, public or private.", enum=("default", "public", "private"))
_COLOR = string("Optional. Event color ID, '1' to '11'.", enum=tuple(str(n) for n in range(1, 12)))


def _event_fields(required: bool) -> dict[str, Any]:
    need = "Required." if required else "Optional."
    return {
        "summary": string(f"{need} Title of the event."),
        "startTime": string(f"{need} The start time of the event, {_ISO}."),
        "endTime": string(f"{need} The end time of the event, {_ISO}."),
        "timeZone": string(f"{need} Time zone of the event (IANA name, e.g. Europe/Zurich)."),
        "attendeeEmails": strings("Optional. The additional attendees of the event, as plain email addresses."),
        "recurrenceData": strings("Optional. RRULE, RDATE or EXDATE lines (RFC 5545) for a recurring event."),
        "calendarId": _CALENDAR_ID,
        "description": string("Optional. Description of the event. Can contain HTML."),
        "location": string("Optional. Geographic location of the event as free-form text."),
        "notificationLevel": _NOTIFY,
        "addGoogleMeetUrl": boolean("Optional. Create a Google Meet URL for the event.", default=False),
        "visibility": _VISIBILITY,
        "colorId": _COLOR,
    }


def calendar_product(world: World) -> Product:
    """Google Calendar's MCP server over the sandbox world's calendars."""
    tools = CalendarTools(world)
    create_args = {**_event_fields(True), "allDay": boolean("Optional. Whether the event is all-day.", default=False)}
    update_args = {"eventId": _EVENT_ID, **_event_fields(False)}
    return Product(
        "calendar",
        "calendarmcp.googleapis.com",
        [
            Tool(
                "list_calendars",
                "Returns the calendars on the user's calendar list. Use it to resolve calendar identifying data "
                "(for example, 'my family calendar') into its calendar_id.",
                message(
                    {
                        "pageSize": integer("Optional. Maximum entries per page.", default=100, maximum=250),
                        "pageToken": string("Optional. Token specifying which result page to return."),
                    }
                ),
                {
                    "type": "object",
                    "properties": {"calendars": {"type": "array", "items": CALENDAR}, "nextPageToken": _TEXT},
                },
                LIST,
                tools.list_calendars,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "list_events",
                "Returns events on the given calendar matching all specified constraints. Time constraints should "
                "not be specified unless requested by the user. For open-ended keyword or topic-based searches on "
                "the primary calendar, the search_events tool must be used instead.",
                message(
                    {
                        "eventTypeFilter": strings(
                            "Optional. Event types to return: default, outOfOffice, focusTime, workingLocation, "
                            "birthday, fromGmail."
                        ),
                        "calendarId": _CALENDAR_ID,
                        "pageSize": integer("Optional. Maximum events per page.", default=250, maximum=2500),
                        "pageToken": string("Optional. Token specifying which result page to return."),
                        "startTime": string(f"Optional. Only events ending strictly after this time; {_ISO}."),
                        "endTime": string(f"Optional. Only events starting strictly before this time; {_ISO}."),
                        "timeZone": _TIME_ZONE,
                        "orderBy": string(
                            "Optional. default, startTime, startTimeDesc or lastModified.",
                            enum=("default", "startTime", "startTimeDesc", "lastModified"),
                        ),
                        "fullText": string(
                            "Optional. Free-form search across title, description, location, attendees."
                        ),
                    }
                ),
                LIST_EVENTS,
                READ,
                tools.list_events,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "search_events",
                "Searches events on the user's primary calendar using semantic search, most relevant first.",
                message(
                    {
                        "query": string("Required. What to look for (topic, people, place)."),
                        "pageSize": integer("Optional. Maximum events to return.", default=10, maximum=50),
                        "pageToken": string("Optional. Token specifying which result page to return."),
                        "startTime": string(f"Optional. Only events ending after this time; {_ISO}."),
                        "endTime": string(f"Optional. Only events starting before this time; {_ISO}."),
                        "timeZone": _TIME_ZONE,
                    },
                    ["query"],
                ),
                {"type": "object", "properties": {"events": EVENTS, "nextPageToken": _TEXT}},
                READ,
                tools.search_events,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "get_event",
                "Returns a single event on the given calendar.",
                message({"eventId": _EVENT_ID, "calendarId": _CALENDAR_ID, "timeZone": _TIME_ZONE}, ["eventId"]),
                EVENT,
                READ,
                tools.get_event,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "suggest_time",
                "Suggests time periods across one or more calendars. To access the primary calendar, add 'primary' "
                "in the attendee_emails field.",
                message(
                    {
                        "attendeeEmails": strings("Required. The attendee emails to find free time for."),
                        "startTime": string(f"Required. The start of the interval, {_ISO}."),
                        "endTime": string(f"Required. The end of the interval, {_ISO}."),
                        "timeZone": _TIME_ZONE,
                        "durationMinutes": integer("Optional. Minimum free slot length in minutes.", default=30),
                        "preferences": message(
                            {
                                "startHour": string("The preferred start hour of day (e.g., 09:00)."),
                                "endHour": string("The preferred end hour of day (e.g., 17:00)."),
                                "excludeWeekends": boolean("Whether to exclude weekends."),
                                "pageSize": integer("Maximum number of time slots to return.", default=5),
                            },
                            description="The preferences to find suggested time for.",
                        ),
                    },
                    ["attendeeEmails", "startTime", "endTime"],
                ),
                {"type": "object", "properties": {"timeSlots": {"type": "array", "items": SLOT}}},
                FREE_BUSY,
                tools.suggest_time,
                read_only=True,
                idempotent=True,
            ),
            Tool(
                "create_event",
                "Creates an event on the given calendar. Inviting guests asks the user to approve.",
                message(create_args, ["summary", "startTime", "endTime", "timeZone"]),
                EVENT,
                WRITE,
                tools.create_event,
                asks=tools.asks_to_create,
            ),
            Tool(
                "update_event",
                "Updates an event on the given calendar; only the given fields change. Changing an event with "
                "guests asks the user to approve.",
                message(update_args, ["eventId"]),
                EVENT,
                WRITE,
                tools.update_event,
                asks=tools.asks_to_update,
            ),
            Tool(
                "delete_event",
                "Deletes an event on the given calendar. The user is asked to approve.",
                message({"eventId": _EVENT_ID, "calendarId": _CALENDAR_ID, "notificationLevel": _NOTIFY}, ["eventId"]),
                {"type": "object", "properties": {}},
                WRITE,
                tools.delete_event,
                destructive=True,
                idempotent=True,
                asks=tools.asks_to_delete,
                always_asks=True,
            ),
            Tool(
                "respond_to_event",
                "Responds to an event on a calendar (accept, decline or tentatively accept an invitation).",
                message(
                    {
                        "eventId": _EVENT_ID,
                        "calendarId": _CALENDAR_ID,
                        "responseStatus": string(
                            "Required. accepted, declined or tentative.", enum=("accepted", "declined", "tentative")
                        ),
                        "comment": string("Optional. A comment for the organizer."),
                    },
                    ["eventId", "responseStatus"],
                ),
                EVENT,
                WRITE,
                tools.respond_to_event,
                idempotent=True,
            ),
        ],
    )
