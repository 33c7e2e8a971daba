"""REST API for feedback intake: `POST /api/v1/feedback` with a token.

Its OpenAPI paths and schemas (OPENAPI below) join the one document web/api.py serves at
/api/v1/openapi.json; the route can move into web/api.py as it is.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from feedback import clock, db, submissions, tokens
from feedback.errors import Invalid
from feedback.web.auth import bearer_token

bp = Blueprint("api_feedback", __name__, url_prefix="/api/v1")
SCOPE = "feedback:write"


@bp.post("/feedback")
def post_feedback():
    """One item (a JSON object) or a batch ({"items": [...]} or a list, up to 1,000); a result per item."""
    session = db.session()
    token = tokens.verify_token(session, bearer_token(), scope=SCOPE, now=clock.now())
    body = request.get_json(silent=True)
    if body is None:
        raise Invalid("the body must be JSON (Content-Type: application/json)")
    batch = isinstance(body, list) or (isinstance(body, dict) and "items" in body)
    raw_items = body if isinstance(body, list) else body["items"] if batch else [body]
    if not isinstance(raw_items, list) or not raw_items:
        raise Invalid("items must be a non-empty list")
    if len(raw_items) > submissions.MAX_BATCH:
        raise Invalid(f"at most {submissions.MAX_BATCH} items per request")
    entries = [_entry(item) for item in raw_items]
    source = (body.get("source") if isinstance(body, dict) else None) or f"api:{token.name}"
    run, results = submissions.submit(session, entries, run_channel="api", source=str(source)[:200],
                                      file_name=f"token {token.prefix}", now=clock.now())
    results = [r.as_dict() for r in results]
    if not batch:
        status = {"created": 201, "duplicate": 200}.get(results[0]["status"], 422)
        return jsonify(results[0] | {"import_run": run.id}), status
    created = sum(r["status"] == "created" for r in results)
    errors = sum(r["status"] == "error" for r in results)
    return jsonify(import_run=run.id, created=created, duplicate=len(results) - created - errors, errors=errors,
                   results=results), 207 if errors else 200


def _entry(item):
    try:
        return submissions.parse_item(item)
    except Invalid as exc:
        return exc


_ITEM = {
    "type": "object",
    "required": ["channel"],
    "properties": {
        "channel": {"type": "string", "enum": ["phone", "email", "forum", "review", "survey"]},
        "text": {"type": "string", "maxLength": submissions.MAX_TEXT, "description": "what the customer said"},
        "subject": {"type": "string", "maxLength": 500},
        "customer": {"type": "string", "maxLength": 200},
        "contact": {"type": "string", "maxLength": 254, "description": "email, phone or handle"},
        "order_ref": {"type": "string", "maxLength": 100},
        "product_ref": {"type": "string", "maxLength": 100},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "csat": {"type": "integer", "minimum": 1, "maximum": 5},
        "nps": {"type": "integer", "minimum": 0, "maximum": 10},
        "received_at": {"type": "string", "format": "date-time", "description": "default now; no zone = business time"},
        "external_id": {"type": "string", "maxLength": 200,
                        "description": "your id; resending it stores nothing twice (default: a hash of the content)"},
        "language": {"type": "string", "maxLength": 8},
    },
    "description": "Text or a score (rating, csat, nps) is required.",
}
_RESULT = {
    "type": "object",
    "properties": {
        "index": {"type": "integer"}, "status": {"type": "string", "enum": ["created", "duplicate", "error"]},
        "id": {"type": "integer", "description": "the feedback id"}, "error": {"type": "string"},
    },
}
_ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Feedback tracker API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "description": "an API token from Admin → API tokens"}},
        "schemas": {"FeedbackItem": _ITEM, "ItemResult": _RESULT, "Error": _ERROR},
    },
    "security": [{"token": []}],
    "paths": {
        "/feedback": {
            "post": {
                "summary": "Submit feedback: one item, or a batch of up to 1,000",
                "description": f"Needs a token with the scope {SCOPE}. Each item is stored once; invalid items are reported, the others stored.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                    {"$ref": "#/components/schemas/FeedbackItem"},
                    {"type": "object", "required": ["items"], "properties": {
                        "source": {"type": "string", "description": "default api:<token name>"},
                        "items": {"type": "array", "maxItems": submissions.MAX_BATCH,
                                  "items": {"$ref": "#/components/schemas/FeedbackItem"}}}},
                    {"type": "array", "maxItems": submissions.MAX_BATCH, "items": {"$ref": "#/components/schemas/FeedbackItem"}},
                ]}}}},
                "responses": {
                    "200": {"description": "batch stored (or a single item already there)"},
                    "201": {"description": "single item created",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemResult"}}}},
                    "207": {"description": "batch stored except the items whose result has an error"},
                    "400": _error("the body is not JSON or not a list of items, or too many items"),
                    "401": _error("no token, or an unknown or revoked one"),
                    "403": _error("the token lacks the scope"),
                    "422": _error("the single item is invalid"),
                },
            }
        }
    },
}
