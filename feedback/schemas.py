"""Validated inputs shared by forms, the API, CSV rows and CLI commands."""

from __future__ import annotations

import re

from pydantic import ValidationError, field_validator
from sqlmodel import SQLModel

from feedback.errors import Invalid
from feedback.models import Role

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserIn(SQLModel):
    email: str
    name: str
    role: Role
    password: str = ""
    department: str | None = None  # department key; required for heads
    language: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip().lower()
        if not EMAIL.match(value):
            raise ValueError("not a valid email address")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a name is required")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value and value not in {"en", "zh"}:
            raise ValueError("language must be en or zh")
        return value or None


def validated(schema: type[SQLModel], **data) -> SQLModel:
    """Build a schema object; turn pydantic's error into the service layer's Invalid."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise Invalid("; ".join(_describe(e) for e in exc.errors())) from None


def _describe(error: dict) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    message = error.get("msg", "invalid").removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
