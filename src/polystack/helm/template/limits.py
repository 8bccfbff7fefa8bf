"""One render's budget: nested executions (template calls, include, tpl), work
units and CPU time, shared by a template set and its clones (golang/runtime.py
says why polystack bounds what Go does not)."""

from __future__ import annotations

import time

__all__ = [
    "Budget",
    "MAX_NESTING",
    "MAX_WORK",
    "MAX_SECONDS",
    "CHECK_EVERY",
    "INVOKE_COST",
    "EXECUTE_COST",
]

# active template/include/tpl executions (Helm's include limit is 1000 per name,
# so a cycle through up to four names still ends with Helm's own error)
MAX_NESTING = 5000
# work units of one render (see Budget): real charts spend well under 1/20 of it
MAX_WORK = 10_000_000
# CPU seconds of one render (checked every CHECK_EVERY work units)
MAX_SECONDS = 10.0
CHECK_EVERY = 1 << 16
# work units of starting one execution on top of its tree's node count: a
# {{template}} call, and (a new state, output buffer and error wrapping) an
# include, a tpl or a top-level template
INVOKE_COST = 8
EXECUTE_COST = 32


class Budget:
    """The counters of one render, shared by its template set and every clone.

    ``work`` grows by the node count of each executed template and range body
    (plus INVOKE_COST or EXECUTE_COST for each template call, include and tpl),
    by a unit per 16 characters of each long string an action writes or a
    function returns, and by a unit per 16 elements of each long list or map a
    function returns. Every ``CHECK_EVERY`` units the render's thread CPU time is
    checked against ``max_seconds`` too (the backstop for work the units do not
    see, such as one function call on big data in a long loop).
    """

    __slots__ = (
        "nesting",
        "work",
        "next_check",
        "deadline",
        "max_nesting",
        "max_work",
        "max_seconds",
        "included",
    )

    def __init__(
        self,
        max_nesting: int = MAX_NESTING,
        max_work: int = MAX_WORK,
        max_seconds: float = MAX_SECONDS,
    ) -> None:
        self.nesting = 0
        self.work = 0
        self.next_check = min(CHECK_EVERY, max_work)
        self.deadline = -1.0  # set at the first check, on the rendering thread
        self.max_nesting = max_nesting
        self.max_work = max_work
        self.max_seconds = max_seconds
        # Helm's includedNames: active include calls per template name
        self.included: dict[str, int] = {}

    def over(self) -> str:
        """Called when ``work`` passed ``next_check``: the error text if the render
        is over its work or time budget, else "" (and the next check is set)."""
        if self.work > self.max_work:
            return f"exceeded maximum template work ({self.max_work})"
        now = time.thread_time()
        if self.deadline < 0:
            self.deadline = now + self.max_seconds
        elif now > self.deadline:
            return f"exceeded maximum template run time ({self.max_seconds:g}s of CPU)"
        self.next_check = min(self.work + CHECK_EVERY, self.max_work)
        return ""
