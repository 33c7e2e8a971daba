"""The OpenAPI 3.1 description of /api/v1: one module-level document that every API area extends."""

from __future__ import annotations

from feedback.ticket_lists import VIEWS

_ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}}
_WHEN = {"type": ["string", "null"], "format": "date-time"}
_TICKET = {
    "type": "object",
    "properties": {
        "number": {"type": "string", "example": "FB-000123"}, "id": {"type": "integer"}, "title": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "in_progress", "resolved", "closed"]},
        "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
        "category": {"type": ["string", "null"], "example": "logistics.late"},
        "department": {"type": ["string", "null"], "example": "logistics"},
        "owner": {"type": ["object", "null"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"}}},
        "due_at": _WHEN, "overdue": {"type": "boolean"}, "opened_at": _WHEN, "resolved_at": _WHEN,
        "closed_at": _WHEN, "updated_at": _WHEN, "resolution": {"type": "string"},
        "feedback_count": {"type": "integer"}, "contact": {"type": "string"}, "order_ref": {"type": "string"},
        "key_product": {"type": "boolean"}, "url": {"type": "string", "format": "uri"},
    },
}
_DETAIL = {
    "allOf": [{"$ref": "#/components/schemas/Ticket"}, {"type": "object", "properties": {
        "feedback": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "channel": {"type": "string"}, "received_at": _WHEN, "customer": {"type": "string"},
            "contact": {"type": "string"}, "order_ref": {"type": "string"}, "rating": {"type": ["integer", "null"]},
            "subject": {"type": "string"}, "text": {"type": "string"}}}},
        "history": {"type": "array", "items": {"type": "object", "properties": {
            "at": _WHEN, "by": {"type": ["string", "null"]}, "field": {"type": "string"},
            "old": {"type": "string"}, "new": {"type": "string"}, "note": {"type": "string"}}}},
    }}],
}
_PATCH = {
    "type": "object",
    "description": "Any of the fields; each change goes through the same rule as on the ticket page. "
                   "Every change is checked before any is made.",
    "properties": {
        "owner_id": {"type": ["integer", "null"], "description": "a head or agent of the department, a manager, or null (queue)"},
        "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
        "status": {"type": "string", "enum": ["in_progress", "resolved", "closed", "open"],
                   "description": "closed needs a resolution; open (reopen) needs a reason"},
        "resolution": {"type": "string"}, "reason": {"type": "string"}, "comment": {"type": "string"},
    },
}


def _query(name: str, description: str, **schema) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or {"type": "string"}}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


_NUMBER = {"name": "number", "in": "path", "required": True, "description": "FB-000123 or 123", "schema": {"type": "string"}}
_REFUSALS = {"401": _error("no token, or an unknown or revoked one"), "403": _error("the token's user may not, or the token lacks the scope"),
             "404": _error("no such ticket")}
_FILTERS = [
    _query("view", "which list", type="string", enum=list(VIEWS), default="open"),
    _query("status", "open, in_progress, resolved or closed"), _query("department", "department key"),
    _query("owner", "user id, me, or none (department queue)"), _query("category", "category key"),
    _query("channel", "tickets with feedback from this channel"), _query("priority", "low, normal, high or urgent"),
    _query("due_from", "due on or after this business day", type="string", format="date"),
    _query("due_to", "due on or before this business day", type="string", format="date"),
    _query("q", "a ticket number, or words of title, customer, order and feedback text"),
    _query("limit", "page size (1–200)", type="integer", default=50),
    _query("cursor", "next_cursor of the previous page"),
]

SPEC: dict = {
    "openapi": "3.1.0",
    "info": {"title": "Feedback tracker API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                      "description": "an API token; it acts as its user, with that user's permissions"}},
        "schemas": {"Ticket": _TICKET, "TicketDetail": _DETAIL, "TicketChange": _PATCH, "Error": _ERROR},
    },
    "security": [{"token": []}],
    "paths": {
        "/tickets": {"get": {
            "summary": "List tickets (the filters of the ticket list), newest first", "parameters": _FILTERS,
            "description": "Needs the scope tickets:read. Pages by cursor: pass next_cursor until it is null.",
            "responses": {"200": {"description": "one page", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Ticket"}},
                                                 "next_cursor": {"type": ["string", "null"]}}}}}},
                          "400": _error("a filter value is not valid"), "401": _REFUSALS["401"], "403": _REFUSALS["403"]},
        }},
        "/tickets/{number}": {
            "get": {"summary": "One ticket with its feedback items and history", "parameters": [_NUMBER],
                    "description": "Needs the scope tickets:read.",
                    "responses": {"200": _json("TicketDetail", "the ticket"), **_REFUSALS}},
            "patch": {"summary": "Reassign, change priority or status, comment", "parameters": [_NUMBER],
                      "description": "Needs the scope tickets:write.",
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TicketChange"}}}},
                      "responses": {"200": _json("TicketDetail", "the ticket after the change"),
                                    "400": _error("an invalid change (e.g. status move not possible)"), **_REFUSALS}},
        },
        "/tickets/{number}/close": {"post": {
            "summary": "Close a ticket with its resolution",
            "description": "Needs the scope tickets:write; only the head of the ticket's department or a manager may.",
            "parameters": [_NUMBER],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["resolution"], "properties": {"resolution": {"type": "string"}}}}}},
            "responses": {"200": _json("TicketDetail", "the closed ticket"),
                          "400": _error("no resolution, or the ticket is already closed"), **_REFUSALS},
        }},
        "/kpi-values": {"post": {
            "summary": "Import KPI values (all or none)",
            "description": "Needs the scope tickets:write; a head enters only their department's KPIs, a manager any. "
                           "A value replaces the one of the same KPI and period. Computed KPIs refuse values.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["values"], "properties": {"values": {"type": "array", "items": {
                    "type": "object", "required": ["kpi", "period_start", "value"], "properties": {
                        "kpi": {"type": "string", "example": "logistics.on_time_rate"},
                        "period_start": {"type": "string", "format": "date"},
                        "period_end": {"type": "string", "format": "date", "description": "defaults to period_start"},
                        "value": {"type": "number"}}}}}}}}},
            "responses": {"200": {"description": "how many were stored", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"stored": {"type": "integer"}}}}}},
                          "400": _error("a bad row (each named by its number); nothing stored"),
                          "401": _REFUSALS["401"], "403": _REFUSALS["403"]},
        }},
        "/openapi.json": {"get": {"summary": "This description", "security": [],
                                  "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
    },
}


def extend(paths: dict, schemas: dict | None = None) -> None:
    """Add an API area's paths and component schemas to the one document."""
    SPEC["paths"].update(paths)
    SPEC["components"]["schemas"].update(schemas or {})
