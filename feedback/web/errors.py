"""Errors as pages or JSON: service errors map to 400/403/404 in this one place."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from feedback.errors import ServiceError


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def respond(status: int, message: str):
    if wants_json():
        return jsonify(error=message, status=status), status
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/error.html"
    return render_template(template, status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        return respond(exc.status, str(exc))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return respond(400, exc.description)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return respond(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        return respond(500, "Something went wrong on our side; it has been logged.")
