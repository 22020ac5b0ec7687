"""Errors the domain services raise and every caller (browser, API, admin) turns into a message or a 409."""


class TransitionError(Exception):
    """The request is valid but the initiative or review is not in a state that allows it (HTTP 409)."""

    errors: list[dict] = []


class ChecklistIncomplete(TransitionError):
    """An approval asked for before the executive checklist questions it rests on are answered."""

    def __init__(self, questions: list[str]):
        self.questions = questions
        self.errors = [{"field": "checklist", "message": q} for q in questions]
        listed = "; ".join(f"“{q}”" for q in questions)
        super().__init__(f"Answer the executive checklist before approving. Unanswered: {listed}")
