"""The four gates between the five stages: a leaf module, so the criteria registry and the models can
both name a gate without importing each other."""

from django.db import models

from initiatives.models import Stage


class Gate(models.TextChoices):
    CHARTER_SIGNOFF = "charter-signoff", "Charter sign-off"
    FOUNDATION_READY = "foundation-ready", "Foundation ready"
    SCALE_OUT = "scale-out", "Scale-out approval"
    REUSE_READY = "reuse-ready", "Reuse ready"

    @classmethod
    def leaving(cls, stage: str) -> "Gate | None":
        return GATE_FROM_STAGE.get(stage)

    @property
    def from_stage(self) -> Stage:
        return {v: k for k, v in GATE_FROM_STAGE.items()}[self]

    @property
    def to_stage(self) -> Stage:
        stages = Stage.ordered()
        return stages[stages.index(self.from_stage) + 1]


GATE_FROM_STAGE = {
    Stage.DEFINE_OUTCOME: Gate.CHARTER_SIGNOFF,
    Stage.SECURE_FOUNDATION: Gate.FOUNDATION_READY,
    Stage.MEASURE_IMPACT: Gate.SCALE_OUT,
    Stage.STANDARDIZE_REUSE: Gate.REUSE_READY,
}
