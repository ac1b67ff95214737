"""The base of every rubric model: unknown fields are errors, and a validated rubric is frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
